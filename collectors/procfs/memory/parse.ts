import { forEachLine, int, parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * /proc/meminfo, every key as the kernel names it ("MemTotal", "Active(anon)", "HugePages_Free").
 * Values in "kB" are converted to bytes; unit-less values (HugePages_* counts) are kept as they are.
 * A key the kernel does not print (older or differently configured kernels) is simply absent.
 */
export type Meminfo = Readonly<Record<string, number>>;

/** Parse /proc/meminfo: "Key:   value [kB]" per line. Garbled lines are skipped; MemTotal is required. */
export function parseMeminfo(text: string): ParseResult<Meminfo> {
  const out: Record<string, number> = {};
  forEachLine(text, (line) => {
    const colon = line.indexOf(':');
    if (colon <= 0) return;
    const key = line.slice(0, colon);
    // value: first blank-separated word after the colon, then an optional unit word.
    const len = line.length;
    let i = colon + 1;
    while (i < len && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    let j = i;
    while (j < len && line.charCodeAt(j) !== 32 && line.charCodeAt(j) !== 9) j++;
    const v = uint(line.slice(i, j));
    const unit = line.slice(j).trim();
    if (v !== undefined && (unit === '' || unit === 'kB') && key.indexOf(' ') < 0) {
      out[key] = unit === 'kB' ? v * 1024 : v;
    }
  });
  if (out.MemTotal === undefined) return parseFail('/proc/meminfo', 'no MemTotal line');
  return parsed(out);
}

/** /proc/vmstat: "name value" per line, every counter the kernel prints. */
export type Vmstat = Readonly<Record<string, number>>;

export function parseVmstat(text: string): ParseResult<Vmstat> {
  const out: Record<string, number> = {};
  let count = 0;
  forEachLine(text, (line) => {
    const sp = line.indexOf(' ');
    if (sp <= 0) return;
    // A few vmstat gauges are signed on some kernels (nr_* per-cpu drift): keep those signed; the
    // event counters (pgfault, compact_success, oom_kill...) are unsigned, a negative one is garbage.
    const name = line.slice(0, sp);
    const v = name.startsWith('nr_') ? int(line.slice(sp + 1).trim()) : uint(line.slice(sp + 1).trim());
    if (v !== undefined) {
      out[name] = v;
      count++;
    }
  });
  if (count === 0) return parseFail('/proc/vmstat', 'no "name value" lines');
  return parsed(out);
}

/**
 * The total of a vmstat event whose name changed across kernels: the plain name when present
 * (e.g. "allocstall" before 4.8 or "pgscan_kswapd" since 4.8), else the sum of the per-zone or
 * per-type variants ("pgscan_kswapd_normal" + "pgscan_kswapd_dma32", "allocstall_normal" + ...).
 * Undefined when neither exists.
 */
export function vmstatTotal(v: Vmstat, name: string, variants: readonly string[]): number | undefined {
  const plain = v[name];
  if (plain !== undefined) return plain;
  let sum: number | undefined;
  for (const s of variants) {
    const x = v[`${name}_${s}`];
    if (x !== undefined) sum = (sum ?? 0) + x;
  }
  return sum;
}

export interface SwapDevice {
  /** Path of the swap file or partition (octal escapes such as "\040" decoded). */
  readonly filename: string;
  /** "partition" or "file". */
  readonly type: string;
  readonly sizeBytes: number;
  readonly usedBytes: number;
  readonly priority: number;
}

/** Undo the kernel's seq_file escaping of " \t\n\\" as 3-digit octal (\040). */
export function unescapeOctal(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Parse /proc/swaps:
 *   Filename    Type        Size      Used    Priority
 *   /dev/vda2   partition   2097148   1024    -2
 * Size and Used are in KiB. No swap configured = the header alone = an empty list.
 */
export function parseSwaps(text: string): ParseResult<SwapDevice[]> {
  const lines = text.split('\n');
  if (!(lines[0] ?? '').startsWith('Filename')) return parseFail('/proc/swaps', 'missing "Filename Type Size Used Priority" header', 1);
  const out: SwapDevice[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    const f = line.split(/[ \t]+/).filter((s) => s.length > 0);
    const size = uint(f[2]);
    const used = uint(f[3]);
    const prio = int(f[4]);
    if (f.length !== 5 || f[0] === undefined || f[1] === undefined || size === undefined || used === undefined || prio === undefined) {
      return parseFail('/proc/swaps', `expected "filename type size used priority", got ${JSON.stringify(line.slice(0, 120))}`, i + 1);
    }
    out.push({ filename: unescapeOctal(f[0]), type: f[1], sizeBytes: size * 1024, usedBytes: used * 1024, priority: prio });
  }
  return parsed(out);
}

/** One zone of /proc/zoneinfo: its watermarks and sizes, in pages (the kernel's page size). */
export interface Zone {
  readonly node: number;
  /** "DMA", "DMA32", "Normal", "HighMem", "Movable", "Device". */
  readonly name: string;
  readonly free?: number;
  readonly min?: number;
  readonly low?: number;
  readonly high?: number;
  readonly present?: number;
  /** Pages the buddy allocator manages (>= 3.8). */
  readonly managed?: number;
}

export interface Zoneinfo {
  readonly zones: readonly Zone[];
  /**
   * nr_active_file + nr_inactive_file over every block that prints them (each zone before 4.8,
   * each node's "per-node stats" since), in pages: with meminfo's Active(file) + Inactive(file)
   * in bytes it gives the page size. Undefined when no block prints them.
   */
  readonly filePages?: number;
}

const ZONE_HEADER = /^Node (\d{1,5}), zone +(\S+)$/;
const ZONE_FIELD = /^ +(min|low|high|present|managed) +(\d{1,20})$/;
const ZONE_FREE = /^ +pages free +(\d{1,20})$/;
const ZONE_FILE_LRU = /^ +nr_(?:active|inactive)_file +(\d{1,20})$/;

/**
 * Parse /proc/zoneinfo (mm/vmstat.c zoneinfo_show_print), from 2.6 to today:
 *
 *   Node 0, zone   Normal
 *     pages free     13100
 *           min      490
 *           low      612
 *           high     735
 *           ...
 *       nr_active_file 91240
 *
 * Only the fields diag uses are kept. "high:" of the per-CPU pagesets has a colon and is not the
 * watermark. A field missing or garbled in a zone stays undefined; a text without a single
 * "Node N, zone NAME" header, or with text before the first one, is an error.
 */
export function parseZoneinfo(text: string): ParseResult<Zoneinfo> {
  const zones: { -readonly [K in keyof Zone]: Zone[K] }[] = [];
  let filePages: number | undefined;
  let bad: { line: number; text: string } | undefined;
  let no = 0;
  forEachLine(text, (line) => {
    no++;
    if (bad !== undefined) return;
    const h = ZONE_HEADER.exec(line);
    if (h) {
      zones.push({ node: Number(h[1]), name: h[2]! });
      return;
    }
    const zone = zones[zones.length - 1];
    if (zone === undefined) {
      if (line.trim() !== '') bad = { line: no, text: line };
      return;
    }
    const f = ZONE_FIELD.exec(line);
    if (f) {
      const name = f[1] as 'min' | 'low' | 'high' | 'present' | 'managed';
      const v = uint(f[2]);
      if (v !== undefined && zone[name] === undefined) zone[name] = v;
      return;
    }
    const free = ZONE_FREE.exec(line);
    if (free) {
      const v = uint(free[1]);
      if (v !== undefined && zone.free === undefined) zone.free = v;
      return;
    }
    const lru = ZONE_FILE_LRU.exec(line);
    if (lru) {
      const v = uint(lru[1]);
      if (v !== undefined) filePages = (filePages ?? 0) + v;
    }
  });
  if (bad !== undefined) return parseFail('/proc/zoneinfo', `expected a "Node N, zone NAME" line first, got ${JSON.stringify(bad.text.slice(0, 80))}`, bad.line);
  if (zones.length === 0) return parseFail('/proc/zoneinfo', 'no "Node N, zone NAME" line');
  return parsed(filePages === undefined ? { zones } : { zones, filePages });
}

/** /proc/sys/vm/min_free_kbytes: one number, in kB. */
export function parseMinFreeKbytes(text: string): ParseResult<number> {
  const v = uint(text.trim());
  return v === undefined ? parseFail('/proc/sys/vm/min_free_kbytes', `expected a number of kB, got ${JSON.stringify(text.slice(0, 40))}`) : parsed(v);
}
