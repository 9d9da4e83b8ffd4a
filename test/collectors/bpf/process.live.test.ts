import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { execsnoopProbe } from '../../../collectors/bpf/execsnoop.js';
import { oomkillProbe } from '../../../collectors/bpf/oomkill.js';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { cgroupDir, cgroupVersion, enableV2Controllers, memoryLimitFile } from '../../helpers/cgroup-fs.js';
import { command } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root', 'cgroup:memory');

describe.skipIf(req.skip)('process probes (live)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  for (const variant of execsnoopProbe().variants) {
    it(`execsnoop (${variant.hook}) sees a command the test runs, with its parent and filename`, async () => {
      const stop = new AbortController();
      let childPid: number | undefined;
      const r = await runProbe({ ...execsnoopProbe(), variants: [variant] }, new LiveSource(), {
        durationMs: 10_000,
        signal: stop.signal,
        onAttached: () => {
          const child = spawn('/bin/echo', [`diagt-bpf-${process.pid}`], { stdio: 'ignore' });
          childPid = child.pid;
          child.once('exit', () => stop.abort());
        },
      });
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      const mine = r.value.result.events.filter((e) => e.tgid === childPid);
      expect(mine).toHaveLength(1);
      expect(mine[0]?.filename).toBe('/bin/echo');
      expect(mine[0]?.comm).toBe('echo');
      expect(mine[0]?.ppid).toBe(process.pid);
      expect(mine[0]?.uid).toBe(0);
      expect(r.value.lost).toEqual({ ring: 0, map: 0 });
    });
  }

  for (const variant of oomkillProbe().variants) {
    it(`oomkill (${variant.hook}) sees the victim of a small memory cgroup (v1 or v2, from mountinfo)`, async () => {
      const cg = cgroupDir('memory', `diagt-bpf-${process.pid}-${variant.hook}`);
      enableV2Controllers(['memory']);
      mkdirSync(cg);
      cleanups.push(() => {
        try {
          rmdirSync(cg);
        } catch {
          // still has a task: it was killed with SIGKILL and leaves within a moment
          setTimeout(() => rmdirSync(cg), 500);
        }
      });
      const [limitFile, limit] = memoryLimitFile(96 << 20);
      writeFileSync(`${cg}/${limitFile}`, limit);
      // With swap, the limit alone would make the hog swap instead of being killed.
      if (existsSync(`${cg}/memory.memsw.limit_in_bytes`)) writeFileSync(`${cg}/memory.memsw.limit_in_bytes`, String(96 << 20));
      if (existsSync(`${cg}/memory.swap.max`)) writeFileSync(`${cg}/memory.swap.max`, '0');
      const stop = new AbortController();
      let hogPid: number | undefined;
      const r = await runProbe({ ...oomkillProbe(), variants: [variant] }, new LiveSource(), {
        durationMs: 15_000,
        signal: stop.signal,
        onAttached: () => {
          // A child that moves itself into the cgroup, then touches memory until the OOM killer
          // ends it (bounded: it gives up after 10 s).
          const hog = spawn(
            process.execPath,
            ['-e', `require('fs').writeFileSync(${JSON.stringify(`${cg}/cgroup.procs`)}, String(process.pid)); const a = []; const end = Date.now() + 10000; while (Date.now() < end) a.push(Buffer.alloc(1 << 20, 1));`],
            { stdio: 'ignore' },
          );
          hogPid = hog.pid;
          hog.once('exit', () => setTimeout(() => stop.abort(), 100));
        },
      });
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      const victims = r.value.result.victims.filter((v) => v.victimTgid === hogPid);
      expect(victims.length).toBeGreaterThanOrEqual(1);
      expect(victims[0]?.victimComm).toBe('node');
      expect(r.value.lost.ring).toBe(0);
      // the cgroup agrees an OOM kill happened
      const oom = await command('cat', [`${cg}/${cgroupVersion('memory') === 1 ? 'memory.oom_control' : 'memory.events'}`]);
      expect(oom.stdout).toMatch(/oom_kill [1-9]/);
    });
  }
});
