import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/report-schema.js';
import type { Frame } from '../../src/tui/frame.js';
import { keyActions } from '../../src/tui/input.js';
import { helpLines } from '../../src/tui/keys.js';
import { footerText } from '../../src/tui/screen.js';
import { themeFromEnv } from '../../src/tui/theme.js';
import { startTimeOf } from '../../src/tui/signals.js';
import { SMALL_TABS } from '../../src/tui/layout.js';
import type { TextOverlay } from '../../src/tui/overlay.js';
import { initialState, layoutOf, reduce, type Action, type TuiState } from '../../src/tui/state.js';
import { evaluation, finding, frame, model, row } from './model-builders.js';

const SMALL = { cols: 80, rows: 24 };
const LARGE = { cols: 200, rows: 60 };

const live = (size = LARGE, extra: Partial<Parameters<typeof initialState>[0]> = {}) => initialState({ live: true, guide: true, snapshot: true, ...extra }, size);

/** Reduce a sequence of actions (key names go through the keymap, as typed). */
function run(s: TuiState, f: Frame | undefined, ...steps: (Action | string)[]): TuiState {
  let out = s;
  for (const step of steps) {
    const actions = typeof step === 'string' ? keyActions(out, step.length === 1 ? step : undefined, { full: step, name: step }) : [step];
    for (const a of actions) out = reduce(out, a, f);
  }
  return out;
}

const fd = (pid: number, severity: Finding['severity']) => finding({ resource: 'fds', kind: 'utilization', severity, check: 'process-fd-limit', scope: `process:${pid}`, title: `Process ${pid} uses its fds` });
const processes = (...pids: number[]) => pids.map((p, i) => row(String(p), { cpu_pct: 50 - i, ppid: 1 }, { comm: `p${p}`, cmdline: `/bin/p${p}`, cgroup: p === 30 ? '/app' : '/', state: 'S' }));
const procFrame = (findings: Finding[], ...pids: number[]) => frame(model({ processes: processes(...pids), cgroups: [row('/', { procs: 2 }), row('/app', { procs: 1 }, { name: 'app' })] }), evaluation(findings));
const selectedFinding = (s: TuiState, f: Frame) => {
  const i = s.cursor.findings?.index ?? 0;
  return [...f.evaluation.findings].sort((a, b) => (a.severity === b.severity ? a.scope.localeCompare(b.scope) : a.severity === 'critical' ? -1 : 1))[i]?.id;
};

