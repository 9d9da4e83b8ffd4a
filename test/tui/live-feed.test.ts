import { spawn, type ChildProcess } from 'node:child_process';
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
      for (let i = 0; i < 4; i++) {
        frames.push(await feed.next());
        await sleep(600);
      }
      const last = frames[3]!;
      const b = rowOf(last, busy.pid!);
      expect(b?.values.threads).toBeGreaterThan(1);
      // one worker spinning: ~100 % of a CPU; well above what an idle process shows
      expect(b?.values.cpu_pct).toBeGreaterThan(50);
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
