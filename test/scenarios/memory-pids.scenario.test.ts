import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { expectFinding, PREFIX, runDiag, sleep, Workloads } from './helpers.js';

/**
 * A v1 memory cgroup with a 32 MiB limit in which `tail /dev/zero` keeps growing until the OOM
 * killer stops it (restarted in a loop), and a v1 pids cgroup with pids.max 8 in which a perl
 * loop keeps forking. Both are bounded by timeout(1), killed by PID, and their cgroups removed.
 */
const req = liveRequirement('root', 'cmd:timeout', 'cmd:tail', 'cmd:perl');
const work = new Workloads();
const MEM = `${PREFIX}-mem`;
const PIDS = `${PREFIX}-pids`;
const DIRS = [`/sys/fs/cgroup/memory/${MEM}`, `/sys/fs/cgroup/pids/${PIDS}`];

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
    mkdirSync(dir);
    writeFileSync(`${dir}/memory.limit_in_bytes`, String(32 * 1024 * 1024));
    const hog = work.gated('exec timeout -s KILL 30 sh -c "while :; do tail /dev/zero; done"');
    writeFileSync(`${dir}/cgroup.procs`, String(hog.pid));
    hog.stdin?.end('go\n');
    await sleep(500);
    const r = await runDiag('container', ['--cgroup', `/${MEM}`]);
    await work.stop();
    const oom = expectFinding(r, { resource: 'memory', kind: 'errors', check: 'cg-oom-kills', scope: `cgroup:/${MEM}`, min: 'critical' });
    expect(oom[0]!.evidence.value).toBeGreaterThanOrEqual(1);
    expectFinding(r, { resource: 'memory', kind: 'saturation', check: 'cg-memory-limit-hits', scope: `cgroup:/${MEM}` });
  });

  it('finds a cgroup at pids.max refusing forks (container --cgroup)', async () => {
    const dir = DIRS[1]!;
    mkdirSync(dir);
    writeFileSync(`${dir}/pids.max`, '8');
    // perl, not sh: dash exits and bash backs off on the first refused fork; this keeps trying every 10 ms.
    const forker = work.gated(`exec timeout -s KILL 30 perl -e 'while (1) { my $p = fork(); if (defined $p && $p == 0) { sleep 5; exit 0 } select(undef, undef, undef, 0.01) }'`);
    writeFileSync(`${dir}/cgroup.procs`, String(forker.pid));
    forker.stdin?.end('go\n');
    await sleep(500);
    const r = await runDiag('container', ['--cgroup', `/${PIDS}`]);
    await work.stop();
    expectFinding(r, { resource: 'tasks', kind: 'utilization', check: 'cg-pids', scope: `cgroup:/${PIDS}`, min: 'critical' });
    const forks = expectFinding(r, { resource: 'tasks', kind: 'errors', check: 'cg-fork-failures', scope: `cgroup:/${PIDS}` });
    expect(forks[0]!.evidence.value).toBeGreaterThan(0);
  });
});
