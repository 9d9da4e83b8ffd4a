import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { syscallsProbe } from '../../../collectors/bpf/syscalls.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { Bpftrace, compileC, ensureTracefs } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root', 'cmd:bpftrace', 'cmd:cc');

/** Exactly N getppid() system calls per line read from stdin, then "done". */
const N = 50_000;
const GETPPID_C = `
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  char line[64];
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready\\n");
  while (fgets(line, sizeof line, stdin)) {
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    printf("done\\n");
  }
  return 0;
}
`;
const GETPPID_NR = 110; // x86_64

/** Resolves when the child has printed `word` `times` times in all. */
function printed(child: ChildProcessWithoutNullStreams, word: string, times: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const check = () => {
      if (out.split('\n').filter((l) => l === word).length >= times) {
        child.stdout.off('data', onData);
        clearTimeout(t);
        resolve();
      }
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      check();
    };
    const t = setTimeout(() => reject(new Error(`the workload did not print ${word} ${times} times in 20 s: ${out}`)), 20_000);
    child.stdout.on('data', onData);
  });
}

describe.skipIf(req.skip || process.arch !== 'x64')('syscalls probe (live)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  let child: ChildProcessWithoutNullStreams;
  let bt: Bpftrace;
  let doneSoFar = 0;
  beforeAll(async () => {
    cleanups.push(ensureTracefs());
    const bin = compileC('diagt-lat-getppid', GETPPID_C);
    cleanups.push(bin.remove);
    child = spawn(bin.path, [String(N)], { stdio: ['pipe', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill('SIGKILL'));
    await printed(child, 'ready', 1);
    // The reference: bpftrace counts the same tracepoint for the same process over the whole test.
    bt = new Bpftrace(`tracepoint:raw_syscalls:sys_enter /pid == ${child.pid} && args->id == ${GETPPID_NR}/ { @n = count(); }`);
    cleanups.push(() => bt.kill());
    await bt.attached;
  });

  const counted: number[] = [];
  for (const variant of syscallsProbe().variants) {
    it(`(${variant.hook}) counts the ${N} getppid() calls of a process filtered by --pid`, async () => {
      const pid = child.pid ?? 0;
      const stop = new AbortController();
      const def = syscallsProbe();
      const r = await runProbe({ ...def, variants: [variant] }, new LiveSource(), {
        durationMs: 15_000,
        tgids: [pid],
        signal: stop.signal,
        onAttached: () => {
          doneSoFar++;
          void printed(child, 'done', 1).then(() => stop.abort());
          child.stdin.write('go\n');
        },
      });
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      expect(r.value.stoppedBy).toBe('signal');
      expect(r.value.lost).toEqual({ ring: 0, map: 0 });
      const res = r.value.result;
      // Only the filtered process was traced.
      expect(res.processes.map((p) => p.tgid)).toEqual([pid]);
      expect(res.processes[0]?.comm).toBe('diagt-lat-getpp');
      const getppid = res.syscalls.find((c) => c.name === 'getppid');
      expect(getppid?.nr).toBe(GETPPID_NR);
      const n = getppid?.count ?? 0;
      counted.push(n);
      expect(Math.abs(n - N) / N, `counted ${n}`).toBeLessThan(0.02);
      expect(getppid?.histogram.total).toBe(n);
      // getppid takes no arguments and returns the parent: this test process.
      expect(getppid?.slowest.ret).toBe(process.pid);
    });
  }

  it('bpftrace counted the same calls of the same tracepoint in the same windows', async () => {
    const reference = await bt.stopScalar('@n');
    const ours = counted.reduce((a, b) => a + b, 0);
    expect(counted.length).toBe(doneSoFar);
    expect(reference).toBe(doneSoFar * N);
    expect(Math.abs(ours - reference) / reference, `diag ${ours}, bpftrace ${reference}`).toBeLessThan(0.02);
  });
});
