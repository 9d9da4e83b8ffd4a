import { ParseError } from './errors.js';

/** What every pure parser returns: a typed record or a typed parse error, never a throw. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

export const parsed = <T>(value: T): ParseResult<T> => ({ ok: true, value });

export const parseFail = <T = never>(input: string, message: string, line?: number): ParseResult<T> => ({
  ok: false,
  error: new ParseError(input, message, line),
});

/**
 * Numbers the kernel cannot produce are rejected, never rounded (docs/architecture.md, "Parsers"):
 *
 * - a counter or gauge above Number.MAX_SAFE_INTEGER (2^53 - 1) cannot be held exactly in a
 *   double, and a delta of two rounded counters is wrong; such a field is missing (undefined),
 *   and a parser that needs it returns a ParseError. Reading it exactly as a BigInt was the other
 *   choice; no counter diag judges reaches 2^53 in practice (9 PB, 285 years of jiffies), so a
 *   value there is garbage or a wrapped counter, and a missing value tells the truth about it;
 * - limits the kernel prints as huge sentinels (v1 memory.limit_in_bytes "no limit", fs.file-max
 *   = LONG_MAX) are read with `uintLimit`, which keeps them as a rounded number: a limit is
 *   compared, never subtracted;
 * - a PID above PID_MAX_LIMIT (4194304, the ceiling of kernel.pid_max) is not a PID (`pidValue`);
 * - gauges that cannot be negative (load averages, PSI averages, uptime) use `udecimal`.
 */
export const PID_MAX_LIMIT = 4_194_304;

/** Digits only, at most 20 (a u64): the value, exact or rounded past 2^53; undefined otherwise. */
function digits(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = text.length;
  if (n === 0 || n > 20) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  // Up to 15 digits the sum is exact (< 2^53); longer numbers round as Number() rounds them,
  // and a value past 2^64 - 1 is not a kernel number at all.
  if (n <= 15) return v;
  const big = Number(text);
  return big <= 2 ** 64 ? big : undefined;
}

/**
 * Parse a non-negative decimal integer field from kernel text. Returns undefined for anything
 * else (so a garbled field stays missing instead of becoming NaN or zero), and for a value past
 * Number.MAX_SAFE_INTEGER, which a double cannot hold exactly (see above).
 */
export function uint(text: string | undefined): number | undefined {
  const v = digits(text);
  return v !== undefined && v <= Number.MAX_SAFE_INTEGER ? v : undefined;
}

/** A limit or maximum (compared, never subtracted): like uint, but a huge sentinel stays a (rounded) number. */
export function uintLimit(text: string | undefined): number | undefined {
  return digits(text);
}

/** A PID: 0 (the idle task, "no process") to PID_MAX_LIMIT; undefined otherwise. */
export function pidValue(text: string | undefined): number | undefined {
  const v = uint(text);
  return v !== undefined && v <= PID_MAX_LIMIT ? v : undefined;
}

/** Signed integer (some kernel fields, e.g. nice or pressure totals, may be negative). */
export function int(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text.startsWith('-')) {
    const v = uint(text.slice(1));
    return v === undefined ? undefined : -v;
  }
  return uint(text);
}

/** Finite decimal number such as "0.52" or "12.5", within ±MAX_SAFE_INTEGER; undefined otherwise. */
export function decimal(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 32) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? v : undefined;
}

/** A gauge that cannot be negative (load average, PSI average, uptime): decimal, >= 0. */
export function udecimal(text: string | undefined): number | undefined {
  const v = decimal(text);
  return v !== undefined && v >= 0 ? v : undefined;
}

/**
 * Split on runs of blanks (spaces and tabs), dropping empty pieces. A hand-written scan: every
 * parser calls this for every line, and it is about a quarter cheaper than split + filter.
 */
export function fields(line: string): string[] {
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    do i++;
    while (i < n && (c = line.charCodeAt(i)) !== 32 && c !== 9);
    out.push(line.slice(start, i));
  }
  return out;
}

/**
 * Calls `each` with every line of `text` (without its "\n"), by indexOf rather than split: the
 * per-line parsers of large procfs files allocate one string per line, not an array of them too.
 */
export function forEachLine(text: string, each: (line: string) => void): void {
  const n = text.length;
  for (let start = 0; start < n; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    each(text.slice(start, end));
    start = end + 1;
  }
}

/**
 * Lines of blank-separated fields (diskstats, mountinfo): `line` turns the fields of each
 * non-blank line into an item, or undefined to skip it; skipped lines are listed by number
 * (from 1), and `nonEmpty` counts the lines that had any field.
 */
export function parseFieldLines<T>(text: string, line: (f: string[]) => T | undefined): { items: T[]; skippedLines: number[]; nonEmpty: number } {
  const items: T[] = [];
  const skippedLines: number[] = [];
  let nonEmpty = 0;
  let no = 0;
  forEachLine(text, (l) => {
    no++;
    const f = fields(l);
    if (f.length === 0) return;
    nonEmpty++;
    const item = line(f);
    if (item === undefined) skippedLines.push(no);
    else items.push(item);
  });
  return { items, skippedLines, nonEmpty };
}

/** A kernel log time stamp "[SECONDS.MICROS]" (seconds since boot), or undefined past 2^53 seconds (not a time the kernel can print). */
export function seconds(whole: string, frac: string | undefined): number | undefined {
  const s = uint(whole);
  if (s === undefined) return undefined;
  const v = frac === undefined || frac.length === 0 ? s : Number(`${whole}.${frac}`);
  return Number.isFinite(v) ? v : undefined;
}
