import type { Frame } from '../frame.js';
import type { ChartId, TimelineView } from '../history-feed.js';
import { bytes, fit, pct, safe, sparkline } from '../text.js';
import type { Theme } from '../theme.js';
import { columnBounds, columnOf, columnPeaks, lastWindow } from '../time-travel.js';
import type { TextPanel } from './types.js';

/**
 * The history of a recording (diag open --recording): one sparkline per resource over the whole
 * recorded span (each column the peak of its windows), the windows judged so far with the
 * worst finding of each, and the time axis; the column of the window shown is drawn in inverse
 * in every line, a cursor through the charts.
 *
 * Sparklines rather than blessed-contrib line charts: at 80x24 five line charts (each needs
 * axes and ~6 rows to read) do not fit beside a dashboard, while five sparklines share one
 * time axis and one cursor in 7 rows, and being text they go through the same pure screen code,
 * tests and ASCII fallback as every other panel.
 */

interface Chart {
  readonly id: ChartId;
  readonly label: string;
  /** The top of the scale: fixed (percent), or the series' own peak. */
  readonly max?: number;
  readonly value: (v: number | undefined, which?: string) => string;
}

const CHARTS: readonly Chart[] = [
  { id: 'cpu', label: 'CPU busy', max: 100, value: (v) => pct(v) },
  { id: 'mem', label: 'Memory used', max: 100, value: (v) => pct(v) },
  { id: 'disk', label: 'Disk busy', max: 100, value: (v) => pct(v) },
  { id: 'net', label: 'Network', value: (v) => (v === undefined ? '-' : `${bytes(v)}/s`) },
  { id: 'psi', label: 'Pressure', max: 100, value: (v, which) => (v === undefined ? '-' : `${pct(v)}${which ? ` ${which === 'memory' ? 'mem' : which}` : ''}`) },
];

const LABEL_W = 12;
const VALUE_W = 10;

/** The chart lines of a timeline at a width (pure; the panel and tests use it). */
export function historyLines(t: TimelineView, theme: Theme, width: number): string[] {
  const windows = lastWindow(t.times.length);
  const chartW = Math.max(1, width - LABEL_W - VALUE_W - 1);
  const bounds = columnBounds(windows, chartW);
  const cursor = columnOf(bounds, t.position);
  const mark = (cells: string[]): string => cells.map((c, i) => (i === cursor ? theme.inverse(c === ' ' ? (theme.unicode ? '│' : '|') : c) : c)).join('');
  const out: string[] = [];
  for (const c of CHARTS) {
    const series = t.series[c.id];
    const peaks = columnPeaks(series, bounds);
    let max = c.max;
    if (max === undefined) max = Math.max(1, ...peaks.map((p) => p ?? 0));
    const cells = [...sparkline(peaks, max, theme.unicode)].map((ch, i) => (peaks[i] === undefined ? ' ' : ch));
    const now = c.value(series[t.position], c.id === 'psi' ? t.series.psiWhich[t.position] : undefined);
    out.push(`${fit(c.label, LABEL_W)}${fit(now, VALUE_W, 'right')} ${mark(cells)}`);
  }
  // findings: the worst of each column's judged windows
  const judged: string[] = [];
  for (let col = 0; col + 1 < bounds.length; col++) {
    let worst: number | undefined;
    for (let w = bounds[col]!; w < bounds[col + 1]!; w++) {
      const v = t.judged.get(w);
      if (v !== undefined) worst = Math.max(worst ?? -1, v);
    }
    judged.push(worst === undefined ? ' ' : worst < 0 ? (theme.unicode ? '·' : '.') : theme.tone(worst >= 2 ? 'critical' : worst === 1 ? 'warning' : 'info', worst >= 1 ? '!' : 'i'));
  }
  const shown = t.judged.get(t.position);
  const here = shown === undefined ? '' : shown >= 2 ? 'critical' : shown === 1 ? 'warning' : shown === 0 ? 'info' : 'none';
  out.push(`${fit('Findings', LABEL_W)}${fit(here, VALUE_W, 'right')} ${mark(judged)}`);
  // the time axis: the recording's first and last time, the cursor's column
  const hhmmss = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString().slice(11, 19));
  const cols = bounds.length - 1;
  const left = hhmmss(t.times[0]);
  const right = hhmmss(t.times.at(-1));
  const axis = Array.from({ length: cols }, () => ' ');
  if (cursor >= 0) axis[cursor] = theme.unicode ? '▲' : '^';
  const axisText = axis.join('');
  const fits = cols >= left.length + right.length + 4 && cursor >= left.length && cursor < cols - right.length;
  const ends = fits ? left + axisText.slice(left.length, cols - right.length) + right : axisText;
  const chartsRead = t.charted + 1 >= t.times.length ? '' : `charts ${t.charted + 1}/${t.times.length}`;
  out.push(`${fit(chartsRead || 'UTC', LABEL_W + VALUE_W)} ${safe(ends)}`);
  return out;
}

export const historyPanel: TextPanel = {
  kind: 'text',
  id: 'history',
  title: 'History',
  selectable: false,
  lines: (_frame: Frame, env, theme, width) => (env.timeline ? historyLines(env.timeline, theme, width) : ['not a recording']),
};
