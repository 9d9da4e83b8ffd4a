import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { basisText, estimateAvailable, zoneLowWatermarks, zonePageSize } from '../../../collectors/procfs/memory/available.js';
import { availableFrom, freeLikeMemory, memoryCollector } from '../../../collectors/procfs/memory/collector.js';
import { parseMeminfo, parseMinFreeKbytes, parseSwaps, parseVmstat, parseZoneinfo, unescapeOctal, vmstatTotal, type Meminfo } from '../../../collectors/procfs/memory/parse.js';
import { deriveModel, type ModelRow } from '../../../src/core/derive.js';
import { collectSample } from '../../../src/core/sample.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/procfs/${name}`, import.meta.url), 'utf8');
const meminfo618 = fixture('meminfo-6.18.txt');
const meminfo2632 = fixture('meminfo-2.6.32.txt');
const vmstat618 = fixture('vmstat-6.18.txt');
const vmstat310 = fixture('vmstat-3.10.txt');
const swaps2 = fixture('swaps-2.txt');
const zoneinfo2632 = fixture('zoneinfo-2.6.32.txt');
const zoneinfo618 = fixture('zoneinfo-6.18.txt');
const swapsNone = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n';

describe('parseMeminfo', () => {
  it('reads every key, kB values in bytes, page counts as counts', () => {
    const r = parseMeminfo(meminfo618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.MemTotal).toBe(24684084 * 1024);
    expect(r.value['Active(anon)']).toBe(1608 * 1024);
    expect(r.value.HugePages_Total).toBe(0);
    expect(r.value.Hugepagesize).toBe(2048 * 1024);
    expect(r.value.VmallocTotal).toBe(34359738367 * 1024);
  });
  it('leaves keys an older kernel lacks undefined (2.6.32: no MemAvailable, KReclaimable)', () => {
    const r = parseMeminfo(meminfo2632);
    expect(r.ok && r.value.MemTotal).toBe(3924512 * 1024);
    expect(r.ok && r.value.MemAvailable).toBeUndefined();
    expect(r.ok && r.value.KReclaimable).toBeUndefined();
  });
  it('rejects empty, truncated and garbled input; skips garbled lines', () => {
    expect(parseMeminfo('').ok).toBe(false);
    expect(parseMeminfo('MemTot').ok).toBe(false);
    expect(parseMeminfo('MemTotal: lots kB\n').ok).toBe(false);
    const r = parseMeminfo('MemTotal: 100 kB\nMemFree: x kB\nBuffers: 5 MB\nCached 7 kB\n');
    expect(r).toEqual({ ok: true, value: { MemTotal: 102400 } });
  });
  it('survives fuzzing', () => fuzzParser(parseMeminfo, [meminfo618, meminfo2632]));
});

