import type { Frame, FramePosition } from './frame.js';
import type { Layout, PanelId } from './layout.js';
import { helpRows, keepInView, overlayInner, textLayout } from './overlay.js';
import { panelOf, panelRows, tableOf } from './panels/index.js';
import { renderTable, sortColumn, type TableLines } from './panels/table.js';
import type { AnyTablePanel, PanelEnv } from './panels/types.js';
import { envOf, layoutOf, SIGNALS, viewOf, type TuiState } from './state.js';
import { fit, safe, textWidth } from './text.js';
import type { Theme } from './theme.js';
import type { CpuHistory } from './view-models/cpu.js';
import type { TimelineView } from './history-feed.js';
import { fmtWhen, headerVM, type HeaderVM } from './view-models/header.js';
import { agoLabel } from './time-travel.js';

/**
 * What each box of the screen says, as tagged text: the header, the tab bar, the footer, the
 * panels and the overlay, from the state and the frame. Pure; app.ts puts it into blessed boxes.
 */

export interface BoxText {
  readonly label: string;
  readonly content: string;
}

export function headerText(s: TuiState, frame: Frame | undefined, theme: Theme): string {
  if (!frame) return s.config.timeline ? ` diag - reading the recording…` : ` diag - measuring the first window…`;
  const h = headerVM(frame);
  if (frame.position) return timelineHeader(s, frame, frame.position, h, theme);
  const status = theme.tone(h.statusTone, h.status.toUpperCase());
  const counts = h.counts.critical + h.counts.warning > 0 ? ` (${h.counts.critical} crit, ${h.counts.warning} warn)` : '';
  const wide = s.size.cols >= 120;
  // in order of what gives way first when the line is too long: the PAUSED mark never does
  const parts: Array<[string, number]> = [
    [` ${theme.bold('diag')} ${safe(h.hostname, wide ? 30 : 16)}`, 0],
    [wide ? safe(h.kernel, 30) : '', 3],
    [`up ${h.uptime}`, 2],
    [`load ${h.load}`, 0],
    [wide ? `${h.cpus} CPUs` : '', 2],
    [`${status}${counts}`, 0],
    [s.paused ? theme.tone('warning', 'PAUSED') : '', 0],
    [wide ? safe(h.when) : '', 1],
    [wide && h.changes ? safe(h.changes, 48) : '', 4],
  ];
  const visible = (t: string) => textWidth(t.replace(/\{(open|close)\}/g, '_').replace(/\{[^}]*\}/g, ''));
  let shown = parts.filter(([t]) => t);
  for (let drop = 4; drop > 0; drop--) {
    if (visible(shown.map(([t]) => t).join('  ')) <= s.size.cols) break;
    shown = shown.filter(([, p]) => p !== drop);
  }
  return shown.map(([t]) => t).join('  ');
}

/**
 * A recording's header: where in it the window shown is comes right after the host, so it is
 * never cut: its end time (UTC), the window's number of all, and how long before the end.
 */
function timelineHeader(s: TuiState, frame: Frame, p: FramePosition, h: HeaderVM, theme: Theme): string {
  const status = theme.tone(h.statusTone, h.status.toUpperCase());
  const counts = h.counts.critical + h.counts.warning > 0 ? ` (${h.counts.critical} crit, ${h.counts.warning} warn)` : '';
  const wide = s.size.cols >= 120;
  const before = Date.parse(p.endedAt) - Date.parse(frame.at);
  const parts = [
    ` ${theme.bold('diag')} ${safe(h.hostname, wide ? 30 : 12)}`,
    theme.inverse(` ${fmtWhen(frame.at)} `),
    `${p.window}/${p.windows}`,
    before > 0 ? `-${agoLabel(before)}` : 'end',
    `${status}${s.size.cols >= 100 ? counts : ''}`,
    wide ? `load ${h.load}` : '',
    wide ? safe(h.kernel, 30) : '',
  ];
  return parts.filter(Boolean).join('  ');
}

