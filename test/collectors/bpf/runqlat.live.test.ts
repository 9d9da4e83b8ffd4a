import { cpus } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runqlatProbe, runqlatProbeWith } from '../../../collectors/bpf/runqlat.js';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { background, Bpftrace, ensureTracefs, shapeDistance } from '../../helpers/bpf.js';

const req = liveRequirement('root', 'cmd:bpftrace', 'cmd:stress-ng', 'cmd:taskset');

// The same definition as diag's probe, written in bpftrace on classic tracepoints: a task is
// queued on wakeup, on wakeup of a new task, and when switched out while still runnable
// (classic prev_state of a preempted task is 0x100, so "runnable" is (prev_state & 0xff) == 0).
// The window is gated by the test: each getppid() of this process toggles it, so bpftrace
// counts exactly from diag's attach to the end of diag's window, and prints (then clears) the
// histogram when a window closes: one bpftrace serves every variant in turn.
const RUNQLAT_BT = `
tracepoint:syscalls:sys_enter_getppid /pid == ${process.pid}/ {
  @on = @on ? 0 : 1;
  if (@on == 0) { print(@usecs); clear(@usecs); clear(@qtime); }
}
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { if (@on && args->pid != 0) { @qtime[args->pid] = nsecs; } }
tracepoint:sched:sched_switch {
  if (@on) {
    if ((args->prev_state & 0xff) == 0 && args->prev_pid != 0) { @qtime[args->prev_pid] = nsecs; }
    $ns = @qtime[args->next_pid];
    if ($ns) { @usecs = hist((nsecs - $ns) / 1000); }
    delete(@qtime[args->next_pid]);
  }
}
END { clear(@qtime); clear(@on); }`;

/** A getppid() system call: the window marker bpftrace watches. */
const toggleWindow = (): number => process.ppid;

describe.skipIf(req.skip)('runqlat probe (live)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  // Two busy workers per CPU: every tick preempts one, so the run queues are never empty.
  let bt: Bpftrace | undefined;
  let windows = 0;
  beforeAll(async () => {
    cleanups.push(ensureTracefs());
    const load = background('stress-ng', ['--cpu', String(2 * cpus().length), '--cpu-method', 'int64', '--timeout', '20s', '--quiet']);
    cleanups.push(load.end);
    bt = new Bpftrace(RUNQLAT_BT);
    const b = bt;
    cleanups.push(() => b.kill());
    await bt.attached;
  });

  for (const variant of runqlatProbe.variants) {
    it(`(${variant.hook}) under CPU saturation gives the same histogram as bpftrace over the same window`, async () => {
      if (!bt) throw new Error('bpftrace did not start');
      const stop = new AbortController();
      const r = await runProbe({ ...runqlatProbe, variants: [variant] }, new LiveSource(), {
        durationMs: 3000,
        signal: stop.signal,
        onAttached: () => {
          toggleWindow();
          setTimeout(() => {
            toggleWindow();
            stop.abort();
          }, 1000);
        },
      });
      windows++;
      const reference = (await bt.waitHistograms('@usecs', windows))[windows - 1] ?? [];
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      const ours = r.value.result.histogram.counts;
      const oursTotal = r.value.result.histogram.total;
      const refTotal = reference.reduce((a, b) => a + b, 0);
      const both = `diag ${JSON.stringify(ours)} vs bpftrace ${JSON.stringify(reference)}`;
      expect(r.value.hook).toBe(variant.hook);
      expect(r.value.lost).toEqual({ ring: 0, map: 0 });
      // Saturated: latencies of milliseconds (a tick or more) must be there.
      expect(ours.slice(10).reduce((a, b) => a + b, 0), both).toBeGreaterThan(20);
      expect(Math.abs(oursTotal - refTotal) / refTotal, both).toBeLessThan(0.1);
      expect(shapeDistance(ours, reference), both).toBeLessThan(0.1);
    });
  }

  it('--per-process: two busy processes sharing one CPU each wait about a tick per run', async () => {
    // Both pinned to CPU 0, bounded to 4 s: each is preempted by the other every tick.
    const spin = `const end = Date.now() + 4000; while (Date.now() < end) {}`;
    const a = background('taskset', ['-c', '0', process.execPath, '-e', spin]);
    const b = background('taskset', ['-c', '0', process.execPath, '-e', spin]);
    cleanups.push(a.end, b.end);
    await new Promise((r) => setTimeout(r, 300));
    const pids = [a.child.pid ?? 0, b.child.pid ?? 0];
    const r = await runProbe(runqlatProbeWith({ perProcess: true }), new LiveSource(), { durationMs: 1000, tgids: pids });
    a.end();
    b.end();
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    const procs = r.value.result.processes ?? [];
    expect(procs.map((p) => p.tgid).sort()).toEqual([...pids].sort());
    for (const p of procs) {
      expect(p.comm).toBe('node');
      const ms = p.histogram.counts.slice(10).reduce((x, y) => x + y, 0); // waits of 1 ms or more
      expect(ms / p.histogram.total, JSON.stringify(p.histogram.counts)).toBeGreaterThan(0.5);
    }
    expect(r.value.result.histogram.total).toBe(procs.reduce((x, p) => x + p.histogram.total, 0));
  });
});
