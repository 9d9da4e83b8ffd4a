import v8 from 'node:v8';
import blessed from 'blessed';
import type { Feed } from './feed.js';
import type { Frame } from './frame.js';
import { actionFor, helpLines, KEYMAP, type KeyAction } from './keys.js';
import { computeLayout, type Layout, type PanelId } from './layout.js';
import { cgroupsPanel, cpuPanel, disksPanel, findingsPanel, matrixDetail, matrixPanel, memoryPanel, networkPanel, processesPanel, type PanelOutput } from './panels.js';
import { fit, safe, wrapTagged } from './text.js';
import { themeFromEnv, type Theme } from './theme.js';
import { cgroupsVM, type CgroupRowVM } from './view-models/cgroups.js';
import { CpuHistory } from './view-models/cpu.js';
import { findingDetail } from './view-models/findings.js';
import { headerVM } from './view-models/header.js';
import type { ProcessQuery, ProcessRowVM, ProcessSort } from './view-models/processes.js';
import type { Guide } from './guide.js';

const TITLES: Record<PanelId, string> = {
  matrix: 'USE matrix',
  cpu: 'CPU',
  memory: 'Memory',
  disks: 'Disks',
  network: 'Network',
  processes: 'Processes',
  findings: 'Findings',
  cgroups: 'Cgroups / containers',
};
const SELECTABLE: readonly PanelId[] = ['findings', 'matrix', 'processes', 'cgroups', 'disks', 'network'];

export interface TuiOptions {
  readonly feed: Feed;
  readonly refreshMs: number;
  /** Makes the guided-investigation overlay (needs the engine session and probes). */
  readonly guide?: Guide;
  /** Writes a snapshot with the investigation path; resolves to a message for the footer. */
  readonly snapshot?: (investigation: unknown) => Promise<string>;
}

interface Overlay {
  readonly title: string;
  lines: string[];
  scroll: number;
  /** Selectable rows at the top of lines (0: scroll only). */
  selectable: number;
  selected: number;
  onEnter?: (index: number) => void;
  onBack?: () => boolean;
}

/**
 * The terminal UI. Panels are pure functions (panels.ts) fed by a Feed; this file only places
 * boxes, routes keys and restores the terminal however diag exits.
 */