describe('the TUI state machine', () => {
  it('the findings cursor stays on the same finding when a new frame re-orders the findings', () => {
    const f1 = procFrame([fd(10, 'warning'), fd(20, 'warning'), fd(30, 'warning')], 10, 20, 30);
    let s = run(live(), f1, { type: 'frame' });
    expect(s.focus).toBe('findings');
    s = run(s, f1, 'j');
    expect(s.cursor.findings).toEqual({ index: 1, id: 'process-fd-limit@process:20' });
    // the next frame: a new critical finding comes first and 10 is gone: the cursor follows 20
    const f2 = procFrame([fd(5, 'critical'), fd(20, 'warning'), fd(30, 'critical')], 5, 20, 30);
    s = reduce(s, { type: 'frame' }, f2);
    expect(s.cursor.findings).toEqual({ index: 2, id: 'process-fd-limit@process:20' });
    expect(selectedFinding(s, f2)).toBe('process-fd-limit@process:20');
    // the finding goes away: the cursor stays at its place (the last row now), on the finding there
    const f3 = procFrame([fd(5, 'critical'), fd(30, 'critical')], 5, 30);
    s = reduce(s, { type: 'frame' }, f3);
    expect(s.cursor.findings).toEqual({ index: 1, id: 'process-fd-limit@process:5' });
  });

  it('the processes cursor stays on its process when a refresh or a new sort column re-orders them', () => {
    const f1 = procFrame([], 10, 20, 30);
    let s = run(live(), f1, { type: 'frame' }, 'tab', 'tab', 'j');
    expect(s.focus).toBe('processes');
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    // sort by PID, then reversed (I): the cursor is on 20 throughout
    s = run(s, f1, 'n');
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    s = run(s, f1, 'S-i');
    expect(s.sort.processes).toEqual({ column: 'pid', reverse: true });
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    // > and < move over the processes panel's columns
    s = run(s, f1, '>');
    expect(s.sort.processes).toEqual({ column: 'user', reverse: false });
    s = run(s, f1, '<', '<');
    expect(s.sort.processes).toEqual({ column: 'command', reverse: false });
    s = run(s, f1, 'f6');
    expect(s.sort.processes).toEqual({ column: 'pid', reverse: false });
  });

  it('a panel in its own order cycles through its columns and back to it', () => {
    const f = procFrame([], 10);
    let s = run(live(), f, { type: 'frame' }, 'tab', 'tab', 'tab', 'tab');
    expect(s.focus).toBe('disks');
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 9; i++) {
      s = run(s, f, '>');
      seen.push(s.sort.disks?.column);
    }
    expect(seen).toEqual(['device', 'rps', 'wps', 'rkB', 'wkB', 'await', 'aqu', 'util', undefined]);
    // the matrix has no sortable column: it says so
    s = run(live(), f, { type: 'frame' }, 'tab', '>');
    expect(s.focus).toBe('matrix');
    expect(s.message).toBe('USE matrix: no column to sort by');
  });

  it('Esc backs out one overlay at a time, then the process filter', () => {
    const f = procFrame([fd(10, 'critical')], 10, 30);
    let s = run(live(), f, { type: 'frame' }, 'e');
    expect(s.overlays.map((o) => o.content.kind !== 'panel' && o.content.title)).toEqual(['Finding: Process 10 uses its fds']);
    const step: TextOverlay = { title: 'step', lines: ['a', 'b'], selectable: 2, onEnter: () => undefined, onBack: () => undefined };
    s = run(s, f, { type: 'overlay-open', content: step });
    expect(s.overlays).toHaveLength(2);
    s = run(s, f, 'escape');
    expect(s.overlays).toHaveLength(1);
    // the owner of the closed overlay is told (a running probe stops)
    expect(s.effects).toEqual([{ type: 'overlay-back', content: step }]);
    s = run(s, f, 'escape');
    expect(s.overlays).toHaveLength(0);
    s = run(s, f, '/', 'p', '3', 'enter');
    expect(s.filter).toBe('p3');
    s = run(s, f, 'escape');
    expect(s.filter).toBeUndefined();
    expect(s.effects).toEqual([{ type: 'guide-target', target: undefined }]);
  });

  it('two quick Escapes (one ESC ESC sequence) back out of two overlays', () => {
    const f = procFrame([], 10);
    const o = (title: string): Action => ({ type: 'overlay-open', content: { title, lines: [], selectable: 0 } });
    let s = run(live(), f, { type: 'frame' }, o('one'), o('two'), o('three'));
    expect(keyActions(s, undefined, { full: 'M-escape', name: 'escape' })).toEqual([{ type: 'back' }, { type: 'back' }]);
    s = run(s, f, 'M-escape');
    expect(s.overlays.map((x) => x.content.kind !== 'panel' && x.content.title)).toEqual(['one']);
  });

  it('pause toggles on a live host and does nothing on a bundle; any key but s clears the message', () => {
    let s = run(live(), undefined, 'p');
    expect(s.paused).toBe(true);
    s = run(s, undefined, 'space');
    expect(s.paused).toBe(false);
    const bundle = initialState({ live: false }, LARGE);
    expect(run(bundle, undefined, 'p').paused).toBe(false);
    s = run(bundle, undefined, 's');
    expect(s.message).toBe('snapshots are written from a live host (this is a bundle already)');
    expect(run(s, undefined, 'x').message).toBe('');
    expect(run(s, undefined, 'i').message).toBe('guided investigation is not available here');
  });

  it('a snapshot is asked for once while it is written', () => {
    let s = run(live(), undefined, 's');
    expect(s.effects).toEqual([{ type: 'snapshot' }]);
    expect(s.snapshotting).toBe(true);
    s = run(s, undefined, 's');
    expect(s.effects).toEqual([]);
    s = reduce(s, { type: 'snapshot-done', message: 'snapshot written: x' }, undefined);
    expect(s).toMatchObject({ snapshotting: false, message: 'snapshot written: x' });
  });

  it('Tab walks the panels of each tab of the small layout, then the next tab; 1-5 go to a tab', () => {
    const f = procFrame([fd(10, 'warning')], 10);
    let s = run(live(SMALL), f, { type: 'frame' });
    expect(layoutOf(s).mode).toBe('small');
    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      seen.push(`${SMALL_TABS[s.tab]!.name}: ${s.focus}`);
      s = run(s, f, 'tab');
    }
    expect(seen).toEqual(['Overview: findings', 'Overview: matrix', 'Findings: findings', 'Processes: processes', 'Disks+Net: disks', 'Disks+Net: network', 'Cgroups: cgroups']);
    expect(`${SMALL_TABS[s.tab]!.name}: ${s.focus}`).toBe('Overview: findings');
    s = run(s, f, 'S-tab');
    expect(`${SMALL_TABS[s.tab]!.name}: ${s.focus}`).toBe('Cgroups: cgroups');
    s = run(s, f, '4');
    expect(`${SMALL_TABS[s.tab]!.name}: ${s.focus}`).toBe('Disks+Net: disks');
  });

  it('Enter on a cgroup shows its processes (on their tab), aims the guide at it; Esc shows all again', () => {
    const f = procFrame([], 10, 30);
    let s = run(live(SMALL), f, { type: 'frame' }, '5', 'j');
    expect(s.cursor.cgroups).toEqual({ index: 1, id: '/app' });
    s = run(s, f, 'enter');
    expect(s).toMatchObject({ cgroup: '/app', focus: 'processes', tab: 2, message: 'processes in /app (Esc: all processes); i: investigate this cgroup' });
    expect(s.effects).toEqual([{ type: 'guide-target', target: { cgroup: '/app' } }]);
    s = run(s, f, 'escape');
    expect(s.cgroup).toBeUndefined();
  });

  it('Enter on a finding without culprits goes to the row of its scope: the process, even past a filter that hid it', () => {
    const f = procFrame([fd(30, 'critical')], 10, 20, 30);
    let s = run(live(SMALL), f, { type: 'frame' }, '/', 'p', '1', '0', 'enter', '2');
    expect(s.filter).toBe('p10');
    s = run(s, f, 'enter');
    expect(s.overlays).toEqual([]);
    expect(s).toMatchObject({ focus: 'processes', tab: 2, cursor: { processes: { index: 2, id: '30' } }, message: 'Processes 30: where "Process 30 uses its fds" was measured (e on a finding: its evidence)' });
    expect(s.filter).toBeUndefined();
  });

  it('e on a finding without culprits shows its evidence; Enter there goes to the row of its scope', () => {
    const f = procFrame([fd(30, 'critical')], 10, 20, 30);
    let s = run(live(SMALL), f, { type: 'frame' }, '2', 'e');
    const o = s.overlays[0]!.content as TextOverlay;
    expect(o.enter).toEqual({ action: { type: 'jump', panel: 'processes', id: '30' }, hint: 'Enter: Processes 30' });
    expect(o.selectable).toBe(0);
    s = run(s, f, 'enter');
    expect(s.overlays).toEqual([]);
    expect(s).toMatchObject({ focus: 'processes', tab: 2, cursor: { processes: { index: 2, id: '30' } } });
    // e elsewhere says where it works
    expect(run(s, f, 'e').message).toBe('e shows the evidence of the finding selected in Findings');
  });

  it('an overlay\'s rows can carry actions (culprits): Enter on one jumps to its row', () => {
    const f = procFrame([], 10, 20, 30);
    const culprits: TextOverlay = {
      title: 'Finding: x',
      lines: ['process 20', 'process 30', 'detail'],
      selectable: 2,
      actions: [
        { type: 'jump', panel: 'processes', id: '20' },
        { type: 'jump', panel: 'processes', id: '30' },
      ],
    };
    let s = run(live(), f, { type: 'frame' }, { type: 'overlay-open', content: culprits }, 'j', 'j');
    expect(s.overlays[0]!.selected).toBe(1);
    s = run(s, f, 'enter');
    expect(s).toMatchObject({ focus: 'processes', overlays: [], cursor: { processes: { index: 2, id: '30' } } });
    // a row that is gone says so instead
    s = run(s, f, { type: 'jump', panel: 'processes', id: '99' });
    expect(s.message).toBe('Processes: 99 is not shown any more');
  });

  it('Enter in an overlay opened by the guide is the guide\'s to handle', () => {
    const f = procFrame([], 10);
    const steps: TextOverlay = { title: 'steps', lines: ['a', 'b', 'c'], selectable: 3, onEnter: () => undefined };
    const s = run(live(), f, { type: 'frame' }, { type: 'overlay-open', content: steps }, 'j', 'enter');
    expect(s.effects).toEqual([{ type: 'overlay-enter', content: steps, index: 1 }]);
  });

  it('the help scrolls with the moving keys; any other key closes it, q closes it and quits', () => {
    let s = run(live(SMALL), undefined, '?');
    expect(s.help).toBe(0);
    s = run(s, undefined, 'j', 'j');
    expect(s.help).toBe(2);
    s = run(s, undefined, 'end');
    const last = s.help!;
    expect(last).toBeGreaterThan(2);
    expect(run(s, undefined, 'j').help).toBe(last);
    expect(run(s, undefined, 'x').help).toBeUndefined();
    const q = run(s, undefined, 'q');
    expect(q.help).toBeUndefined();
    expect(q.effects).toEqual([{ type: 'quit' }]);
  });

  it('a filter is typed in the footer: characters, backspace, Enter applies it and shows the processes', () => {
    const f = procFrame([], 10, 20);
    let s = run(live(SMALL), f, { type: 'frame' }, '/', 'p', '2', 'x');
    expect(s.filtering).toBe('p2x');
    s = run(s, f, 'backspace');
    expect(s.filtering).toBe('p2');
    // keys bound to actions are text while typing
    s = run(s, f, 'q');
    expect(s.effects).toEqual([]);
    s = run(s, f, 'backspace', 'enter');
    expect(s).toMatchObject({ filter: 'p2', focus: 'processes', tab: 2 });
    expect(s.filtering).toBeUndefined();
    s = run(s, f, '/', 'escape');
    expect(s.filter).toBe('p2');
    expect(s.filtering).toBeUndefined();
  });

  it('moving keys move the cursor within the rows; a resize keeps the focus on a panel on screen', () => {
    const f = procFrame([], ...Array.from({ length: 50 }, (_, i) => 100 + i));
    let s = run(live(SMALL), f, { type: 'frame' }, '3', 'end');
    expect(s.cursor.processes).toEqual({ index: 49, id: '149' });
    // the rows shown keep the cursor in view: 18 rows under the header at 80x24
    expect(s.scroll.processes).toBe(32);
    s = run(s, f, 'home', 'pagedown');
    expect(s.cursor.processes!.index).toBe(layoutOf(s).bodyHeight - 4);
    s = reduce(s, { type: 'resize', cols: 200, rows: 60 }, f);
    expect(layoutOf(s).mode).toBe('large');
    expect(s.focus).toBe('processes');
  });

  it('htop\'s F-keys: F3 searches (typing jumps to the next match, F3 to the one after, wrapping), F4 filters, F5 tree, F10 quits', () => {
    const f = frame(model({ processes: [10, 20, 30, 40].map((p, i) => row(String(p), { cpu_pct: 50 - i, ppid: 1 }, { comm: p % 20 === 0 ? `nginx${p}` : `bash${p}`, cmdline: '', cgroup: '/', state: 'S' })) }), evaluation([]));
    let s = run(live(), f, { type: 'frame' }, 'f3');
    expect(s).toMatchObject({ focus: 'processes', searching: { text: '', miss: false } });
    // typing: the first match at or after the cursor (20 is nginx20); keys are text while typing
    s = run(s, f, 'N', 'g');
    expect(s.searching).toEqual({ text: 'Ng', miss: false });
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    expect(s.effects).toEqual([]);
    s = run(s, f, 'f3');
    expect(s.cursor.processes).toEqual({ index: 3, id: '40' });
    s = run(s, f, 'f3');
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    // no match: the cursor stays and the prompt says so
    s = run(s, f, 'x');
    expect(s.searching).toEqual({ text: 'Ngx', miss: true });
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    // Enter (or Esc) leaves the cursor on the process found
    s = run(s, f, 'backspace', 'enter');
    expect(s.searching).toBeUndefined();
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    const esc = run(s, f, 'f3', 'b', 'escape');
    expect(esc.searching).toBeUndefined();
    expect(esc.cursor.processes).toEqual({ index: 2, id: '30' });
    // F4 = /, F5 = t, F10 = q
    expect(run(s, f, 'f4').filtering).toBe('');
    expect(run(s, f, 'f5').tree).toBe(true);
    expect(run(s, f, 'f10').effects).toEqual([{ type: 'quit' }]);
  });

  it('the help lists the F-keys and the wide footer shows them', () => {
    const help = helpLines().join('\n');
    for (const k of ['F1', 'F3', 'F4', 'F5', 'F6', 'F10']) expect(help).toMatch(new RegExp(`\\b${k}\\b`));
    const theme = themeFromEnv({ NO_COLOR: '1', TERM: 'xterm-256color', LANG: 'C.UTF-8' });
    expect(footerText(live({ cols: 120, rows: 40 }), theme)).toContain('F3 search  F4 filter  F5 tree  F6 sort  F10 quit');
    expect(footerText(live({ cols: 100, rows: 30 }), theme)).toContain('F3 search');
    // 80 columns: htop's keys and the refresh interval, nothing cut
    for (const refreshMs of [1000, 2500]) {
      const f80 = footerText(live({ cols: 80, rows: 24 }, { refreshMs }), theme);
      expect(f80).toMatch(/^ F1 help {2}F4 filter {2}F10 quit {2}Tab panel {2}Enter drill .* every [\d.]+s$/);
      expect(f80).not.toContain('…');
      expect(f80.length).toBeLessThanOrEqual(80);
    }
    const searching = run(live(), procFrame([], 10), 'f3', 'z');
    expect(footerText(searching, theme).replace(/\{\/?bold\}/g, '')).toContain('search processes: z_ no process matches');
  });

  it('the footer shows a live host\'s refresh interval (--delay), never a bundle\'s', () => {
    const theme = themeFromEnv({ NO_COLOR: '1', TERM: 'xterm-256color', LANG: 'C.UTF-8' });
    for (const size of [{ cols: 80, rows: 24 }, { cols: 120, rows: 40 }, { cols: 200, rows: 60 }]) {
      const f = footerText(live(size, { refreshMs: 2000 }), theme);
      expect(f).toMatch(/ every 2s$/);
      expect(f.length).toBeLessThanOrEqual(size.cols);
    }
    expect(footerText(live(LARGE, { refreshMs: 500 }), theme)).toMatch(/every 500ms$/);
    expect(footerText(initialState({ live: false, refreshMs: 1000 }, LARGE), theme)).not.toMatch(/every/);
  });

  it('F9 signals the selected process only with --allow-signals on a live host: a menu, then y/N naming PID and command', () => {
    const f = procFrame([], 10, 20);
    const onProcesses = (x: TuiState) => run(x, f, { type: 'frame' }, 'tab', 'tab', 'j');
    // without the flag, and on a bundle: nothing is asked for, the footer says how to enable it
    const off = run(onProcesses(live()), f, 'f9');
    expect(off.signal).toBeUndefined();
    expect(off.effects).toEqual([]);
    expect(off.message).toMatch(/--allow-signals/);
    expect(run(onProcesses(live()), f, 'f7').effects).toEqual([]);
    const bundle = run(onProcesses(initialState({ live: false, signals: true }, LARGE)), f, 'f9');
    expect(bundle.effects).toEqual([]);
    expect(bundle.message).toMatch(/never sent from a bundle/);
    let s = onProcesses(live(LARGE, { signals: true }));
    expect(s.cursor.processes).toEqual({ index: 1, id: '20' });
    s = run(s, f, 'f9');
    expect(s.signal).toEqual({ step: 'choose', target: { pid: 20, comm: 'p20' } });
    // K picks KILL; anything but y declines; keys are the prompt's while it is up
    s = run(s, f, 'K');
    expect(s.signal).toMatchObject({ step: 'confirm', signal: 'KILL' });
    const theme = themeFromEnv({ NO_COLOR: '1', TERM: 'xterm-256color', LANG: 'C.UTF-8' });
    expect(footerText(s, theme).replace(/\{\/?bold\}/g, '')).toContain('send SIGKILL to PID 20 (p20)? y/N');
    const no = run(s, f, 'q');
    expect(no.effects).toEqual([]);
    expect(no.signal).toBeUndefined();
    // Enter picks TERM, y sends it
    s = run(no, f, 'f9', 'enter', 'y');
    expect(s.effects).toEqual([{ type: 'signal', target: { pid: 20, comm: 'p20' }, signal: 'TERM' }]);
    expect(run(no, f, 'f9', 'escape').effects).toEqual([]);
    // F7/F8 renice the selected process
    expect(run(no, f, 'f8').effects).toEqual([{ type: 'renice', target: { pid: 20, comm: 'p20' }, delta: 1 }]);
    expect(run(no, f, 'f7').effects).toEqual([{ type: 'renice', target: { pid: 20, comm: 'p20' }, delta: -1 }]);
    expect(startTimeOf('20 (a) b) S 1 20 20 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10\n')).toBe('987654');
  });
});
