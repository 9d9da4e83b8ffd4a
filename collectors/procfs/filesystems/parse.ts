import { fields, parsed, parseFail, parseFieldLines, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** One line of /proc/PID/mountinfo (proc(5)); paths unescaped. */
export interface MountInfo {
  readonly id: number;
  readonly parentId: number;
  readonly major: number;
  readonly minor: number;
  /** Path inside the filesystem that is mounted here ("/" unless a bind mount of a subtree). */
  readonly root: string;
  readonly mountPoint: string;
  /** Per-mount options: "rw,relatime". */
  readonly mountOptions: string;
  /** Optional fields before the " - " separator: "shared:1", "master:2", ... */
  readonly optional: readonly string[];
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: string;
}

export interface MountTable {
  readonly mounts: MountInfo[];
  /** 1-based numbers of lines skipped as malformed. */
  readonly skippedLines: number[];
}

/**
 * Undo the kernel's octal escapes in mountinfo paths: mangle() writes space, tab, newline and
 * backslash as \040, \011, \012 and \134 (any \ooo is decoded). A backslash not followed by
 * three octal digits is kept as it is.
 */
export function unescapeMountField(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([0-3][0-7]{2})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parse /proc/self/mountinfo:
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * Fields are separated by single spaces; the optional fields end at a lone "-". A malformed
 * line is skipped (listed in skippedLines); text without any valid line is a parse error.
 */
export function parseMountinfo(text: string): ParseResult<MountTable> {
  const { items: mounts, skippedLines, nonEmpty } = parseFieldLines(text, parseLine);
  if (mounts.length === 0) return parseFail('/proc/self/mountinfo', nonEmpty === 0 ? 'empty mount table' : 'no valid mount line', 1);
  return parsed({ mounts, skippedLines });
}

function parseLine(f: string[]): MountInfo | undefined {
  const sep = f.indexOf('-', 6);
  if (sep < 0 || f.length < sep + 3) return undefined;
  const id = uint(f[0]);
  const parentId = uint(f[1]);
  const devno = (f[2] ?? '').split(':');
  const major = devno.length === 2 ? uint(devno[0]) : undefined;
  const minor = devno.length === 2 ? uint(devno[1]) : undefined;
  const root = f[3];
  const mountPoint = f[4];
  const mountOptions = f[5];
  const fsType = f[sep + 1];
  const source = f[sep + 2];
  if (id === undefined || parentId === undefined || major === undefined || minor === undefined || root === undefined || mountPoint === undefined || mountOptions === undefined || fsType === undefined || source === undefined) return undefined;
  const mp = unescapeMountField(mountPoint);
  if (!mp.startsWith('/')) return undefined;
  return {
    id,
    parentId,
    major,
    minor,
    root: unescapeMountField(root),
    mountPoint: mp,
    mountOptions,
    optional: f.slice(6, sep),
    fsType: unescapeMountField(fsType),
    source: unescapeMountField(source),
    superOptions: f[sep + 3] ?? '',
  };
}

export interface FilesystemType {
  readonly name: string;
  /** "nodev": the filesystem is not backed by a block device (proc, tmpfs, nfs, ...). */
  readonly nodev: boolean;
}

/** Parse /proc/filesystems: "nodev\tsysfs" or "\text4" per line. */
export function parseProcFilesystems(text: string): ParseResult<FilesystemType[]> {
  const out: FilesystemType[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    if (f.length === 1 && f[0] !== 'nodev') out.push({ name: f[0]!, nodev: false });
    else if (f.length === 2 && f[0] === 'nodev') out.push({ name: f[1]!, nodev: true });
    else return parseFail('/proc/filesystems', `expected "[nodev] NAME", got ${JSON.stringify((lines[i] ?? '').slice(0, 80))}`, i + 1);
  }
  if (out.length === 0) return parseFail('/proc/filesystems', 'no filesystem types');
  return parsed(out);
}
