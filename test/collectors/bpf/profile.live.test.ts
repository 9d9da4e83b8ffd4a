import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileProbe } from '../../../collectors/bpf/profile.js';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { background, run } from '../../helpers/bpf.js';

const req = liveRequirement('root', 'cmd:clang');

// A program whose time is spent in one known function (bounded: it exits after 4 s).
const BUSY_C = `
#include <time.h>
volatile unsigned long sink;
__attribute__((noinline)) void diagt_busy_spin(void) {
  for (unsigned long i = 0; i < 1000000; i++) sink += i * i;
}
int main(void) {
  time_t end = time(0) + 4;
  while (time(0) < end) diagt_busy_spin();
  return 0;
}
`;

/** CPU ticks (utime + stime, 1/100 s) of `pid`, read without diag's parser. */
function cpuTicks(pid: number): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

describe.skipIf(req.skip)('profile probe (live)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('finds the busy function of a process, in folded stacks and speedscope', async () => {
    const dir = mkdtempSync(join(tmpdir(), `diagt-bpf-${process.pid}-`));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'busy.c'), BUSY_C);
    run('clang', ['-O1', '-g0', '-fno-omit-frame-pointer', '-o', join(dir, 'busy'), join(dir, 'busy.c')]);
    const busy = background(join(dir, 'busy'), []);
    cleanups.push(busy.end);
    const pid = busy.child.pid ?? 0;
    await new Promise((r) => setTimeout(r, 100));
    const t0 = cpuTicks(pid);
    const w0 = performance.now();
    const r = await runProbe(profileProbe({ hz: 99 }), new LiveSource(), { durationMs: 1000, tgids: [pid] });
    const t1 = cpuTicks(pid);
    const wallS = (performance.now() - w0) / 1000;
    busy.end();
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    const { stacks, samples, folded, speedscope } = r.value.result;
    expect(stacks.every((s) => s.tgid === pid)).toBe(true);
    // 99 Hz over the CPU time the kernel accounted to the process (whatever the runner's load
    // left it), read around the probe: never more samples than that time allows, and over the
    // probe's 1 s at least 60 % of what its share of a CPU around the probe predicts
    const cpuS = (t1 - t0) / 100;
    expect(samples).toBeGreaterThan(10);
    expect(samples).toBeLessThanOrEqual(cpuS * 99 + 10);
    expect(samples).toBeGreaterThanOrEqual(0.6 * 99 * Math.min(1, cpuS / wallS) - 5);
    const inBusy = stacks.filter((s) => s.frames.includes('diagt_busy_spin')).reduce((a, s) => a + s.count, 0);
    expect(inBusy / samples).toBeGreaterThan(0.8);
    expect(stacks.some((s) => s.frames.join(';').includes('main;diagt_busy_spin'))).toBe(true);
    expect(folded).toMatch(/^busy;.*diagt_busy_spin.* \d+$/m);
    expect(speedscope.shared.frames.some((f) => f.name === 'diagt_busy_spin')).toBe(true);
    expect(speedscope.profiles[0]?.weights.reduce((a, b) => a + b, 0)).toBe(samples);
  });

  it('symbolises kernel stacks through /proc/kallsyms (dd reading /dev/zero spends its time in read_zero)', async () => {
    const dd = background('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1M', 'count=200000']);
    cleanups.push(dd.end);
    const pid = dd.child.pid ?? 0;
    await new Promise((r) => setTimeout(r, 100));
    const r = await runProbe(profileProbe({ hz: 99 }), new LiveSource(), { durationMs: 1000, tgids: [pid] });
    dd.end();
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    const { stacks, samples } = r.value.result;
    expect(samples).toBeGreaterThan(10);
    const inReadZero = stacks.filter((s) => s.frames.includes('read_zero_[k]')).reduce((a, s) => a + s.count, 0);
    expect(inReadZero / samples).toBeGreaterThan(0.5);
    // kernel frames come after user frames, root first: the syscall entry precedes read_zero
    const one = stacks.find((s) => s.frames.includes('read_zero_[k]'));
    const f = one?.frames ?? [];
    expect(f.indexOf('vfs_read_[k]')).toBeGreaterThanOrEqual(0);
    expect(f.indexOf('vfs_read_[k]')).toBeLessThan(f.indexOf('read_zero_[k]'));
  });
});
