import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { biosnoopProbe } from '../../../collectors/bpf/biosnoop.js';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { run } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root', 'cmd:losetup', 'cmd:dd');

/** Completed I/Os of one device in /proc/diskstats, read without diag's parser: reads + writes + discards + flushes. */
function completedIos(name: string): number {
  const r = new LiveSource().readFile('/proc/diskstats');
  if (r.status !== 'ok') throw new Error('no /proc/diskstats');
  const f = r.value
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((x) => x[2] === name);
  if (!f) throw new Error(`${name} not in /proc/diskstats`);
  return [3, 7, 14, 18].reduce((a, i) => a + (Number(f[i]) || 0), 0);
}

/**
 * A dd that waits for a line on its stdin before it starts (sh reads it, then execs dd: the PID
 * is dd's from the start, so a filter can name it before it runs). In a session of its own,
 * killed with that session after 20 s at the latest.
 */
function gatedDd(args: readonly string[]): { pid: number; go: () => void; done: Promise<number | null>; end: () => void } {
  const child = spawn('sh', ['-c', 'read x && exec dd "$@"', 'sh', ...args], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error('dd did not start');
  const end = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the session is gone already
    }
  };
  const timer = setTimeout(end, 20_000);
  const done = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { pid, go: () => child.stdin?.end('go\n'), done, end };
}

function loopDevice(cleanups: Array<() => void>, tag: string): { dev: string; name: string; majmin: string } {
  const dir = mkdtempSync(join(tmpdir(), `diagt-bpf-${process.pid}-${tag}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const img = join(dir, 'disk.img');
  writeFileSync(img, Buffer.alloc(16 << 20));
  const dev = run('losetup', ['--find', '--show', img]).trim();
  cleanups.push(() => run('losetup', ['-d', dev]));
  const name = dev.replace('/dev/', '');
  return { dev, name, majmin: run('cat', [`/sys/block/${name}/dev`]).trim() };
}

describe.skipIf(req.skip)('biosnoop probe (live, loop device)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  for (const variant of biosnoopProbe().variants) {
    const label = `${variant.hook}${variant.programs.some((p) => p.startsWith('start_')) ? ' + block_io_start' : ''}`;
    it(`(${label}) counts the I/Os /proc/diskstats completes on a loop device and names the dd that wrote them`, async () => {
      const loop = loopDevice(cleanups, 'all');
      // 200 synchronous 4 KiB direct writes: one request each.
      const dd = gatedDd(['if=/dev/zero', `of=${loop.dev}`, 'bs=4k', 'count=200', 'oflag=direct', 'status=none']);
      cleanups.push(dd.end);
      const stop = new AbortController();
      let before = 0;
      const r = await runProbe({ ...biosnoopProbe(), variants: [variant] }, new LiveSource(), {
        durationMs: 15_000,
        signal: stop.signal,
        onAttached: () => {
          before = completedIos(loop.name);
          dd.go();
          void dd.done.finally(() => stop.abort());
        },
      });
      const delta = completedIos(loop.name) - before;
      expect(await dd.done).toBe(0);
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      const res = r.value.result;
      expect(res.attribution).toBe(variant.programs.some((p) => p.startsWith('start_')) ? 'submission' : 'issue');
      const mine = res.ios.filter((i) => i.dev === loop.majmin);
      const lost = r.value.lost.ring + r.value.lost.map;
      expect(delta).toBeGreaterThanOrEqual(200);
      // every I/O the kernel completed on the device in the window, less the ones it lost
      expect(mine.length, `probe ${mine.length} vs diskstats ${delta}, lost ${lost}`).toBeLessThanOrEqual(delta);
      expect(mine.length, `probe ${mine.length} vs diskstats ${delta}, lost ${lost}`).toBeGreaterThanOrEqual(delta - lost);
      // the dd's writes, each one request of 4 KiB, attributed to its PID
      const dds = mine.filter((i) => i.tgid === dd.pid);
      expect(dds.length).toBeGreaterThanOrEqual(200 - lost);
      expect(dds.every((i) => i.comm === 'dd' && i.op === 'write' && i.bytes === 4096 && i.error === 0)).toBe(true);
      // sectors: the 200 writes cover the first 800 KiB, 8 sectors apart
      expect(new Set(dds.map((i) => i.sector)).size).toBe(dds.length);
      expect(Math.max(...dds.map((i) => i.sector))).toBeLessThanOrEqual(199 * 8);
      expect(dds.every((i) => i.latencyNs > 0)).toBe(true);
      const dev = res.devices.find((d) => d.dev === loop.majmin);
      expect(dev?.name).toBe(loop.name);
      expect(res.processes.find((p) => p.tgid === dd.pid)?.devices).toContain(loop.name);
    });
  }

  it('--pid: only the named writer\'s I/Os, never another writer\'s on the same device', async () => {
    const loop = loopDevice(cleanups, 'pid');
    const a = gatedDd(['if=/dev/zero', `of=${loop.dev}`, 'bs=4k', 'count=150', 'oflag=direct', 'status=none']);
    const b = gatedDd(['if=/dev/zero', `of=${loop.dev}`, 'bs=8k', 'count=150', 'seek=100', 'oflag=direct', 'status=none']);
    cleanups.push(a.end, b.end);
    const stop = new AbortController();
    let before = 0;
    const r = await runProbe(biosnoopProbe(), new LiveSource(), {
      durationMs: 15_000,
      tgids: [a.pid],
      signal: stop.signal,
      onAttached: () => {
        before = completedIos(loop.name);
        a.go();
        b.go();
        void Promise.all([a.done, b.done]).finally(() => stop.abort());
      },
    });
    const delta = completedIos(loop.name) - before;
    expect([await a.done, await b.done]).toEqual([0, 0]);
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    // both wrote: the kernel completed at least both writers' requests on the device
    expect(delta).toBeGreaterThanOrEqual(300);
    const res = r.value.result;
    expect(res.ios.every((i) => i.tgid === a.pid)).toBe(true);
    expect(res.ios.some((i) => i.tgid === b.pid || i.bytes === 8192)).toBe(false);
    const lost = r.value.lost.ring + r.value.lost.map;
    expect(res.ios.length).toBeLessThanOrEqual(150);
    expect(res.ios.length).toBeGreaterThanOrEqual(150 - lost);
  });
});
