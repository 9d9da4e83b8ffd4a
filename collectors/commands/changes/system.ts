import { z } from 'zod';
import { parsed, parseFail, type ParseResult } from '../../../src/core/parse-result.js';

/** Parsers of the system-side inputs of the changes collector: journal, wtmp, kernels, sysctl files, stat. */

/** systemd's catalogue ids of unit lifecycle messages (systemd/sd-messages.h). */
export const UNIT_MESSAGE_IDS = {
  '39f53479d3a045ac8e11786248231fbf': 'started',
  be02cf6855d2428ba40df7e9d022f03d: 'failed',
  '5eb03494b6584870a536b337290809b3': 'restart-scheduled',
  '98e322203f7a4ed290d09fe03c09fe15': 'process-exited',
  '9d1aaa27d60140bd96365438aad20286': 'stopped',
  '7b05ebc668384222baa8881179cfda54': 'reloaded',
} as const;
export type UnitAction = (typeof UNIT_MESSAGE_IDS)[keyof typeof UNIT_MESSAGE_IDS];

export interface UnitEvent {
  readonly at: number;
  readonly unit: string;
  readonly action: UnitAction;
  readonly message: string;
  readonly user: boolean;
}

const journalEntry = z.object({
  __REALTIME_TIMESTAMP: z.string().regex(/^\d{1,20}$/),
  MESSAGE_ID: z.string().optional(),
  UNIT: z.string().optional(),
  USER_UNIT: z.string().optional(),
  // journald stores binary-unsafe messages as byte arrays
  MESSAGE: z.union([z.string(), z.array(z.number())]).optional(),
});

/**
 * `journalctl -o json` (one JSON object per line) filtered on the unit lifecycle MESSAGE_IDs.
 * Lines that are not JSON or lack a time or unit are skipped and counted.
 */
export function parseJournalUnits(text: string): ParseResult<{ events: UnitEvent[]; skipped: number }> {
  const events: UnitEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const e = journalEntry.safeParse(json);
    const id = e.success ? e.data.MESSAGE_ID : undefined;
    const action = id !== undefined && Object.hasOwn(UNIT_MESSAGE_IDS, id) ? UNIT_MESSAGE_IDS[id as keyof typeof UNIT_MESSAGE_IDS] : undefined;
    const unit = e.success ? (e.data.UNIT ?? e.data.USER_UNIT) : undefined;
    if (!e.success || action === undefined || unit === undefined) {
      skipped++;
      continue;
    }
    const msg = e.data.MESSAGE;
    events.push({
      at: Number(e.data.__REALTIME_TIMESTAMP) / 1e6,
      unit,
      action,
      message: (typeof msg === 'string' ? msg : msg ? Buffer.from(msg).toString('utf8') : '').slice(0, 300),
      user: e.data.UNIT === undefined,
    });
  }
  return parsed({ events, skipped });
}

export interface BootRecord {
  readonly at: number;
  readonly kind: 'reboot' | 'shutdown';
  /** Kernel release the system ran (the "tty" column of last's reboot lines). */
  readonly kernel?: string;
  /** End of that boot (shutdown), when last knows it. */
  readonly until?: number;
}

/**
 * `last -x --time-format iso reboot shutdown` (util-linux): "reboot   system boot  6.1.0-18-amd64
 * 2024-03-01T10:00:00+00:00 - 2024-03-02T...  (1+00:00)" or "... still running"; the trailer
 * "wtmp begins ..." and anything else are ignored.
 */
export function parseLastBoots(text: string): ParseResult<BootRecord[]> {
  const out: BootRecord[] = [];
  for (const line of text.split('\n')) {
    const m = /^(reboot|shutdown)\s+system (?:boot|down)\s+(\S+)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:?\d{2}|Z))(?:\s+-\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:?\d{2}|Z)))?/.exec(line);
    if (!m) continue;
    const at = Date.parse(m[3]!) / 1000;
    if (!Number.isFinite(at)) continue;
    const until = m[4] ? Date.parse(m[4]) / 1000 : undefined;
    out.push({ at, kind: m[1] as 'reboot' | 'shutdown', kernel: m[2]!, ...(until !== undefined && Number.isFinite(until) ? { until } : {}) });
  }
  return parsed(out);
}

/**
 * Order kernel releases like dpkg orders versions, closely enough for "6.1.0-21-amd64" against
 * "6.1.0-18-amd64": digit runs compare as numbers, other runs as text.
 */
