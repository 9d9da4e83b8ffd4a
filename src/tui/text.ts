import { sanitizeForTerminal } from '../core/sanitize.js';

/**
 * Host text on its way to the screen: control characters and escape sequences made visible
 * (sanitizeForTerminal), blessed tag braces escaped so a process called "{red-fg}" cannot style
 * the screen, and cut to a width counted in characters.
 */
export function safe(text: string, width?: number): string {
  let s = sanitizeForTerminal(text);
  if (width !== undefined && s.length > width) s = width <= 1 ? s.slice(0, width) : s.slice(0, width - 1) + '…';
  return s.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

/** Host text as a fixed-width column: sanitised, then cut or padded, then braces escaped. */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  return fit(sanitizeForTerminal(text), width, align).replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

/** Pad or cut plain (already safe, tag-free) text to exactly `width` characters. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (text.length > width) return width <= 1 ? text.slice(0, width) : text.slice(0, width - 1) + '…';
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

const BINARY = ['B', 'K', 'M', 'G', 'T', 'P'];

/** Bytes in at most 6 characters: 512B, 1.5K, 23.4M, 128G. */
export function bytes(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < BINARY.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(x) : x < 10 ? x.toFixed(1) : Math.round(x)}${BINARY[i]}`;
}

/** A number in at most 6 characters. */
export function num(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(a >= 100 ? 0 : digits);
}

export function pct(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return `${v.toFixed(v >= 99.95 ? 0 : 1)}%`;
}

const SPARKS = '▁▂▃▄▅▆▇█';
const ASCII_SPARKS = '_.-~=+*#';

/** A sparkline of values in [0, max]; ASCII when the terminal cannot draw Unicode. */
export function sparkline(values: readonly (number | undefined)[], max: number, unicode = true): string {
  const chars = unicode ? SPARKS : ASCII_SPARKS;
  return values
    .map((v) => {
      if (v === undefined || !Number.isFinite(v)) return ' ';
      const i = Math.min(chars.length - 1, Math.max(0, Math.round((v / max) * (chars.length - 1))));
      return chars[i]!;
    })
    .join('');
}

/** A horizontal bar of `width` cells filled to fraction f. */
export function bar(f: number | undefined, width: number, unicode = true): string {
  if (f === undefined || !Number.isFinite(f) || width <= 0) return ' '.repeat(Math.max(0, width));
  const n = Math.max(0, Math.min(width, Math.round(f * width)));
  return (unicode ? '█' : '#').repeat(n) + (unicode ? '░' : '.').repeat(width - n);
}
