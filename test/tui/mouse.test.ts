import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/tui/frame.js';
import { computeLayout, SMALL_TABS } from '../../src/tui/layout.js';
import { headerText, panelText, tabBarText } from '../../src/tui/screen.js';
import { initialState, reduce, WHEEL_ROWS, type Action, type TuiState } from '../../src/tui/state.js';
import { makeTheme } from '../../src/tui/theme.js';
import { NO_TONES } from '../../src/tui/tones.js';
import { evaluation, finding, frame, model, row } from './model-builders.js';

// The mouse in the state machine: where a click lands (from the same layout and scroll the
// screen draws with) and what the wheel moves.
const LARGE = { cols: 200, rows: 60 };
const SMALL = { cols: 80, rows: 24 };
const theme = makeTheme({ color: false, unicode: true });

const pids = Array.from({ length: 80 }, (_, i) => 100 + i);
const procFrame: Frame = frame(
  model({ processes: pids.map((p, i) => row(String(p), { cpu_pct: 90 - i, ppid: 1 }, { comm: `p${p}`, cmdline: `/bin/p${p}`, cgroup: '/', state: 'S' })), cgroups: [row('/', { procs: 40 })] }),
  evaluation([]),
);

const click = (x: number, y: number): Action => ({ type: 'mouse', event: 'click', x, y });
const wheel = (dir: 'up' | 'down', x: number, y: number): Action => ({ type: 'mouse', event: dir === 'up' ? 'wheel-up' : 'wheel-down', x, y });
function start(size: { cols: number; rows: number }): TuiState {
  return reduce(initialState({ live: true, tones: NO_TONES }, size), { type: 'frame' }, procFrame);
}
/** The screen line of a panel that shows the text, as panelText draws it (row 0 is the box's top border). */
function lineOf(s: TuiState, text: RegExp): number {
  const t = panelText(s, 'processes', procFrame, { tones: NO_TONES }, theme)!;
  const i = t.content.split('\n').findIndex((l) => text.test(l));
  expect(i).toBeGreaterThanOrEqual(0);
  return i + 1;
}

describe('the mouse', () => {
  it('a click on a process row focuses Processes and selects the row drawn there', () => {
    let s = start(LARGE);
    expect(s.focus).toBe('findings');
    const box = computeLayout(200, 60).boxes.processes!;
    const y = box.top + lineOf(s, /^ +107 /);
    s = reduce(s, click(box.left + 5, y), procFrame);
    expect(s.focus).toBe('processes');
    expect(s.cursor.processes).toEqual({ index: 7, id: '107' });
    // the row is drawn selected (inverse) where it was clicked
    const drawn = panelText(s, 'processes', procFrame, { tones: NO_TONES }, theme)!.content.split('\n')[y - box.top - 1]!;
    expect(drawn).toMatch(/^\{inverse\} +107 /);
  });

  it('a click on a finding selects it (the cursor then follows that finding, not the row number)', () => {
    const fd = (pid: number) => finding({ resource: 'fds', kind: 'utilization', severity: 'warning', check: 'process-fd-limit', scope: `process:${pid}`, title: `Process ${pid} uses its fds` });
    const f: Frame = { ...procFrame, evaluation: evaluation([fd(100), fd(101), fd(102)]) };
    let s = reduce(initialState({ live: true, tones: NO_TONES }, LARGE), { type: 'frame' }, f);
    const box = computeLayout(200, 60).boxes.findings!;
    const t = panelText(s, 'findings', f, { tones: NO_TONES }, theme)!.content.split('\n');
    const y = box.top + 1 + t.findIndex((l) => l.includes('Process 102'));
    s = reduce(s, click(box.left + 8, y), f);
    expect(s.focus).toBe('findings');
    expect(s.cursor.findings?.id).toBe('process-fd-limit@process:102');
    // a new frame without the first finding: the cursor stays on 102
    const g: Frame = { ...procFrame, evaluation: evaluation([fd(101), fd(102)]) };
    expect(reduce(s, { type: 'frame' }, g).cursor.findings?.id).toBe('process-fd-limit@process:102');
  });

  it('the wheel moves the selection of the panel under the pointer, and the click after it lands on the row drawn there', () => {
    let s = start(LARGE);
    const box = computeLayout(200, 60).boxes.processes!;
    for (let i = 0; i < 12; i++) s = reduce(s, wheel('down', box.left + 3, box.top + 3), procFrame);
    expect(s.focus).toBe('processes');
    expect(s.cursor.processes?.index).toBe(12 * WHEEL_ROWS);
    // scrolled: the first row on screen is no longer the first process
    expect(s.scroll.processes).toBeGreaterThan(0);
    const y = box.top + lineOf(s, /^ +120 /);
    s = reduce(s, click(box.left + 10, y), procFrame);
    expect(s.cursor.processes).toEqual({ index: 20, id: '120' });
    s = reduce(s, wheel('up', box.left + 3, box.top + 3), procFrame);
    expect(s.cursor.processes?.index).toBe(20 - WHEEL_ROWS);
  });

  it('a click on a column title sorts by it, a second click reverses it', () => {
    let s = start(LARGE);
    const box = computeLayout(200, 60).boxes.processes!;
    const head = panelText(s, 'processes', procFrame, { tones: NO_TONES }, theme)!.content.split('\n')[0]!.replace(/\{[^}]*\}/g, '');
    const x = box.left + 1 + head.indexOf('PID');
    s = reduce(s, click(x, box.top + 1), procFrame);
    expect(s.sort.processes).toEqual({ column: 'pid', reverse: false });
    s = reduce(s, click(x, box.top + 1), procFrame);
    expect(s.sort.processes).toEqual({ column: 'pid', reverse: true });
    s = reduce(s, click(box.left + 1 + head.indexOf('RSS'), box.top + 1), procFrame);
    expect(s.sort.processes).toEqual({ column: 'mem', reverse: false });
  });

  it('on the small layout a click on the tab bar goes to that tab; a click below the rows selects nothing', () => {
    let s = start(SMALL);
    const bar = tabBarText(s, computeLayout(80, 24), theme)!.replace(/\{[^}]*\}/g, '');
    s = reduce(s, click(bar.indexOf(SMALL_TABS[2]!.name), 1), procFrame);
    expect(s.tab).toBe(2);
    expect(s.focus).toBe('processes');
    const before = s.cursor.processes;
    const box = computeLayout(80, 24, 2).boxes.processes!;
    s = reduce(s, click(3, box.top + box.height - 1), procFrame); // the bottom border
    expect(s.cursor.processes).toEqual(before);
  });

  it('does nothing while a footer prompt is up; a click closes the help, the wheel scrolls it', () => {
    let s = start(LARGE);
    const box = computeLayout(200, 60).boxes.processes!;
    s = reduce(s, { type: 'filter' }, procFrame);
    const typing = reduce(s, click(box.left + 3, box.top + 4), procFrame);
    expect(typing.focus).toBe(s.focus);
    expect(typing.cursor).toEqual(s.cursor);
    s = reduce(start(SMALL), { type: 'help' }, procFrame);
    expect(reduce(s, wheel('down', 5, 5), procFrame).help).toBeGreaterThan(0);
    expect(reduce(s, click(5, 5), procFrame).help).toBeUndefined();
  });
});

