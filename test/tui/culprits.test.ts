import { describe, expect, it } from 'vitest';
import type { Culprit, Finding } from '../../src/engine/report-schema.js';
import type { Frame } from '../../src/tui/frame.js';
import { keyActions } from '../../src/tui/input.js';
import { textLayout, type TextOverlay } from '../../src/tui/overlay.js';
import { culpritView } from '../../src/tui/panels/culprits.js';
import { findingCell } from '../../src/tui/panels/findings.js';
import { overlayText, panelText, screenEnv } from '../../src/tui/screen.js';
import { initialState, reduce, type Action, type TuiState } from '../../src/tui/state.js';
import { themeFromEnv } from '../../src/tui/theme.js';
import { evaluation, finding, frame, model, row } from './model-builders.js';

/** The culprits of findings in the TUI: the list names the first, Enter goes to it, e shows them all, each a jump. */
const LARGE = { cols: 200, rows: 60 };
const SMALL = { cols: 80, rows: 24 };
const live = (size = LARGE) => initialState({ live: true, guide: true, snapshot: true }, size);

function run(s: TuiState, f: Frame | undefined, ...steps: (Action | string)[]): TuiState {
  let out = s;
  for (const step of steps) {
    const actions = typeof step === 'string' ? keyActions(out, step.length === 1 ? step : undefined, { full: step, name: step }) : [step];
    for (const a of actions) out = reduce(out, a, f);
  }
  return out;
}

