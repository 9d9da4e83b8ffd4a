import type { Frame } from './frame.js';
import type { KeyAction } from './keys.js';
import { computeLayout, type Layout, type PanelId } from './layout.js';
import { helpRows, keepInView, keepSpanInView, overlayInner, textLayout, type OverlayContent, type OverlayState, type TextOverlay } from './overlay.js';
import { panelForScope, panelOf, panelRows, SELECTABLE, tableOf } from './panels/index.js';
import { placeColumns, sortColumn } from './panels/table.js';
import type { AnyTablePanel, EnterResult, GuideTarget, PanelEnv, PanelView, SortOrder } from './panels/types.js';
import { NO_TONES, type Tones } from './tones.js';
import { SPAN_STEP_MS, type TimeMove } from './time-travel.js';

/**
 * The terminal UI as a state machine: everything the screen shows besides the frame is in
 * TuiState, and every key, frame and resize is an Action that `reduce` turns into the next state.
 * Pure: no blessed, no I/O. What only the outside can do (quit, write a snapshot, tell the guide)
 * comes out as the `effects` of the step that asked for it.
 */

/** What does not change while the UI runs. */
export interface TuiConfig {
  /** A live host (pause works) or a bundle. */
  readonly live: boolean;
  /** A guided investigation can be opened (i). */
  readonly guide: boolean;
  /** Snapshots can be written (s). */
  readonly snapshot: boolean;
  /** The playbooks' thresholds the panels colour by. */
  readonly tones: Tones;
  /** A live host's refresh interval (--delay), shown in the footer. */
  readonly refreshMs?: number;
  /** diag --allow-signals on a live host: F9 signals and F7/F8 renice the selected process. */
  readonly signals?: boolean;
  /** A recording (diag open --recording, a bundle with a history): time-travel keys, the History panel. */
  readonly timeline?: boolean;
}

/** The signals F9 offers, TERM first (Enter picks it). */
export const SIGNALS = ['TERM', 'INT', 'HUP', 'KILL', 'STOP', 'CONT'] as const;
export type SignalName = (typeof SIGNALS)[number];

/** The process F9 or F7/F8 acts on: its PID and the start time that tells it from a later one with the same PID. */
export interface Target {
  readonly pid: number;
  readonly starttime?: string;
  readonly comm: string;
}

/** F9's footer prompt: choose a signal, then confirm it. */
export type SignalPrompt =
  | { readonly step: 'choose'; readonly target: Target }
  | { readonly step: 'confirm'; readonly target: Target; readonly signal: SignalName };

/** Where the cursor is in a panel: the row's identity (kept when rows move) and its index. */
export interface Cursor {
  readonly index: number;
  readonly id?: string;
}

export interface TuiState {
  readonly config: TuiConfig;
  readonly size: { readonly cols: number; readonly rows: number };
  /** Small screens: the tab shown. */
  readonly tab: number;
  readonly focus: PanelId;
  readonly cursor: Readonly<Partial<Record<PanelId, Cursor>>>;
  /**
   * Panels whose cursor the user put somewhere (a key, a click, a jump, a search): it follows its
   * row when rows move. A cursor never moved stays at its place, so the top rows (the busiest
   * processes) stay in view.
   */
  readonly held?: Readonly<Partial<Record<PanelId, true>>>;
  readonly scroll: Readonly<Partial<Record<PanelId, number>>>;
  /** The column each panel is sorted by, when the user chose one. */
  readonly sort: Readonly<Partial<Record<PanelId, SortOrder>>>;
  readonly paused: boolean;
  /** Processes: the filter typed with /, and the cgroup chosen with Enter on it. */
  readonly filter?: string;
  readonly cgroup?: string;
  readonly tree: boolean;
  readonly allCgroups: boolean;
  /** The filter being typed (the footer is a prompt while it is defined). */
  readonly filtering?: string;
  /** F9: the signal being chosen or confirmed (the footer is its prompt). */
  readonly signal?: SignalPrompt;
  /** F3: the search being typed (the footer is its prompt); `miss` when no process matches it. */
  readonly searching?: { readonly text: string; readonly miss: boolean };
  /** The footer's message. */
  readonly message: string;
  readonly overlays: readonly OverlayState[];
  /** The help's scroll offset while it is open. */
  readonly help?: number;
  /** A snapshot is being written: the refresh waits (both read the whole host). */
  readonly snapshotting: boolean;
  /** What this step asks the outside to do. */
  readonly effects: readonly Effect[];
}

/** One action per key of the KEYMAP (goto-tab carries its tab). */
type KeyActionOf = { readonly [K in Exclude<KeyAction, 'goto-tab'>]: { readonly type: K } }[Exclude<KeyAction, 'goto-tab'>];

