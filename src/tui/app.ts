import { createRequire } from 'node:module';
import v8 from 'node:v8';
import type { Widgets } from 'blessed';
import { releaseProcessOutput, sanitizeOutput as show } from '../core/sanitize.js';
import type { LoadedPlaybook } from '../engine/loader.js';
import type { Feed } from './feed.js';
import type { Frame } from './frame.js';
import type { Guide, GuideHost } from './guide.js';
import { keyActions, type KeyPress } from './input.js';
import type { Layout, PanelId } from './layout.js';
import { overlayInner } from './overlay.js';
import { PANELS } from './panels/index.js';
import { footerText, headerText, overlayText, panelText, screenEnv, tabBarText } from './screen.js';
import { initialState, layoutOf, reduce, type Action, type Effect, type TuiState } from './state.js';
import { themeForTerminal, themeFromEnv, type Theme } from './theme.js';
import { Tones } from './tones.js';
import { CpuHistory } from './view-models/cpu.js';
import { actOn } from './signals.js';
import type { HistoryFeed } from './history-feed.js';
import { fmtWhen } from './view-models/header.js';
import type { TimeMove } from './time-travel.js';

// blessed (CommonJS, outside the bundle) is loaded when the terminal UI starts, not by every
// command: a static import of an external package is evaluated at start-up by the one-file
// bundle (scripts/bundle.mjs), which cost each `diag` process ~10 MB of RSS and its load time.
const blessed = createRequire(import.meta.url)('blessed') as typeof import('blessed');

export interface TuiOptions {
  readonly feed: Feed;
  readonly refreshMs: number;
  /** Makes the guided-investigation overlay (needs the engine session and probes). */
  readonly guide?: Guide;
  /** Writes a snapshot with the investigation path; resolves to a message for the footer. */
  readonly snapshot?: (investigation: unknown) => Promise<string>;
  /** diag --allow-signals on this host: F9 signals, F7/F8 renice (never on a bundle). */
  readonly allowSignals?: boolean;
  /** The other loaded playbooks: their thresholds colour the metrics the feed's playbook does not check. */
  readonly playbooks?: readonly LoadedPlaybook[];
  /** Clicks and the wheel (as htop; Shift-drag still selects text in most terminals); false: the terminal keeps the mouse (diag --no-mouse). */
  readonly mouse?: boolean;
  /** A recording (the feed itself): time-travel keys move it, its charts fill in the background. */
  readonly timeline?: HistoryFeed;
}

/**
 * The terminal UI's blessed side: boxes placed where the layout says, keys turned into actions
 * of the state machine (state.ts), the screen's text (screen.ts) put into the boxes, the refresh
 * loop, and the terminal restored however diag exits.
 */
