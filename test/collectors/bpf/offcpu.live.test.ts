import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offcpuProbe } from '../../../collectors/bpf/offcpu.js';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { compileC, run } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root', 'cmd:cc');

// Blocks in read() on a pipe (a FIFO: Node's child stdio are socket pairs, not pipes), from a function of its own that makes the system call
// itself (inline syscall: with libc's read() as the leaf, which keeps no frame pointer, a frame
// pointer walk would skip the caller). Prints "got" after each byte read.
const READER_C = `
#include <fcntl.h>
#include <stdio.h>
static long __attribute__((noinline)) wait_for_parent(long fd) {
  char c;
  long ret;
  __asm__ volatile ("syscall" : "=a"(ret) : "0"(0L), "D"(fd), "S"(&c), "d"(1L) : "rcx", "r11", "memory");
  return ret;
}
int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready\\n");
  int fd = open(argv[1], O_RDONLY);
  while (wait_for_parent(fd) == 1) printf("got\\n");
  return 0;
}
`;

function nextLine(child: ChildProcessWithoutNullStreams, word: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').includes(word)) {
        child.stdout.off('data', onData);
        clearTimeout(t);
        resolve(performance.now());
      }
    };
    const t = setTimeout(() => reject(new Error(`no ${word} in 10 s: ${out}`)), 10_000);
    child.stdout.on('data', onData);
  });
}

describe.skipIf(req.skip || process.arch !== 'x64')('offcpu probe (live)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });
  let bin: string;
  beforeAll(() => {
    const b = compileC('diagt-lat-reader', READER_C, ['-O1', '-fno-omit-frame-pointer']);
    cleanups.push(b.remove);
    bin = b.path;
  });

  for (const variant of offcpuProbe().variants) {
    it(`(${variant.hook}) a process blocked in read() on a pipe for a known time: that stack, asleep, that long`, async () => {
      const fifo = join(dirname(bin), `fifo-${variant.hook}`);
      run('mkfifo', [fifo]);
      const child = spawn(bin, [fifo], { stdio: ['pipe', 'pipe', 'pipe'] });
      cleanups.push(() => child.kill('SIGKILL'));
      await nextLine(child, 'ready');
      const writer = openSync(fifo, 'w'); // returns once the child opened its end
      cleanups.push(() => closeSync(writer));
      const BLOCK_MS = 700;
      const stop = new AbortController();
      let blocked = 0;
      const def = offcpuProbe({ minBlockUs: 1000 });
      const r = await runProbe({ ...def, variants: [variant] }, new LiveSource(), {
        durationMs: 10_000,
        tgids: [child.pid ?? 0],
        signal: stop.signal,
        onAttached: () => {
          // Wake it once: its next read() blocks under the probe; wake it again after BLOCK_MS.
          void (async () => {
            const got = nextLine(child, 'got');
            writeSync(writer, 'a');
            const t0 = await got;
            await new Promise((res) => setTimeout(res, BLOCK_MS));
            const again = nextLine(child, 'got');
            blocked = performance.now() - t0;
            writeSync(writer, 'b');
            await again;
            stop.abort();
          })();
        },
      });
      child.kill('SIGKILL');
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      expect(r.value.lost).toEqual({ ring: 0, map: 0 });
      const res = r.value.result;
      const pipe = res.stacks.filter((s) => s.frames.includes('wait_for_parent'));
      expect(pipe.length, JSON.stringify(res.stacks.map((s) => s.frames))).toBe(1);
      const s = pipe[0]!;
      expect(s.tgid).toBe(child.pid);
      expect(s.comm).toBe('diagt-lat-reade');
      expect(s.state).toBe('sleeping');
      expect(s.reason).toMatch(/pipe_read$/);
      // user frames root first: ... main, wait_for_parent; then the kernel's, ending in the wait
      const user = s.frames.filter((f) => !f.endsWith('_[k]'));
      expect(user.slice(-2)).toEqual(['main', 'wait_for_parent']);
      expect(s.frames.some((f) => /pipe_read_\[k\]$/.test(f))).toBe(true);
      expect(s.count).toBe(1);
      // Asleep from before the test's timer started until after it wrote: at least BLOCK_MS (the
      // test measured ${blocked} ms between the two "got" lines), and within the probe's window.
      expect(blocked).toBeGreaterThanOrEqual(BLOCK_MS);
      expect(s.totalNs / 1e6).toBeGreaterThanOrEqual(BLOCK_MS);
      expect(s.totalNs / 1e6).toBeLessThan(r.value.durationMs);
      expect(res.byReason[0]?.reason).toBe(s.reason);
    });
  }
});