export async function runTui(opts: TuiOptions): Promise<number> {
  // A dashboard keeps a second of data alive between refreshes, so V8 promotes it and lets the
  // old generation grow for a long time before collecting it (RSS climbed ~7 MB/s with 2,000
  // processes). Trading a little GC time for memory keeps the TUI's RSS flat.
  v8.setFlagsFromString('--optimize-for-size');
  const theme: Theme = themeFromEnv();
  // Draw box lines as Unicode (or ASCII) characters, never through the terminal's alternate
  // character set: inside tmux/screen ACS often shows as "lqqk".
  process.env.NCURSES_NO_UTF8_ACS = '1';
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: theme.unicode,
    forceUnicode: theme.unicode,
    autoPadding: false,
    warnings: false,
    title: 'diag',
    dockBorders: false,
  });

  let destroyed = false;
  const restore = () => {
    if (destroyed) return;
    destroyed = true;
    try {
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
  const boxes = {} as Record<PanelId, blessed.Widgets.BoxElement>;
  for (const id of Object.keys(TITLES) as PanelId[]) {
    boxes[id] = blessed.box({
      parent: screen,
      label: ` ${TITLES[id]} `,
      border: { type: 'line' },
      tags: true,
      wrap: false,
      style: { border: { fg: theme.color ? 'blue' : 'default' }, label: { bold: true } },
      hidden: true,
    });
  }
  // Overlays wrap their text themselves (wrapTagged) before scrolling, so every row is reachable.
  const overlayBox = blessed.box({ parent: screen, border: { type: 'line' }, tags: true, hidden: true, wrap: false, style: { border: { fg: theme.color ? 'cyan' : 'default' } } });

  const state = {
    tab: 0,
    focus: 'findings' as PanelId,
    selected: {} as Partial<Record<PanelId, number>>,
    scroll: {} as Partial<Record<PanelId, number>>,
    paused: false,
    query: { sort: 'cpu', tree: false } as { sort: ProcessSort; tree: boolean; filter?: string; cgroup?: string },
    allCgroups: false,
    filtering: undefined as string | undefined,
    message: '' as string,
    overlays: [] as Overlay[],
    /** A snapshot is being written: the refresh waits (both read the whole host). */
    snapshotting: false,
    help: false,
    helpScroll: 0,
  };
  const history = new CpuHistory(200);
  let frame: Frame | undefined;
  let layout: Layout = computeLayout(screen.cols ?? 80, screen.rows ?? 24, state.tab);
  const lastOutputs: Partial<Record<PanelId, PanelOutput>> = {};
  let processRows: ProcessRowVM[] = [];
  let cgroupRows: CgroupRowVM[] = [];

  const visiblePanels = (): PanelId[] => (Object.keys(layout.boxes) as PanelId[]).filter((p) => layout.boxes[p]);
  const focusable = (): PanelId[] => SELECTABLE.filter((p) => layout.boxes[p]);

  function applyLayout(): void {
    layout = computeLayout(screen.cols ?? 80, screen.rows ?? 24, state.tab);
    for (const id of Object.keys(boxes) as PanelId[]) {
      const r = layout.boxes[id];
      const b = boxes[id];
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
    if (!layout.boxes[state.focus]) state.focus = focusable()[0] ?? 'findings';
    overlayBox.top = layout.bodyTop;
    overlayBox.left = 0;
    overlayBox.width = screen.cols ?? 80;
    overlayBox.height = layout.bodyHeight;
  }

  function panelOutput(id: PanelId, f: Frame, width: number): PanelOutput {
    switch (id) {
      case 'matrix':
        return matrixPanel(f, theme, width);
      case 'cpu':
        return cpuPanel(f, theme, width, history);
      case 'memory':
        return memoryPanel(f, theme, width);
      case 'disks':
        return disksPanel(f, theme, width);
      case 'network':
        return networkPanel(f, theme, width);
      case 'processes': {
        const o = processesPanel(f, theme, width, state.query as ProcessQuery);
        processRows = o.rows;
        return o;
      }
      case 'cgroups':
        cgroupRows = cgroupsVM(f.model, state.allCgroups);
        return cgroupsPanel(cgroupRows, f, theme, width);
      case 'findings':
        return findingsPanel(f, theme, width);
    }
  }

  function drawPanel(id: PanelId): void {
    const b = boxes[id];
    const r = layout.boxes[id];
    if (!r || !frame) return;
    const inner = { w: r.width - 2, h: r.height - 2 };
    const out = panelOutput(id, frame, inner.w);
    lastOutputs[id] = out;
    const bodyH = inner.h - (out.head ? 1 : 0);
    const count = out.lazy ? out.lazy.count : out.lines.length;
    const sel = Math.min(state.selected[id] ?? 0, Math.max(0, out.selectable - 1));
    state.selected[id] = sel;
    let scroll = state.scroll[id] ?? 0;
    if (sel < scroll) scroll = sel;
    if (sel >= scroll + bodyH) scroll = sel - bodyH + 1;
    scroll = Math.max(0, Math.min(scroll, Math.max(0, count - bodyH)));
    state.scroll[id] = scroll;
    const focused = state.focus === id && state.overlays.length === 0;
    const shown = out.lazy ? out.lazy.render(scroll, scroll + bodyH) : out.lines.slice(scroll, scroll + bodyH);
    const lines = shown.map((l, i) => (focused && out.selectable > 0 && scroll + i === sel ? theme.inverse(l) : l));
    b.setContent([...(out.head ? [theme.tone('accent', out.head)] : []), ...lines].join('\n'));
    const more = count > bodyH ? ` ${scroll + 1}-${Math.min(count, scroll + bodyH)}/${count}` : '';
    const extra = id === 'processes' ? ` sort:${state.query.sort}${state.query.tree ? ' tree' : ''}${state.query.filter ? ` /${safe(state.query.filter, 20)}` : ''}${state.query.cgroup ? ` in ${safe(state.query.cgroup, 30)}` : ''}` : '';
    b.setLabel(`${focused ? '▶' : ''} ${TITLES[id]}${extra}${more} `.replace('▶', theme.unicode ? '▶' : '>'));
    b.style.border = { fg: theme.color ? (focused ? 'cyan' : 'blue') : 'default' };
  }

  function drawHeader(): void {
    if (!frame) {
      header.setContent(` diag - measuring the first window…`);
      return;
    }
    const h = headerVM(frame);
    const status = theme.tone(h.statusTone, h.status.toUpperCase());
    const counts = h.counts.critical + h.counts.warning > 0 ? ` (${h.counts.critical} crit, ${h.counts.warning} warn)` : '';
    const wide = (screen.cols ?? 80) >= 120;
    const parts = [
      ` ${theme.bold('diag')} ${safe(h.hostname, wide ? 30 : 16)}`,
      wide ? safe(h.kernel, 30) : '',
      `up ${h.uptime}`,
      `load ${h.load}`,
      wide ? `${h.cpus} CPUs` : '',
      `${status}${counts}`,
      wide ? safe(h.when) : '',
      state.paused ? theme.tone('warning', 'PAUSED') : '',
    ];
    header.setContent(parts.filter(Boolean).join('  '));
    if (layout.mode === 'small') {
      tabbar.show();
      tabbar.setContent(layout.tabs.map((t, i) => (i === state.tab ? theme.inverse(` ${i + 1} ${t.name} `) : ` ${i + 1} ${t.name} `)).join(''));
    } else tabbar.hide();
  }

  function drawFooter(): void {
    if (state.filtering !== undefined) {
      footer.setContent(` filter processes: ${safe(state.filtering)}_   (Enter apply, Esc cancel)`);
      return;
    }
    const wide = ' ? help  q quit  Tab panel  Enter drill  / filter  c/m/o sort  t tree  i investigate  s snapshot  p pause';
    const narrow = ' ? help  q quit  Tab/1-5 panel  Enter drill  Esc back  / filter  i investigate';
    const cols = screen.cols ?? 80;
    const hint = fit(wide.length <= cols ? wide : narrow, cols).trimEnd();
    footer.setContent(state.message ? ` ${safe(state.message, Math.max(1, cols - 1))}` : theme.tone('dim', hint));
  }

  function drawOverlay(): void {
    const o = state.overlays[state.overlays.length - 1];
    const innerW = Math.max(4, (overlayBox.width as number) - 2);
    if (state.help) {
      const labelW = helpLines()[0]!.indexOf(KEYMAP[0]!.help);
      const lines = wrapTagged(helpLines().map((l) => safe(l)), innerW, labelW);
      const h = Math.max(1, (overlayBox.height as number) - 2);
      state.helpScroll = Math.max(0, Math.min(state.helpScroll, lines.length - h));
      const more = lines.length > h ? ` ${state.helpScroll + 1}-${Math.min(lines.length, state.helpScroll + h)}/${lines.length}, j/k scroll,` : '';
      overlayBox.setLabel(` Keys (${more} any other key closes) `.replace('(,', '(').replace('( ', '('));
      overlayBox.setContent(
        lines
          .slice(state.helpScroll, state.helpScroll + h)
          .join('\n'),
      );
      overlayBox.show();
      overlayBox.setFront();
      return;
    }
    if (!o) {
      overlayBox.hide();
      return;
    }
    const h = (overlayBox.height as number) - 2;
    // Selectable rows stay one line each (cut at the edge); the text below them wraps.
    const rows = [...o.lines.slice(0, o.selectable), ...wrapTagged(o.lines.slice(o.selectable), innerW)];
    if (o.selectable > 0) {
      if (o.selected < o.scroll) o.scroll = o.selected;
      if (o.selected >= o.scroll + h) o.scroll = o.selected - h + 1;
    }
    o.scroll = Math.max(0, Math.min(o.scroll, Math.max(0, rows.length - h)));
    const more = rows.length > h ? ` ${o.scroll + 1}-${Math.min(rows.length, o.scroll + h)}/${rows.length}` : '';
    overlayBox.setLabel(` ${safe(o.title, Math.max(10, innerW - 24))}${more} (Esc back) `);
    overlayBox.setContent(
      rows
        .slice(o.scroll, o.scroll + h)
        .map((l, i) => (o.selectable > 0 && o.scroll + i === o.selected ? theme.inverse(l) : l))
        .join('\n'),
    );
    overlayBox.show();
    overlayBox.setFront();
  }

  function draw(): void {
    if (destroyed) return;
    drawHeader();
    for (const id of visiblePanels()) drawPanel(id);
    drawOverlay();
    drawFooter();
    screen.render();
  }

  const pushOverlay = (o: Omit<Overlay, 'scroll' | 'selected'> & Partial<Pick<Overlay, 'scroll' | 'selected'>>) => {
    state.overlays.push({ scroll: 0, selected: 0, ...o });
    draw();
  };
  const overlayApi = {
    push: pushOverlay,
    top: () => state.overlays[state.overlays.length - 1],
    redraw: draw,
    pop: () => {
      state.overlays.pop();
      draw();
    },
    theme,
    frame: () => frame,
    setMessage: (m: string) => {
      state.message = m;
      drawFooter();
      screen.render();
    },
  };
  type OverlayApi = typeof overlayApi;

  function enter(): void {
    if (!frame) return;
    const id = state.focus;
    const i = state.selected[id] ?? 0;
    if (id === 'findings') {
      const f = findingsPanel(frame, theme, 80).findings[i];
      if (f) pushOverlay({ title: `Finding: ${f.title}`, lines: findingDetail(f).map((l) => safe(l)), selectable: 0 });
    } else if (id === 'matrix') {
      pushOverlay({ title: 'USE cell', lines: matrixDetail(frame, i).map((l) => safe(l)), selectable: 0 });
    } else if (id === 'cgroups') {
      const c = cgroupRows[i];
      if (!c) return;
      state.query.cgroup = c.path;
      state.focus = 'processes';
      if (layout.mode === 'small') {
        state.tab = 2;
        applyLayout();
      }
      state.message = `processes in ${c.path} (Esc: all processes)${opts.guide ? '; i: investigate this cgroup' : ''}`;
      if (opts.guide) opts.guide.setTarget({ cgroup: c.path });
    } else if (id === 'processes') {
      const p = processRows[i];
      if (!p) return;
      const row = (frame.model.tables.processes?.rows.status === 'ok' ? frame.model.tables.processes.rows.value : []).find((r) => r.key === String(p.pid));
      const lines = [
        `PID ${p.pid}  PPID ${p.ppid ?? '-'}  state ${p.state}`,
        `command: ${p.cmdline}`,
        `cgroup: ${p.cgroup}`,
        ...Object.entries(row?.values ?? {})
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`),
      ];
      pushOverlay({ title: `Process ${p.pid} ${p.comm}`, lines: lines.map((l) => safe(l)), selectable: 0 });
      if (opts.guide) opts.guide.setTarget({ pid: p.pid });
    } else {
      const out = lastOutputs[id];
      if (out) pushOverlay({ title: TITLES[id], lines: [out.head ?? '', ...(out.lazy ? out.lazy.render(0, out.lazy.count) : out.lines)], selectable: 0 });
    }
  }

  function move(delta: number): void {
    const o = state.overlays[state.overlays.length - 1];
    if (o) {
      if (o.selectable > 0) o.selected = Math.max(0, Math.min(o.selectable - 1, o.selected + delta));
      else o.scroll = Math.max(0, o.scroll + delta);
      draw();
      return;
    }
    const out = lastOutputs[state.focus];
    const n = out?.selectable ?? 0;
    if (n === 0) {
      state.scroll[state.focus] = Math.max(0, (state.scroll[state.focus] ?? 0) + delta);
    } else state.selected[state.focus] = Math.max(0, Math.min(n - 1, (state.selected[state.focus] ?? 0) + delta));
    draw();
  }

  function cycle(dir: 1 | -1): void {
    const f = focusable();
    const idx = f.indexOf(state.focus);
    const next = idx + dir;
    if (layout.mode === 'small' && (next >= f.length || next < 0)) {
      state.tab = (state.tab + dir + layout.tabs.length) % layout.tabs.length;
      applyLayout();
      const nf = focusable();
      state.focus = (dir === 1 ? nf[0] : nf[nf.length - 1]) ?? state.focus;
    } else if (f.length > 0) state.focus = f[(next + f.length) % f.length]!;
    draw();
  }

  let quitting: ((code: number) => void) | undefined;
  function act(action: KeyAction, key: string): void {
    const page = Math.max(1, layout.bodyHeight - 4);
    if (state.help) {
      // The help scrolls with the moving keys (it is taller than a 80x24 screen); any other
      // key closes it, and q still quits.
      const scroll: Partial<Record<KeyAction, number>> = { down: 1, up: -1, 'page-down': page, 'page-up': -page, top: -1e9, bottom: 1e9 };
      if (scroll[action] !== undefined) {
        state.helpScroll += scroll[action];
        draw();
        return;
      }
      state.help = false;
      draw();
      if (action !== 'quit') return;
    }
    switch (action) {
      case 'quit':
        quitting?.(0);
        return;
      case 'help':
        state.help = true;
        state.helpScroll = 0;
        draw();
        return;
      case 'next-panel':
        return cycle(1);
      case 'prev-panel':
        return cycle(-1);
      case 'goto-tab':
        if (layout.mode === 'small') {
          state.tab = Number(key) - 1;
          applyLayout();
          state.focus = focusable()[0] ?? state.focus;
          draw();
        }
        return;
      case 'down':
        return move(1);
      case 'up':
        return move(-1);
      case 'page-down':
        return move(page);
      case 'page-up':
        return move(-page);
      case 'top':
        return move(-1e9);
      case 'bottom':
        return move(1e9);
      case 'enter': {
        const o = state.overlays[state.overlays.length - 1];
        if (o) {
          o.onEnter?.(o.selected);
          return;
        }
        enter();
        draw();
        return;
      }
      case 'back': {
        const o = state.overlays[state.overlays.length - 1];
        if (o) {
          if (o.onBack?.() === true) return;
          state.overlays.pop();
        } else if (state.query.filter || state.query.cgroup) {
          delete state.query.filter;
          delete state.query.cgroup;
          opts.guide?.setTarget(undefined);
        }
        state.message = '';
        draw();
        return;
      }
      case 'filter':
        state.filtering = state.query.filter ?? '';
        drawFooter();
        screen.render();
        return;
      case 'sort-cpu':
      case 'sort-mem':
      case 'sort-io':
      case 'sort-pid':
        state.query.sort = action === 'sort-cpu' ? 'cpu' : action === 'sort-mem' ? 'mem' : action === 'sort-io' ? 'io' : 'pid';
        draw();
        return;
      case 'tree':
        state.query.tree = !state.query.tree;
        draw();
        return;
      case 'all-cgroups':
        state.allCgroups = !state.allCgroups;
        draw();
        return;
      case 'pause':
        if (!opts.feed.live) return;
        state.paused = !state.paused;
        draw();
        return;
      case 'guide':
        if (!opts.guide) {
          state.message = 'guided investigation is not available here';
          draw();
          return;
        }
        opts.guide.open(overlayApi as OverlayApi);
        return;
      case 'snapshot':
        if (!opts.snapshot) {
          state.message = 'snapshots are written from a live host (this is a bundle already)';
          draw();
          return;
        }
        if (state.snapshotting) return;
        state.message = 'writing a snapshot… (the dashboard waits)';
        state.snapshotting = true;
        draw();
        void opts
          .snapshot(opts.guide?.path() ?? [])
          .then(
            (m) => overlayApi.setMessage(m),
            (err: unknown) => overlayApi.setMessage(`snapshot failed: ${err instanceof Error ? err.message : String(err)}`),
          )
          .finally(() => {
            state.snapshotting = false;
          });
        return;
    }
  }

  screen.on('keypress', (ch: string | undefined, key: { full?: string; name?: string; ctrl?: boolean }) => {
    if (state.filtering !== undefined) {
      if (key.name === 'enter' || key.name === 'return') {
        state.query.filter = state.filtering || undefined;
        if (!state.query.filter) delete state.query.filter;
        state.filtering = undefined;
        state.focus = layout.boxes.processes ? 'processes' : state.focus;
        if (layout.mode === 'small' && !layout.boxes.processes) {
          state.tab = 2;
          applyLayout();
          state.focus = 'processes';
        }
      } else if (key.name === 'escape') state.filtering = undefined;
      else if (key.name === 'backspace') state.filtering = state.filtering.slice(0, -1);
      else if (key.ctrl && key.name === 'c') return act('quit', 'C-c');
      else if (ch && ch.length === 1 && ch >= ' ' && state.filtering.length < 64) state.filtering += ch;
      draw();
      return;
    }
    const name = key.full ?? key.name ?? ch ?? '';
    // Two Escapes in a row arrive as one "M-escape" (ESC ESC): back out twice.
    if (name === 'M-escape') {
      act('back', 'escape');
      act('back', 'escape');
      return;
    }
    const action = actionFor(name) ?? (ch ? actionFor(ch) : undefined);
    if (state.message && action !== 'snapshot') state.message = '';
    if (action) act(action, ch ?? name);
    else if (state.help) act('help', name);
  });
  screen.on('resize', () => {
    applyLayout();
    draw();
  });

  applyLayout();
  draw();

  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    const started = performance.now();
    try {
      if ((!state.paused && !state.snapshotting) || !frame) {
        const f = await opts.feed.next();
        if (opts.feed.live) history.push(f.model);
        else if (!frame) history.push(f.model);
        frame = f;
        draw();
      }
    } catch (err) {
      state.message = `refresh failed: ${err instanceof Error ? err.message : String(err)}`;
      draw();
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
  opts.guide?.close();
  restore();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGHUP', onSignal);
  process.removeListener('uncaughtException', onCrash);
  process.removeListener('unhandledRejection', onCrash);
  void KEYMAP;
  return code;
}

export type { Overlay };
