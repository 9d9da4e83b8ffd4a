import type { Frame } from '../frame.js';
import type { PanelId } from '../layout.js';
import type { OverlayContent } from '../overlay.js';
import type { Action } from '../state.js';
import type { Theme, Tone } from '../theme.js';
import type { Tones } from '../tones.js';
import type { NoteLine } from './table.js';
import type { CpuHistory } from '../view-models/cpu.js';
import type { TimelineView } from '../history-feed.js';

/**
 * A panel is declarations: its columns (title, width, alignment, value, tone, sort key), its
 * rows, what identifies a row and what Enter on a row does. One renderer (table.ts) draws every
 * table from them; the state machine (state.ts) moves the cursor and sorts through them.
 */

/** What the panels read of the UI state. */
export interface PanelView {
  /** Processes: the filter typed with /, the cgroup chosen with Enter, tree or flat. */
  readonly filter?: string;
  readonly cgroup?: string;
  readonly tree: boolean;
  /** Cgroups: all of them, or only busy or troubled ones. */
  readonly allCgroups: boolean;
  /** The order chosen for this panel (undefined: the panel's own order). */
  readonly sort?: SortOrder;
}

export interface SortOrder {
  /** A column id. */
  readonly column: string;
  readonly reverse: boolean;
}

/** What rows and cells may read besides the frame: the thresholds and the CPU history. */
export interface PanelEnv {
  readonly tones: Tones;
  readonly history?: CpuHistory;
  /** A recording's span, position and charts (time travel). */
  readonly timeline?: TimelineView;
}

export interface CellEnv extends PanelEnv {
  readonly frame: Frame;
  readonly view: PanelView;
  readonly unicode: boolean;
  /** Columns the cell has. */
  readonly width: number;
}

export interface Column<VM> {
  /** Names the column in the sort label ("sort:cpu") and in SortOrder. */
  readonly id: string;
  readonly title: string;
  /** Columns of the cell, or a share of the panel's inner width; 0 hides the column. */
  readonly width: number | ((inner: number) => number);
  /**
   * A text column that may give up room down to this width (its text cut with an ellipsis)
   * when the columns do not fit the panel: never a number column cut at the border instead.
   */
  readonly min?: number;
  readonly align?: 'left' | 'right';
  /** The cell's plain text (host text allowed: the renderer makes it safe). */
  value(vm: VM, env: CellEnv): string;
  tone?(vm: VM, env: CellEnv): Tone | undefined;
  /** The column can order the rows: numbers largest first unless `ascending`, text A-Z; missing values last. */
  readonly sort?: { key(vm: VM): number | string | undefined; readonly ascending?: boolean };
}

/** What Enter on a row asks for: a detail overlay, or an action of the state machine. */
export type EnterResult =
  | { readonly kind: 'overlay'; readonly content: OverlayContent; readonly target?: GuideTarget }
  | { readonly kind: 'processes-of-cgroup'; readonly path: string }
  /** An action of the state machine (a finding: go to its first culprit), and what the footer says of it. */
  | { readonly kind: 'action'; readonly action: Action; readonly message?: string };

/** Which panel shows the row of a scope ("process:42": the processes panel, row "42"). */
export type PanelLookup = (scope: string) => { readonly panel: PanelId; readonly title: string; readonly id: string } | undefined;

/** What the guided investigation is aimed at after Enter on a process or a cgroup. */
export interface GuideTarget {
  readonly pid?: number;
  readonly cgroup?: string;
}

interface PanelBase {
  readonly id: PanelId;
  readonly title: string;
  /** Rows can be selected (Tab stops at it, Enter opens a row). */
  readonly selectable: boolean;
}

export interface TablePanel<VM> extends PanelBase {
  readonly kind: 'table';
  readonly columns: readonly Column<VM>[];
  /** The column header: always, only when there are rows, or never. */
  readonly header?: 'always' | 'with-rows' | 'never';
  /** Blank columns between cells (default 1). */
  readonly gap?: number;
  /** The order before the user chooses one (a column id); without it, the order rows() gives. */
  readonly defaultSort?: string;
  /** rows() puts the rows in `compare` order itself (a tree keeps children under their parent). */
  readonly ordersRows?: boolean;
  /** Rows of the frame, in the panel's own order (processes: already in `compare` order, trees kept). */
  rows(frame: Frame, view: PanelView, env: PanelEnv, compare?: (a: VM, b: VM) => number): readonly VM[];
  /** Identity of a row across frames: the cursor stays on it when rows move. */
  rowId?(vm: VM): string;
  /** Scope prefix of the rows ("process" for process:PID): a finding on such a scope can jump to its row. */
  readonly scope?: string;
  /** F3's search: the row matches a lower-case needle. */
  matches?(vm: VM, needle: string): boolean;
  /** Ties after the chosen column (processes: by PID). */
  tiebreak?(a: VM, b: VM): number;
  /** The line shown instead of rows when there are none. */
  empty(frame: Frame, view: PanelView): { readonly text: string; readonly tone?: Tone };
  /** Lines under the rows, never selected (disks: filesystems nearly full). */
  notes?(frame: Frame, env: PanelEnv): NoteLine[];
  /** What the panel's label adds after its title (processes: the filter, tree mode). */
  describe?(view: PanelView): string;
  /** Enter on a row; without it Enter shows the whole table in an overlay. */
  onEnter?(vm: VM, frame: Frame, panels: PanelLookup): EnterResult | undefined;
  /** What e shows for a row (a finding: its evidence and culprits). */
  detail?(vm: VM, frame: Frame, panels: PanelLookup): OverlayContent;
}

/** A panel of free-form lines (memory: bars), never selectable. */
export interface TextPanel extends PanelBase {
  readonly kind: 'text';
  readonly selectable: false;
  lines(frame: Frame, env: PanelEnv, theme: Theme, width: number): string[];
}

/** A table panel of any row type (its methods take their rows bivariantly). */
export type AnyTablePanel = TablePanel<unknown>;
export type Panel = AnyTablePanel | TextPanel;
