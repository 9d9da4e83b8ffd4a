import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/report-schema.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { cgroupDirs, cgroupVersion, cpuQuotaFiles, enableV2Controllers } from '../helpers/cgroup-fs.js';
import { expectFinding, PREFIX, runDiag, sleep, until, Workloads } from './helpers.js';

/**
 * CPU faults: saturation (six busy loops on this 2-CPU host, three times the CPUs) and a cgroup
 * throttled by a 0.1-core quota. Every loop is bounded by timeout(1) and killed by PID. The
 * cgroup is made in the hierarchy /proc/self/mountinfo names for cpu (v1 cpu + cpuacct here,
 * one v2 directory on a unified host).
 *
 * Saturation is host-wide: any six runnable tasks raise it (a build, another runner job). So the
 * test asserts the planted cause too: the finding's culprits are our loops, by PID. The loops run
 * in a cgroup of ours that weighs as 16 busy processes (as in first-screen.live), so they are the
 * busiest on a host shared with other work too, as they would be on a quiet one.
 */
const req = liveRequirement('root', 'cmd:timeout', 'cmd:pgrep', 'cgroup:cpu', 'cgroup:cpuacct');
const loops = new Workloads();
const CG = `${PREFIX}-cpu`;
const HEAVY = `${PREFIX}-cpuheavy`;
const DIRS = req.skip ? [] : cgroupDirs(['cpu', 'cpuacct'], CG);
const HEAVY_DIR = req.skip ? '' : cgroupDirs(['cpu'], HEAVY)[0]!;

/** utime+stime of a process in ticks (fields 14 and 15 of /proc/PID/stat), read without diag's parser; -1 when gone. */
function cpuTicks(pid: string): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return -1;
  }
}

/** The busy loops: the sh child of each timeout(1) leader. */
function loopPids(leaders: readonly number[]): string[] {
  return leaders.flatMap((l) => spawnSync('pgrep', ['-P', String(l), 'sh'], { encoding: 'utf8' }).stdout.trim().split('\n').filter((p) => /^\d+$/.test(p)));
}

const named = (f: Finding) => (f.culprits ?? []).map((c) => `${c.rank}. ${c.entity.id} ${c.entity.name} ${c.value ?? ''} ${c.identity.cmdline ?? ''}`).join('\n  ');

describe.skipIf(req.skip)('scenario: CPU', () => {
  afterAll(async () => {
    await loops.stop();
    for (const dir of [...DIRS, HEAVY_DIR]) {
      for (let i = 0; i < 30 && existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch {
          await sleep(100);
        }
      }
    }
  });

  it('finds CPU saturation with six busy loops on two CPUs (run queue and PSI), critical, and names the loops', async () => {
    enableV2Controllers(['cpu']);
    mkdirSync(HEAVY_DIR);
    writeFileSync(`${HEAVY_DIR}/${cgroupVersion('cpu') === 1 ? 'cpu.shares' : 'cpu.weight'}`, cgroupVersion('cpu') === 1 ? '16384' : '1600');
    const gate = loops.gated('for i in 1 2 3 4 5 6; do timeout -s KILL 60 sh -c "while :; do :; done" & done; wait');
    writeFileSync(`${HEAVY_DIR}/cgroup.procs`, String(gate.pid));
    gate.stdin?.end('go\n');
    let leaders: number[] = [];
    await until(() => (leaders = spawnSync('pgrep', ['-P', String(gate.pid), 'timeout'], { encoding: 'utf8' }).stdout.trim().split('\n').filter((p) => /^\d+$/.test(p)).map(Number)).length === 6, 10_000, 'six timeout(1) leaders');
    let mine: string[] = [];
    // under way: six loops exist and each has run for 20 ticks (0.2 s of CPU), not a fixed sleep
    await until(() => (mine = loopPids(leaders)).length === 6 && mine.every((p) => cpuTicks(p) >= 20), 15_000, 'six busy loops with 0.2 s of CPU each');
    const r = await runDiag('cpu');
    // The same load judged the way Netflix's first minute reads it: vmstat's r against the CPUs.
    const sixty = await runDiag('60s');
    await loops.stop();
    expectFinding(sixty, { resource: 'cpu', kind: 'saturation', check: 'vmstat-r', scope: 'host', min: 'critical' });
    const hits = expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'cpu-runqueue-saturation', scope: 'host', min: 'critical' });
    expect(hits[0]!.evidence.fields.others_running).toBeGreaterThanOrEqual(6);
    expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'cpu-psi-saturation', scope: 'host', min: 'warning' });
    expect(r.report.status).toBe('critical');
    expect(r.code).toBe(2);
    // The planted cause: the culprits (top five by CPU) are our loops.
    for (const [run, check] of [
      [r, 'cpu-runqueue-saturation'],
      [sixty, 'vmstat-r'],
    ] as const) {
      const f = run.report.findings.find((x) => x.check === check)!;
      const ours = (f.culprits ?? []).filter((c) => c.entity.kind === 'process' && mine.includes(c.entity.id.replace('process:', '')));
      expect(ours.length, `${check}: the culprits are five of the loops ${mine.join(' ')}; diag named:\n  ${named(f)}`).toBe(5);
      for (const c of ours) expect(c.identity.cmdline).toBe('sh -c while :; do :; done');
    }
  });

  it('finds a cgroup throttled by a 0.1-core CPU quota (container playbook --cgroup)', async () => {
    enableV2Controllers(['cpu']);
    for (const d of DIRS) mkdirSync(d);
    for (const [file, value] of cpuQuotaFiles('cpu', 10_000, 100_000)) writeFileSync(`${DIRS[0]}/${file}`, value);
    const busy = loops.gated('exec timeout -s KILL 30 sh -c "while :; do :; done"');
    for (const d of DIRS) writeFileSync(`${d}/cgroup.procs`, String(busy.pid));
    busy.stdin?.end('go\n');
    // under way: the kernel has throttled the cgroup for a few periods
    const throttled = () => Number(/^nr_throttled (\d+)$/m.exec(readFileSync(`${DIRS[0]}/cpu.stat`, 'utf8'))?.[1] ?? 0);
    await until(() => throttled() >= 3, 10_000, `${DIRS[0]}/cpu.stat nr_throttled >= 3`);
    const r = await runDiag('container', ['--cgroup', `/${CG}`]);
    await loops.stop();
    const hits = expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'cg-cpu-throttled', scope: `cgroup:/${CG}` });
    // a busy loop under a 10 % quota is throttled in (nearly) every period it runs in
    expect(hits[0]!.evidence.value).toBeGreaterThan(50);
    const inputs = cgroupVersion('cpu') === 1 ? `/sys/fs/cgroup/*/${CG}/{` : `/sys/fs/cgroup/${CG}/{`;
    expect(hits[0]!.evidence.inputs.some((i) => i.startsWith(inputs)), hits[0]!.evidence.inputs.join(' ')).toBe(true);
    const used = expectFinding(r, { resource: 'cpu', kind: 'utilization', check: 'cg-cpu-quota-used', scope: `cgroup:/${CG}` });
    // the culprit of the quota is the loop itself, in that cgroup
    const loop = (used[0]!.culprits ?? []).find((c) => c.entity.kind === 'process' && c.identity.cmdline === 'sh -c while :; do :; done');
    // (identity.cgroup is the process's first named cgroup; on a hybrid host that is its v2 one)
    expect(loop?.identity.cgroups?.split(','), named(used[0]!)).toContain(`/${CG}`);
    expect(r.report.target?.cgroup).toBe(`/${CG}`);
  });
});
