import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuCollector } from '../../collectors/procfs/cpu/collector.js';
import { memoryCollector } from '../../collectors/procfs/memory/collector.js';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import type { Report } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/**
 * The built-in cpu and memory playbooks judged on synthetic two-CPU hosts (two samples one
 * second apart, /proc text as the kernel writes it): an idle host and one with a single busy
 * loop must raise no critical; six busy loops must be critical CPU saturation. These are the
 * thresholds' sanity checks that do not depend on what else runs on the test machine.
 */
const meminfo = readFileSync(new URL('../fixtures/procfs/meminfo-6.18.txt', import.meta.url), 'utf8');
const vmstat = readFileSync(new URL('../fixtures/procfs/vmstat-6.18.txt', import.meta.url), 'utf8');
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

interface CpuTicks {
  user: number;
  system: number;
  idle: number;
}
function stat(cpus: CpuTicks[], running: number): string {
  const line = (name: string, t: CpuTicks) => `${name} ${t.user} 0 ${t.system} ${t.idle} 0 0 0 0 0 0`;
  const all = cpus.reduce((a, t) => ({ user: a.user + t.user, system: a.system + t.system, idle: a.idle + t.idle }), { user: 0, system: 0, idle: 0 });
  return [line('cpu ', all), ...cpus.map((t, i) => line(`cpu${i}`, t)), 'ctxt 100000', 'btime 1700000000', 'processes 5000', `procs_running ${running}`, 'procs_blocked 0', ''].join('\n');
}
const psi = (someTotalUs: number, avg10: number) => `some avg10=${avg10.toFixed(2)} avg60=0.00 avg300=0.00 total=${someTotalUs}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`;

/** Host state: per-CPU ticks used in the second (USER_HZ 100), runnable tasks, CPU stall µs. */
interface Load {
  busyTicks: [number, number];
  running: number;
  cpuStallUs: number;
  load1: number;
}

async function judge(playbook: string, load: Load): Promise<Report> {
  const base: CpuTicks[] = [
    { user: 50000, system: 20000, idle: 900000 },
    { user: 40000, system: 25000, idle: 910000 },
  ];
  const later = base.map((t, i) => ({ user: t.user + load.busyTicks[i]!, system: t.system, idle: t.idle + (100 - load.busyTicks[i]!) }));
  const files = (s: string, cpuStall: number, mono: number) => ({
    files: {
      '/proc/stat': s,
      '/proc/loadavg': `${load.load1.toFixed(2)} 0.50 0.30 ${load.running}/300 4242\n`,
      '/proc/pressure/cpu': psi(cpuStall, load.cpuStallUs / 1e4),
      '/proc/pressure/memory': psi(1000, 0),
      '/proc/pressure/io': psi(5000, 0),
      '/proc/meminfo': meminfo,
      '/proc/vmstat': vmstat,
    },
    meta: { 'clock.json': { monoMs: mono, wall: new Date(1_700_000_000_000 + mono).toISOString() } },
  });
  const a = files(stat(base, 1), 10_000_000, 0);
  const b = files(stat(later, load.running), 10_000_000 + load.cpuStallUs, 1000);
  const ta = fixtureTree(a.files, a.meta);
  const tb = fixtureTree(b.files, b.meta);
  cleanups.push(ta.cleanup, tb.cleanup);
  const pb = loaded.playbooks.get(playbook);
  if (!pb) throw new Error(`no playbook ${playbook}: ${loaded.errors.join('; ')}`);
  return runPlaybook({ playbook: pb, catalogue: cat, collectors: [cpuCollector, memoryCollector], sources: [ta.source, tb.source], windowMs: 1000 });
}

const critical = (r: Report) => r.findings.filter((f) => f.severity === 'critical').map((f) => `${f.check}@${f.scope}: ${f.title}`);

describe('built-in playbooks on synthetic hosts', () => {
  it('an idle host: no findings, CPU and memory judged ok', async () => {
    const r = await judge('cpu', { busyTicks: [2, 1], running: 1, cpuStallUs: 0, load1: 0.05 });
    expect(r.findings).toEqual([]);
    expect(r.coverage.find((c) => c.kind === 'utilization')?.status).toBe('ok');
    expect(r.coverage.find((c) => c.kind === 'saturation')?.status).toBe('ok');
    const m = await judge('memory', { busyTicks: [2, 1], running: 1, cpuStallUs: 0, load1: 0.05 });
    expect(critical(m)).toEqual([]);
  });

  it('one busy loop (one CPU at 100%, two runnable tasks counting diag): busy, not saturated, no critical', async () => {
    const r = await judge('cpu', { busyTicks: [100, 3], running: 2, cpuStallUs: 20_000, load1: 1.0 });
    expect(critical(r)).toEqual([]);
    expect(r.findings.map((f) => f.check)).toEqual(['cpu-percpu-utilization']);
    expect(r.coverage.find((c) => c.kind === 'saturation')?.status).toBe('ok');
    expect(r.status).toBe('warning');
  });

  it('six busy loops on two CPUs: critical run-queue and PSI saturation, critical host utilisation', async () => {
    const r = await judge('cpu', { busyTicks: [100, 100], running: 7, cpuStallUs: 990_000, load1: 5.8 });
    expect(critical(r).map((c) => c.split('@')[0])).toEqual(expect.arrayContaining(['cpu-runqueue-saturation', 'cpu-psi-saturation', 'cpu-host-utilization']));
    expect(r.status).toBe('critical');
  });

  it('two busy loops on two CPUs (fully used, not queued): utilisation findings, saturation at most a warning', async () => {
    const r = await judge('cpu', { busyTicks: [100, 100], running: 3, cpuStallUs: 60_000, load1: 2.0 });
    expect(r.findings.filter((f) => f.kind === 'saturation' && f.severity === 'critical')).toEqual([]);
    expect(r.findings.some((f) => f.check === 'cpu-host-utilization' && f.severity === 'critical')).toBe(true);
  });
});
