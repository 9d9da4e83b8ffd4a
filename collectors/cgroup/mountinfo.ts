import { fields, parsed, parseFail, uint, type ParseResult } from '../../src/core/parse-result.js';

/** One line of /proc/PID/mountinfo (proc(5)). */
export interface MountInfo {
  readonly id: number;
  readonly parent: number;
  /** "major:minor" of st_dev. */
  readonly dev: string;
  /** Root of the mount inside its filesystem ("/", "/docker/abc", or "net:[4026532177]" for nsfs). */
  readonly root: string;
  readonly mountPoint: string;
  readonly mountOptions: readonly string[];
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: readonly string[];
}

/** mountinfo escapes space, tab, newline and backslash as \040 \011 \012 \134. */
export function unescapeMountField(s: string): string {
  return s.indexOf('\\') < 0 ? s : s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Parse /proc/PID/mountinfo:
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * Optional fields (master:1, shared:2...) run up to the "-" separator. A line without the
 * separator or with non-numeric ids is garbage and fails the parse.
 */
export function parseMountinfo(text: string): ParseResult<MountInfo[]> {
  const out: MountInfo[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    const sep = f.indexOf('-', 6);
    const id = uint(f[0]);
    const parent = uint(f[1]);
    if (sep < 0 || f.length < sep + 3 || id === undefined || parent === undefined || !/^\d+:\d+$/.test(f[2] ?? '')) {
      return parseFail('mountinfo', 'expected "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTIONS"', i + 1);
    }
    out.push({
      id,
      parent,
      dev: f[2]!,
      root: unescapeMountField(f[3]!),
      mountPoint: unescapeMountField(f[4]!),
      mountOptions: f[5]!.split(','),
      fsType: f[sep + 1]!,
      source: unescapeMountField(f[sep + 2]!),
      superOptions: (f[sep + 3] ?? '').split(',').filter((o) => o.length > 0),
    });
  }
  if (out.length === 0) return parseFail('mountinfo', 'no mounts');
  return parsed(out);
}