/** The tab bar of the small layout (undefined on a large screen: no tabs). */
export function tabBarText(s: TuiState, layout: Layout, theme: Theme): string | undefined {
  if (layout.mode !== 'small') return undefined;
  return layout.tabs.map((t, i) => (i === s.tab ? theme.inverse(` ${i + 1} ${t.name} `) : ` ${i + 1} ${t.name} `)).join('');
}

export function footerText(s: TuiState, theme: Theme): string {
  if (s.filtering !== undefined) return ` filter processes: ${safe(s.filtering)}_   (Enter apply, Esc cancel)`;
  if (s.signal !== undefined) {
    const t = `PID ${s.signal.target.pid} (${safe(s.signal.target.comm, 32)})`;
    if (s.signal.step === 'choose') return ` signal for ${t}: ${SIGNALS.map((n) => `${n[0]}=${n}`).join(' ')}   (Enter TERM, Esc cancel)`;
    return ` ${theme.tone('critical', `send SIG${s.signal.signal} to ${t}?`)} y/N`;
  }
  if (s.searching !== undefined) {
    const miss = s.searching.miss ? theme.tone('critical', ' no process matches') : '';
    return ` search processes: ${safe(s.searching.text)}_${miss}   (F3 next, Enter/Esc done)`;
  }
  if (s.config.timeline && !s.message) {
    const hints = [' F1 help  [ ] step  { } minute  n/N next/previous finding  Home/End  Tab panel  Enter drill  e evidence  F10 quit', ' F1 help  [ ] step  { } minute  n/N finding  Home/End  Tab panel  F10 quit', ' ? help  [ ] step  { } min  n/N finding  q quit'];
    return theme.tone('dim', fit(hints.find((h) => h.length <= s.size.cols) ?? hints[2]!, Math.max(1, s.size.cols)).trimEnd());
  }
  const wide = ' F1 help  F3 search  F4 filter  F5 tree  F6 sort  F10 quit  Tab panel  Enter drill  i investigate  s snapshot  p pause';
  const mid = ' F1 help  F3 search  F4 filter  F5 tree  F10 quit  Tab panel  Enter drill  i investigate';
  // 80 columns: htop's keys and the refresh interval still fit (the tab bar numbers the tabs 1-5)
  const narrow = ' F1 help  F4 filter  F10 quit  Tab panel  Enter drill  i investigate';
  const narrowest = ' F1 help  F4 filter  F10 quit  Tab panel  Enter drill';
  const cols = s.size.cols;
  // a live host's refresh interval at the right, as htop and top say theirs
  const rate = s.config.live && s.config.refreshMs !== undefined ? `  every ${refreshLabel(s.config.refreshMs)} ` : '';
  const room = cols - rate.length;
  const hint = fit([wide, mid, narrow, narrowest].find((h) => h.length <= room) ?? narrowest, Math.max(1, room)).trimEnd();
  if (s.message) return ` ${safe(s.message, Math.max(1, cols - 1))}`;
  return theme.tone('dim', rate && room > 20 ? hint.padEnd(room) + rate.trimEnd() : hint);
}

/** A refresh interval as the footer shows it: 1s, 2.5s, 500ms, 2m. */
export function refreshLabel(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  const sec = ms / 1000;
  return `${Number.isInteger(sec) ? sec : sec.toFixed(1)}s`;
}

/** Everything a panel draws from: the state's env plus the CPU history the app keeps. */
export function screenEnv(s: TuiState, history: CpuHistory | undefined, timeline?: TimelineView): PanelEnv {
  const env = history ? { ...envOf(s), history } : envOf(s);
  return timeline ? { ...env, timeline } : env;
}

function tableLines(s: TuiState, panel: AnyTablePanel, frame: Frame, env: PanelEnv, theme: Theme, width: number): TableLines {
  const view = viewOf(s, panel.id);
  return renderTable(panel, panelRows(panel, frame, view, env), { frame, view, env, theme, width });
}

/** The label of a panel: focus mark, title, sort order and what its view adds, rows shown. */
function panelLabel(s: TuiState, id: PanelId, focused: boolean, more: string, theme: Theme): string {
  const p = panelOf(id);
  let extra = '';
  if (p.kind === 'table') {
    const order = s.sort[id];
    const col = sortColumn(p, order);
    extra = `${col ? ` sort:${col.id}${order?.reverse ? ' rev' : ''}` : ''}${p.describe?.(viewOf(s, id)) ?? ''}`;
  }
  return `${focused ? (theme.unicode ? '▶' : '>') : ''} ${p.title}${extra}${more} `;
}

