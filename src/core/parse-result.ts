import { ParseError } from './errors.js';

/** What every pure parser returns: a typed record or a typed parse error, never a throw. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

export const parsed = <T>(value: T): ParseResult<T> => ({ ok: true, value });

export const parseFail = <T = never>(input: string, message: string, line?: number): ParseResult<T> => ({
  ok: false,
  error: new ParseError(input, message, line),
});

/**
 * Parse a non-negative decimal integer field from kernel text. Returns undefined for anything
 * else (so a garbled field stays missing instead of becoming NaN or zero).
 */
export function uint(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = text.length;
  if (n === 0 || n > 20) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  // Up to 15 digits the sum is exact (< 2^53); longer numbers round as Number() rounds them.
  return n <= 15 ? v : Number(text);
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

/** Finite decimal number such as "0.52" or "12.5"; undefined otherwise. */
export function decimal(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 32) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
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
