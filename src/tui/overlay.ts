import { helpLabelWidth, helpLines } from './keys.js';
import type { Layout, PanelId } from './layout.js';
import type { Action } from './state.js';
import { safe, wrapTagged } from './text.js';

/**
 * Overlays: what they hold and how many rows they take at a width. The state machine scrolls
 * them, the screen draws them; both count rows the same way here.
 */

/** Text over the panels: a detail, or a step of the guided investigation. */
export interface TextOverlay {
  readonly kind?: 'text';
  readonly title: string;
  /** Tagged lines (host text already made safe). Whoever opened the overlay may replace them while it is open (a probe's countdown). */
  lines: string[];
  /** Selectable rows at the top of `lines` (0: scroll only); each stays one line, the rest wraps. */
  readonly selectable: number;
  /** Already-safe text under each selectable row that belongs to it (a culprit's identity): wrapped, indented, highlighted with it. */
  readonly details?: readonly (string | undefined)[];
  /** What Enter on each selectable row does, as an action of the state machine (a culprit: jump to its row). */
  readonly actions?: readonly (Action | undefined)[];
  /** What Enter does where no row action applies (a finding: go to the row of its scope), and the hint in the title. */
  readonly enter?: { readonly action: Action; readonly hint: string };
  /** The hint in the title when the rows' own actions are what Enter does ("Enter: go to the culprit"). */
  readonly hint?: string;
  /** Enter on a selectable row handled by whoever opened it (the guide's steps). */
  readonly onEnter?: (index: number) => void;
  /** Told when Esc closes the overlay (a running probe stops). */
  readonly onBack?: () => unknown;
}

/** A panel's whole table over the screen (Enter on a panel without a detail of its own). */
export interface PanelOverlay {
  readonly kind: 'panel';
  readonly panel: PanelId;
  readonly title: string;
}

export type OverlayContent = TextOverlay | PanelOverlay;

/** An open overlay: its content and where it is scrolled to. */
export interface OverlayState {
  readonly content: OverlayContent;
  readonly scroll: number;
  readonly selected: number;
}

/** The overlay box covers the panel area: its inner width and height. */
export function overlayInner(cols: number, layout: Layout): { readonly width: number; readonly height: number } {
  return { width: Math.max(4, cols - 2), height: Math.max(1, layout.bodyHeight - 2) };
}

/** Columns a selectable row's detail is indented by. */
const DETAIL_INDENT = 4;

/** A text overlay's rows at an inner width, and the rows [start, end) each selectable row takes. */
export interface TextRows {
  readonly rows: string[];
  readonly spans: readonly (readonly [number, number])[];
}

/** The rows of a text overlay at an inner width: selectable rows as they are (their details wrapped under them), the rest wrapped. */
export function textLayout(o: TextOverlay, width: number): TextRows {
  const rows: string[] = [];
  const spans: (readonly [number, number])[] = [];
  for (let i = 0; i < o.selectable && i < o.lines.length; i++) {
    const start = rows.length;
    rows.push(o.lines[i]!);
    const d = o.details?.[i];
    if (d) rows.push(...wrapTagged([' '.repeat(DETAIL_INDENT) + d], width, DETAIL_INDENT));
    spans.push([start, rows.length]);
  }
  rows.push(...wrapTagged(o.lines.slice(o.selectable), width));
  return { rows, spans };
}

export function textRows(o: TextOverlay, width: number): string[] {
  return textLayout(o, width).rows;
}

/** The help, wrapped to an inner width with continuation lines under the descriptions. */
export function helpRows(width: number, timeline = false): string[] {
  return wrapTagged(
    helpLines(timeline).map((l) => safe(l)),
    width,
    helpLabelWidth(timeline),
  );
}

/** A scroll offset that keeps the rows [start, end) in view (their first row when they do not fit). */
export function keepSpanInView(scroll: number, span: readonly [number, number] | undefined, count: number, height: number): number {
  if (!span) return keepInView(scroll, -1, count, height);
  return keepInView(keepInView(scroll, span[1] - 1, count, height), span[0], count, height);
}

/** A scroll offset that keeps row `sel` in view (sel < 0: no selection) within [0, count - height]. */
export function keepInView(scroll: number, sel: number, count: number, height: number): number {
  let s = scroll;
  if (sel >= 0) {
    if (sel < s) s = sel;
    if (sel >= s + height) s = sel - height + 1;
  }
  return Math.max(0, Math.min(s, Math.max(0, count - height)));
}