export function compareKernelRelease(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Kernel releases installed: /lib/modules/<release> and /boot/vmlinuz-<release>. */
export function installedKernels(modules: readonly string[], boot: readonly string[]): string[] {
  const set = new Set<string>();
  for (const m of modules) if (/^\d+\.\d+/.test(m)) set.add(m);
  for (const b of boot) {
    const m = /^(?:vmlinuz|vmlinux|bzImage|Image)-(\d+\.\d+\S*)$/.exec(b);
    if (m) set.add(m[1]!);
  }
  return [...set].sort(compareKernelRelease);
}

export interface SysctlSetting {
  readonly key: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

/** "net/ipv4/ip_forward" or "net.ipv4.ip_forward" -> "net.ipv4.ip_forward" (sysctl.d(5)). */
export function sysctlKey(key: string): string {
  // sysctl.d(5): if the first separator is "/", "/" separates and "." is part of a name (e.g. an interface "eth0.100")
  const slash = key.indexOf('/');
  const dot = key.indexOf('.');
  if (slash >= 0 && (dot < 0 || slash < dot)) return key.split('/').map((p) => p.replace(/\./g, '/')).join('.');
  return key;
}

/** The /proc/sys path of a sysctl key: dots separate, slashes inside a name stay dots. */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.split('.').map((p) => p.replace(/\//g, '.')).join('/')}`;
}

/**
 * One sysctl.conf / sysctl.d file: "key = value" lines; "#" and ";" start comments; a leading
 * "-" means "ignore errors"; keys with globs ("net.ipv4.conf.*.rp_filter") are skipped (they name
 * many files). Lines that are not settings are skipped and counted.
 */
export function parseSysctlConf(text: string, file: string): ParseResult<{ settings: SysctlSetting[]; skipped: number }> {
  const settings: SysctlSetting[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.length === 0 || l.startsWith('#') || l.startsWith(';')) continue;
    const eq = l.indexOf('=');
    if (eq <= 0) {
      skipped++;
      continue;
    }
    let key = l.slice(0, eq).trim();
    if (key.startsWith('-')) key = key.slice(1);
    const value = l.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_./:-]+$/.test(key) || key.includes('..')) {
      if (!/[*?]/.test(key)) skipped++;
      continue;
    }
    settings.push({ key: sysctlKey(key), value, file, line: i + 1 });
  }
  return parsed({ settings, skipped });
}

/** Values compare as systemd-sysctl writes them: runs of blanks are one space. */
export function sameSysctlValue(a: string, b: string): boolean {
  return a.trim().split(/\s+/).join(' ') === b.trim().split(/\s+/).join(' ');
}

/**
 * `stat --printf '%W %n\0' -- PATH...`: birth time (0 or "-" when the filesystem does not keep
 * one) and the path, NUL-terminated (paths may hold newlines).
 */
export function parseStatBirth(text: string): ParseResult<Map<string, number>> {
  const out = new Map<string, number>();
  for (const rec of text.split('\0')) {
    if (rec.length === 0) continue;
    const sp = rec.indexOf(' ');
    if (sp <= 0) return parseFail('stat --printf "%W %n\\0"', `expected "<birth> <path>", got "${rec.slice(0, 40)}"`);
    const word = rec.slice(0, sp);
    const t = /^\d{1,15}$/.test(word) ? Number(word) : undefined;
    if (t !== undefined && t > 0) out.set(rec.slice(sp + 1), t);
  }
  return parsed(out);
}

/** What one `stat` record says about a file (the changes collector's one stat call). */
export interface FileStat {
  /** Birth time, Unix seconds, when the filesystem keeps one. */
  readonly birth: number | undefined;
  /** Last modification, Unix seconds. */
  readonly mtime: number;
  readonly size: number;
  readonly inode: number;
}

/**
 * `stat --printf '%W %Y %s %i %n\0' -- PATH...`: birth ("0" or "-" when not kept), mtime, size,
 * inode and the path, NUL-terminated (paths may hold newlines). A path stat could not read is
 * simply absent (stat says so on stderr and exits 1).
 */
export function parseStatFiles(text: string): ParseResult<Map<string, FileStat>> {
  const out = new Map<string, FileStat>();
  for (const rec of text.split('\0')) {
    if (rec.length === 0) continue;
    const m = /^(\d{1,15}|-) (\d{1,15}) (\d{1,20}) (\d{1,20}) /.exec(rec);
    if (!m) return parseFail('stat --printf "%W %Y %s %i %n\\0"', `expected "<birth> <mtime> <size> <inode> <path>", got "${rec.slice(0, 60)}"`);
    const birth = m[1] === '-' ? 0 : Number(m[1]);
    out.set(rec.slice(m[0].length), { birth: birth > 0 ? birth : undefined, mtime: Number(m[2]), size: Number(m[3]), inode: Number(m[4]) });
  }
  return parsed(out);
}

/**
 * Where the lines of a time-ordered log (each starting with a sortable local time such as
 * dpkg's "YYYY-MM-DD HH:MM:SS") reach `key`: the index of the first line whose prefix is at or
 * after it, found by bisecting the text (log2 of its size probes, not a parse of every line).
 * 0 whenever a probed line does not start with a time as `timed` says (garbage, another
 * format): the caller then parses the whole text, as it would without this.
 */
export function timeOrderedCut(text: string, key: string, timed: RegExp): number {
  const len = text.length;
  const lineAt = (p: number): number => {
    if (p === 0) return 0;
    const nl = text.indexOf('\n', p - 1);
    return nl < 0 ? len : nl + 1;
  };
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    const s = lineAt(mid);
    let atOrAfter = true;
    if (s < len) {
      const prefix = text.slice(s, s + key.length);
      if (!timed.test(prefix)) return 0;
      atOrAfter = prefix >= key;
    }
    if (atOrAfter) hi = mid;
    else lo = mid + 1;
  }
  return lineAt(lo);
}