function culprit(id: string, name: string, p: Partial<Culprit> = {}): Culprit {
  const kind = id.replace(/^netns:[^/]+\//, '').split(':')[0]!;
  return { entity: { kind, id, name }, rank: 1, why: 'Processes using the most CPU', identity: {}, evidence: {}, ...p };
}
const proc = (pid: number, cpu: number, cgroup: string, rank: number) =>
  culprit(`process:${pid}`, 'sh', { rank, value: cpu, unit: 'percent', share: cpu / 200, metric: 'processes.cpu_pct', identity: { pid: String(pid), comm: 'sh', cmdline: 'sh -c while :; do :; done', cgroup } });

const loops = [proc(941, 49.5, '/batch', 1), proc(943, 48, '/batch', 2), proc(940, 47.2, '/batch', 3), proc(944, 46, '/batch', 4), proc(7, 3, '/', 5)];
const busy = finding({ resource: 'cpu', kind: 'utilization', severity: 'critical', check: 'cpu-host-utilization', scope: 'cpu:all', title: 'Host CPUs 100% busy', culprits: loops });

const NS = '4026532999';
const qdisc = finding({
  resource: 'network',
  kind: 'errors',
  severity: 'critical',
  check: 'ns-qdisc-drops',
  scope: `netns:${NS}/qdisc:veth1 1: root`,
  title: 'qdisc tbf on veth1 drops 95% of packets',
  culprits: [
    culprit(`netns:${NS}/qdisc:veth1 1: root`, 'veth1 1: root', { why: 'where it was measured', identity: { kind: 'tbf', netns: NS, netns_name: 'blue' } }),
    culprit(`netns:${NS}`, `blue (netns ${NS})`, { rank: 2, why: 'its namespace', identity: { names: 'blue', cgroups: '/ns/app' } }),
  ],
});
const sock = finding({
  resource: 'network',
  kind: 'saturation',
  severity: 'warning',
  check: 'listen-overflows',
  scope: 'host',
  title: '200 TCP listen-queue overflows',
  culprits: [culprit('socket:tcp:0.0.0.0:8080', '0.0.0.0:8080', { identity: { local: '0.0.0.0:8080', process: 'slowapp', pid: '30,31' } })],
});

const procs = model({
  processes: [941, 943, 940, 944, 7, 30, 55, 56].map((pid, i) => row(String(pid), { cpu_pct: 50 - i, ppid: 1 }, { comm: pid === 30 ? 'slowapp' : 'sh', cmdline: 'sh', cgroup: pid < 1000 && pid > 900 ? '/batch' : '/', state: 'R' })),
  cgroups: [row('/', { procs: 3 }), row('/batch', { procs: 4 }, { name: 'batch' }), row('/quiet', { procs: 0 }, { name: 'quiet' })],
  namespaces: [row(`net:${NS}`, { procs: 2 }, { type: 'net', inode: NS, pids: '55 56', names: 'blue' })],
});
const f = frame(procs, evaluation([busy, qdisc, sock]));

describe('culprits in the TUI', () => {
  it('the findings list names the first culprit beside the title: the cgroup and its processes with their PIDs', () => {
    expect(findingCell(busy, 200)).toBe('cpu:all: Host CPUs 100% busy — cgroup /batch: sh 941, 943, 940, 944 (4 processes, 191 %)');
    // narrower: the scope goes first, the cause stays next to the title
    expect(findingCell(busy, 60)).toBe('Host CPUs 100% busy — cgroup /batch: sh 941, 943, 940, 944 (4 processes, 191 %)');
    // different commands: each name once before its PIDs
    const mixed = { ...busy, culprits: [proc(941, 50, '/batch', 1), { ...proc(950, 40, '/batch', 2), entity: { kind: 'process', id: 'process:950', name: 'nginx' } }, { ...proc(951, 30, '/batch', 3), entity: { kind: 'process', id: 'process:951', name: 'nginx' } }] };
    expect(findingCell(mixed, 200)).toBe('cpu:all: Host CPUs 100% busy — cgroup /batch: sh 941, nginx 950, 951 (3 processes, 120 %)');
    // one culprit: who, where, how much
    const one = { ...busy, culprits: [proc(941, 49.5, '/batch', 1)] };
    expect(findingCell(one, 200)).toBe('cpu:all: Host CPUs 100% busy — sh 941 (cgroup /batch), 49.5 %');
    // the finding's own scope is not repeated as its cause: the next culprit is named
    expect(findingCell(qdisc, 200)).toBe(`netns:${NS}/qdisc:veth1 1: root: qdisc tbf on veth1 drops 95% of packets — netns blue (netns ${NS})`);
    expect(findingCell({ ...busy, culprits: [] }, 200)).toBe('cpu:all: Host CPUs 100% busy');
  });

  it('the list puts findings that name a cause first within a severity: the namespace\'s qdisc, then the CPUs with a dominant cgroup', () => {
    const s = run(live(), f, { type: 'frame' });
    expect(s.cursor.findings?.id).toBe(qdisc.id);
    const shown = panelText(s, 'findings', f, screenEnv(s, undefined), themeFromEnv({ TERM: 'xterm', LANG: 'C.UTF-8', NO_COLOR: '1' }))!;
    const lines = shown.content.split('\n').map((l) => l.replace(/\{[^}]*\}/g, '').trimEnd());
    // the large layout's findings panel is narrow (82 columns): no resource column, no scope when the cause needs the room
    expect(lines).toEqual([
      `CRIT qdisc tbf on veth1 drops 95% of packets — netns blue (netns ${NS})`,
      'CRIT Host CPUs 100% busy — cgroup /batch: sh 941, 943, 940, 944 (4 processes, 191 …',
      'WARN host: 200 TCP listen-queue overflows — socket 0.0.0.0:8080',
    ]);
  });

  it('Enter on a finding goes to its first culprit: the process row', () => {
    let s = run(live(), f, { type: 'frame' }, 'j');
    expect(s.cursor.findings?.id).toBe('cpu-host-utilization@cpu:all');
    s = run(s, f, 'enter');
    expect(s).toMatchObject({ focus: 'processes', overlays: [], cursor: { processes: { id: '941' } } });
    expect(s.message).toBe('culprit 1 of "Host CPUs 100% busy": Processes 941 (e on a finding: its evidence)');
  });

  it('on a small screen Enter goes to the tab of the culprit\'s panel', () => {
    const s = run(live(SMALL), f, { type: 'frame' }, 'j', 'enter');
    expect(s).toMatchObject({ tab: 2, focus: 'processes', cursor: { processes: { id: '941' } } });
  });

  it('a cgroup culprit is its row in Cgroups, shown even when the quiet ones are hidden', () => {
    const quiet = finding({ resource: 'memory', kind: 'errors', severity: 'critical', check: 'oom-kills', scope: 'host', title: '1 process OOM-killed', culprits: [culprit('cgroup:/quiet', '/quiet', { why: 'cgroups that lost processes', identity: { limits: 'memory limit: 16 MiB' } })] });
    const g = frame(procs, evaluation([quiet]));
    const s = run(live(), g, { type: 'frame' }, 'enter');
    expect(s).toMatchObject({ focus: 'cgroups', allCgroups: true, cursor: { cgroups: { id: '/quiet' } } });
  });

  it('a namespace culprit shows its member processes; Esc shows all processes again', () => {
    let s = run(live(), f, { type: 'frame' });
    expect(s.cursor.findings?.id).toBe(qdisc.id);
    s = run(s, f, 'enter');
    expect(s).toMatchObject({ focus: 'processes', filter: 'pid:55,56', message: `processes of netns blue (Esc: all processes)` });
    s = run(s, f, 'escape');
    expect(s.filter).toBeUndefined();
    // without the namespaces table, its cgroup
    expect(culpritView(qdisc.culprits![1]!, frame(model({ processes: [] })))?.action).toEqual({ type: 'show-processes', cgroup: '/ns/app', what: 'netns blue (cgroup /ns/app)' });
    // nothing to show: no view, Enter does not pretend
    expect(culpritView(culprit(`netns:${NS}`, 'x'), frame(model({ processes: [] })))).toBeUndefined();
  });

  it('a socket is shown by its owner process; an OOM victim that is gone by its cgroup', () => {
    const s = run(live(), f, { type: 'frame' }, 'j', 'j', 'enter');
    expect(s).toMatchObject({ focus: 'processes', cursor: { processes: { id: '30' } } });
    const oom = culprit('event:123.4:999', 'hog', { identity: { pid: '999', cgroup: '/batch' } });
    expect(culpritView(oom, f)?.action).toEqual({ type: 'jump', panel: 'cgroups', id: '/batch' });
  });

  it('e shows every culprit as its two report lines, selectable; Enter on one goes to it', () => {
    let s = run(live(), f, { type: 'frame' }, 'j', 'e');
    const o = s.overlays[0]!.content as TextOverlay;
    expect(o.title).toBe('Finding: Host CPUs 100% busy');
    expect(o.selectable).toBe(5);
    expect(o.lines[0]).toBe('1. process:941 sh: 49.5 % (25 % of the total) — Processes using the most CPU');
    expect(o.details?.[0]).toBe('cmdline sh -c while :; do :; done; cgroup /batch');
    expect(o.lines.slice(5)).toContain('value: 1 percent (m.f, over 1.00 s)');
    // the head and its detail are one selectable row: highlighted together, j moves over culprits
    const layout = textLayout(o, 100);
    expect(layout.spans.slice(0, 2)).toEqual([
      [0, 2],
      [2, 4],
    ]);
    const theme = themeFromEnv({ TERM: 'xterm-256color', LANG: 'C.UTF-8' });
    s = run(s, f, 'j');
    const shown = overlayText(s, f, screenEnv(s, undefined), theme)!;
    expect(shown.label).toContain('Enter: go to the culprit, Esc back');
    const inverse = shown.content.split('\n').filter((l) => l.includes('{inverse}'));
    expect(inverse.map((l) => l.replace(/\{\/?inverse\}/g, '').trim())).toEqual(['2. process:943 sh: 48 % (24 % of the total) — Processes using the most CPU', 'cmdline sh -c while :; do :; done; cgroup /batch']);
    s = run(s, f, 'enter');
    expect(s).toMatchObject({ focus: 'processes', overlays: [], cursor: { processes: { id: '943' } } });
  });

  it('past the last culprit the evidence under them scrolls; back up, the text scrolls back before the selection moves', () => {
    // 80x12: the overlay shows 7 rows of the evidence's ~24
    const H = 7;
    let s = run(live({ cols: 80, rows: 12 }), f, { type: 'frame' }, '2', 'j', 'e');
    const top = () => s.overlays[0]!;
    expect(top()).toMatchObject({ selected: 0, scroll: 0 });
    s = run(s, f, 'end');
    const o = top().content as TextOverlay;
    const rows = textLayout(o, 78).rows.length;
    expect(rows).toBeGreaterThan(2 * H);
    expect(top()).toMatchObject({ selected: 4, scroll: rows - H });
    const shown = overlayText(s, f, screenEnv(s, undefined), themeFromEnv({ TERM: 'xterm', LANG: 'C.UTF-8' }))!;
    expect(shown.content).toContain('Next steps:');
    // k scrolls back until the selected culprit is in view, then moves it
    const spanStart = textLayout(o, 78).spans[4]![0];
    expect(top().scroll).toBeGreaterThan(spanStart);
    for (let i = 0; i < 40 && top().scroll > spanStart; i++) s = run(s, f, 'k');
    expect(top()).toMatchObject({ selected: 4, scroll: spanStart });
    s = run(s, f, 'k');
    expect(top().selected).toBe(3);
    s = run(s, f, 'home');
    expect(top()).toMatchObject({ selected: 0, scroll: 0 });
    // a new frame does not pull the view back
    s = run(s, f, 'end', { type: 'frame' });
    expect(top().scroll).toBe(rows - H);
  });

  it('host text in culprits is made safe for the terminal', () => {
    const evil = proc(941, 50, '/batch', 1);
    const bad: Finding = { ...busy, culprits: [{ ...evil, entity: { ...evil.entity, name: 'x\x1b[2J{red-fg}' }, identity: { cmdline: 'rm\x07 {bold}' } }] };
    const s = run(live(), frame(procs, evaluation([bad])), { type: 'frame' }, 'e');
    const o = s.overlays[0]!.content as TextOverlay;
    expect(o.lines[0]).not.toContain('\x1b');
    expect(o.lines[0]).toContain('{open}red-fg{close}');
    expect(o.details?.[0]).not.toContain('\x07');
    expect(o.details?.[0]).toContain('{open}bold{close}');
  });
});
