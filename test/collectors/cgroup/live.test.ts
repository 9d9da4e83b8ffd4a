import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupCollector } from '../../../collectors/cgroup/collector.js';
import { deriveModel, type ModelRow } from '../../../src/core/derive.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { FixtureSource } from '../../../src/core/fixture-source.js';
import { RecordingSource } from '../../../src/core/recording-source.js';
import { collectSample } from '../../../src/core/sample.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { cgroupDir } from '../../helpers/cgroup-fs.js';

/**
 * Live: real v1 cgroups on this hybrid host (cpu + cpuacct, memory, pids; found in
 * /proc/self/mountinfo, and required to be v1: the test reads v1 knobs, failcnt and
 * memory.oom_control; v2 trees are driven through the same collector from real hosts' fixtures
 * in cgroup/v2-hosts.test.ts), with a CPU quota, a memory limit and a pids limit,
 * each pushed over its limit by a process of ours; diag must see the counters move for exactly
 * that cgroup. Every process is bounded by `timeout`, killed by PID and the cgroups removed in
 * afterAll, even when an assertion fails.
 */
const req = liveRequirement('root', 'cmd:timeout', 'cgroup-v1:cpu', 'cgroup-v1:cpuacct', 'cgroup-v1:memory', 'cgroup-v1:pids');
const NAME = `diagt-cg-${process.pid}`;
const PATH = `/${NAME}`;
const DIR = req.skip ? { cpu: '', cpuacct: '', memory: '', pids: '' } : { cpu: cgroupDir('cpu', NAME), cpuacct: cgroupDir('cpuacct', NAME), memory: cgroupDir('memory', NAME), pids: cgroupDir('pids', NAME) };
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const collectors = [cgroupCollector];