export type Action =
  | KeyActionOf
  | { readonly type: 'goto-tab'; readonly tab: number }
  /** A key bound to nothing: closes the help, clears the message. */
  | { readonly type: 'other-key' }
  /** A new frame is shown: cursors stay on their rows. */
  | { readonly type: 'frame' }
  | { readonly type: 'resize'; readonly cols: number; readonly rows: number }
  | { readonly type: 'filter-edit'; readonly edit: 'apply' | 'cancel' | 'backspace' }
  | { readonly type: 'filter-char'; readonly ch: string }
  /** F3's prompt: Enter keeps the process found, Esc leaves it too (as htop), F3 goes to the next match. */
  | { readonly type: 'search-edit'; readonly edit: 'apply' | 'cancel' | 'backspace' | 'next' }
  | { readonly type: 'search-char'; readonly ch: string }
  /** A key while F9's prompt is up: its character (or name: enter, escape). */
  | { readonly type: 'signal-key'; readonly key: string }
  | { readonly type: 'message'; readonly text: string }
  | { readonly type: 'snapshot-done'; readonly message: string }
  | { readonly type: 'overlay-open'; readonly content: OverlayContent }
  | { readonly type: 'overlay-close' }
  /** A mouse click (the left button) or a wheel step at a cell of the screen (0-based). */
  | { readonly type: 'mouse'; readonly event: 'click' | 'wheel-up' | 'wheel-down'; readonly x: number; readonly y: number }
  /** Go to a row of a panel (a finding's culprit or scope). */
  | { readonly type: 'jump'; readonly panel: PanelId; readonly id: string }
  /** Show some processes: a namespace's members (a pid:N,M filter) or a cgroup's; `what` names them in the footer. */
  | { readonly type: 'show-processes'; readonly filter?: string; readonly cgroup?: string; readonly what: string };

export type Effect =
  | { readonly type: 'quit' }
  | { readonly type: 'overlay-enter'; readonly content: TextOverlay; readonly index: number }
  | { readonly type: 'overlay-back'; readonly content: TextOverlay }
  | { readonly type: 'guide-open' }
  | { readonly type: 'guide-target'; readonly target: GuideTarget | undefined }
  | { readonly type: 'snapshot' }
  /** Send a signal / set a nice value: the outside checks the PID still is the process chosen. */
  | { readonly type: 'signal'; readonly target: Target; readonly signal: SignalName }
  | { readonly type: 'renice'; readonly target: Target; readonly delta: 1 | -1 }
  /** Time travel: show another moment of the recording. */
  | { readonly type: 'seek'; readonly move: TimeMove };

export function initialState(config: Partial<TuiConfig> & Pick<TuiConfig, 'live'>, size: { cols: number; rows: number }): TuiState {
  return settle(
    {
      config: { guide: false, snapshot: false, tones: NO_TONES, ...config },
      size,
      tab: 0,
      focus: 'findings',
      cursor: {},
      scroll: {},
      sort: {},
      paused: false,
      tree: false,
      allCgroups: false,
      message: '',
      overlays: [],
      snapshotting: false,
      effects: [],
    },
    undefined,
  );
}

// ---- derived views of a state ----------------------------------------------------------------

export function layoutOf(s: TuiState): Layout {
  return computeLayout(s.size.cols, s.size.rows, s.tab, s.config.timeline === true);
}

export function envOf(s: TuiState): PanelEnv {
  return { tones: s.config.tones };
}

export function viewOf(s: TuiState, id: PanelId): PanelView {
  const sort = s.sort[id];
  return { ...(s.filter !== undefined ? { filter: s.filter } : {}), ...(s.cgroup !== undefined ? { cgroup: s.cgroup } : {}), tree: s.tree, allCgroups: s.allCgroups, ...(sort ? { sort } : {}) };
}

/** Selectable panels on screen, in Tab order. */
export function focusable(layout: Layout): PanelId[] {
  return SELECTABLE.filter((p) => layout.boxes[p]);
}

/** A table panel's rows, lines in all, and rows shown at once (inside the border, under the header). */
export function panelGeometry(s: TuiState, panel: AnyTablePanel, frame: Frame, layout: Layout): { rows: readonly unknown[]; lines: number; height: number } {
  const rows = panelRows(panel, frame, viewOf(s, panel.id), envOf(s));
  const notes = panel.notes?.(frame, envOf(s)).length ?? 0;
  const header = panel.header ?? 'always';
  const headed = header === 'always' || (header === 'with-rows' && rows.length > 0);
  const box = layout.boxes[panel.id];
  return { rows, lines: (rows.length || 1) + notes, height: Math.max(1, (box?.height ?? 3) - 2 - (headed ? 1 : 0)) };
}

/** Rows an overlay takes at a width. */
function overlayRows(s: TuiState, o: OverlayState, frame: Frame | undefined, width: number): number {
  if (o.content.kind === 'panel') {
    const p = tableOf(o.content.panel);
    if (!p || !frame) return 0;
    return 1 + panelGeometry(s, p, frame, layoutOf(s)).lines;
  }
  return textLayout(o.content, width).rows.length;
}

