import { fields, parsed, parseFail, parseFieldLines, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Counters of one /proc/diskstats line, in kernel order (Documentation/admin-guide/iostats.rst).
 * Times are milliseconds. The kernel prints the four *_ms times, io_ms and queue_ms as
 * `unsigned int` (they wrap at 2^32 ms, about 49.7 days of accumulated time); ios, merges and
 * sectors are `unsigned long`.
 */
export const DISKSTATS_COLUMNS = [
  'reads', 'read_merges', 'read_sectors', 'read_ms',
  'writes', 'write_merges', 'write_sectors', 'write_ms',
  'in_flight', 'io_ms', 'queue_ms',
  // Linux 4.18+
  'discards', 'discard_merges', 'discard_sectors', 'discard_ms',
  // Linux 5.5+
  'flushes', 'flush_ms',
] as const;
export type DiskstatsColumn = (typeof DISKSTATS_COLUMNS)[number];

/** The 4 columns a partition line had before Linux 2.6.25 (7 tokens in all). */
const LEGACY_PARTITION_COLUMNS = ['reads', 'read_sectors', 'writes', 'write_sectors'] as const;

export interface DiskstatsEntry {
  readonly major: number;
  readonly minor: number;
  /** Kernel name as printed (a '/' in it is a '!' under /sys/block). */
  readonly name: string;
  /** Columns this kernel does not print (or that were garbled) stay undefined. */
  readonly stats: Partial<Record<DiskstatsColumn, number>>;
  /** 7, 14, 18 or 20 (or more on a future kernel): tells which layout the line used. */
  readonly columns: number;
}

export interface Diskstats {
  readonly devices: DiskstatsEntry[];
  /** 1-based numbers of lines that were skipped as malformed. */
  readonly skippedLines: number[];
}

/**
 * Parse /proc/diskstats. Layouts by token count (major, minor, name + counters):
 *   7  partitions before 2.6.25: reads, sectors read, writes, sectors written
 *   14 before 4.18; 18 adds discards (4.18); 20 adds flushes (5.5); more: future columns, ignored.
 * A line with another token count, or without a valid major/minor/name, is skipped and listed in
 * `skippedLines`; a garbled counter stays undefined. An empty file is a host without block
 * devices (valid); text with no valid line at all is a parse error.
 */
export function parseDiskstats(text: string): ParseResult<Diskstats> {
  const { items: devices, skippedLines, nonEmpty } = parseFieldLines(text, diskstatsLine);
  if (nonEmpty > 0 && devices.length === 0) {
    const first = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
    return parseFail('/proc/diskstats', `no valid device line (first line: ${JSON.stringify(first.slice(0, 80))})`, 1);
  }
  return parsed({ devices, skippedLines });
}

function diskstatsLine(f: string[]): DiskstatsEntry | undefined {
  const major = uint(f[0]);
  const minor = uint(f[1]);
  const name = f[2];
  const n = f.length;
  if (major === undefined || minor === undefined || name === undefined || !validName(name) || (n !== 7 && n < 14)) return undefined;
  const stats: Partial<Record<DiskstatsColumn, number>> = {};
  if (n === 7) {
    for (let c = 0; c < LEGACY_PARTITION_COLUMNS.length; c++) {
      const v = uint(f[3 + c]);
      if (v !== undefined) stats[LEGACY_PARTITION_COLUMNS[c]!] = v;
    }
  } else {
    // Take a column group only when the line has all of it: 11 base, 4 discard, 2 flush.
    const usable = n >= 20 ? 17 : n >= 18 ? 15 : 11;
    for (let c = 0; c < usable; c++) {
      const v = uint(f[3 + c]);
      if (v !== undefined) stats[DISKSTATS_COLUMNS[c]!] = v;
    }
  }
  return { major, minor, name, stats, columns: n };
}

/** Kernel block device names: no blanks, no control characters, not "." or "..", bounded. */
function validName(name: string): boolean {
  if (name.length > 64 || name === '.' || name === '..') return false;
  return !/[\u0000-\u001f\u007f]/.test(name);
}

/** Name of a block device under /sys/block and /sys/class/block ('/' becomes '!', e.g. cciss!c0d0). */
export const sysfsName = (kernelName: string): string => kernelName.replace(/\//g, '!');

/**
 * Parse a queue/scheduler file: "none [mq-deadline] kyber bfq" -> "mq-deadline". Old kernels:
 * "noop deadline [cfq]". A single word without brackets ("none") is the active one.
 */
export function parseScheduler(text: string): ParseResult<string> {
  const f = fields(text.trim());
  const active = f.find((w) => w.length > 2 && w.startsWith('[') && w.endsWith(']'));
  if (active !== undefined) return parsed(active.slice(1, -1));
  if (f.length === 1 && /^[A-Za-z0-9_-]{1,32}$/.test(f[0]!)) return parsed(f[0]!);
  return parseFail('queue/scheduler', `no active scheduler in ${JSON.stringify(text.slice(0, 80))}`);
}

/** A sysfs attribute holding one unsigned integer ("1\n"). */
export function parseSysfsUint(text: string): ParseResult<number> {
  const v = uint(text.trim());
  return v === undefined ? parseFail('sysfs attribute', `expected an unsigned integer, got ${JSON.stringify(text.slice(0, 40))}`) : parsed(v);
}

/** A sysfs attribute holding one line of text (dm/name, loop/backing_file): trailing newline removed. */
export function parseSysfsLine(text: string): ParseResult<string> {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (line.length === 0 || line.includes('\n')) return parseFail('sysfs attribute', `expected one line, got ${JSON.stringify(text.slice(0, 40))}`);
  return parsed(line);
}
