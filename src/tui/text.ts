import { sanitizeForTerminal } from '../core/sanitize.js';

/**
 * Host text on its way to the screen: control characters and escape sequences made visible
 * (sanitizeForTerminal), blessed tag braces escaped so a process called "{red-fg}" cannot style
 * the screen, and cut to a width counted in terminal columns (a CJK character takes two).
 */
export function safe(text: string, width?: number): string {
  let s = sanitizeForTerminal(text);
  if (width !== undefined) s = cut(s, width);
  return escapeTags(s);
}

/** Host text as a fixed-width column: sanitised, then cut or padded, then braces escaped. */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  return escapeTags(fit(sanitizeForTerminal(text), width, align));
}

/** Blessed tag braces made literal. */
export function escapeTags(s: string): string {
  return s.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

/** Columns a code point takes in a terminal: 0 (combining, zero-width), 2 (wide, CJK, emoji) or 1. */
export function charWidth(cp: number): number {
  if (cp === 0) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x20d0 && cp <= 0x20ff)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** Columns plain (untagged) text takes. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** Plain text cut to at most `width` columns, with "…" when something was cut. */
export function cut(text: string, width: number): string {
  if (width <= 0) return '';
  // Fast path: Latin text (one column per character).
  if (!/[^\u0000-\u02ff]/.test(text)) return text.length <= width ? text : width <= 1 ? text.slice(0, width) : text.slice(0, width - 1) + '…';
  if (textWidth(text) <= width) return text;
  let out = '';
  let w = 0;
  const room = width <= 1 ? width : width - 1;
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > room) break;
    out += ch;
    w += cw;
  }
  return width <= 1 ? out : out + '…';
}

/** Pad or cut plain (already safe, tag-free) text to exactly `width` columns. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const c = cut(text, width);
  const pad = ' '.repeat(Math.max(0, width - textWidth(c)));
  return align === 'left' ? c + pad : pad + c;
}

/**
 * Lines of blessed-tagged text wrapped to `width` columns (tags take no room, {open}/{close}
 * one), continuation lines indented by `indent` spaces. Overlays wrap before they scroll, so
 * every row can be scrolled to.
 */
export function wrapTagged(lines: readonly string[], width: number, indent = 2): string[] {
  const out: string[] = [];
  const w = Math.max(4, width);
  for (const line of lines) {
    const tokens = line.match(/\{\/?[a-z-]+\}|[\s\S]/gu) ?? [];
    let cur = '';
    let used = 0;
    // Where the last space is in cur, and the columns used before it: break there if we can.
    let space = -1;
    let usedAtSpace = 0;
    for (const t of tokens) {
      const isTag = t.length > 1 && t !== '{open}' && t !== '{close}';
      const tw = isTag ? 0 : t.length > 1 ? 1 : charWidth(t.codePointAt(0)!);
      if (used + tw > w) {
        if (space > indent) {
          out.push(cur.slice(0, space));
          cur = ' '.repeat(indent) + cur.slice(space + 1);
          used = indent + (used - usedAtSpace - 1);
        } else {
          out.push(cur);
          cur = ' '.repeat(indent);
          used = indent;
        }
        space = -1;
      }
      if (t === ' ' && used > indent) {
        space = cur.length;
        usedAtSpace = used;
      }
      cur += t;
      used += tw;
    }
    out.push(cur);
  }
  return out;
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