/** The tab of the small layout that shows a panel. */
function tabWith(s: TuiState, panel: PanelId): number | undefined {
  const tabs = layoutOf(s).tabs;
  for (let i = 0; i < tabs.length; i++) if (computeLayout(s.size.cols, s.size.rows, i).boxes[panel]) return i;
  return undefined;
}

/** Focus a panel, going to its tab on a small screen. */
function focusOn(s: TuiState, panel: PanelId): TuiState {
  const layout = layoutOf(s);
  if (layout.boxes[panel]) return { ...s, focus: panel };
  const tab = layout.mode === 'small' ? tabWith(s, panel) : undefined;
  return tab === undefined ? s : { ...s, tab, focus: panel };
}

// ---- the reducer -----------------------------------------------------------------------------

type Handler<T extends Action['type']> = (s: TuiState, a: Extract<Action, { type: T }>, frame: Frame | undefined) => TuiState;
type Handlers = { readonly [T in Action['type']]: Handler<T> };

const KEY_ACTIONS = new Set<Action['type']>([
  'quit', 'help', 'next-panel', 'prev-panel', 'goto-tab', 'down', 'up', 'page-down', 'page-up', 'top', 'bottom', 'enter', 'evidence', 'back', 'filter', 'search',
  'sort-cpu', 'sort-mem', 'sort-io', 'sort-pid', 'sort-next', 'sort-prev', 'sort-reverse', 'tree', 'pause', 'guide', 'snapshot', 'all-cgroups', 'other-key', 'kill', 'nice-down', 'nice-up',
  'time-back', 'time-forward', 'time-back-more', 'time-forward-more', 'time-start', 'time-end', 'finding-next', 'finding-prev',
]);

/** Rows a wheel step moves, as htop's. */
export const WHEEL_ROWS = 3;

/** A time-travel key: a seek on a recording, a word in the footer elsewhere. */
const seek = (move: TimeMove) => (s: TuiState) => (s.config.timeline ? withEffect(s, { type: 'seek', move }) : { ...s, message: 'moving in time needs a recording: diag open --recording DIR' });

const withEffect = (s: TuiState, e: Effect): TuiState => ({ ...s, effects: [...s.effects, e] });
const page = (s: TuiState) => Math.max(1, layoutOf(s).bodyHeight - 4);
const MOVES: Partial<Record<Action['type'], (s: TuiState) => number>> = {
  down: () => 1,
  up: () => -1,
  'page-down': page,
  'page-up': (s) => -page(s),
  top: () => -1e9,
  bottom: () => 1e9,
};

/** The next state after an action; `frame` is the frame on screen (undefined before the first). */
export function reduce(state: TuiState, action: Action, frame: Frame | undefined): TuiState {
  let s: TuiState = state.effects.length ? { ...state, effects: [] } : state;
  if (KEY_ACTIONS.has(action.type)) {
    // any key but s clears the footer's message; the help scrolls with the moving keys, any
    // other key closes it (and q still quits)
    if (s.message && action.type !== 'snapshot') s = { ...s, message: '' };
    if (s.help !== undefined) {
      const move = MOVES[action.type];
      if (move) return settle({ ...s, help: s.help + move(s) }, frame);
      s = { ...s, help: undefined };
      if (action.type !== 'quit') return settle(s, frame);
    }
  }
  if (action.type === 'mouse' && s.help !== undefined) {
    // the wheel scrolls the help, a click closes it
    if (action.event === 'click') return settle({ ...s, help: undefined }, frame);
    return settle({ ...s, help: s.help + (action.event === 'wheel-up' ? -WHEEL_ROWS : WHEEL_ROWS) }, frame);
  }
  const handler = HANDLERS[action.type] as Handler<Action['type']>;
  return settle(handler(s, action, frame), frame);
}

const sortProcesses = (column: string) => (s: TuiState) => ({ ...s, sort: { ...s.sort, processes: { column, reverse: false } } });

