import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src/core/collector.js';
import { processesPanel } from '../../src/tui/panels/processes.js';
import { comparatorOf } from '../../src/tui/panels/table.js';
import { cgroupsVM } from '../../src/tui/view-models/cgroups.js';
import { CpuHistory } from '../../src/tui/view-models/cpu.js';
import { findingDetail, findingsVM } from '../../src/tui/view-models/findings.js';
import { fmtUptime, fmtWhen, headerVM } from '../../src/tui/view-models/header.js';
import { inCgroup, processesVM, type ProcessQuery } from '../../src/tui/view-models/processes.js';
import { disksVM, memoryVM } from '../../src/tui/view-models/resources.js';
import { useMatrixVM } from '../../src/tui/view-models/use-matrix.js';
import { cell, evaluation, finding, frame, model, row } from './model-builders.js';

describe('USE matrix', () => {
  it('has a row per resource and three cells each', () => {
    const m = useMatrixVM(evaluation());
    expect(m.map((r) => r.resource)).toEqual([...RESOURCES]);
    for (const r of m) expect(Object.keys(r.cells).sort()).toEqual(['errors', 'saturation', 'utilization']);
  });

  it('never shows an unknown, uncovered or inconsistent cell as ok', () => {
    const e = evaluation([], [cell('cpu', 'utilization', 'ok'), cell('cpu', 'saturation', 'unknown', 'no PSI'), cell('cpu', 'errors', 'finding')]);
    const cpu = useMatrixVM(e).find((r) => r.resource === 'cpu')!;
    expect(cpu.cells.utilization).toMatchObject({ text: 'ok', tone: 'ok' });
    expect(cpu.cells.saturation).toMatchObject({ text: '?', tone: 'unknown', detail: 'no PSI' });
    // 'finding' in the coverage but no finding listed: unknown, not ok
    expect(cpu.cells.errors).toMatchObject({ text: '?', tone: 'unknown' });
    // nothing in the coverage at all: unknown, "not checked"
    const mem = useMatrixVM(e).find((r) => r.resource === 'memory')!;
    for (const c of Object.values(mem.cells)) expect(c).toMatchObject({ text: '?', tone: 'unknown', detail: 'not checked' });
  });

  it('shows the worst finding of a cell, even where the coverage says ok', () => {
    const e = evaluation(
      [finding({ resource: 'disk', kind: 'saturation', severity: 'warning', title: 'queue' }), finding({ resource: 'disk', kind: 'saturation', severity: 'critical', title: 'await' }), finding({ resource: 'fds', kind: 'errors', severity: 'info' })],
      [cell('disk', 'saturation', 'ok')],
    );
    const m = useMatrixVM(e);
    expect(m.find((r) => r.resource === 'disk')!.cells.saturation).toEqual({ text: 'CRIT', tone: 'critical', detail: 'await' });
    expect(m.find((r) => r.resource === 'fds')!.cells.errors).toMatchObject({ text: 'info', tone: 'info' });
  });
});

const procs = () =>
  model({
    processes: [
      row('1', { ppid: 0, cpu_pct: 0.5, rss: 10e6, read_bytes: 0, write_bytes: 0 }, { comm: 'init', cmdline: '/sbin/init', cgroup: '/', state: 'S' }),
      row('20', { ppid: 1, cpu_pct: 90, rss: 1e6 }, { comm: 'busy', cmdline: 'busy --loop', cgroup: '/system.slice/a.service', state: 'R' }),
      row('21', { ppid: 20, cpu_pct: 5, rss: 500e6, read_bytes: 1000, write_bytes: 5 }, { comm: 'Worker', cmdline: '', cgroup: '/system.slice/ab.service', state: 'D' }),
      row('30', { ppid: 999, cpu_pct: undefined, rss: undefined }, { comm: 'orphan', cgroup: '/user.slice', state: 'S' }),
    ],
  });
const q = (p: Partial<ProcessQuery>): ProcessQuery => ({ tree: false, ...p });
/** The order of a column of the processes panel, as the panel declares it. */
const by = (column: string, reverse = false) => comparatorOf(processesPanel, { column, reverse })!;