/** A panel's box: its label and the lines it shows (the selected row in inverse when it has the focus). */
export function panelText(s: TuiState, id: PanelId, frame: Frame | undefined, env: PanelEnv, theme: Theme): BoxText | undefined {
  const layout = layoutOf(s);
  const box = layout.boxes[id];
  if (!box || !frame) return undefined;
  const inner = { w: box.width - 2, h: box.height - 2 };
  const focused = s.focus === id && s.overlays.length === 0;
  const p = panelOf(id);
  if (p.kind === 'text') {
    const lines = p.lines(frame, env, theme, inner.w);
    return { label: panelLabel(s, id, focused, '', theme), content: lines.slice(0, inner.h).join('\n') };
  }
  const t = tableLines(s, p, frame, env, theme, inner.w);
  const bodyH = Math.max(1, inner.h - (t.head !== undefined ? 1 : 0));
  const sel = t.selectable > 0 ? Math.min(s.cursor[id]?.index ?? 0, t.selectable - 1) : -1;
  const scroll = keepInView(s.scroll[id] ?? 0, sel, t.count, bodyH);
  const lines = t.render(scroll, scroll + bodyH).map((l, i) => (focused && scroll + i === sel ? theme.inverse(l) : l));
  const more = t.count > bodyH ? ` ${scroll + 1}-${Math.min(t.count, scroll + bodyH)}/${t.count}` : '';
  return { label: panelLabel(s, id, focused, more, theme), content: [...(t.head !== undefined ? [theme.tone('accent', t.head)] : []), ...lines].join('\n') };
}

/** The overlay over the panels: the help, or the top overlay; undefined when none is open. */
export function overlayText(s: TuiState, frame: Frame | undefined, env: PanelEnv, theme: Theme): BoxText | undefined {
  const inner = overlayInner(s.size.cols, layoutOf(s));
  if (s.help !== undefined) {
    const rows = helpRows(inner.width, s.config.timeline === true);
    const scroll = keepInView(s.help, -1, rows.length, inner.height);
    const more = rows.length > inner.height ? ` ${scroll + 1}-${Math.min(rows.length, scroll + inner.height)}/${rows.length}, j/k scroll,` : '';
    return { label: ` Keys (${more} any other key closes) `.replace('(,', '(').replace('( ', '('), content: rows.slice(scroll, scroll + inner.height).join('\n') };
  }
  const top = s.overlays[s.overlays.length - 1];
  if (!top) return undefined;
  const c = top.content;
  let rows: string[];
  let span: readonly [number, number] | undefined;
  if (c.kind === 'panel') {
    const p = tableOf(c.panel);
    const t = p && frame ? tableLines(s, p, frame, env, theme, inner.width) : undefined;
    rows = t ? [t.head ?? '', ...t.render(0, t.count)] : [];
  } else {
    const t = textLayout(c, inner.width);
    rows = t.rows;
    span = c.selectable > 0 ? t.spans[top.selected] : undefined;
  }
  // the state keeps the selection in view as it moves; past the last selectable row the text scrolls on
  const scroll = keepInView(top.scroll, -1, rows.length, inner.height);
  const more = rows.length > inner.height ? ` ${scroll + 1}-${Math.min(rows.length, scroll + inner.height)}/${rows.length}` : '';
  const hintText = c.kind !== 'panel' ? (c.enter?.hint ?? c.hint) : undefined;
  const hint = hintText ? `${hintText}, ` : '';
  return {
    label: ` ${safe(c.title, Math.max(10, inner.width - 24 - hint.length))}${more} (${safe(hint)}Esc back) `,
    content: rows
      .slice(scroll, scroll + inner.height)
      .map((l, i) => (span && scroll + i >= span[0] && scroll + i < span[1] ? theme.inverse(l) : l))
      .join('\n'),
  };
}