const HANDLERS: Handlers = {
  quit: (s) => withEffect(s, { type: 'quit' }),
  help: (s) => ({ ...s, help: 0 }),
  'next-panel': (s) => cycle(s, 1),
  'prev-panel': (s) => cycle(s, -1),
  'goto-tab': (s, a) => {
    if (layoutOf(s).mode !== 'small' || a.tab >= layoutOf(s).tabs.length) return s;
    const t = { ...s, tab: a.tab };
    return { ...t, focus: focusable(layoutOf(t))[0] ?? s.focus };
  },
  down: (s, _a, f) => move(s, 1, f),
  up: (s, _a, f) => move(s, -1, f),
  'page-down': (s, _a, f) => move(s, page(s), f),
  'page-up': (s, _a, f) => move(s, -page(s), f),
  top: (s, _a, f) => move(s, -1e9, f),
  bottom: (s, _a, f) => move(s, 1e9, f),
  enter: (s, _a, f) => enter(s, f),
  evidence: (s, _a, f) => evidence(s, f),
  back: (s) => {
    const top = s.overlays[s.overlays.length - 1];
    if (top) {
      const popped = { ...s, overlays: s.overlays.slice(0, -1), message: '' };
      return top.content.kind === 'panel' ? popped : withEffect(popped, { type: 'overlay-back', content: top.content });
    }
    if (s.filter !== undefined || s.cgroup !== undefined) {
      const { filter: _f, cgroup: _c, ...rest } = s;
      return withEffect({ ...rest, message: '' }, { type: 'guide-target', target: undefined });
    }
    return { ...s, message: '' };
  },
  filter: (s) => ({ ...s, filtering: s.filter ?? '' }),
  search: (s) => ({ ...focusOn({ ...s, overlays: [] }, 'processes'), searching: { text: '', miss: false } }),
  'search-edit': (s, a, f) => {
    if (s.searching === undefined) return s;
    if (a.edit === 'apply' || a.edit === 'cancel') {
      const { searching: _s, ...rest } = s;
      return rest;
    }
    if (a.edit === 'next') return searchProcesses(s, s.searching.text, 1, f);
    return searchProcesses(s, s.searching.text.slice(0, -1), 0, f);
  },
  'search-char': (s, a, f) => (s.searching !== undefined && s.searching.text.length < 64 ? searchProcesses(s, s.searching.text + a.ch, 0, f) : s),
  'sort-cpu': sortProcesses('cpu'),
  'sort-mem': sortProcesses('mem'),
  'sort-io': sortProcesses('io'),
  'sort-pid': sortProcesses('pid'),
  'sort-next': (s) => cycleSort(s, 1),
  'sort-prev': (s) => cycleSort(s, -1),
  'sort-reverse': (s) => {
    const p = tableOf(s.focus);
    const col = p && (sortColumn(p, s.sort[s.focus]) ?? p.columns.find((c) => c.sort));
    if (!p || !col) return { ...s, message: `${panelOf(s.focus).title}: no column to sort by` };
    return { ...s, sort: { ...s.sort, [s.focus]: { column: col.id, reverse: !(s.sort[s.focus]?.reverse ?? false) } } };
  },
  tree: (s) => ({ ...s, tree: !s.tree }),
  'all-cgroups': (s) => ({ ...s, allCgroups: !s.allCgroups }),
  pause: (s) => (s.config.live ? { ...s, paused: !s.paused } : s),
  guide: (s) => (s.config.guide ? withEffect(s, { type: 'guide-open' }) : { ...s, message: 'guided investigation is not available here' }),
  snapshot: (s) => {
    if (!s.config.snapshot) return { ...s, message: 'snapshots are written from a live host (this is a bundle already)' };
    if (s.snapshotting) return s;
    return withEffect({ ...s, snapshotting: true, message: 'writing a snapshot… (the dashboard waits)' }, { type: 'snapshot' });
  },
  'other-key': (s) => s,
  kill: (s, _a, f) => {
    const t = signalTarget(s, f);
    return typeof t === 'string' ? { ...s, message: t } : { ...s, signal: { step: 'choose', target: t } };
  },
  'nice-down': (s, _a, f) => renice(s, -1, f),
  'nice-up': (s, _a, f) => renice(s, 1, f),
  'signal-key': (s, a) => {
    const p = s.signal;
    if (!p) return s;
    const { signal: _p, ...rest } = s;
    if (p.step === 'choose') {
      const chosen = a.key === 'enter' ? 'TERM' : SIGNALS.find((n) => n[0]!.toLowerCase() === a.key.toLowerCase());
      if (!chosen) return { ...rest, message: 'no signal sent' };
      return { ...s, signal: { step: 'confirm', target: p.target, signal: chosen } };
    }
    if (a.key !== 'y' && a.key !== 'Y') return { ...rest, message: `no signal sent to ${p.target.pid}` };
    return withEffect({ ...rest, message: `sending SIG${p.signal} to ${p.target.pid}…` }, { type: 'signal', target: p.target, signal: p.signal });
  },
  'time-back': seek({ kind: 'step', samples: -1 }),
  'time-forward': seek({ kind: 'step', samples: 1 }),
  'time-back-more': seek({ kind: 'span', ms: -SPAN_STEP_MS }),
  'time-forward-more': seek({ kind: 'span', ms: SPAN_STEP_MS }),
  'time-start': seek({ kind: 'start' }),
  'time-end': seek({ kind: 'end' }),
  'finding-next': seek({ kind: 'finding', dir: 1 }),
  'finding-prev': seek({ kind: 'finding', dir: -1 }),
  frame: (s) => s,
  resize: (s, a) => ({ ...s, size: { cols: a.cols, rows: a.rows } }),
  'filter-edit': (s, a) => {
    if (s.filtering === undefined) return s;
    if (a.edit === 'backspace') return { ...s, filtering: s.filtering.slice(0, -1) };
    const { filtering, ...rest } = s;
    if (a.edit === 'cancel') return rest;
    const { filter: _old, ...without } = rest;
    return focusOn(filtering ? { ...without, filter: filtering } : without, 'processes');
  },
  'filter-char': (s, a) => (s.filtering !== undefined && s.filtering.length < 64 ? { ...s, filtering: s.filtering + a.ch } : s),
  message: (s, a) => ({ ...s, message: a.text }),
  'snapshot-done': (s, a) => ({ ...s, snapshotting: false, message: a.message }),
  'overlay-open': (s, a) => ({ ...s, overlays: [...s.overlays, { content: a.content, scroll: 0, selected: 0 }] }),
  'overlay-close': (s) => ({ ...s, overlays: s.overlays.slice(0, -1) }),
  jump: (s, a, f) => jump(s, a.panel, a.id, f),
  mouse: (s, a, f) => mouse(s, a, f),
  'show-processes': (s, a) => {
    const { filter: _f, cgroup: _c, ...rest } = s;
    const t: TuiState = { ...rest, overlays: [], ...(a.filter !== undefined ? { filter: a.filter } : {}), ...(a.cgroup !== undefined ? { cgroup: a.cgroup } : {}) };
    const shown = { ...focusOn(t, 'processes'), message: `processes of ${a.what} (Esc: all processes)` };
    return a.cgroup !== undefined ? withEffect(shown, { type: 'guide-target', target: { cgroup: a.cgroup } }) : shown;
  },
};