describe('processes', () => {
  it('sorts by CPU, memory, I/O and PID (the panel\'s column declarations); missing values last', () => {
    expect(processesVM(procs(), q({})).map((p) => p.pid)).toEqual([20, 21, 1, 30]);
    expect(processesVM(procs(), q({}), by('cpu')).map((p) => p.pid)).toEqual([20, 21, 1, 30]);
    expect(processesVM(procs(), q({}), by('mem')).map((p) => p.pid)).toEqual([21, 1, 20, 30]);
    expect(processesVM(procs(), q({}), by('io')).map((p) => p.pid)).toEqual([21, 1, 20, 30]);
    expect(processesVM(procs(), q({}), by('pid')).map((p) => p.pid)).toEqual([1, 20, 21, 30]);
    // reversed: smallest first, and still the processes without a value last
    expect(processesVM(procs(), q({}), by('cpu', true)).map((p) => p.pid)).toEqual([1, 21, 20, 30]);
  });

  it('a process with no I/O counters has io undefined, not 0; no command line shows [comm]', () => {
    const rows = processesVM(procs(), q({}), by('pid'));
    expect(rows.find((p) => p.pid === 20)!.io).toBeUndefined();
    expect(rows.find((p) => p.pid === 1)!.io).toBe(0);
    expect(rows.find((p) => p.pid === 21)!.cmdline).toBe('[Worker]');
  });

  it('filters by name or command line (any case), by pid:N, and by cgroup subtree', () => {
    expect(processesVM(procs(), q({ filter: 'WORK' })).map((p) => p.pid)).toEqual([21]);
    expect(processesVM(procs(), q({ filter: 'loop' })).map((p) => p.pid)).toEqual([20]);
    expect(processesVM(procs(), q({ filter: 'pid:30' })).map((p) => p.pid)).toEqual([30]);
    expect(processesVM(procs(), q({ filter: 'nothing' }))).toEqual([]);
    expect(processesVM(procs(), q({ cgroup: '/system.slice' })).map((p) => p.pid)).toEqual([20, 21]);
    // a cgroup is a path prefix on "/" boundaries: /system.slice/a.service is not /…/ab.service
    expect(processesVM(procs(), q({ cgroup: '/system.slice/a.service' })).map((p) => p.pid)).toEqual([20]);
    expect(inCgroup('/a/b', '/a')).toBe(true);
    expect(inCgroup('/ab', '/a')).toBe(false);
    expect(inCgroup('/anything', '/')).toBe(true);
  });

  it('tree: children under their parent, depth counted; a missing parent makes a root', () => {
    const t = processesVM(procs(), q({ tree: true }));
    expect(t.map((p) => [p.pid, p.depth])).toEqual([
      [1, 0],
      [20, 1],
      [21, 2],
      [30, 0],
    ]);
  });

  it('tree: PID cycles and self-parents neither loop nor lose processes', () => {
    const m = model({
      processes: [
        row('5', { ppid: 6, cpu_pct: 1 }, { comm: 'a' }),
        row('6', { ppid: 5, cpu_pct: 2 }, { comm: 'b' }),
        row('7', { ppid: 7 }, { comm: 'self' }),
        row('8', { ppid: 6 }, { comm: 'child-of-cycle' }),
        row('9', { ppid: 10 }, { comm: 'x' }),
        row('10', { ppid: 11 }, { comm: 'y' }),
        row('11', { ppid: 9 }, { comm: 'z' }),
      ],
    });
    const t = processesVM(m, q({ tree: true }), by('pid'));
    expect(t.map((p) => p.pid).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(new Set(t.map((p) => p.pid)).size).toBe(7);
    expect(t.find((p) => p.pid === 7)!.depth).toBe(0);
    // 8 is listed under 6
    const i6 = t.findIndex((p) => p.pid === 6);
    const i8 = t.findIndex((p) => p.pid === 8);
    expect(i8).toBeGreaterThan(i6);
    expect(t[i8]!.depth).toBeGreaterThan(t[i6]!.depth);
  });

  it('no processes table: an empty list', () => {
    expect(processesVM(model({}), q({}))).toEqual([]);
  });
});

describe('cgroups', () => {
  const m = model({
    cgroups: [row('/', { procs: 100 }), row('/idle', { procs: 0 }), row('/a', { procs: 3 }, { name: 'a', kind: 'service' }), row('/a/b', { procs: 0 })],
    cgroup_cpu: [row('/a', { throttled_pct: 12, cpu_pct: 50 })],
    cgroup_memory: [row('/a/b', { used_pct: 96 }, {}, { oom: 2 })],
  });

  it('is a tree in path order with depth, the values of its cpu and memory tables joined by path', () => {
    const rows = cgroupsVM(m);
    expect(rows.map((r) => r.path)).toEqual(['/', '/a', '/a/b', '/idle']);
    expect(rows.find((r) => r.path === '/a/b')).toMatchObject({ depth: 2, memPct: 96, oomKills: 2 });
    expect(rows.find((r) => r.path === '/a')).toMatchObject({ name: 'a', kind: 'service', cpu: 50, throttledPct: 12 });
  });
});

describe('findings, header, resources, CPU history', () => {
  it('findings: worst first, then by resource', () => {
    const f = findingsVM([finding({ resource: 'network', kind: 'errors', severity: 'info' }), finding({ resource: 'memory', kind: 'errors', severity: 'critical' }), finding({ resource: 'cpu', kind: 'saturation', severity: 'warning' }), finding({ resource: 'cpu', kind: 'utilization', severity: 'critical' })]);
    expect(f.map((x) => `${x.severity} ${x.resource}`)).toEqual(['critical cpu', 'critical memory', 'warning cpu', 'info network']);
    const d = findingDetail(finding({ resource: 'cpu', kind: 'saturation', severity: 'warning', next: ['look'] }));
    expect(d).toContain('Why it matters:');
    expect(d).toContain('- look');
  });

  it('header: the worst finding is the status; unknown when nothing could be judged', () => {
    const m = model({ loadavg: [row('host', { load1: 1.5, load5: 1, load15: 0.5 })], sched: [row('host', { ncpu: 4 })] });
    expect(headerVM(frame(m, evaluation([], [cell('cpu', 'errors', 'unknown')]))).status).toBe('unknown');
    expect(headerVM(frame(m, evaluation([], [cell('cpu', 'errors', 'ok')]))).status).toBe('ok');
    const h = headerVM(frame(m, evaluation([finding({ resource: 'cpu', kind: 'errors', severity: 'warning' }), finding({ resource: 'cpu', kind: 'errors', severity: 'critical' })])));
    expect(h).toMatchObject({ status: 'critical', statusTone: 'critical', counts: { critical: 1, warning: 1 }, load: '1.50 1.00 0.50', cpus: '4', uptime: '1h 1m' });
    expect(headerVM(frame(m, evaluation(), 'bundle')).when).toBe('snapshot 2026-11-22 04:00:01 UTC');
    expect(fmtUptime(undefined)).toBe('-');
    expect(fmtUptime(90061)).toBe('1d 1h');
    expect(fmtWhen('not a time')).toBe('not a time');
  });

  it('header: recent changes as a count over the look-back and the newest with a time', () => {
    const m = model({});
    expect(headerVM(frame(m)).changes).toBe('');
    const changes = {
      since: '2026-11-21T04:00:01.000Z',
      lookbackSeconds: 86_400,
      status: 'ok' as const,
      sources: [],
      items: [
        { at: null, kind: 'sysctl', action: 'set at runtime', subject: 'vm.swappiness', detail: '', source: '/proc/sys/vm/swappiness' },
        { at: '2026-11-22T03:43:54.000Z', kind: 'kernel-event', action: 'oom_kill', subject: 'oom kill', detail: '', source: 'dmesg --raw' },
        { at: '2026-11-22T01:00:00.000Z', kind: 'package', action: 'upgrade', subject: 'nginx', detail: '', source: '/var/log/dpkg.log' },
      ],
    };
    expect(headerVM({ ...frame(m), changes }).changes).toBe('3 changes in 24 h, last 03:43 oom_kill');
    expect(headerVM({ ...frame(m), changes: { ...changes, items: [changes.items[2]!] } }).changes).toBe('1 change in 24 h, last 01:00 package');
    expect(headerVM({ ...frame(m), changes: { ...changes, status: 'unavailable' as const, items: [] } }).changes).toBe('');
  });

  it('memory and disks: missing stays missing; partitions only when they do I/O', () => {
    expect(memoryVM(model({})).total).toBeUndefined();
    const d = disksVM(model({ disk: [row('sda', { util_pct: 5, reads: 0, writes: 0 }, { kind: 'disk' }), row('sda1', { reads: 0, writes: 0 }, { kind: 'partition' }), row('sda2', { reads: 3, writes: 0, util_pct: 50 }, { kind: 'partition' })] }));
    expect(d.map((x) => x.device)).toEqual(['sda2', 'sda']);
  });

  it('CPU history keeps the last N values and forgets CPUs that went away', () => {
    const h = new CpuHistory(3);
    for (let i = 0; i < 5; i++) h.push(model({ cpu: [row('all', { busy_pct: i }), row('0', { busy_pct: 10 * i })] }));
    const m = model({ cpu: [row('all', { busy_pct: 5 })] });
    expect(h.rows(m)[0]!.history).toEqual([2, 3, 4]);
    h.push(m);
    expect(h.rows(model({ cpu: [row('0', { busy_pct: 1 })] }))[0]!.history).toEqual([]);
  });
});
