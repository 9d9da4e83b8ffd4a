import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRow } from '../../src/core/derive.js';
import { LiveSource } from '../../src/core/live-source.js';
import { cliSession } from '../../src/cli/session.js';
import { LiveFeed } from '../../src/tui/feed.js';
import type { Frame } from '../../src/tui/frame.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started: ChildProcess[] = [];
afterEach(() => {
  // only what this test started, by its PID
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** CPU ticks (utime + stime) of `pid` read without diag's parser: fields 14 and 15 of stat. */
function ticks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function rowOf(f: Frame, pid: number): ModelRow | undefined {
  const t = f.model.tables.processes?.rows;
  return t?.status === 'ok' ? t.value.find((r) => r.key === String(pid)) : undefined;
}

describe('the live feed on this host (real processes, real /proc)', () => {
  it('shows the CPU of a process whose main thread sleeps while another thread burns CPU (schedstat alone would say idle)', async () => {
    // the main thread waits for the worker; the worker spins for 6 s at most
    const busy = spawn(process.execPath, ['-e', "const { Worker } = require('node:worker_threads'); new Worker('const t = Date.now(); while (Date.now() - t < 6000);', { eval: true });"], { stdio: 'ignore' });
    const idle = spawn('sleep', ['20'], { stdio: 'ignore' });
    started.push(busy, idle);
    const session = cliSession();
    const feed = new LiveFeed(new LiveSource(), session, session.loaded.playbooks.get('use')!);
    try {
      await sleep(300);
      const frames: Frame[] = [];
      // the kernel's own count of the busy process's CPU, read as each frame comes (its sample
      // was taken just before): the reference for the last frame's window
      const ref: Array<{ ticks: number; at: number }> = [];
      for (let i = 0; i < 4; i++) {
        frames.push(await feed.next());
        ref.push({ ticks: ticks(busy.pid!), at: performance.now() });
        await sleep(600);
      }
      const last = frames[3]!;
      const b = rowOf(last, busy.pid!);
      expect(b?.values.threads).toBeGreaterThan(1);
      // one worker spinning: what the kernel accounted over the same window (whatever share of a
      // CPU the runner's load left it), within the tick and timing slack of two reads
      const kernelPct = ((ref[3]!.ticks - ref[2]!.ticks) / 100 / ((ref[3]!.at - ref[2]!.at) / 1000)) * 100;
      expect(kernelPct).toBeGreaterThan(5);
      expect(Math.abs((b?.values.cpu_pct ?? -100) - kernelPct)).toBeLessThan(15);
      // the sleeping process: 0 %, and from one refresh to the next the very same model row
      const a2 = rowOf(frames[2]!, idle.pid!);
      const a3 = rowOf(last, idle.pid!);
      expect(a3?.values.cpu_pct).toBe(0);
      expect(a3).toBe(a2);
      expect(a3?.labels.cmdline).toBe('sleep 20');
    } finally {
      feed.close();
    }
  });
});