/** Tab / Shift-Tab: the next selectable panel; on a small screen past the last one, the next tab. */
function cycle(s: TuiState, dir: 1 | -1): TuiState {
  const layout = layoutOf(s);
  const f = focusable(layout);
  const next = f.indexOf(s.focus) + dir;
  if (layout.mode === 'small' && (next >= f.length || next < 0)) {
    const t = { ...s, tab: (s.tab + dir + layout.tabs.length) % layout.tabs.length };
    const nf = focusable(layoutOf(t));
    return { ...t, focus: (dir === 1 ? nf[0] : nf[nf.length - 1]) ?? s.focus };
  }
  return f.length > 0 ? { ...s, focus: f[(next + f.length) % f.length]! } : s;
}

/** j/k, pages, Home/End: in the top overlay, else in the focused panel (its rows, or its lines when none can be selected). */
function move(s: TuiState, delta: number, frame: Frame | undefined): TuiState {
  const top = s.overlays[s.overlays.length - 1];
  if (top) return { ...s, overlays: [...s.overlays.slice(0, -1), moveInOverlay(s, top, delta)] };
  const p = tableOf(s.focus);
  if (!p || !frame) return s;
  const { rows } = panelGeometry(s, p, frame, layoutOf(s));
  if (!p.selectable || rows.length === 0) return { ...s, scroll: { ...s.scroll, [s.focus]: Math.max(0, (s.scroll[s.focus] ?? 0) + delta) } };
  const index = clamp((s.cursor[s.focus]?.index ?? 0) + delta, 0, rows.length - 1);
  return { ...s, cursor: { ...s.cursor, [s.focus]: cursorAt(p, rows, index) }, held: { ...s.held, [s.focus]: true } };
}

/**
 * Moving in an overlay: over its selectable rows (culprits, choices), then on past the last one
 * the text under them scrolls (a finding's evidence and next steps); back up, the text scrolls
 * back to the selected row before the selection moves. Home goes to the first row.
 */
function moveInOverlay(s: TuiState, top: OverlayState, delta: number): OverlayState {
  const c = top.content;
  if (c.kind === 'panel' || c.selectable === 0) return { ...top, scroll: Math.max(0, top.scroll + delta) };
  const inner = overlayInner(s.size.cols, layoutOf(s));
  const { rows, spans } = textLayout(c, inner.width);
  const last = c.selectable - 1;
  const maxScroll = Math.max(0, rows.length - inner.height);
  if (delta > 0) {
    const selected = Math.min(last, top.selected + delta);
    const past = top.selected + delta - selected;
    const scroll = keepSpanInView(top.scroll, spans[selected], rows.length, inner.height);
    return { ...top, selected, scroll: past > 0 ? Math.min(maxScroll, Math.max(scroll, top.scroll) + past) : scroll };
  }
  if (delta <= -1e6) return { ...top, selected: 0, scroll: 0 };
  const at = spans[top.selected]?.[0] ?? 0;
  if (top.scroll > at) return { ...top, scroll: Math.max(at, top.scroll + delta) };
  const selected = Math.max(0, top.selected + delta);
  return { ...top, selected, scroll: keepSpanInView(top.scroll, spans[selected], rows.length, inner.height) };
}