/** A shell of ours that waits for a line on stdin (so it can be put into a cgroup first), then runs `script`. */
function gated(script: string): ChildProcess {
  const c = spawn('sh', ['-c', `read gate; ${script}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  children.push(c);
  return c;
}
function enter(dir: string, c: ChildProcess): void {
  writeFileSync(`${dir}/cgroup.procs`, String(c.pid));
}
const release = (c: ChildProcess) => c.stdin?.end('go\n');
function exited(c: ChildProcess, ms: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return Promise.race([new Promise<void>((r) => c.once('exit', () => r())), sleep(ms)]);
}
function row(m: ReturnType<typeof deriveModel>, table: string): ModelRow {
  const t = m.tables[table]!.rows;
  if (t.status !== 'ok') throw new Error(`${table}: ${t.status} ${t.reason}`);
  const r = t.value.find((x) => x.key === PATH);
  if (!r) throw new Error(`${table} has no row ${PATH}`);
  return r;
}

describe.skipIf(req.skip)('cgroups collector on live v1 cgroups (hybrid host)', () => {
  const src = new LiveSource();

  beforeAll(() => {
    for (const d of Object.values(DIR)) mkdirSync(d);
    writeFileSync(`${DIR.cpu}/cpu.cfs_period_us`, '100000');
    writeFileSync(`${DIR.cpu}/cpu.cfs_quota_us`, '10000');
    writeFileSync(`${DIR.memory}/memory.limit_in_bytes`, String(8 * 1024 * 1024));
    writeFileSync(`${DIR.pids}/pids.max`, '3');
  });

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGTERM'); // timeout(1) passes it on to its child
        } catch {
          /* already gone */
        }
      }
    }
    await Promise.all(children.map((c) => exited(c, 3000)));
    for (const d of Object.values(DIR)) {
      for (let i = 0; i < 30 && existsSync(d); i++) {
        try {
          rmdirSync(d);
        } catch {
          await sleep(100); // the last tasks are still exiting
        }
      }
    }
  });

  it('sees a CPU-quota cgroup throttled: nr_throttled moves, most periods throttled, usage held near the 0.1-core quota', async () => {
    const busy = gated('exec timeout -s KILL 8 sh -c "while :; do :; done"');
    enter(DIR.cpu, busy);
    enter(DIR.cpuacct, busy); // usage comes from cpuacct (v1 cpu.stat has no usage_usec below the root)
    release(busy);
    // the kernel's own cpu.stat, read right after each sample (nothing throttles between the two reads but a period boundary)
    const stat = () => Object.fromEntries(readFileSync(`${DIR.cpu}/cpu.stat`, 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)])) as Record<string, number>;
    // under way: the quota bites (periods throttled), not a fixed wait
    for (let i = 0; i < 100 && !(stat().nr_throttled! >= 3); i++) await sleep(50);
    const first = await collectSample(collectors, src, { sampleIndex: 0 });
    const k0 = stat();
    await sleep(1000); // the window
    const second = await collectSample(collectors, src, { sampleIndex: 1 });
    const k1 = stat();
    const m = deriveModel(collectors, { first, second });
    const cpu = row(m, 'cgroup_cpu');
    expect(cpu.labels.limited).toBe('yes');
    expect(cpu.values.quota_cores).toBeCloseTo(0.1);
    // the same counts the kernel shows over the same window (a period may end between a sample and our read)
    const throttled = k1.nr_throttled! - k0.nr_throttled!;
    const periods = k1.nr_periods! - k0.nr_periods!;
    expect(throttled).toBeGreaterThan(0);
    expect(Math.abs(cpu.deltas.nr_throttled! - throttled)).toBeLessThanOrEqual(1);
    expect(Math.abs(cpu.deltas.nr_periods! - periods)).toBeLessThanOrEqual(1);
    // the share throttled is the kernel's ratio, not an absolute level that depends on the host's load
    expect(cpu.values.throttled_pct).toBeCloseTo((100 * cpu.deltas.nr_throttled!) / cpu.deltas.nr_periods!, 1);
    expect(Math.abs(cpu.values.throttled_pct! - (100 * throttled) / periods)).toBeLessThan(10);
    expect(cpu.values.throttled_ms).toBeGreaterThan(0);
    expect(cpu.values.cpu_pct).toBeLessThan(30);
    const inv = row(m, 'cgroups');
    expect(inv.labels.pids).toContain(String(busy.pid));
    expect(inv.labels.hierarchies).toMatch(/\bcpu\b.*\bmemory\b.*\bpids\b/);
  });

  it('sees fork failures at pids.max (pids.events max)', async () => {
    const forker = gated('for i in 1 2 3 4 5 6; do sleep 1 & done; wait');
    enter(DIR.pids, forker);
    const first = await collectSample(collectors, src, { sampleIndex: 0 });
    release(forker);
    await exited(forker, 4000);
    const second = await collectSample(collectors, src, { sampleIndex: 1 });
    const pids = row(deriveModel(collectors, { first, second }), 'cgroup_pids');
    expect(pids.labels.limited).toBe('yes');
    expect(pids.values.max).toBe(3);
    const events = Number(/max (\d+)/.exec(readFileSync(`${DIR.pids}/pids.events`, 'utf8'))?.[1]);
    expect(events).toBeGreaterThan(0);
    expect(pids.deltas.fork_fail).toBe(events);
  });

  it('sees the memory limit hit: failcnt moves, usage vs limit, OOM kills counted as the kernel counts them', async () => {
    const hog = gated('exec timeout -s KILL 8 sh -c "head -c 67108864 /dev/zero | tail > /dev/null"');
    enter(DIR.memory, hog);
    const before = readFileSync(`${DIR.memory}/memory.oom_control`, 'utf8');
    const first = await collectSample(collectors, src, { sampleIndex: 0 });
    release(hog);
    await exited(hog, 6000);
    const second = await collectSample(collectors, src, { sampleIndex: 1 });
    const mem = row(deriveModel(collectors, { first, second }), 'cgroup_memory');
    expect(mem.values.limit).toBe(8 * 1024 * 1024);
    expect(mem.deltas.failcnt).toBeGreaterThan(0);
    const kills = (t: string) => Number(/oom_kill (\d+)/.exec(t)?.[1]);
    expect(mem.deltas.oom_kill).toBe(kills(readFileSync(`${DIR.memory}/memory.oom_control`, 'utf8')) - kills(before));
    expect(mem.values.used_pct).toBeLessThanOrEqual(100);
  });
  it('replays from a recording exactly (the raw inputs are all that a bundle needs)', async () => {
    const rec = new RecordingSource(src);
    const live = await collectSample([cgroupCollector], rec);
    const dir = mkdtempSync(join(tmpdir(), 'diagt-replay-'));
    try {
      rec.writeTree(dir);
      const replay = await collectSample([cgroupCollector], new FixtureSource(dir));
      const tables = (s: typeof live) => {
        const c = s.collectors['cgroups'];
        return c?.status === 'ok' ? c.value.tables : c;
      };
      expect(tables(replay)).toEqual(tables(live));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
