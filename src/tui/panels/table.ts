import type { Frame } from '../frame.js';
import { cell, fit, safe } from '../text.js';
import type { Theme, Tone } from '../theme.js';
import type { CellEnv, Column, PanelEnv, PanelView, SortOrder, TablePanel } from './types.js';

/**
 * The one table renderer: header and cells come from the same column declarations. Long tables
 * (thousands of processes) format only the rows asked for.
 */
export interface TableLines {
  /** The column header (plain text), when the panel shows one. */
  readonly head?: string;
  /** Lines in all: rows, then notes (or the one line saying why there are no rows). */
  readonly count: number;
  /** Rows that can be selected: the first `selectable` lines. */
  readonly selectable: number;
  /** Tagged lines from..to (exclusive). */
  render(from: number, to: number): string[];
}

/** A line under the rows that is not a row: already-safe text and its tone. */
export interface NoteLine {
  readonly text: string;
  readonly tone?: Tone;
}

interface Placed<VM> {
  readonly column: Column<VM>;
  readonly width: number;
  readonly last: boolean;
}

/**
 * The columns shown at a panel's inner width, with their widths (a width of 0 hides a column).
 * When they do not fit, columns that declare a `min` (names, never numbers) give up room first,
 * in order; then columns are left out from the right, so no number is ever cut at the border.
 * The last column, when it is text, keeps whatever room is left (it is cut by the renderer).
 */
export function placeColumns<VM>(columns: readonly Column<VM>[], inner: number, gap = 1): Placed<VM>[] {
  const shown = columns.map((column) => ({ column, width: typeof column.width === 'number' ? column.width : column.width(inner) })).filter((c) => c.width > 0);
  const total = () => shown.reduce((n, c) => n + c.width, 0) + gap * Math.max(0, shown.length - 1);
  for (const c of shown) {
    const over = total() - inner;
    if (over <= 0) break;
    if (c.column.min !== undefined && c.width > c.column.min) c.width -= Math.min(over, c.width - c.column.min);
  }
  while (shown.length > 1 && total() > inner) {
    const last = shown[shown.length - 1]!;
    // a text column at the end is cut, not dropped, when it alone overflows and has room to show something
    if ((last.column.align ?? 'left') === 'left' && total() - last.width - gap < inner - 1) break;
    shown.pop();
  }
  return shown.map((c, i) => ({ ...c, last: i === shown.length - 1 }));
}

/** A cell at its width: host text made safe; the last column, left-aligned, is cut but not padded. */
function fitCell(text: string, p: { width: number; last: boolean; column: { align?: 'left' | 'right' } }): string {
  const align = p.column.align ?? 'left';
  return p.last && align === 'left' ? safe(text, p.width) : cell(text, p.width, align);
}

/** The header line of the columns shown at a width. */
export function tableHead<VM>(columns: readonly Column<VM>[], inner: number, gap = 1): string {
  return placeColumns(columns, inner, gap)
    .map((p) => (p.last && (p.column.align ?? 'left') === 'left' ? p.column.title : fit(p.column.title, p.width, p.column.align ?? 'left')))
    .join(' '.repeat(gap));
}

export interface TableInput {
  readonly frame: Frame;
  readonly view: PanelView;
  readonly env: PanelEnv;
  readonly theme: Theme;
  /** The panel's inner width. */
  readonly width: number;
}

/** A table panel's rows (already in order), notes and header as lines. */
export function renderTable<VM>(panel: TablePanel<VM>, rows: readonly VM[], input: TableInput): TableLines {
  const { frame, view, env, theme, width } = input;
  const gap = ' '.repeat(panel.gap ?? 1);
  const placed = placeColumns(panel.columns, width, panel.gap ?? 1);
  const header = panel.header ?? 'always';
  const head = header === 'always' || (header === 'with-rows' && rows.length > 0) ? tableHead(panel.columns, width, panel.gap ?? 1) : undefined;
  const notes = (panel.notes?.(frame, env) ?? []).map((n) => (n.tone ? theme.tone(n.tone, n.text) : n.text));
  if (rows.length === 0) {
    const e = panel.empty(frame, view);
    const line = e.tone ? theme.tone(e.tone, safe(e.text)) : safe(e.text);
    const lines = [line, ...notes];
    return { ...(head !== undefined ? { head } : {}), count: lines.length, selectable: 0, render: (from, to) => lines.slice(from, to) };
  }
  const line = (vm: VM): string =>
    placed
      .map((p) => {
        const cellEnv: CellEnv = { ...env, frame, view, unicode: theme.unicode, width: p.width };
        const text = fitCell(p.column.value(vm, cellEnv), p);
        const tone = p.column.tone?.(vm, cellEnv);
        return tone ? theme.tone(tone, text) : text;
      })
      .join(gap);
  return {
    ...(head !== undefined ? { head } : {}),
    count: rows.length + notes.length,
    selectable: panel.selectable ? rows.length : 0,
    render: (from, to) => {
      const out: string[] = [];
      for (let i = Math.max(0, from); i < Math.min(to, rows.length); i++) out.push(line(rows[i]!));
      for (let i = Math.max(from, rows.length); i < Math.min(to, rows.length + notes.length); i++) out.push(notes[i - rows.length]!);
      return out;
    },
  };
}

/**
 * The order of a column: numbers largest first (text A-Z) unless the column says ascending,
 * `reverse` turns it round; rows without a value stay last either way; then the tiebreak.
 */
export function compareBy<VM>(column: Column<VM>, reverse: boolean, tiebreak?: (a: VM, b: VM) => number): ((a: VM, b: VM) => number) | undefined {
  const sort = column.sort;
  if (!sort) return undefined;
  const dir = (sort.ascending ? 1 : -1) * (reverse ? -1 : 1);
  return (a, b) => {
    const x = sort.key(a);
    const y = sort.key(b);
    if (x === undefined || y === undefined) {
      if (x !== y) return x === undefined ? 1 : -1;
    } else if (x !== y) {
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (c !== 0) return dir * c;
    }
    return tiebreak ? tiebreak(a, b) : 0;
  };
}

/** The column a panel is ordered by now: the one chosen, else the panel's default. */
export function sortColumn<VM>(panel: TablePanel<VM>, order: SortOrder | undefined): Column<VM> | undefined {
  const id = order?.column ?? panel.defaultSort;
  return id === undefined ? undefined : panel.columns.find((c) => c.id === id && c.sort);
}

/** The comparator of the panel's current order, or undefined for the panel's own order. */
export function comparatorOf<VM>(panel: TablePanel<VM>, order: SortOrder | undefined): ((a: VM, b: VM) => number) | undefined {
  const col = sortColumn(panel, order);
  return col ? compareBy(col, order?.reverse ?? false, panel.tiebreak) : undefined;
}