describe('parseVmstat', () => {
  it('reads counters by name', () => {
    const r = parseVmstat(vmstat618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(typeof r.value.pgfault).toBe('number');
    expect(r.value.oom_kill).toBeDefined();
  });
  it('sums per-zone counters of old kernels and prefers the plain name', () => {
    const r = parseVmstat(vmstat310);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(vmstatTotal(r.value, 'pgscan_kswapd', ['dma', 'dma32', 'normal'])).toBe(1205830);
    expect(vmstatTotal(r.value, 'pgsteal_direct', ['dma', 'dma32', 'normal'])).toBe(18304);
    expect(vmstatTotal(r.value, 'allocstall', ['dma', 'normal'])).toBe(134);
    // oom_kill appeared in 4.13: missing, never 0
    expect(vmstatTotal(r.value, 'oom_kill', [])).toBeUndefined();
    expect(vmstatTotal({ allocstall_normal: 3, allocstall_movable: 4 }, 'allocstall', ['dma', 'normal', 'movable'])).toBe(7);
  });
  it('rejects empty and garbled input', () => {
    expect(parseVmstat('').ok).toBe(false);
    expect(parseVmstat('pgfault\nfoo bar\n').ok).toBe(false);
    expect(parseVmstat('pgfault 12\nfoo bar\n')).toEqual({ ok: true, value: { pgfault: 12 } });
  });
  it('survives fuzzing', () => fuzzParser(parseVmstat, [vmstat618, vmstat310], 400, { signed: /^nr_/ }));
});

describe('parseSwaps', () => {
  it('reads devices in bytes, negative priorities and escaped names', () => {
    const r = parseSwaps(swaps2);
    expect(r).toEqual({
      ok: true,
      value: [
        { filename: '/dev/vda2', type: 'partition', sizeBytes: 2097148 * 1024, usedBytes: 1024 * 1024, priority: -2 },
        { filename: '/var/swap file', type: 'file', sizeBytes: 1048572 * 1024, usedBytes: 0, priority: 10 },
      ],
    });
  });
  it('no swap = the header alone = no devices; garbage is an error', () => {
    expect(parseSwaps(swapsNone)).toEqual({ ok: true, value: [] });
    expect(parseSwaps('').ok).toBe(false);
    expect(parseSwaps(swapsNone + '/dev/sda2 partition 12\n').ok).toBe(false);
    expect(unescapeOctal('a\\040b\\134c')).toBe('a b\\c');
  });
  it('survives fuzzing', () => fuzzParser(parseSwaps, [swaps2, swapsNone], 400, { signed: ['priority'] }));
});

describe('parseZoneinfo', () => {
  it('reads the watermarks and file LRU pages of a 2.6.32 zoneinfo (per-zone counters; "high:" of pagesets is not the watermark)', () => {
    const r = parseZoneinfo(zoneinfo2632);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.zones).toEqual([
      { node: 0, name: 'DMA', free: 3817, min: 64, low: 80, high: 96, present: 3832 },
      { node: 0, name: 'DMA32', free: 47914, min: 12642, low: 15802, high: 18963, present: 753856 },
      { node: 0, name: 'Normal', free: 13300, min: 4190, low: 5237, high: 6285, present: 249856 },
    ]);
    // meminfo-2.6.32: Active(file) 1428596 kB + Inactive(file) 1372676 kB = 700318 pages of 4 KiB
    expect(r.value.filePages).toBe(700318);
  });
  it('reads a 6.18 zoneinfo (per-node stats, boost, managed, empty zones)', () => {
    const r = parseZoneinfo(zoneinfo618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.zones.map((z) => z.name)).toEqual(['DMA', 'DMA32', 'Normal', 'Movable', 'Device']);
    expect(r.value.zones.map((z) => z.low)).toEqual([42, 8783, 12291, 32, 0]);
    expect(r.value.zones[1]).toMatchObject({ min: 7027, high: 10539, present: 782336, managed: 772850 });
    // per-node nr_active_file / nr_inactive_file, once for node 0 (nr_zone_*_file are not counted twice)
    expect(r.value.filePages).toBe(190153 + 200100);
  });
  it('rejects text without a zone header or with text before it; a garbled or missing field stays missing', () => {
    expect(parseZoneinfo('').ok).toBe(false);
    expect(parseZoneinfo('\n\n').ok).toBe(false);
    expect(parseZoneinfo('  pages free 12\nNode 0, zone Normal\n        low 5\n').ok).toBe(false);
    const r = parseZoneinfo('Node 0, zone   Normal\n  pages free     x\n        min      12\n        low      1e3\n        high     -4\n    nr_active_file 7\n');
    expect(r).toEqual({ ok: true, value: { zones: [{ node: 0, name: 'Normal', min: 12 }], filePages: 7 } });
    // truncated in the middle of the second zone: that zone has no low watermark
    const cut = zoneinfo2632.slice(0, zoneinfo2632.indexOf('        low      15802'));
    const t = parseZoneinfo(cut);
    expect(t.ok && t.value.zones.map((z) => z.low)).toEqual([80, undefined]);
  });
  it('survives fuzzing', () => fuzzParser(parseZoneinfo, [zoneinfo2632, zoneinfo618]));
  it('min_free_kbytes: one number', () => {
    expect(parseMinFreeKbytes('67584\n')).toEqual({ ok: true, value: 67584 });
    expect(parseMinFreeKbytes('').ok).toBe(false);
    expect(parseMinFreeKbytes('67584 kB\n').ok).toBe(false);
    fuzzParser(parseMinFreeKbytes, ['67584\n', '11264\n']);
  });
});

