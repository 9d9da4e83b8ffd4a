/**
 * Time travel over a recording (`diag open --recording DIR`), the pure part: where a key moves
 * the dashboard, where the next finding starts, and how a recorded span is drawn into a few
 * columns. Window i is the window from sample i-1 to sample i (i from 1 to n-1): the dashboard
 * at a moment shows the window that ends there, as a live dashboard shows the last second.
 */

/** What a time-travel key asks for. */
export type TimeMove =
  /** [ ] and the arrows: samples back (negative) or forward. */
  | { readonly kind: 'step'; readonly samples: number }
  /** { }: a span of time back or forward (at least one sample). */
  | { readonly kind: 'span'; readonly ms: number }
  /** Home / End: the first or last window of the recording. */
  | { readonly kind: 'start' }
  | { readonly kind: 'end' }
  /** n / N: the start of the next / previous period with a finding. */
  | { readonly kind: 'finding'; readonly dir: 1 | -1 };

/** The larger step of { and }. */
export const SPAN_STEP_MS = 60_000;

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** The last window of n samples (0 when there is none: fewer than two samples). */
export function lastWindow(n: number): number {
  return n >= 2 ? n - 1 : 0;
}

/**
 * The window a move (other than to a finding) lands on from window `pos`, among samples taken
 * at `times` (wall ms, oldest first). A span lands on the first sample at least that far away
 * (forward) or the last one at least that far back, one sample at least; every move stays
 * within the recording.
 */
export function moveTarget(times: readonly number[], pos: number, move: Exclude<TimeMove, { kind: 'finding' }>): number {
  const last = lastWindow(times.length);
  if (last === 0) return 0;
  switch (move.kind) {
    case 'start':
      return 1;
    case 'end':
      return last;
    case 'step':
      return clamp(pos + move.samples, 1, last);
    case 'span': {
      const at = times[clamp(pos, 0, times.length - 1)]!;
      const want = at + move.ms;
      if (move.ms >= 0) {
        let i = pos + 1;
        while (i < last && times[i]! < want) i++;
        return clamp(i, 1, last);
      }
      let i = pos - 1;
      while (i > 1 && times[i]! > want) i--;
      return clamp(i, 1, last);
    }
  }
}

/**
 * The findings (check @ scope keys) of a window once judged; undefined while it is not (the
 * caller judges it and asks again). A window that could not be judged has none.
 */
export type KeysAt = (window: number) => ReadonlySet<string> | undefined;

export type FindingStep =
  /** The window where a finding starts (it was not in the window before). */
  | { readonly found: number }
  /** Judge this window first, then ask again. */
  | { readonly judge: number }
  /** No finding starts in that direction. */
  | { readonly none: true };

/**
 * n / N: the next (dir 1) or previous (dir -1) window after `pos` in which a finding starts: a
 * key it holds that the window before it did not (the first window: any key). The same periods
 * as `run playbook --recording --since` folds (src/engine/periods.ts): a period starts where its
 * finding was not in the window before. Windows are judged lazily: the answer may be "judge
 * window j first".
 */
export function findingStep(pos: number, dir: 1 | -1, count: number, keysAt: KeysAt): FindingStep {
  const last = lastWindow(count);
  for (let j = pos + dir; j >= 1 && j <= last; j += dir) {
    const keys = keysAt(j);
    if (keys === undefined) return { judge: j };
    if (keys.size === 0) continue;
    if (j === 1) return { found: j };
    const before = keysAt(j - 1);
    if (before === undefined) return { judge: j - 1 };
    for (const k of keys) if (!before.has(k)) return { found: j };
  }
  return { none: true };
}

/** How windows 1..windows map onto at most `width` columns: the first window of each column, and one past the last. */
export function columnBounds(windows: number, width: number): number[] {
  const cols = Math.max(0, Math.min(width, windows));
  const out: number[] = [];
  for (let c = 0; c <= cols; c++) out.push(1 + Math.floor((c * windows) / cols));
  return cols === 0 ? [] : out;
}

/** The column that holds window `w` (bounds from columnBounds), or -1. */
export function columnOf(bounds: readonly number[], w: number): number {
  for (let c = 0; c + 1 < bounds.length; c++) if (w >= bounds[c]! && w < bounds[c + 1]!) return c;
  return -1;
}

/**
 * A series of values per window (index = window; index 0 unused) in columns: the largest value
 * of each column's windows (a one-sample spike stays visible however long the recording), or
 * undefined when none of them has a value yet.
 */
export function columnPeaks(values: readonly (number | undefined)[], bounds: readonly number[]): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (let c = 0; c + 1 < bounds.length; c++) {
    let peak: number | undefined;
    for (let w = bounds[c]!; w < bounds[c + 1]!; w++) {
      const v = values[w];
      if (v !== undefined && Number.isFinite(v) && (peak === undefined || v > peak)) peak = v;
    }
    out.push(peak);
  }
  return out;
}

/** A duration as the header says how far a moment is from the end: 45s, 12m 05s, 3h 02m. */
export function agoLabel(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}
