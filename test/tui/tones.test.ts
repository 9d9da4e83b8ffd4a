import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks, type LoadedPlaybook } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import { cgroupsPanel } from '../../src/tui/panels/cgroups.js';
import { tableOf } from '../../src/tui/panels/index.js';
import { renderTable } from '../../src/tui/panels/table.js';
import { makeTheme } from '../../src/tui/theme.js';
import { toneOf, Tones } from '../../src/tui/tones.js';
import { builtinPlaybooks, builtinTones, evaluation, finding, frame, model, row } from './model-builders.js';

const cpu = (all: number, one = 0) => frame(model({ cpu: [row('all', { busy_pct: all }), row('0', { busy_pct: one })] }));

/** The built-in cpu playbook with its text changed, loaded as a user would load it. */
function cpuPlaybookWith(edit: (yaml: string) => string): LoadedPlaybook {
  const dir = mkdtempSync(join(tmpdir(), 'diagt-tui-tones-'));
  try {
    writeFileSync(join(dir, 'cpu.yaml'), edit(readFileSync(join(builtinPlaybookDir(), 'cpu.yaml'), 'utf8')));
    const r = loadPlaybooks(buildCatalogue(COLLECTORS), [{ dir, origin: 'dir' }], { cache: null });
    expect(r.errors.map(String)).toEqual([]);
    return r.playbooks.get('cpu')!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tones from the playbooks', () => {
  it('host CPU busy: the use playbook\'s 80/95 for "all", its per-CPU 95 for one CPU', () => {
    const t = builtinTones();
    expect(toneOf(t, cpu(50), 'cpu.busy_pct', 'all')).toBe('ok');
    expect(toneOf(t, cpu(85), 'cpu.busy_pct', 'all')).toBe('warning');
    expect(toneOf(t, cpu(96), 'cpu.busy_pct', 'all')).toBe('critical');
    expect(toneOf(t, cpu(0, 85), 'cpu.busy_pct', '0')).toBe('ok');
    expect(toneOf(t, cpu(0, 96), 'cpu.busy_pct', '0')).toBe('warning');
  });

  it('changing a playbook threshold changes the tone', () => {
    const as = cpuPlaybookWith((y) => y);
    const raised = cpuPlaybookWith((y) => y.replace('warning: { value: 80, source: gregg-use-method', 'warning: { value: 90, source: gregg-use-method'));
    expect(as.checks.find((c) => c.id === 'cpu-host-utilization')?.warning?.value).toBe(80);
    expect(raised.checks.find((c) => c.id === 'cpu-host-utilization')?.warning?.value).toBe(90);
    expect(toneOf(new Tones(as), cpu(85), 'cpu.busy_pct', 'all')).toBe('warning');
    expect(toneOf(new Tones(raised), cpu(85), 'cpu.busy_pct', 'all')).toBe('ok');
    // and the panel's cell follows
    const theme = makeTheme({ color: true, unicode: true });
    const p = tableOf('cpu')!;
    const cell = (tones: Tones) => {
      const f = cpu(85);
      const view = { tree: false, allCgroups: false };
      return renderTable(p, p.rows(f, view, { tones }), { frame: f, view, env: { tones }, theme, width: 40 }).render(0, 1)[0];
    };
    expect(cell(new Tones(as))).toContain('{yellow-fg} 85.0%{/yellow-fg}');
    expect(cell(new Tones(raised))).toContain('{green-fg} 85.0%{/green-fg}');
  });

  it('a finding on the row\'s scope and metric wins over the thresholds', () => {
    const m = model({ cpu: [row('all', { busy_pct: 10 })] });
    const f = frame(m, evaluation([finding({ resource: 'cpu', kind: 'utilization', severity: 'critical', scope: 'all', evidence: { metric: 'cpu.busy_pct', value: 99, unit: 'percent', measure: 'value', when: 'above', threshold: {}, fields: {}, windowSeconds: 1, collector: 'cpu', inputs: [] } })]));
    expect(toneOf(builtinTones(), f, 'cpu.busy_pct', 'all')).toBe('critical');
    // another metric of the same row is not coloured by it
    expect(toneOf(builtinTones(), f, 'cpu.steal_pct', 'all')).toBeUndefined();
  });

  it('filters choose the check: %util of a spinning disk against 60/90, of an SSD against 95', () => {
    const f = frame(model({ disk: [row('sda', { util_pct: 70, rotational: 1 }), row('nvme0n1', { util_pct: 70, rotational: 0 })] }));
    expect(toneOf(builtinTones(), f, 'disk.util_pct', 'sda')).toBe('warning');
    expect(toneOf(builtinTones(), f, 'disk.util_pct', 'nvme0n1')).toBe('ok');
  });

  it('metrics the use playbook does not check take another playbook\'s thresholds (a process\'s CPU from 60s)', () => {
    const f = frame(model({ processes: [row('1', { cpu_pct: 97 }), row('2', { cpu_pct: 40 })] }));
    expect(builtinPlaybooks().playbooks.get('use')!.checks.some((c) => c.metric === 'processes.cpu_pct')).toBe(false);
    expect(toneOf(builtinTones(), f, 'processes.cpu_pct', '1')).toBe('warning');
    expect(toneOf(builtinTones(), f, 'processes.cpu_pct', '2')).toBe('ok');
  });

  it('counts judged over the window use their delta (an OOM kill); no check, no row or no value: nothing to say', () => {
    const f = frame(model({ vmstat: [row('host', { oom_kill: 0.5 }, {}, { oom_kill: 1 })], sched: [row('host', { others_running: 40, ncpu: 2 })] }));
    expect(toneOf(builtinTones(), f, 'vmstat.oom_kill')).toBe('critical');
    // runnable tasks are judged per CPU (divide_by): the raw count has no threshold of its own
    expect(toneOf(builtinTones(), f, 'sched.others_running')).toBeUndefined();
    expect(toneOf(builtinTones(), f, 'vmstat.nothing_here')).toBeUndefined();
    expect(toneOf(builtinTones(), f, 'cpu.busy_pct', 'all')).toBeUndefined();
  });

  it('cgroups: trouble from the playbooks (throttling with a quota, memory against a limit, OOM kills, forks refused)', () => {
    const m = model({
      cgroups: [row('/', { procs: 100 }), row('/idle', { procs: 0 }), row('/a', { procs: 3 }, { name: 'a', kind: 'service' }), row('/a/b', { procs: 0 }), row('/light', { procs: 0 }), row('/thr', { procs: 0 }), row('/nolimit', { procs: 0 }), row('/oom', { procs: 0 }), row('/mem', { procs: 0 }), row('/fork', { procs: 0 })],
      cgroup_cpu: [
        row('/a', { throttled_pct: 30, throttled_ms: 60, cpu_pct: 50, quota_cores: 1 }),
        row('/light', { throttled_pct: 12, throttled_ms: 60, quota_cores: 1 }),
        row('/thr', { throttled_pct: 60, throttled_ms: 100, quota_cores: 0.5 }),
        row('/nolimit', { throttled_pct: 60, throttled_ms: 100 }),
      ],
      cgroup_memory: [row('/oom', { used_pct: 10 }, {}, { oom_kill: 1 }), row('/mem', { used_pct: 85, limit: 1e9 }), row('/a/b', { used_pct: 96, limit: 1e9 })],
      cgroup_pids: [row('/fork', { used_pct: 100, max: 10 }, {}, { fork_fail: 3 })],
    });
    const tones = builtinTones();
    const rows = cgroupsPanel.rows(frame(m), { tree: false, allCgroups: true }, { tones });
    const t = (p: string) => rows.find((r) => r.path === p)!.trouble;
    expect(t('/')).toBeUndefined();
    expect(t('/idle')).toBeUndefined();
    expect(t('/a')).toBe('warning'); // 30 % throttled, 60 ms/s: cpu.yaml (in use) warns at 25
    expect(t('/light')).toBeUndefined(); // 12 %: below it
    expect(t('/thr')).toBe('critical'); // 60 %: critical at 50
    expect(t('/nolimit')).toBeUndefined(); // no quota: the check's filter leaves it out
    expect(t('/oom')).toBe('critical'); // an OOM kill in the window
    expect(t('/mem')).toBeUndefined(); // 85 % of the limit: below container.yaml's 90
    expect(t('/a/b')).toBe('warning'); // 96 %: warning at 90, critical at 98
    expect(t('/fork')).toBe('critical'); // at pids.max (use.yaml: critical at 100)
    // by default only the root, busy and troubled cgroups
    expect(cgroupsPanel.rows(frame(m), { tree: false, allCgroups: false }, { tones }).map((r) => r.path)).toEqual(['/', '/a', '/a/b', '/fork', '/oom', '/thr']);
  });

  it('the cgroups panel colours a troubled row, never from a cgroup name', () => {
    const theme = makeTheme({ color: true, unicode: true });
    const tones = builtinTones();
    const view = { tree: false, allCgroups: true };
    const m = model({ cgroups: [row('/thr', { procs: 1 }, { name: 'thr' })], cgroup_cpu: [row('/thr', { throttled_pct: 60, throttled_ms: 100, quota_cores: 1 })] });
    const [line] = renderTable(cgroupsPanel, cgroupsPanel.rows(frame(m), view, { tones }), { frame: frame(m), view, env: { tones }, theme, width: 80 }).render(0, 1);
    expect(line).toMatch(/^\{bold\}\{red-fg\} {2}thr +\{\/red-fg\}\{\/bold\}/);
    const evil = model({ cgroups: [row('/{red-fg}x', { procs: 1 }, { name: '{red-fg}x' })] });
    const [e] = renderTable(cgroupsPanel, cgroupsPanel.rows(frame(evil), view, { tones }), { frame: frame(evil), view, env: { tones }, theme, width: 80 }).render(0, 1);
    expect(e).toContain('{open}red-fg{close}x');
    expect(e).not.toMatch(/\{red-fg\}/);
  });
});
