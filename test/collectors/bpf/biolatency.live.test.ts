import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { biolatencyProbe } from '../../../collectors/bpf/biolatency.js';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { command, run } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root', 'cmd:losetup');

/** The fields of one device's line in /proc/diskstats, read without diag's parser. */
function diskstatsOf(name: string): number[] {
  const r = new LiveSource().readFile('/proc/diskstats');
  if (r.status !== 'ok') throw new Error('no /proc/diskstats');
  const f = r.value
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((x) => x[2] === name);
  if (!f) throw new Error(`${name} not in /proc/diskstats`);
  return f.map((x) => Number(x) || 0);
}

/** Milliseconds the device's requests took, summed (reads + writes + discards + flushes). */
const ioMs = (name: string): number => {
  const f = diskstatsOf(name);
  return [6, 10, 17, 19].reduce((a, i) => a + (f[i] ?? 0), 0);
};

/** Completed I/Os of one device in /proc/diskstats: reads + writes + discards + flushes. */
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

describe.skipIf(req.skip)('biolatency probe (live, loop device)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  for (const variant of biolatencyProbe().variants) {
    it(`(${variant.hook}) counts as many I/Os on a loop device as /proc/diskstats completes`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `diagt-bpf-${process.pid}-`));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const img = join(dir, 'disk.img');
      writeFileSync(img, Buffer.alloc(16 << 20));
      const dev = run('losetup', ['--find', '--show', img]).trim();
      cleanups.push(() => run('losetup', ['-d', dev]));
      const name = dev.replace('/dev/', '');
      const [major, minor] = run('cat', [`/sys/block/${name}/dev`]).trim().split(':').map(Number);
      // Let udev's first look at the new device finish before the window.
      await new Promise((r) => setTimeout(r, 300));
      const stop = new AbortController();
      let before = 0;
      let msBefore = 0;
      let writer: Promise<{ code: number | null; stderr: string }> | undefined;
      const r = await runProbe({ ...biolatencyProbe({ major: major ?? 0, minor: minor ?? 0 }), variants: [variant] }, new LiveSource(), {
        durationMs: 10_000,
        signal: stop.signal,
        onAttached: () => {
          before = completedIos(name);
          msBefore = ioMs(name);
          // 200 synchronous 4 KiB direct writes, then 50 direct reads: one request each.
          writer = (async () => {
            const w = await command('dd', ['if=/dev/zero', `of=${dev}`, 'bs=4k', 'count=200', 'oflag=direct', 'status=none']);
            if (w.code !== 0) return w;
            return command('dd', [`if=${dev}`, 'of=/dev/null', 'bs=4k', 'count=50', 'iflag=direct', 'status=none']);
          })();
          void writer.finally(() => stop.abort());
        },
      });
      const after = completedIos(name);
      const msDelta = ioMs(name) - msBefore;
      const w = await writer;
      expect(w?.code, w?.stderr).toBe(0);
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      const mine = r.value.result.devices.find((d) => d.dev === `${major}:${minor}`);
      expect(mine?.name).toBe(name);
      expect(r.value.result.devices.every((d) => d.dev === `${major}:${minor}`)).toBe(true);
      const delta = after - before;
      expect(delta).toBeGreaterThanOrEqual(250);
      expect(Math.abs((mine?.histogram.total ?? 0) - delta), `probe ${mine?.histogram.total} vs diskstats ${delta}`).toBeLessThanOrEqual(2);
      // the latencies, not only the count (audit item 9): the histogram's time, each request at
      // its slot's midpoint (log2 slots: within 1.5x either way), against the milliseconds the
      // kernel summed for the device's requests over the same window (±1 ms of rounding). A
      // wrong unit (ns or ms for µs) is 1000x off; a wrong interval or slot mapping far off too.
      const counts = mine?.histogram.counts ?? [];
      const estUs = counts.reduce((a, c, k) => a + c * (k === 0 ? 0.5 : 1.5 * 2 ** k), 0);
      const why = `histogram ${JSON.stringify(counts)} ~${Math.round(estUs)} µs vs diskstats ${msDelta} ms`;
      expect(estUs, why).toBeGreaterThanOrEqual(((msDelta - 1) * 1000) / 3);
      expect(estUs, why).toBeLessThanOrEqual((msDelta + 1) * 1000 * 3);
    });
  }
});
