import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelLogCollector } from '../../../collectors/commands/kernel-log/collector.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { cgroupDir, memoryLimitFile } from '../../helpers/cgroup-fs.js';

// test-group: shared (it checks only what it made in its own network namespaces and cgroups (exact counters of its own traffic, rules and kills), never the host's load): it runs beside another file (vitest.config.ts)

/**
 * Live: one real OOM kill in a v1 memory cgroup of ours (a 16 MiB limit on the parent, the
 * process in its child), then the kernel_log collector must list it as an event with the
 * victim's PID, the memcg whose limit was hit and the victim's own memcg. The process is killed
 * by PID after 20 s if the OOM killer has not, the cgroups removed in afterAll.
 */
const req = liveRequirement('root', 'cmd:dmesg', 'cmd:tail', 'cgroup:memory');
const NAME = `dcg-oom-${process.pid}`;
// the memory hierarchy as /proc/self/mountinfo has it (v1 here; on v2 the parent must enable memory for the child)
const MEMORY = req.skip ? '' : cgroupDir('memory', '');
const PARENT = `${MEMORY}/${NAME}`;
const CHILD = `${PARENT}/victim`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe.skipIf(req.skip)('kernel_log: an OOM kill in a memory cgroup as an event row', () => {
  afterAll(async () => {
    for (const d of [CHILD, PARENT]) {
      for (let i = 0; i < 50 && existsSync(d); i++) {
        try {
          rmdirSync(d);
        } catch {
          await sleep(100);
        }
      }
    }
  });

  it('names the victim, its memcg and the memcg whose limit was hit', async () => {
    // cgroups of a run of this file that was killed before its afterAll (its PID no longer alive)
    for (const d of readdirSync(MEMORY)) {
      const pid = /^dcg-oom-(\d+)$/.exec(d)?.[1];
      if (pid === undefined || existsSync(`/proc/${pid}`)) continue;
      for (const x of [`${MEMORY}/${d}/victim`, `${MEMORY}/${d}`]) if (existsSync(x)) rmdirSync(x);
    }
    mkdirSync(PARENT, { recursive: true });
    if (existsSync(`${PARENT}/cgroup.subtree_control`)) writeFileSync(`${PARENT}/cgroup.subtree_control`, '+memory');
    mkdirSync(CHILD, { recursive: true });
    const [limitFile, limit] = memoryLimitFile(16 * 1024 * 1024);
    writeFileSync(`${PARENT}/${limitFile}`, limit);
    // The shell enters the child cgroup, then becomes `tail /dev/zero` (same PID), which grows until killed.
    const hog = spawn('sh', ['-c', `echo $$ > ${CHILD}/cgroup.procs && exec tail /dev/zero`], { stdio: 'ignore' });
    const bound = setTimeout(() => hog.kill('SIGKILL'), 20_000);
    const signal = await new Promise<string | null>((r) => hog.once('exit', (_c, sig) => r(sig)));
    clearTimeout(bound);
    expect(signal).toBe('SIGKILL');
    const out = await kernelLogCollector.collect(new LiveSource(), { sampleIndex: 0 });
    const t = out.oom_kills;
    expect(t?.status).toBe('ok');
    if (t?.status !== 'ok') return;
    const mine = t.value.filter((r) => r.labels?.task_memcg === `/${NAME}/victim`);
    expect(mine).toHaveLength(1);
    const r = mine[0]!;
    expect(r.labels).toMatchObject({ comm: 'tail', constraint: 'CONSTRAINT_MEMCG', oom_memcg: `/${NAME}`, cgroup: `/${NAME}/victim`, reason: 'Memory cgroup out of memory' });
    expect(r.values.memcg_limit).toBe(16 * 1024 * 1024);
    expect(r.values.recent).toBe(1);
    expect(r.values.anon_rss).toBeGreaterThan(8 * 1024 * 1024); // tail held most of the 16 MiB
    expect(r.values.pid).toBe(hog.pid);
    expect(r.key).toBe(`${r.values.at!.toFixed(6)}/${r.values.pid}`);
  });
});