describe('MemAvailable estimate for kernels < 3.14', () => {
  const kB = 1024;
  const m2632 = (() => {
    const r = parseMeminfo(meminfo2632);
    if (!r.ok) throw new Error('fixture');
    return r.value;
  })();
  const z2632 = (() => {
    const r = parseZoneinfo(zoneinfo2632);
    if (!r.ok) throw new Error('fixture');
    return r.value;
  })();
  const fileLru = (1428596 + 1372676) * kB;

  it('infers the page size from the file LRU in both files, and refuses to guess', () => {
    expect(zonePageSize(z2632, fileLru)).toBe(4096);
    expect(zonePageSize(z2632, fileLru * 16)).toBe(65536); // ppc64 with 64 KiB pages
    expect(zonePageSize(z2632, fileLru * 3)).toBeUndefined(); // 12 KiB: no such page size
    expect(zonePageSize({ zones: z2632.zones }, fileLru)).toBeUndefined(); // no counters
    expect(zonePageSize({ zones: z2632.zones, filePages: 10 }, 40960)).toBeUndefined(); // too few pages to tell
    expect(zoneLowWatermarks(z2632, fileLru)).toBe((80 + 15802 + 5237) * 4096);
    expect(zoneLowWatermarks({ zones: [...z2632.zones, { node: 0, name: 'HighMem' }], filePages: z2632.filePages! }, fileLru)).toBeUndefined();
  });

  it('2.6.32 with its zoneinfo: the kernel 3.14 formula with the zones\' low watermarks', () => {
    const e = estimateAvailable(m2632, () => ({ zoneinfo: z2632, minFreeKbytes: 67584 }));
    const low = 21119 * 4; // kB: 80 + 15802 + 5237 pages
    // MemFree - low + file LRU - min(file LRU / 2, low) + SReclaimable - min(SReclaimable / 2, low)
    expect(low).toBe(84476);
    expect(e).toEqual({ bytes: (260124 - low + 2801272 - low + 269436 - low) * kB, basis: 'zoneinfo', lowWatermarks: low * kB });
    expect(e!.bytes).toBe(3077404 * kB);
  });

  it('without a usable zoneinfo: min_free_kbytes x 5/4 as procps-ng 3.3', () => {
    const low = (67584 * 5) / 4; // 84480 kB
    const expected = { bytes: (260124 + 2801272 + 269436 - 3 * low) * kB, basis: 'min_free_kbytes', lowWatermarks: low * kB };
    expect(estimateAvailable(m2632, () => ({ minFreeKbytes: 67584 }))).toEqual(expected);
    const noLow = parseZoneinfo(zoneinfo2632.replace('        low      5237\n', ''));
    expect(noLow.ok).toBe(true);
    if (noLow.ok) expect(estimateAvailable(m2632, () => ({ zoneinfo: noLow.value, minFreeKbytes: 67584 }))).toEqual(expected);
  });

  it('small page cache or slab: only half of it counts, and the estimate never goes below 0', () => {
    const m: Meminfo = { MemTotal: 1000 * kB, MemFree: 10 * kB, 'Active(file)': 30 * kB, 'Inactive(file)': 10 * kB, SReclaimable: 8 * kB };
    // low = 100 kB: 10 - 100 + (40 - 20) + (8 - 4) < 0
    expect(estimateAvailable(m, () => ({ minFreeKbytes: 80 }))).toEqual({ bytes: 0, basis: 'min_free_kbytes', lowWatermarks: 100 * kB });
    // low = 5 kB: 10 - 5 + (40 - 5) + (8 - 4) = 44
    expect(estimateAvailable(m, () => ({ minFreeKbytes: 4 }))).toEqual({ bytes: 44 * kB, basis: 'min_free_kbytes', lowWatermarks: 5 * kB });
  });

  it('kernels before 2.6.27 (no file LRU split): MemFree + Buffers + Cached as procps 3.2 free; the watermark files are not read', () => {
    // /proc/meminfo of 2.6.18 (RHEL 5): Active/Inactive without (anon)/(file), no SReclaimable
    const r = parseMeminfo('MemTotal:      8174464 kB\nMemFree:        102340 kB\nBuffers:        312004 kB\nCached:        6981236 kB\nSwapCached:          0 kB\nActive:        3512340 kB\nInactive:      4012876 kB\nSlab:           519204 kB\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    let read = false;
    const e = estimateAvailable(r.value, () => {
      read = true;
      return {};
    });
    expect(e).toEqual({ bytes: (102340 + 312004 + 6981236) * kB, basis: 'buffers-cached' });
    expect(read).toBe(false);
    expect(estimateAvailable({ MemTotal: 1 }, () => ({}))).toBeUndefined();
  });

  it('the label names what used_pct is computed from, in every case freeLikeMemory distinguishes', () => {
    expect(availableFrom({ total: 100, free: 30, available: 60 }, undefined)).toBe('MemAvailable');
    expect(availableFrom({ total: 100, free: 30, available: 130 }, undefined)).toBe("MemFree (MemAvailable above MemTotal: a container's view)");
    expect(availableFrom({ total: 100, free: 30, available_est: 70 }, basisText('zoneinfo'))).toBe(basisText('zoneinfo'));
    expect(availableFrom({ total: 100, free: 30 }, undefined)).toBe('MemFree (no MemAvailable and no estimate)');
    expect(freeLikeMemory({ total: 100, free: 30, available_est: 70, buffers: 0, cached: 0 }).used).toBe(30);
  });
});

describe('free-like derivation', () => {
  it('used = total - available; falls back to MemFree without MemAvailable or when it exceeds total', () => {
    expect(freeLikeMemory({ total: 100, free: 30, available: 60, buffers: 5, cached: 20, sreclaimable: 4 })).toEqual({ used: 40, buffCache: 29, available: 60 });
    expect(freeLikeMemory({ total: 100, free: 30, buffers: 5, cached: 20 })).toEqual({ used: 70, buffCache: 25, available: 30 });
    expect(freeLikeMemory({ total: 100, free: 30, available: 130, buffers: 0, cached: 0 }).used).toBe(70);
    expect(freeLikeMemory({ free: 30 })).toEqual({ used: undefined, buffCache: undefined, available: 30 });
  });
});

function rowsOf(m: ReturnType<typeof deriveModel>, table: string): ModelRow[] {
  const t = m.tables[table]!.rows;
  if (t.status !== 'ok') throw new Error(`${table}: ${t.status} ${t.reason}`);
  return t.value;
}

describe('memory collector on fixture trees', () => {
  it('derives reclaim rates and scan efficiency over a window; missing keys stay missing', async () => {
    const vm = (scan: number, steal: number, direct: number) =>
      `pgscan_kswapd ${scan}\npgscan_direct ${direct}\npgsteal_kswapd ${steal}\npgsteal_direct 0\npswpin 10\npswpout ${scan}\npgmajfault 5\npgfault 100\n`;
    const a = fixtureTree({ '/proc/meminfo': meminfo2632, '/proc/vmstat': vm(1000, 900, 0), '/proc/swaps': swaps2 }, { 'clock.json': { monoMs: 0, wall: '2026-01-01T00:00:00Z' } });
    const b = fixtureTree({ '/proc/meminfo': meminfo2632, '/proc/vmstat': vm(3000, 1900, 1000), '/proc/swaps': swaps2 }, { 'clock.json': { monoMs: 2000, wall: '2026-01-01T00:00:02Z' } });
    try {
      const m = deriveModel([memoryCollector], await collectWindow([memoryCollector], [a.source, b.source], 2000));
      const v = rowsOf(m, 'vmstat')[0]!.values;
      expect(v.pgscan_kswapd).toBe(1000); // 2000 pages in 2 s
      expect(v.pgscan).toBe(1500); // (2000 + 1000) / 2
      expect(v.pgsteal).toBe(500);
      expect(v.scan_efficiency_pct).toBeCloseTo(33.33, 1);
      expect(v.direct_scan_pct).toBeCloseTo(33.33, 1);
      expect(v.oom_kill).toBeUndefined();
      const memRow = rowsOf(m, 'meminfo')[0]!;
      const mem = memRow.values;
      expect(mem.available).toBeUndefined();
      // no zoneinfo, no min_free_kbytes in this tree: the 3.14 formula without watermarks (an upper bound), said so
      expect(memRow.labels.available_from).toBe(basisText('no-watermarks'));
      expect(mem.available_est).toBe((260124 + 1428596 + 1372676 + 269436) * 1024);
      expect(mem.used).toBe((3924512 - (260124 + 1428596 + 1372676 + 269436)) * 1024);
      expect(mem.swap_used_pct).toBeCloseTo((100 * (4194296 - 4180088)) / 4194296, 6);
      expect(mem.kreclaimable).toBeUndefined();
      const sw = rowsOf(m, 'swaps');
      expect(sw.map((r) => [r.key, r.scope, r.labels.type, r.values.used_pct])).toEqual([
        ['/dev/vda2', 'swap:/dev/vda2', 'partition', (100 * 1024) / 2097148],
        ['/var/swap file', 'swap:/var/swap file', 'file', 0],
      ]);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('no reclaim activity: efficiency is missing, not 0 or 100', async () => {
    const vm = 'pgscan_kswapd 5\npgscan_direct 0\npgsteal_kswapd 5\npgsteal_direct 0\n';
    const a = fixtureTree({ '/proc/meminfo': meminfo618, '/proc/vmstat': vm, '/proc/swaps': swapsNone }, { 'clock.json': { monoMs: 0, wall: '2026-01-01T00:00:00Z' } });
    const b = fixtureTree({ '/proc/meminfo': meminfo618, '/proc/vmstat': vm, '/proc/swaps': swapsNone }, { 'clock.json': { monoMs: 1000, wall: '2026-01-01T00:00:01Z' } });
    try {
      const m = deriveModel([memoryCollector], await collectWindow([memoryCollector], [a.source, b.source], 1000));
      expect(rowsOf(m, 'vmstat')[0]!.values.scan_efficiency_pct).toBeUndefined();
      expect(rowsOf(m, 'vmstat')[0]!.values.pgscan).toBe(0);
      // no swap configured: swap_used_pct is not a percentage of nothing
      expect(rowsOf(m, 'meminfo')[0]!.values.swap_used_pct).toBeUndefined();
      expect(rowsOf(m, 'swaps')).toEqual([]);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('2.6.32 tree with zoneinfo: the estimate, labelled, with a note on the table; a 6.18 tree reads no zoneinfo', async () => {
    const old = fixtureTree({ '/proc/meminfo': meminfo2632, '/proc/zoneinfo': zoneinfo2632, '/proc/sys/vm/min_free_kbytes': '67584\n' });
    const now = fixtureTree({ '/proc/meminfo': meminfo618, '/proc/zoneinfo': 'garbage that would fail to parse\n' });
    try {
      const s = await collectSample([memoryCollector], old.source);
      const c = s.collectors.memory;
      expect(c?.status).toBe('ok');
      if (c?.status !== 'ok') return;
      const t = c.value.tables.meminfo;
      expect(t?.status).toBe('ok');
      if (t?.status !== 'ok') return;
      const from = basisText('zoneinfo');
      expect(t.value[0]!.labels).toEqual({ available_from: from });
      expect(t.notes).toEqual([`/proc/meminfo has no MemAvailable (kernel < 3.14): available, used and used_pct are computed from ${from}`]);
      const v = rowsOf(deriveModel([memoryCollector], s), 'meminfo')[0]!.values;
      expect(v.available).toBeUndefined();
      expect(v.available_est).toBe(3077404 * 1024);
      expect(v.low_watermarks).toBe(84476 * 1024);
      expect(v.used).toBe((3924512 - 3077404) * 1024);
      expect(v.used_pct).toBeCloseTo((100 * (3924512 - 3077404)) / 3924512, 9);
      // procps-ng 4 would say 93 % used (MemFree)
      expect(v.used_pct).toBeLessThan(22);

      const s2 = await collectSample([memoryCollector], now.source);
      const t2 = s2.collectors.memory?.status === 'ok' ? s2.collectors.memory.value.tables.meminfo : undefined;
      expect(t2?.status === 'ok' && t2.value[0]!.labels).toEqual({ available_from: 'MemAvailable' });
      expect(t2?.status === 'ok' && t2.notes).toBeUndefined();
      const v2 = rowsOf(deriveModel([memoryCollector], s2), 'meminfo')[0]!.values;
      expect(v2.available_est).toBeUndefined();
      expect(v2.low_watermarks).toBeUndefined();
    } finally {
      old.cleanup();
      now.cleanup();
    }
  });
  it('missing files are unavailable tables, not zeros', async () => {
    const a = fixtureTree({ '/proc/meminfo': meminfo618 });
    try {
      const s = await collectSample([memoryCollector], a.source);
      const c = s.collectors.memory;
      expect(c?.status).toBe('ok');
      if (c?.status !== 'ok') return;
      expect(c.value.tables.meminfo?.status).toBe('ok');
      expect(c.value.tables.vmstat?.status).toBe('unavailable');
      expect(c.value.tables.swaps?.status).toBe('unavailable');
    } finally {
      a.cleanup();
    }
  });
});

/** `free -b` as numbers: Mem: total used free shared buff/cache available; Swap: total used free. */
function freeBytes(): { total: number; used: number; free: number; shared: number; buffCache: number; available: number; swapTotal: number; swapUsed: number } {
  const out = execFileSync('free', ['-b'], { encoding: 'utf8', env: { LC_ALL: 'C', PATH: process.env.PATH } });
  const mem = out.split('\n').find((l) => l.startsWith('Mem:'))!.split(/\s+/).slice(1).map(Number);
  const swap = out.split('\n').find((l) => l.startsWith('Swap:'))!.split(/\s+/).slice(1).map(Number);
  return { total: mem[0]!, used: mem[1]!, free: mem[2]!, shared: mem[3]!, buffCache: mem[4]!, available: mem[5]!, swapTotal: swap[0]!, swapUsed: swap[1]! };
}

describe('memory collector on this host\'s meminfo, judged like free', () => {
  // One read of /proc/meminfo, fed to free's formula (procps-ng 4, written here from its
  // source, not diag's) and to diag through a fixture tree: the same text, so the numbers must
  // be equal, with no slack and no race with other work on the host.
  it('gives free\'s numbers for the same /proc/meminfo text', async () => {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const kB = (key: string) => Number(new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1]) * 1024;
    const free = {
      total: kB('MemTotal'),
      free: kB('MemFree'),
      available: kB('MemAvailable'),
      used: kB('MemTotal') - kB('MemAvailable'),
      buffCache: kB('Buffers') + kB('Cached') + kB('SReclaimable'),
      shared: kB('Shmem'),
      swapTotal: kB('SwapTotal'),
      swapUsed: kB('SwapTotal') - kB('SwapFree'),
    };
    const t = fixtureTree({ '/proc/meminfo': text });
    try {
      const v = rowsOf(deriveModel([memoryCollector], await collectSample([memoryCollector], t.source)), 'meminfo')[0]!.values;
      expect({ total: v.total, free: v.free, available: v.available, used: v.used, buffCache: v.buff_cache, shared: v.shmem, swapTotal: v.swap_total, swapUsed: v.swap_used }).toEqual(free);
    } finally {
      t.cleanup();
    }
  });

  const need = liveRequirement('cmd:free');
  it.skipIf(need.skip)('and free -b itself agrees on the totals (which do not move)', async () => {
    const { LiveSource } = await import('../../../src/core/live-source.js');
    const v = rowsOf(deriveModel([memoryCollector], await collectSample([memoryCollector], new LiveSource())), 'meminfo')[0]!.values;
    const f = freeBytes();
    expect(v.total).toBe(f.total);
    expect(v.swap_total).toBe(f.swapTotal);
  });
});

describe('swap devices live', () => {
  const need = liveRequirement('root', 'cmd:swapon', 'cmd:mkswap', 'cmd:swapoff');
  it.skipIf(need.skip)('shows a planted swap file (with a space in its name) like swapon --show', async () => {
    const { LiveSource } = await import('../../../src/core/live-source.js');
    const dir = mkdtempSync(join(tmpdir(), `diagt-memory-${process.pid}-`));
    const file = join(dir, 'swap file');
    let on = false;
    try {
      writeFileSync(file, Buffer.alloc(8 * 1024 * 1024));
      chmodSync(file, 0o600);
      execFileSync('mkswap', [file], { stdio: 'ignore' });
      execFileSync('swapon', ['-p', '3', file]);
      on = true;
      const m = deriveModel([memoryCollector], await collectSample([memoryCollector], new LiveSource()));
      const row = rowsOf(m, 'swaps').find((r) => r.key === file);
      expect(row, `row for ${file}`).toBeDefined();
      const shown = execFileSync('swapon', ['--show=NAME,SIZE,USED,PRIO', '--bytes', '--raw', '--noheadings'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.split(' '))
        .find((f) => f[0] === file.replace(/ /g, '\\x20'));
      expect(shown, 'swapon --show lists the file').toBeDefined();
      expect(row!.labels.type).toBe('file');
      expect(row!.values.size).toBe(Number(shown![1]));
      expect(row!.values.used).toBe(Number(shown![2]));
      expect(row!.values.priority).toBe(3);
      expect(row!.values.used_pct).toBe((100 * Number(shown![2])) / Number(shown![1]));
      // the host totals include it
      const mem = rowsOf(m, 'meminfo')[0]!.values;
      expect(mem.swap_total).toBeGreaterThanOrEqual(row!.values.size!);
    } finally {
      if (on) await swapoffWithRetry(file);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** swapoff can fail transiently on a busy host (another swapon/swapoff in flight): retry, then say why. */
async function swapoffWithRetry(file: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 10; i++) {
    try {
      execFileSync('swapoff', [file], { stdio: ['ignore', 'ignore', 'pipe'] });
      return;
    } catch (err) {
      last = String((err as { stderr?: Buffer }).stderr ?? err);
      // already off (another process turned it off): nothing left to undo
      const active = parseSwaps(readFileSync('/proc/swaps', 'utf8'));
      if (active.ok && !active.value.some((d) => d.filename === file)) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`swapoff ${file} failed 10 times: ${last}`);
}