/** Enter: the top overlay's row or its own Enter, else the focused panel's row. */
function enter(s: TuiState, frame: Frame | undefined): TuiState {
  const top = s.overlays[s.overlays.length - 1];
  if (top) {
    if (top.content.kind === 'panel') return s;
    const c = top.content;
    const action = (c.selectable > 0 ? c.actions?.[top.selected] : undefined) ?? c.enter?.action;
    if (action) return reduceInner(s, action, frame);
    return c.onEnter ? withEffect(s, { type: 'overlay-enter', content: c, index: top.selected }) : s;
  }
  const p = tableOf(s.focus);
  if (!p || !frame) return s;
  const { rows } = panelGeometry(s, p, frame, layoutOf(s));
  const row = rows[s.cursor[s.focus]?.index ?? 0];
  if (row === undefined) return s;
  const result: EnterResult | undefined = p.onEnter ? p.onEnter(row, frame, panelForScope) : { kind: 'overlay', content: { kind: 'panel', panel: p.id, title: p.title } };
  if (!result) return s;
  if (result.kind === 'action') {
    const done = reduceInner(s, result.action, frame);
    return result.message !== undefined && !done.message ? { ...done, message: result.message } : done;
  }
  if (result.kind === 'overlay') {
    const opened = { ...s, overlays: [...s.overlays, { content: result.content, scroll: 0, selected: 0 }] };
    return result.target ? withEffect(opened, { type: 'guide-target', target: result.target }) : opened;
  }
  const shown = focusOn({ ...s, cgroup: result.path }, 'processes');
  const message = `processes in ${result.path} (Esc: all processes)${s.config.guide ? '; i: investigate this cgroup' : ''}`;
  return withEffect({ ...shown, message }, { type: 'guide-target', target: { cgroup: result.path } });
}

/** e: the detail of the focused panel's row (a finding's evidence and culprits), when the panel has one. */
function evidence(s: TuiState, frame: Frame | undefined): TuiState {
  if (s.overlays.length > 0 || !frame) return s;
  const p = tableOf(s.focus);
  if (!p?.detail) return { ...s, message: 'e shows the evidence of the finding selected in Findings' };
  const { rows } = panelGeometry(s, p, frame, layoutOf(s));
  const row = rows[s.cursor[s.focus]?.index ?? 0];
  if (row === undefined) return s;
  return { ...s, overlays: [...s.overlays, { content: p.detail(row, frame, panelForScope), scroll: 0, selected: 0 }] };
}

/** An action an overlay row asked for: handled as if dispatched (it is a step of its own). */
function reduceInner(s: TuiState, action: Action, frame: Frame | undefined): TuiState {
  const handler = HANDLERS[action.type] as Handler<Action['type']>;
  return handler(s, action, frame);
}

/** Go to a row: overlays closed, the panel focused (its tab on a small screen), the cursor on the row. */
function jump(s: TuiState, panel: PanelId, id: string, frame: Frame | undefined): TuiState {
  const p = tableOf(panel);
  let t: TuiState = { ...s, overlays: [] };
  if (!p || !frame) return t;
  const has = (x: TuiState) => panelRows(p, frame, viewOf(x, panel), envOf(x)).some((r) => p.rowId?.(r) === id);
  if (!has(t) && panel === 'processes' && (t.filter !== undefined || t.cgroup !== undefined)) {
    const { filter: _f, cgroup: _c, ...rest } = t;
    t = rest;
  }
  if (!has(t) && panel === 'cgroups' && !t.allCgroups) t = { ...t, allCgroups: true };
  if (!has(t)) return { ...t, message: `${p.title}: ${id} is not shown any more` };
  return { ...focusOn(t, panel), cursor: { ...t.cursor, [panel]: { index: 0, id } }, held: { ...t.held, [panel]: true } };
}

/**
 * htop's F3: the cursor goes to the first process at or after it (`from` 0, as the text is typed)
 * or after it (`from` 1, F3 again) whose name or command line holds the text, case-insensitive,
 * wrapping round; when none does the cursor stays and the prompt says so.
 */
function searchProcesses(s: TuiState, text: string, from: 0 | 1, frame: Frame | undefined): TuiState {
  const t: TuiState = { ...s, searching: { text, miss: false } };
  const p = tableOf('processes');
  const needle = text.toLowerCase();
  if (!p?.matches || !frame || !needle) return t;
  const { rows } = panelGeometry(t, p, frame, layoutOf(t));
  const at = t.cursor.processes?.index ?? 0;
  for (let i = 0; i < rows.length; i++) {
    const index = (at + from + i) % rows.length;
    if (p.matches(rows[index], needle)) return { ...t, cursor: { ...t.cursor, processes: cursorAt(p, rows, index) }, held: { ...t.held, processes: true } };
  }
  return { ...t, searching: { text, miss: true } };
}

