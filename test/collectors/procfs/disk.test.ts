import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diskCollector } from '../../../collectors/procfs/disk/collector.js';
import { parseDiskstats, parseScheduler, parseSysfsLine, parseSysfsUint, sysfsName } from '../../../collectors/procfs/disk/parse.js';
import type { ModelRow } from '../../../src/core/derive.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectSample } from '../../../src/core/sample.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/procfs/${name}`, import.meta.url), 'utf8');
const ds618 = fixture('diskstats-6.18.txt');
const ds54 = fixture('diskstats-5.4.txt');
const ds44 = fixture('diskstats-4.4.txt');
const ds2618 = fixture('diskstats-2.6.18.txt');

describe('parseDiskstats', () => {
  it('reads all 17 counters of a 5.5+ line (20 columns)', () => {
    const r = parseDiskstats(ds618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const vda = r.value.devices.find((d) => d.name === 'vda')!;
    expect(vda).toMatchObject({ major: 254, minor: 0, columns: 20 });
    expect(Object.keys(vda.stats)).toHaveLength(17);
    expect(vda.stats.flushes).toBeGreaterThan(0);
    expect(r.value.skippedLines).toEqual([]);
  });
  it('leaves flush columns undefined on 4.18-5.4 (18 columns)', () => {
    const r = parseDiskstats(ds54);
    const p2 = r.ok ? r.value.devices.find((d) => d.name === 'nvme0n1p2') : undefined;
    expect(p2?.stats).toMatchObject({ reads: 220115, discards: 1520, discard_sectors: 6011848, discard_ms: 412 });
    expect(p2?.stats.flushes).toBeUndefined();
    expect(p2?.stats.flush_ms).toBeUndefined();
  });
  it('leaves discard and flush columns undefined before 4.18 (14 columns)', () => {
    const r = parseDiskstats(ds44);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.devices.map((d) => d.name)).toEqual(['ram0', 'loop0', 'loop1', 'sda', 'sda1', 'sda2', 'dm-0', 'dm-1', 'sr0']);
    const sda = r.value.devices.find((d) => d.name === 'sda')!;
    expect(sda.stats).toEqual({
      reads: 184220, read_merges: 2093, read_sectors: 11108474, read_ms: 1269048,
      writes: 1125710, write_merges: 876549, write_sectors: 36843162, write_ms: 14339216,
      in_flight: 0, io_ms: 2498652, queue_ms: 15618344,
    });
  });
  it('reads the 4-counter partition lines of kernels before 2.6.25 (7 columns)', () => {
    const r = parseDiskstats(ds2618);
    const hda1 = r.ok ? r.value.devices.find((d) => d.name === 'hda1') : undefined;
    expect(hda1?.columns).toBe(7);
    expect(hda1?.stats).toEqual({ reads: 35486, read_sectors: 38030, writes: 38030, write_sectors: 38030 });
  });
  it('keeps a future kernel\'s extra columns out and its known ones in', () => {
    const r = parseDiskstats('   8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n');
    expect(r.ok && r.value.devices[0]!.stats.flush_ms).toBe(17);
  });
  it('skips truncated and garbled lines, keeps a garbled counter undefined', () => {
    const text = '   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8 1 sda1 1 2 3\nxx yy sdb 1 2 3 4 5 6 7 8 9 10 11\n   8 16 sdc 1 2 x 4 5 6 7 8 9 10 11\n';
    const r = parseDiskstats(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.devices.map((d) => d.name)).toEqual(['sda', 'sdc']);
    expect(r.value.skippedLines).toEqual([2, 3]);
    expect(r.value.devices[1]!.stats.read_sectors).toBeUndefined();
    expect(r.value.devices[1]!.stats.read_ms).toBe(4);
  });
  it('an empty file is a host without block devices; text without any device line is an error', () => {
    expect(parseDiskstats('')).toEqual({ ok: true, value: { devices: [], skippedLines: [] } });
    expect(parseDiskstats('garbage\n').ok).toBe(false);
    expect(parseDiskstats(ds618.slice(0, 20)).ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parseDiskstats, [ds618, ds54, ds44, ds2618]));
});

describe('sysfs attribute parsers', () => {
  it('finds the active scheduler', () => {
    expect(parseScheduler('none [mq-deadline] kyber bfq\n')).toEqual({ ok: true, value: 'mq-deadline' });
    expect(parseScheduler('noop deadline [cfq] \n')).toEqual({ ok: true, value: 'cfq' });
    expect(parseScheduler('none\n')).toEqual({ ok: true, value: 'none' });
    expect(parseScheduler('').ok).toBe(false);
    expect(parseScheduler('a b c').ok).toBe(false);
  });
  it('reads numbers and single lines', () => {
    expect(parseSysfsUint('128\n')).toEqual({ ok: true, value: 128 });
    expect(parseSysfsUint('-1\n').ok).toBe(false);
    expect(parseSysfsLine('vg0-root\n')).toEqual({ ok: true, value: 'vg0-root' });
    expect(parseSysfsLine('/tmp/a file\n')).toEqual({ ok: true, value: '/tmp/a file' });
    expect(parseSysfsLine('a\nb\n').ok).toBe(false);
    expect(parseSysfsLine('').ok).toBe(false);
  });
  it('maps kernel names to sysfs names', () => expect(sysfsName('cciss/c0d0')).toBe('cciss!c0d0'));
  it('survive fuzzing', () => {
    fuzzParser(parseScheduler, ['none [mq-deadline] kyber bfq\n']);
    fuzzParser(parseSysfsUint, ['512\n']);
    fuzzParser(parseSysfsLine, ['vg0-root\n']);
  });
});

/** A host with a partitioned disk under LVM, a loop device, a detached loop device and a RAM disk. */
function hostFiles(diskstats: string): Record<string, string> {
  const queue = (dir: string, rotational: string) => ({
    [`${dir}/queue/rotational`]: rotational,
    [`${dir}/queue/nr_requests`]: '64\n',
    [`${dir}/queue/logical_block_size`]: '512\n',
    [`${dir}/queue/physical_block_size`]: '4096\n',
    [`${dir}/queue/max_sectors_kb`]: '1280\n',
    [`${dir}/queue/max_hw_sectors_kb`]: '32767\n',
    [`${dir}/queue/read_ahead_kb`]: '128\n',
    [`${dir}/queue/scheduler`]: 'none [mq-deadline] kyber bfq\n',
    [`${dir}/queue/write_cache`]: 'write back\n',
  });
  return {
    '/proc/diskstats': diskstats,
    ...queue('/sys/block/sda', '1\n'),
    '/sys/block/sda/size': '41943040\n',
    '/sys/block/sda/ro': '0\n',
    '/sys/block/sda/removable': '0\n',
    '/sys/block/sda/sda1/partition': '1\n',
    '/sys/block/sda/sda1/size': '2048\n',
    '/sys/block/sda/sda1/ro': '0\n',
    '/sys/block/sda/sda2/partition': '2\n',
    '/sys/block/sda/sda2/size': '41938944\n',
    '/sys/block/sda/sda2/ro': '0\n',
    ...queue('/sys/block/dm-0', '1\n'),
    '/sys/block/dm-0/size': '37748736\n',
    '/sys/block/dm-0/dm/name': 'vg0-root\n',
    '/sys/block/dm-0/slaves/sda2': '',
    ...queue('/sys/block/dm-1', '1\n'),
    '/sys/block/dm-1/size': '4186112\n',
    // A mapper name that is also a kernel name: the row keeps the kernel name.
    '/sys/block/dm-1/dm/name': 'sr0\n',
    ...queue('/sys/block/loop0', '0\n'),
    '/sys/block/loop0/size': '0\n',
    ...queue('/sys/block/loop1', '0\n'),
    '/sys/block/loop1/size': '2048\n',
    '/sys/block/loop1/loop/backing_file': '/var/lib/an image\n',
    ...queue('/sys/block/ram0', '0\n'),
    '/sys/block/ram0/size': '8192\n',
    ...queue('/sys/block/sr0', '1\n'),
    '/sys/block/sr0/size': '0\n',
    '/sys/block/sr0/removable': '1\n',
  };
}

describe('disk collector on a 4.4 host tree', () => {
  it('names device-mapper devices, flags partitions, skips RAM disks and detached loops', async () => {
    const t = fixtureTree(hostFiles(ds44));
    try {
      const s = await collectSample([diskCollector], t.source);
      const c = s.collectors.disk!;
      expect(c.status).toBe('ok');
      if (c.status !== 'ok') return;
      const rows = c.value.tables.disk!;
      expect(rows.status).toBe('ok');
      if (rows.status !== 'ok') return;
      const byKey = new Map(rows.value.map((r) => [r.key, r]));
      expect([...byKey.keys()]).toEqual(['loop1', 'sda', 'sda1', 'sda2', 'vg0-root', 'dm-1', 'sr0']);
      expect(byKey.get('vg0-root')!.labels).toEqual({ kernel: 'dm-0', dev: '253:0', kind: 'dm', slaves: 'sda2', scheduler: 'mq-deadline', write_cache: 'write back' });
      expect(byKey.get('dm-1')!.labels).toMatchObject({ kernel: 'dm-1', kind: 'dm' });
      expect(byKey.get('sda2')!.labels).toEqual({ kernel: 'sda2', dev: '8:2', kind: 'partition', parent: 'sda', scheduler: 'mq-deadline', write_cache: 'write back' });
      expect(byKey.get('sda2')!.values).toMatchObject({ size_bytes: 41938944 * 512, rotational: 1, nr_requests: 64, reads: 183017 });
      expect(byKey.get('sda2')!.values.removable).toBeUndefined();
      expect(byKey.get('sda')!.values).toMatchObject({ size_bytes: 41943040 * 512, logical_block_size: 512, physical_block_size: 4096, max_sectors_kb: 1280, read_ahead_kb: 128, ro: 0, removable: 0 });
      expect(byKey.get('loop1')!.labels).toMatchObject({ kind: 'loop', backing_file: '/var/lib/an image' });
      // 14-column kernel: no discard or flush counters, never zeros.
      expect(byKey.get('sda')!.values.discards).toBeUndefined();
      expect(byKey.get('sda')!.values.flushes).toBeUndefined();
    } finally {
      t.cleanup();
    }
  });

  it('works without /sys (a container without sysfs): devices keep their kernel names', async () => {
    const t = fixtureTree({ '/proc/diskstats': ds44 });
    try {
      const s = await collectSample([diskCollector], t.source);
      const c = s.collectors.disk!;
      const rows = c.status === 'ok' ? c.value.tables.disk : undefined;
      expect(rows?.status).toBe('ok');
      if (rows?.status !== 'ok') return;
      expect(rows.value.map((r) => r.key)).toEqual(['loop0', 'loop1', 'sda', 'sda1', 'sda2', 'dm-0', 'dm-1', 'sr0']);
      expect(rows.value.find((r) => r.key === 'sda1')!.labels!.kind).toBeUndefined();
    } finally {
      t.cleanup();
    }
  });

  it('is unavailable, not empty, when /proc/diskstats is missing', async () => {
    const t = fixtureTree({ '/proc/stat': 'cpu 1 2 3 4\n' });
    try {
      const s = await collectSample([diskCollector], t.source);
      const c = s.collectors.disk!;
      expect(c.status === 'ok' && c.value.tables.disk!.status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });
});

/** Two samples one second apart of one 5.5+ device; returns its model row. */
async function window(before: string, after: string, seconds = 1): Promise<ModelRow> {
  const line = (counters: string) => ` 254 0 vdb ${counters}\n`;
  const a = fixtureTree({ '/proc/diskstats': line(before) }, { 'clock.json': { monoMs: 5000, wall: '2026-01-01T00:00:00Z' } });
  const b = fixtureTree({ '/proc/diskstats': line(after) }, { 'clock.json': { monoMs: 5000 + seconds * 1000, wall: '2026-01-01T00:00:01Z' } });
  try {
    const m = deriveModel([diskCollector], await collectWindow([diskCollector], [a.source, b.source], seconds * 1000));
    const rows = m.tables.disk!.rows;
    if (rows.status !== 'ok') throw new Error(`disk table: ${rows.reason}`);
    return rows.value[0]!;
  } finally {
    a.cleanup();
    b.cleanup();
  }
}

describe('iostat -x columns', () => {
  //               reads rmrg rsect rms  writes wmrg wsect wms  infl io_ms queue_ms disc dmrg dsect dms flush fms
  const before = '1000 100 8000 500 2000 500 40000 3000 2 10000 50000 10 0 800 20 300 90';
  // Over 2 s: 400 reads (100 merged), 1600 sectors, 800 ms; 600 writes (200 merged), 9600
  // sectors, 1800 ms; 40 discards (10 merged), 3200 sectors, 8 ms; 50 flushes, 25 ms; 1500 ms
  // busy; 6000 ms of queue time.
  const after = '1400 200 9600 1300 2600 700 49600 4800 3 11500 56000 50 10 4000 28 350 115';

  it('derives every column as sysstat 12.6 does', async () => {
    const r = await window(before, after, 2);
    const v = r.values;
    expect(v.reads).toBeCloseTo(200); // r/s
    expect(v.writes).toBeCloseTo(300); // w/s
    expect(v.discards).toBeCloseTo(20); // d/s
    expect(v.flushes).toBeCloseTo(25); // f/s
    expect(v.read_merges).toBeCloseTo(50); // rrqm/s
    expect(v.write_merges).toBeCloseTo(100); // wrqm/s
    expect(v.rkB_s).toBeCloseTo(400); // 1600 sectors / 2 s / 2
    expect(v.wkB_s).toBeCloseTo(2400);
    expect(v.dkB_s).toBeCloseTo(800);
    expect(v.rrqm_pct).toBeCloseTo(20); // 100 / (100 + 400)
    expect(v.wrqm_pct).toBeCloseTo(25); // 200 / (200 + 600)
    expect(v.drqm_pct).toBeCloseTo(20);
    expect(v.r_await).toBeCloseTo(2); // 800 ms / 400
    expect(v.w_await).toBeCloseTo(3); // 1800 / 600
    expect(v.d_await).toBeCloseTo(0.2); // 8 / 40
    expect(v.f_await).toBeCloseTo(0.5); // 25 / 50
    expect(v.await).toBeCloseTo((800 + 1800 + 8) / (400 + 600 + 40));
    expect(v.rareq_sz).toBeCloseTo(2); // 1600 sectors / 400 / 2 = 2 kB
    expect(v.wareq_sz).toBeCloseTo(8);
    expect(v.dareq_sz).toBeCloseTo(40);
    expect(v.aqu_sz).toBeCloseTo(3); // 6000 ms / 2000 ms
    expect(v.util_pct).toBeCloseTo(75); // 1500 ms / 2000 ms
    expect(v.in_flight).toBe(3);
    expect(r.deltas.reads).toBe(400);
  });

  it('survives a 32-bit wrap of the time counters (io_ticks, time_in_queue, *_ticks)', async () => {
    const wrapBefore = `1000 0 8000 4294967000 0 0 0 0 1 4294967000 4294966000 0 0 0 0 0 0`;
    const wrapAfter = `1100 0 8800 304 0 0 0 0 1 500 1296 0 0 0 0 0 0`;
    const v = (await window(wrapBefore, wrapAfter)).values;
    expect(v.r_await).toBeCloseTo(600 / 100);
    expect(v.util_pct).toBeCloseTo(79.6); // 796 ms busy in 1 s
    expect(v.aqu_sz).toBeCloseTo(2.592);
  });

  it('caps %util at 100 and leaves latencies of an idle window undefined (iostat prints 0.00)', async () => {
    const v = (await window('5 0 40 10 0 0 0 0 0 1000 10 0 0 0 0 0 0', '5 0 40 10 0 0 0 0 0 2010 10 0 0 0 0 0 0')).values;
    expect(v.util_pct).toBe(100);
    expect(v.reads).toBe(0);
    expect(v.r_await).toBeUndefined();
    expect(v.rareq_sz).toBeUndefined();
    expect(v.rrqm_pct).toBeUndefined();
    expect(v.aqu_sz).toBe(0);
  });

  it('treats counters that went down (device re-created) as unknown, never negative', async () => {
    const v = (await window('5000 0 40000 100 0 0 0 0 0 1000 10 0 0 0 0 0 0', '10 0 80 1 0 0 0 0 0 5 1 0 0 0 0 0 0')).values;
    expect(v.reads).toBeUndefined();
    expect(v.r_await).toBeUndefined();
    expect(v.rkB_s).toBeUndefined();
  });
});
