import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/report-schema.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { cgroupDir, cgroupVersion, enableV2Controllers, memoryLimitFile } from '../helpers/cgroup-fs.js';
import { expectFinding, PREFIX, runDiag, sleep, until, Workloads } from './helpers.js';

/**
 * A memory cgroup with a 32 MiB limit in which `tail /dev/zero` keeps growing until the OOM
 * killer stops it (restarted in a loop), and a pids cgroup with pids.max 8 in which a perl loop
 * keeps forking. Both are bounded by timeout(1), killed by PID, and their cgroups removed. The
 * cgroups are made where /proc/self/mountinfo puts the memory and pids controllers (v1 here, v2
 * on a unified host); each test waits for the kernel's own count of the fault before diag runs.
 */
const req = liveRequirement('root', 'cmd:timeout', 'cmd:tail', 'cmd:perl', 'cgroup:memory', 'cgroup:pids');
const work = new Workloads();
const MEM = `${PREFIX}-mem`;
const PIDS = `${PREFIX}-pids`;
const DIRS = req.skip ? [] : [cgroupDir('memory', MEM), cgroupDir('pids', PIDS)];

/** `key N` of a flat-keyed cgroup file (memory.events, memory.oom_control, pids.events), 0 when absent. */
function keyed(path: string, key: string): number {
  return Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(path, 'utf8'))?.[1] ?? 0);
}

const named = (f: Finding) => (f.culprits ?? []).map((c) => `${c.rank}. ${c.entity.id} ${c.entity.name} ${c.value ?? ''}`).join('\n  ');

async function removeDirs(): Promise<void> {
  for (const d of DIRS) {
    for (let i = 0; i < 50 && existsSync(d); i++) {
      try {
        rmdirSync(d);
      } catch {
        await sleep(100);
      }
    }
  }
}

describe.skipIf(req.skip)('scenario: memory limit and pids limit of a cgroup', () => {
  afterAll(async () => {
    await work.stop();
    await removeDirs();
  });

  it('finds OOM kills and limit hits in a 32 MiB memory cgroup (container --cgroup), critical', async () => {
    const dir = DIRS[0]!;
    enableV2Controllers(['memory']);
    mkdirSync(dir);
    const [file, value] = memoryLimitFile(32 * 1024 * 1024);
    writeFileSync(`${dir}/${file}`, value);
    const hog = work.gated('exec timeout -s KILL 30 sh -c "while :; do tail /dev/zero; done"');
    writeFileSync(`${dir}/cgroup.procs`, String(hog.pid));
    hog.stdin?.end('go\n');
    // under way: the kernel counted an OOM kill in the cgroup (v1 memory.oom_control, v2 memory.events)
    const kills = () => (cgroupVersion('memory') === 1 ? keyed(`${dir}/memory.oom_control`, 'oom_kill') : keyed(`${dir}/memory.events`, 'oom_kill'));
    await until(() => kills() >= 1, 15_000, `an OOM kill counted in ${dir}`);
    const r = await runDiag('container', ['--cgroup', `/${MEM}`]);
    await work.stop();
    const oom = expectFinding(r, { resource: 'memory', kind: 'errors', check: 'cg-oom-kills', scope: `cgroup:/${MEM}`, min: 'critical' });
    expect(oom[0]!.evidence.value).toBeGreaterThanOrEqual(1);
    expectFinding(r, { resource: 'memory', kind: 'saturation', check: 'cg-memory-limit-hits', scope: `cgroup:/${MEM}` });
    // the culprit is the planted cgroup (its own scope first), not some other one
    expect(oom[0]!.culprits?.[0]?.entity.id, named(oom[0]!)).toBe(`cgroup:/${MEM}`);
  });

  it('finds a cgroup at pids.max refusing forks (container --cgroup)', async () => {
    const dir = DIRS[1]!;
    enableV2Controllers(['pids']);
    mkdirSync(dir);
    writeFileSync(`${dir}/pids.max`, '8');
    // perl, not sh: dash exits and bash backs off on the first refused fork; this keeps trying every 10 ms.
    const forker = work.gated(`exec timeout -s KILL 30 perl -e 'while (1) { my $p = fork(); if (defined $p && $p == 0) { sleep 5; exit 0 } select(undef, undef, undef, 0.01) }'`);
    writeFileSync(`${dir}/cgroup.procs`, String(forker.pid));
    forker.stdin?.end('go\n');
    // under way: the kernel refused forks at the limit (pids.events max, v1 and v2)
    await until(() => keyed(`${dir}/pids.events`, 'max') > 0 && Number(readFileSync(`${dir}/pids.current`, 'utf8')) === 8, 10_000, `${dir}: pids.events max > 0 at pids.current 8`);
    const r = await runDiag('container', ['--cgroup', `/${PIDS}`]);
    await work.stop();
    const at = expectFinding(r, { resource: 'tasks', kind: 'utilization', check: 'cg-pids', scope: `cgroup:/${PIDS}`, min: 'critical' });
    expect(at[0]!.evidence.fields).toMatchObject({ current: 8, max: 8 });
    const forks = expectFinding(r, { resource: 'tasks', kind: 'errors', check: 'cg-fork-failures', scope: `cgroup:/${PIDS}` });
    expect(forks[0]!.evidence.value).toBeGreaterThan(0);
    expect(forks[0]!.culprits?.[0]?.entity.id, named(forks[0]!)).toBe(`cgroup:/${PIDS}`);
  });
});