export async function runTui(opts: TuiOptions): Promise<number> {
  // A dashboard keeps a second of data alive between refreshes, so V8 promotes it and lets the
  // old generation grow for a long time before collecting it (RSS climbed ~7 MB/s with 2,000
  // processes). Trading a little GC time for memory keeps the TUI's RSS flat.
  v8.setFlagsFromString('--optimize-for-size');
  const envTheme: Theme = themeFromEnv();
  // Draw box lines as Unicode (or ASCII) characters, never through the terminal's alternate
  // character set: inside tmux/screen ACS often shows as "lqqk".
  process.env.NCURSES_NO_UTF8_ACS = '1';
  // The terminal is the UI's now: it writes escape sequences of its own, so the process-wide
  // output guard comes off, and every text handed to blessed goes through sanitizeOutput (show).
  releaseProcessOutput();
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: envTheme.unicode,
    forceUnicode: envTheme.unicode,
    autoPadding: false,
    warnings: false,
    title: 'diag',
    dockBorders: false,
  });
  // a terminal without colours (TERM=vt100: terminfo has no max_colors) gets none, as NO_COLOR
  const tput = (screen.program as unknown as { tput?: { colors?: unknown } }).tput;
  const theme = themeForTerminal(envTheme, typeof tput?.colors === 'number' ? tput.colors : undefined);

  let destroyed = false;
  let mouseOn = false;
  const restore = () => {
    if (destroyed) return;
    destroyed = true;
    try {
      if (mouseOn) screen.program.disableMouse();
      screen.destroy();
    } catch {
      // the terminal is gone: nothing left to restore
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    restore();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  process.once('exit', restore);
  const onCrash = (err: unknown) => {
    restore();
    process.stderr.write(`diag: the TUI stopped on an internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  };
  process.once('uncaughtException', onCrash);
  process.once('unhandledRejection', onCrash);

  const header = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, tags: true });
  const tabbar = blessed.box({ parent: screen, top: 1, left: 0, width: '100%', height: 1, tags: true });
  const footer = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, tags: true });
  const boxes = new Map<PanelId, Widgets.BoxElement>();
  for (const p of PANELS) {
    boxes.set(
      p.id,
      blessed.box({
        parent: screen,
        label: ` ${p.title} `,
        border: { type: 'line' },
        tags: true,
        wrap: false,
        style: { border: { fg: theme.color ? 'blue' : 'default' }, label: { bold: true } },
        hidden: true,
      }),
    );
  }
  // Overlays wrap their text themselves (wrapTagged) before scrolling, so every row is reachable.
  const overlayBox = blessed.box({ parent: screen, border: { type: 'line' }, tags: true, hidden: true, wrap: false, style: { border: { fg: theme.color ? 'cyan' : 'default' } } });

  const history = new CpuHistory(200);
  let frame: Frame | undefined;
  let state: TuiState = initialState(
    { live: opts.feed.live, ...(opts.feed.live ? { refreshMs: opts.refreshMs, signals: opts.allowSignals === true } : {}), guide: opts.guide !== undefined, snapshot: opts.snapshot !== undefined, tones: new Tones(opts.feed.playbook, opts.playbooks), ...(opts.timeline ? { timeline: true } : {}) },
    { cols: screen.cols ?? 80, rows: screen.rows ?? 24 },
  );

  /** Boxes go where the layout says when the size or the tab changes. */
  let placed = '';
  function place(layout: Layout): void {
    const key = `${state.size.cols}x${state.size.rows}:${state.tab}`;
    if (placed === key) return;
    placed = key;
    for (const [id, b] of boxes) {
      const r = layout.boxes[id];
      if (!r) {
        b.hide();
        continue;
      }
      b.top = r.top;
      b.left = r.left;
      b.width = r.width;
      b.height = r.height;
      b.show();
    }
    const inner = overlayInner(state.size.cols, layout);
    overlayBox.top = layout.bodyTop;
    overlayBox.left = 0;
    overlayBox.width = inner.width + 2;
    overlayBox.height = inner.height + 2;
  }

  function draw(): void {
    if (destroyed) return;
    const layout = layoutOf(state);
    place(layout);
    header.setContent(show(headerText(state, frame, theme)));
    const tabs = tabBarText(state, layout, theme);
    if (tabs === undefined) tabbar.hide();
    else {
      tabbar.show();
      tabbar.setContent(show(tabs));
    }
    const env = screenEnv(state, history, opts.timeline?.view());
    for (const [id, b] of boxes) {
      const t = panelText(state, id, frame, env, theme);
      if (!t) continue;
      b.setContent(show(t.content));
      b.setLabel(show(t.label));
      b.style.border = { fg: theme.color ? (state.focus === id && state.overlays.length === 0 ? 'cyan' : 'blue') : 'default' };
    }
    const o = overlayText(state, frame, env, theme);
    if (o) {
      overlayBox.setLabel(show(o.label));
      overlayBox.setContent(show(o.content));
      overlayBox.show();
      overlayBox.setFront();
    } else overlayBox.hide();
    footer.setContent(show(footerText(state, theme)));
    screen.render();
  }

  let quitting: ((code: number) => void) | undefined;
  function dispatch(action: Action): void {
    state = reduce(state, action, frame);
    const effects = state.effects;
    draw();
    for (const e of effects) run(e);
  }

  /** What the guide drives: overlays, the current frame and the footer. */
  const host: GuideHost = {
    push: (o) => dispatch({ type: 'overlay-open', content: o }),
    top: () => {
      const c = state.overlays[state.overlays.length - 1]?.content;
      return c && c.kind !== 'panel' ? c : undefined;
    },
    pop: () => dispatch({ type: 'overlay-close' }),
    redraw: draw,
    theme,
    frame: () => frame,
    setMessage: (m) => dispatch({ type: 'message', text: m }),
  };

  function run(e: Effect): void {
    switch (e.type) {
      case 'quit':
        quitting?.(0);
        return;
      case 'overlay-enter':
        e.content.onEnter?.(e.index);
        return;
      case 'overlay-back':
        e.content.onBack?.();
        return;
      case 'guide-open':
        opts.guide?.open(host);
        return;
      case 'guide-target':
        opts.guide?.setTarget(e.target);
        return;
      case 'seek':
        void seek(e.move);
        return;
      case 'signal':
      case 'renice':
        if (!opts.feed.live || opts.allowSignals !== true) return;
        dispatch({ type: 'message', text: actOn(e) });
        return;
      case 'snapshot':
        if (!opts.snapshot) return;
        void opts.snapshot(opts.guide?.path() ?? []).then(
          (m) => dispatch({ type: 'snapshot-done', message: m }),
          (err: unknown) => dispatch({ type: 'snapshot-done', message: `snapshot failed: ${err instanceof Error ? err.message : String(err)}` }),
        );
        return;
    }
  }

  let firstShown: (() => void) | undefined;
  const first = new Promise<void>((r) => (firstShown = r));
  const waitFirst = () => first;
  // ---- time travel: the feed's position moves at once, the frame follows when it is built ----
  const tl = opts.timeline;
  let loading = false;
  let searching = false;
  let stopSearch = false;
  const whenOf = (w: number) => (tl ? fmtWhen(new Date(tl.view().times[w] ?? 0).toISOString()) : '');
  /** Builds the frame of the feed's position until it is the one shown (keys pressed meanwhile move the position on). */
  async function load(): Promise<void> {
    if (!tl || loading) return;
    loading = true;
    try {
      while (!destroyed && frame?.tick !== tl.position) {
        const w = tl.position;
        if (!tl.has(w)) dispatch({ type: 'message', text: `reading ${whenOf(w)} (${w}/${tl.count - 1})…` });
        const f = await tl.frameAt(w);
        if (w !== tl.position) continue;
        frame = f;
        dispatch({ type: 'frame' });
        if (state.message.startsWith('reading ')) dispatch({ type: 'message', text: '' });
      }
    } catch (err) {
      dispatch({ type: 'message', text: `reading the recording failed: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      loading = false;
    }
  }
  async function seek(move: TimeMove): Promise<void> {
    if (!tl || searching) return;
    if (move.kind !== 'finding') {
      tl.moveTo(tl.target(move));
      await load();
      return;
    }
    searching = true;
    stopSearch = false;
    const what = move.dir === 1 ? 'next' : 'previous';
    try {
      const found = await tl.findFinding(
        move.dir,
        (w) => dispatch({ type: 'message', text: `looking for the ${what} finding: judging ${whenOf(w)} (${w}/${tl.count - 1}), any key stops` }),
        () => stopSearch || destroyed,
      );
      if (stopSearch) {
        dispatch({ type: 'message', text: 'search stopped' });
        return;
      }
      if (found === undefined) {
        dispatch({ type: 'message', text: `no finding starts ${move.dir === 1 ? 'after' : 'before'} ${whenOf(tl.position)}` });
        return;
      }
      tl.moveTo(found);
      await load();
      const started = tl.started(found);
      const first = started[0];
      if (first) {
        dispatch({ type: 'jump', panel: 'findings', id: first.id });
        dispatch({ type: 'message', text: `${first.severity.toUpperCase()} from ${whenOf(found - 1)}: ${first.title}${started.length > 1 ? ` (+${started.length - 1} more)` : ''}` });
      }
    } finally {
      searching = false;
    }
  }

  screen.on('keypress', (ch: string | undefined, key: KeyPress) => {
    // any key stops a search for a finding (and does nothing else)
    if (searching) {
      stopSearch = true;
      if (!(key.full === 'C-c' || ch === 'q')) return;
    }
    for (const a of keyActions(state, ch, key)) dispatch(a);
  });
  if (opts.mouse !== false && process.env.TERM !== 'dumb') {
    // Clicks and wheel only (xterm mode 1000, SGR coordinates 1006 so any column is reported):
    // no motion tracking (1002/1003) means no stream of events while the pointer moves, and
    // most terminals still select text with Shift held (htop and btop behave the same).
    screen.program.setMouse({ vt200Mouse: true, sgrMouse: true }, true);
    mouseOn = true;
    screen.program.on('mouse', (m: { action?: string; button?: string; x?: number; y?: number }) => {
      if (typeof m.x !== 'number' || typeof m.y !== 'number') return;
      const event = m.action === 'wheelup' ? 'wheel-up' : m.action === 'wheeldown' ? 'wheel-down' : m.action === 'mousedown' && m.button === 'left' ? 'click' : undefined;
      if (event) dispatch({ type: 'mouse', event, x: m.x, y: m.y });
    });
  }
  if (tl) {
    // the charts read every sample: after the first window is on screen
    void waitFirst()
      .then(() => tl.chart(() => draw()))
      .catch((err: unknown) => dispatch({ type: 'message', text: `the history charts failed: ${err instanceof Error ? err.message : String(err)}` }));
  }
  screen.on('resize', () => dispatch({ type: 'resize', cols: screen.cols ?? 80, rows: screen.rows ?? 24 }));

  draw();

  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    const started = performance.now();
    try {
      if ((!state.paused && !state.snapshotting) || !frame) {
        const f = await opts.feed.next();
        if (opts.feed.live || !frame) history.push(f.model);
        frame = f;
        dispatch({ type: 'frame' });
        firstShown?.();
      }
    } catch (err) {
      dispatch({ type: 'message', text: `refresh failed: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (!opts.feed.live || destroyed) return;
    const delay = frame && frame.tick === 0 ? Math.min(opts.refreshMs, 500) : opts.refreshMs - (performance.now() - started);
    timer = setTimeout(() => void loop(), Math.max(50, delay));
  };
  void loop();

  const code = await new Promise<number>((resolve) => {
    quitting = resolve;
  });
  if (timer) clearTimeout(timer);
  opts.timeline?.close();
  opts.guide?.close();
  restore();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGHUP', onSignal);
  process.removeListener('uncaughtException', onCrash);
  process.removeListener('unhandledRejection', onCrash);
  return code;
}