/** The selected process F9/F7/F8 act on, or why there is none (the footer says it). */
function signalTarget(s: TuiState, frame: Frame | undefined): Target | string {
  if (!s.config.live) return 'signals are never sent from a bundle or a snapshot';
  if (!s.config.signals) return 'sending signals is off: start diag with --allow-signals to kill or renice from here';
  if (s.focus !== 'processes' || s.overlays.length > 0) return 'select a process in Processes first';
  const p = tableOf('processes');
  if (!p || !frame) return 'no process selected';
  const { rows } = panelGeometry(s, p, frame, layoutOf(s));
  const row = rows[s.cursor.processes?.index ?? 0] as { pid?: unknown; comm?: unknown; starttime?: unknown } | undefined;
  if (!row || typeof row.pid !== 'number') return 'no process selected';
  return { pid: row.pid, comm: typeof row.comm === 'string' ? row.comm : '', ...(typeof row.starttime === 'string' ? { starttime: row.starttime } : {}) };
}

function renice(s: TuiState, delta: 1 | -1, frame: Frame | undefined): TuiState {
  const t = signalTarget(s, frame);
  return typeof t === 'string' ? { ...s, message: t } : withEffect(s, { type: 'renice', target: t, delta });
}

/** Next / previous sort column of the focused panel (its own order is one of the stops when it has one). */
function cycleSort(s: TuiState, dir: 1 | -1): TuiState {
  const p = tableOf(s.focus);
  const ids = p ? p.columns.filter((c) => c.sort).map((c) => c.id) : [];
  if (!p || ids.length === 0) return { ...s, message: `${panelOf(s.focus).title}: no column to sort by` };
  const stops: (string | undefined)[] = p.defaultSort ? ids : [undefined, ...ids];
  const now = s.sort[s.focus]?.column ?? p.defaultSort;
  const next = stops[(stops.indexOf(now) + dir + stops.length) % stops.length];
  const { [s.focus]: _old, ...others } = s.sort;
  return { ...s, sort: next === undefined ? others : { ...others, [s.focus]: { column: next, reverse: false } } };
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

function cursorAt(p: AnyTablePanel, rows: readonly unknown[], index: number): Cursor {
  const row = rows[index];
  const id = row !== undefined ? p.rowId?.(row) : undefined;
  return id !== undefined ? { index, id } : { index };
}

/**
 * What every step ends with: the focus on a panel that is on screen, each visible panel's
 * cursor on the row it was on (found again by its identity when the rows moved) and in view,
 * overlays and help scrolled within their rows.
 */
function settle(s0: TuiState, frame: Frame | undefined): TuiState {
  let s = s0;
  const layout = layoutOf(s);
  if (!layout.boxes[s.focus]) s = { ...s, focus: focusable(layout)[0] ?? 'findings' };
  if (frame) {
    let cursor = s.cursor;
    let scroll = s.scroll;
    for (const id of Object.keys(layout.boxes) as PanelId[]) {
      const p = tableOf(id);
      if (!p?.selectable) continue;
      const g = panelGeometry(s, p, frame, layout);
      const had = cursor[id];
      let c: Cursor | undefined;
      if (g.rows.length > 0) {
        const found = s.held?.[id] && had?.id !== undefined && p.rowId ? g.rows.findIndex((r) => p.rowId!(r) === had.id) : -1;
        c = cursorAt(p, g.rows, found >= 0 ? found : clamp(had?.index ?? 0, 0, g.rows.length - 1));
      } else if (had) c = { index: 0 };
      if (c && (c.index !== had?.index || c.id !== had?.id)) cursor = { ...cursor, [id]: c };
      const sc = keepInView(scroll[id] ?? 0, c && g.rows.length > 0 ? c.index : -1, g.lines, g.height);
      if (sc !== (scroll[id] ?? 0)) scroll = { ...scroll, [id]: sc };
    }
    if (cursor !== s.cursor || scroll !== s.scroll) s = { ...s, cursor, scroll };
  }
  const inner = overlayInner(s.size.cols, layout);
  if (s.help !== undefined) {
    const h = keepInView(s.help, -1, helpRows(inner.width, s.config.timeline === true).length, inner.height);
    if (h !== s.help) s = { ...s, help: h };
  }
  const top = s.overlays[s.overlays.length - 1];
  if (top) {
    // the selection within its rows, the scroll within the text (moves keep the selection in view themselves)
    const selected = top.content.kind !== 'panel' && top.content.selectable > 0 ? clamp(top.selected, 0, top.content.selectable - 1) : top.selected;
    const rows = overlayRows(s, top, frame, inner.width);
    const scroll = keepInView(top.scroll, -1, rows, inner.height);
    if (scroll !== top.scroll || selected !== top.selected) s = { ...s, overlays: [...s.overlays.slice(0, -1), { ...top, scroll, selected }] };
  }
  return s;
}

/**
 * The mouse, as htop's: a click focuses the panel under it and selects the row clicked (on a
 * column title: sorts by that column, a second click reverses it; on the small layout's tab bar:
 * that tab); the wheel moves the selection of the panel under the pointer, or an overlay's.
 * While a footer prompt (filter, search, signal) is up the mouse does nothing: keys are its own.
 */
function mouse(s: TuiState, a: Extract<Action, { type: 'mouse' }>, frame: Frame | undefined): TuiState {
  if (s.filtering !== undefined || s.searching !== undefined || s.signal !== undefined) return s;
  const layout = layoutOf(s);
  const step = a.event === 'wheel-up' ? -WHEEL_ROWS : WHEEL_ROWS;
  const top = s.overlays[s.overlays.length - 1];
  if (top) {
    if (a.event !== 'click') return move(s, step, frame);
    return { ...s, overlays: [...s.overlays.slice(0, -1), clickInOverlay(s, top, a.x, a.y)] };
  }
  if (layout.mode === 'small' && a.y === layout.bodyTop - 1) {
    if (a.event !== 'click') return s;
    const tab = tabAt(layout, a.x);
    return tab === undefined ? s : reduceInner(s, { type: 'goto-tab', tab }, frame);
  }
  const id = (Object.keys(layout.boxes) as PanelId[]).find((p) => inside(layout.boxes[p]!, a.x, a.y));
  if (id === undefined) return s;
  const p = tableOf(id);
  const focused: TuiState = p?.selectable ? { ...s, focus: id } : s;
  if (!p || !frame) return focused;
  const box = layout.boxes[id]!;
  const g = panelGeometry(focused, p, frame, layout);
  const headed = g.height < box.height - 2;
  if (a.event !== 'click') return p.selectable ? move(focused, step, frame) : { ...focused, scroll: { ...focused.scroll, [id]: Math.max(0, (focused.scroll[id] ?? 0) + step) } };
  const line = a.y - box.top - 1 - (headed ? 1 : 0);
  if (headed && line === -1) return sortByClick(focused, p, box, a.x);
  if (!p.selectable || line < 0 || line >= g.height) return focused;
  const index = (focused.scroll[id] ?? 0) + line;
  if (index >= g.rows.length) return focused;
  return { ...focused, cursor: { ...focused.cursor, [id]: cursorAt(p, g.rows, index) }, held: { ...focused.held, [id]: true } };
}

const inside = (r: { top: number; left: number; width: number; height: number }, x: number, y: number) => x >= r.left && x < r.left + r.width && y >= r.top && y < r.top + r.height;

/** The small layout's tab under a column of the tab bar (its labels are " N Name " side by side). */
function tabAt(layout: Layout, x: number): number | undefined {
  let at = 0;
  for (let i = 0; i < layout.tabs.length; i++) {
    const w = ` ${i + 1} ${layout.tabs[i]!.name} `.length;
    if (x >= at && x < at + w) return i;
    at += w;
  }
  return undefined;
}

/** A click on a column title: sort by it (a second click reverses the order), as htop's header. */
function sortByClick(s: TuiState, p: AnyTablePanel, box: { left: number; width: number }, x: number): TuiState {
  const gap = p.gap ?? 1;
  let at = box.left + 1;
  for (const c of placeColumns(p.columns, box.width - 2, gap)) {
    if (x >= at && x < at + c.width + gap) {
      if (!c.column.sort) return s;
      const now = sortColumn(p, s.sort[p.id]);
      const reverse = now?.id === c.column.id ? !(s.sort[p.id]?.reverse ?? false) : false;
      return { ...s, sort: { ...s.sort, [p.id]: { column: c.column.id, reverse } } };
    }
    at += c.width + gap;
  }
  return s;
}

/** A click in an overlay: the selectable row under it is selected (its text scrolls with the overlay). */
function clickInOverlay(s: TuiState, top: OverlayState, x: number, y: number): OverlayState {
  const c = top.content;
  if (c.kind === 'panel' || c.selectable === 0) return top;
  const layout = layoutOf(s);
  const inner = overlayInner(s.size.cols, layout);
  const row = top.scroll + (y - layout.bodyTop - 1);
  if (x < 1 || x > inner.width || y <= layout.bodyTop || row >= top.scroll + inner.height) return top;
  const { spans } = textLayout(c, inner.width);
  const selected = spans.findIndex((sp) => sp !== undefined && row >= sp[0] && row < sp[1]);
  return selected >= 0 && selected < c.selectable ? { ...top, selected } : top;
}