describe('the header', () => {
  it('keeps PAUSED and the time on screen at 120 columns: the kernel, then the uptime and CPUs give way first', () => {
    const long: Frame = { ...procFrame, host: { hostname: 'a-long-host-name.example.internal', kernel: '6.18.44-fc-v1252-with-a-long-local-version', uptimeSeconds: 3700 } };
    const strip = (t: string) => t.replace(/\{[^}]*\}/g, '');
    for (const cols of [120, 140, 200]) {
      const s = { ...reduce(start({ cols, rows: 40 }), { type: 'pause' }, long) };
      const text = strip(headerText(s, long, theme));
      expect(text, `${cols}`).toContain('PAUSED');
      expect(text, `${cols}`).toMatch(/2026-11-22 04:00:01/);
      expect([...text].length, `${cols}: ${text}`).toBeLessThanOrEqual(cols);
    }
    // room for everything: nothing dropped
    const wide = strip(headerText(reduce(start({ cols: 200, rows: 60 }), { type: 'pause' }, procFrame), procFrame, theme));
    expect(wide).toMatch(/^ diag h +6\.1 +up 1h 1m +load .* +(\d+|-) CPUs +\S+ +PAUSED +2026-11-22 04:00:01/);
  });
});

describe('a cursor never moved', () => {
  it('stays on the top row when a refresh re-orders the rows (the busiest processes stay in view); once moved it follows its row', () => {
    const f1: Frame = frame(model({ processes: [row('1', { cpu_pct: 9 }, { comm: 'a', cmdline: 'a', state: 'S' }), row('2', { cpu_pct: 5 }, { comm: 'b', cmdline: 'b', state: 'S' })] }), evaluation([]));
    const f2: Frame = frame(model({ processes: [row('1', { cpu_pct: 1 }, { comm: 'a', cmdline: 'a', state: 'S' }), row('2', { cpu_pct: 5 }, { comm: 'b', cmdline: 'b', state: 'S' })] }), evaluation([]));
    let s = reduce(initialState({ live: true, tones: NO_TONES }, LARGE), { type: 'frame' }, f1);
    expect(s.cursor.processes?.id).toBe('1');
    s = reduce(s, { type: 'frame' }, f2);
    expect(s.cursor.processes).toEqual({ index: 0, id: '2' });
    // moved by the user (down, then up): it follows process 2 where it goes
    s = reduce(reduce(reduce(reduce(s, { type: 'next-panel' }, f2), { type: 'next-panel' }, f2), { type: 'down' }, f2), { type: 'up' }, f2);
    expect(s.focus).toBe('processes');
    expect(s.cursor.processes).toEqual({ index: 0, id: '2' });
    s = reduce(s, { type: 'frame' }, f1);
    expect(s.cursor.processes).toEqual({ index: 1, id: '2' });
  });
});
