import type { Collector, Row, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge, type FieldSpec } from '../../../src/core/fields.js';
import type { Source } from '../../../src/core/source.js';
import { ok } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import { basisText, estimateAvailable, type WatermarkInputs } from './available.js';
import { parseMeminfo, parseMinFreeKbytes, parseSwaps, parseVmstat, parseZoneinfo, vmstatTotal, type Meminfo, type Vmstat } from './parse.js';

const bytes = (title: string): FieldSpec => gauge(title, 'bytes');

/** meminfo table field -> /proc/meminfo key. Field names are snake_case metric names. */
const MEMINFO_FIELDS: Readonly<Record<string, readonly [key: string, spec: FieldSpec]>> = {
  total: ['MemTotal', bytes('total usable RAM')],
  free: ['MemFree', bytes('free (unused) RAM')],
  available: ['MemAvailable', bytes('available for new work without swapping (kernel estimate, >= 3.14)')],
  buffers: ['Buffers', bytes('block device buffers')],
  cached: ['Cached', bytes('page cache (without swap cache)')],
  swap_cached: ['SwapCached', bytes('swapped out, back in RAM, still in swap')],
  active: ['Active', bytes('recently used')],
  inactive: ['Inactive', bytes('less recently used, reclaim candidates')],
  active_anon: ['Active(anon)', bytes('active anonymous')],
  inactive_anon: ['Inactive(anon)', bytes('inactive anonymous')],
  active_file: ['Active(file)', bytes('active file-backed')],
  inactive_file: ['Inactive(file)', bytes('inactive file-backed')],
  unevictable: ['Unevictable', bytes('unevictable (mlocked, ramfs...)')],
  mlocked: ['Mlocked', bytes('mlocked')],
  dirty: ['Dirty', bytes('dirty, waiting to be written back')],
  writeback: ['Writeback', bytes('being written back now')],
  anon_pages: ['AnonPages', bytes('anonymous pages mapped into user page tables')],
  mapped: ['Mapped', bytes('files mapped into memory (mmap)')],
  shmem: ['Shmem', bytes('shared memory and tmpfs')],
  kreclaimable: ['KReclaimable', bytes('kernel memory the kernel can reclaim (>= 4.20)')],
  slab: ['Slab', bytes('kernel slab')],
  sreclaimable: ['SReclaimable', bytes('reclaimable slab')],
  sunreclaim: ['SUnreclaim', bytes('unreclaimable slab')],
  kernel_stack: ['KernelStack', bytes('kernel stacks')],
  page_tables: ['PageTables', bytes('page tables')],
  commit_limit: ['CommitLimit', bytes('commit limit (enforced with vm.overcommit_memory=2)')],
  committed_as: ['Committed_AS', bytes('memory committed (allocated address space)')],
  vmalloc_used: ['VmallocUsed', bytes('vmalloc used')],
  swap_total: ['SwapTotal', bytes('swap space')],
  swap_free: ['SwapFree', bytes('unused swap')],
  zswap: ['Zswap', bytes('zswap pool (compressed)')],
  zswapped: ['Zswapped', bytes('data stored in zswap (uncompressed)')],
  anon_huge_pages: ['AnonHugePages', bytes('transparent huge pages (anonymous)')],
  hugepages_total: ['HugePages_Total', gauge('hugetlb pool size', 'count')],
  hugepages_free: ['HugePages_Free', gauge('hugetlb pages not allocated', 'count')],
  hugepages_rsvd: ['HugePages_Rsvd', gauge('hugetlb pages reserved, not yet allocated', 'count')],
  hugepages_surp: ['HugePages_Surp', gauge('hugetlb surplus pages', 'count')],
  hugepage_size: ['Hugepagesize', bytes('default huge page size')],
  hugetlb: ['Hugetlb', bytes('memory in hugetlb pages of all sizes (>= 4.16)')],
};

/**
 * "used", "buff/cache" and "available" as procps-ng 4 `free` computes them (this host runs
 * procps-ng 4.0.2), except on kernels without MemAvailable (< 3.14): there procps-ng 4 takes
 * MemFree, counting all page cache as used, and diag takes its estimate (available.ts,
 * `available_est`). available = MemAvailable (or the estimate), or MemFree when that is missing
 * or more than MemTotal (containers); used = total - available, or total - free if that went
 * negative; buff/cache = Buffers + Cached + SReclaimable. `availableFrom` names the choice.
 */
export function freeLikeMemory(m: Readonly<Record<string, number | undefined>>): { used?: number; buffCache?: number; available?: number } {
  const total = m.total;
  const free = m.free;
  let available = m.available ?? m.available_est;
  if (available === undefined || (total !== undefined && available > total)) available = free;
  let used: number | undefined;
  if (total !== undefined && available !== undefined) {
    used = total - available;
    if (used < 0) used = free === undefined ? undefined : total - free;
  }
  const buffCache = m.buffers === undefined || m.cached === undefined ? undefined : m.buffers + m.cached + (m.sreclaimable ?? 0);
  return { used, buffCache, available };
}

/** What freeLikeMemory's `available` (and so `used`, `used_pct`) is, as the row's `available_from` label says it. */
export function availableFrom(m: Readonly<Record<string, number | undefined>>, estimate: string | undefined): string {
  const total = m.total;
  const chosen = m.available ?? m.available_est;
  if (chosen !== undefined && (total === undefined || chosen <= total)) return m.available !== undefined ? 'MemAvailable' : (estimate ?? 'MemAvailable');
  if (m.free === undefined) return 'nothing (no MemAvailable and no MemFree)';
  return m.available !== undefined ? 'MemFree (MemAvailable above MemTotal: a container\'s view)' : 'MemFree (no MemAvailable and no estimate)';
}

function meminfoDerive(w: RowWindow): Record<string, number | undefined> {
  const v = w.cur.values;
  const { used, buffCache, available } = freeLikeMemory(v);
  const total = v.total;
  const swapTotal = v.swap_total;
  const swapUsed = swapTotal === undefined || v.swap_free === undefined ? undefined : swapTotal - v.swap_free;
  return {
    used,
    buff_cache: buffCache,
    available_pct: total && available !== undefined ? (100 * available) / total : undefined,
    used_pct: total && used !== undefined ? (100 * used) / total : undefined,
    swap_used: swapUsed,
    // No swap configured: 0 % of nothing is not a percentage.
    swap_used_pct: swapTotal && swapUsed !== undefined ? (100 * swapUsed) / swapTotal : undefined,
    commit_pct: v.commit_limit && v.committed_as !== undefined ? (100 * v.committed_as) / v.commit_limit : undefined,
  };
}

/** vmstat table field -> how to read it from /proc/vmstat on old and new kernels. */
interface VmstatField {
  readonly spec: FieldSpec;
  /** Per-zone/per-type variants summed when the plain name is absent (older or newer kernels). */
  readonly variants?: readonly string[];
}
const ZONES = ['dma', 'dma32', 'normal', 'movable', 'high', 'device'] as const;
const pages = (title: string): VmstatField => ({ spec: counter(title, 'pages') });
const events = (title: string, variants?: readonly string[]): VmstatField => (variants ? { spec: counter(title), variants } : { spec: counter(title) });

const VMSTAT_FIELDS: Readonly<Record<string, VmstatField>> = {
  pgpgin: { spec: counter('paged in from block devices', 'kB') },
  pgpgout: { spec: counter('paged out to block devices', 'kB') },
  pswpin: pages('pages swapped in'),
  pswpout: pages('pages swapped out'),
  pgfault: events('page faults (minor + major)'),
  pgmajfault: events('major page faults (needed I/O)'),
  pgscan_kswapd: { spec: counter('pages scanned by kswapd (background reclaim)', 'pages'), variants: ZONES },
  pgscan_direct: { spec: counter('pages scanned by direct reclaim (allocating task stalls)', 'pages'), variants: ZONES },
  pgscan_khugepaged: pages('pages scanned by khugepaged reclaim'),
  pgsteal_kswapd: { spec: counter('pages reclaimed by kswapd', 'pages'), variants: ZONES },
  pgsteal_direct: { spec: counter('pages reclaimed by direct reclaim', 'pages'), variants: ZONES },
  pgsteal_khugepaged: pages('pages reclaimed by khugepaged'),
  allocstall: events('direct reclaim entries (allocation stalls)', ZONES),
  compact_stall: events('direct compaction stalls'),
  compact_fail: events('direct compactions that failed'),
  compact_success: events('direct compactions that succeeded'),
  oom_kill: events('processes killed by the OOM killer (>= 4.13)'),
  workingset_refault: events('refaulted pages (evicted, needed again: thrashing)', ['anon', 'file']),
  workingset_refault_anon: pages('refaulted anonymous pages (>= 5.9)'),
  workingset_refault_file: pages('refaulted file pages (>= 5.9)'),
  workingset_activate: events('refaulted pages activated right away', ['anon', 'file']),
  thp_fault_alloc: events('transparent huge pages allocated on fault'),
  thp_fault_fallback: events('THP allocations that fell back to small pages'),
  drop_pagecache: events('vm.drop_caches writes (page cache)'),
  drop_slab: events('vm.drop_caches writes (slab)'),
};

function vmstatRow(v: Vmstat): Row {
  const values: Record<string, number | undefined> = {};
  for (const name of Object.keys(VMSTAT_FIELDS)) {
    const f = VMSTAT_FIELDS[name]!;
    values[name] = f.variants ? vmstatTotal(v, name, f.variants) : v[name];
  }
  return { key: 'host', values };
}

function vmstatDerive(w: RowWindow): Record<string, number | undefined> {
  const sum = (a: number | undefined, b: number | undefined) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  const scan = sum(w.rate('pgscan_kswapd'), w.rate('pgscan_direct'));
  const steal = sum(w.rate('pgsteal_kswapd'), w.rate('pgsteal_direct'));
  const dScan = sum(w.delta('pgscan_kswapd'), w.delta('pgscan_direct'));
  const dSteal = sum(w.delta('pgsteal_kswapd'), w.delta('pgsteal_direct'));
  const dDirect = w.delta('pgscan_direct');
  return {
    pgscan: scan,
    pgsteal: steal,
    // sar -B %vmeff: pages reclaimed per page scanned; no scanning = no efficiency to speak of.
    scan_efficiency_pct: dScan !== undefined && dSteal !== undefined && dScan > 0 ? Math.min(100, (100 * dSteal) / dScan) : undefined,
    direct_scan_pct: dScan !== undefined && dDirect !== undefined && dScan > 0 ? (100 * dDirect) / dScan : undefined,
    swap_io_pages: sum(w.rate('pswpin'), w.rate('pswpout')),
  };
}

function swapDerive(w: RowWindow): Record<string, number | undefined> {
  const size = w.value('size');
  const used = w.value('used');
  return { used_pct: size && used !== undefined ? (100 * used) / size : undefined };
}

export const memoryCollector: Collector = {
  id: 'memory',
  title: 'Memory use, reclaim and swap (/proc/meminfo, /proc/vmstat, /proc/swaps)',
  origin: 'procfs',
  resources: ['memory'],
  // zoneinfo and min_free_kbytes are read only when meminfo has no MemAvailable (kernels < 3.14).
  inputs: ['/proc/meminfo', '/proc/vmstat', '/proc/swaps', '/proc/zoneinfo', '/proc/sys/vm/min_free_kbytes'],
  tables: {
    meminfo: {
      title: 'Memory (as free computes it)',
      scope: 'host',
      fields: {
        ...Object.fromEntries(Object.entries(MEMINFO_FIELDS).map(([n, [, spec]]) => [n, spec])),
        available_est: bytes('MemAvailable estimated by diag where the kernel lacks it (< 3.14): label available_from says how'),
        low_watermarks: bytes('sum of the zones\' low watermarks the estimate used (< 3.14 only)'),
      },
      derived: {
        used: derived('used (total - available, as procps-ng 4 free; see label available_from)', 'bytes'),
        buff_cache: derived('buff/cache (Buffers + Cached + SReclaimable, as free)', 'bytes'),
        available_pct: derived('available % of total (MemAvailable, or diag\'s estimate before 3.14: label available_from)', 'percent'),
        used_pct: derived('used % of total: total - available, as used (label available_from)', 'percent'),
        swap_used: derived('swap used', 'bytes'),
        swap_used_pct: derived('swap used % of swap', 'percent'),
        commit_pct: derived('committed % of the commit limit', 'percent'),
      },
      derive: meminfoDerive,
    },
    vmstat: {
      title: 'Paging, reclaim and OOM events (/proc/vmstat)',
      scope: 'host',
      fields: Object.fromEntries(Object.entries(VMSTAT_FIELDS).map(([n, f]) => [n, f.spec])),
      derived: {
        pgscan: derived('pages scanned (kswapd + direct)', 'pages/s'),
        pgsteal: derived('pages reclaimed (kswapd + direct)', 'pages/s'),
        scan_efficiency_pct: derived('reclaim efficiency: reclaimed / scanned (sar -B %vmeff)', 'percent'),
        direct_scan_pct: derived('share of scanning done in direct reclaim', 'percent'),
        swap_io_pages: derived('pages swapped in + out', 'pages/s'),
      },
      derive: vmstatDerive,
    },
    swaps: {
      title: 'Swap devices',
      scope: 'swap',
      fields: {
        size: gauge('size', 'bytes'),
        used: gauge('used', 'bytes'),
        priority: gauge('priority (higher is used first)'),
      },
      derived: { used_pct: derived('used % of the device', 'percent') },
      derive: swapDerive,
    },
  },
  collect(src) {
    const out: TableOutcomes = {};
    const mi = readParsed(src, '/proc/meminfo', parseMeminfo);
    out.meminfo = mi.status === 'ok' ? meminfoOutcome(src, mi.value) : mi;
    const vm = readParsed(src, '/proc/vmstat', parseVmstat);
    out.vmstat = vm.status === 'ok' ? ok([vmstatRow(vm.value)]) : vm;
    const sw = readParsed(src, '/proc/swaps', parseSwaps);
    out.swaps =
      sw.status === 'ok'
        ? ok(sw.value.map((d): Row => ({ key: d.filename, labels: { type: d.type }, values: { size: d.sizeBytes, used: d.usedBytes, priority: d.priority } })))
        : sw;
    return out;
  },
};

/**
 * The meminfo row, labelled with what `available` (and so `used_pct`) is: `available_from` is
 * "MemAvailable" on every kernel since 3.14; before, diag estimates it (available.ts) from
 * /proc/zoneinfo or /proc/sys/vm/min_free_kbytes, read only then, and the label and a note on
 * the table say so, so no one takes the estimate for the kernel's number.
 */
function meminfoOutcome(src: Source, m: Meminfo) {
  const values: Record<string, number | undefined> = {};
  for (const name of Object.keys(MEMINFO_FIELDS)) values[name] = m[MEMINFO_FIELDS[name]![0]];
  let estimate: string | undefined;
  if (m.MemAvailable === undefined) {
    const est = estimateAvailable(m, () => readWatermarks(src));
    if (est !== undefined) {
      values.available_est = est.bytes;
      values.low_watermarks = est.lowWatermarks;
      estimate = basisText(est.basis);
    }
  }
  const from = availableFrom(values, estimate);
  const row: Row = { key: 'host', labels: { available_from: from }, values };
  return m.MemAvailable === undefined ? ok([row], [`/proc/meminfo has no MemAvailable (kernel < 3.14): available, used and used_pct are computed from ${from}`]) : ok([row]);
}

function readWatermarks(src: Source): WatermarkInputs {
  const z = readParsed(src, '/proc/zoneinfo', parseZoneinfo);
  const f = readParsed(src, '/proc/sys/vm/min_free_kbytes', parseMinFreeKbytes);
  return { ...(z.status === 'ok' ? { zoneinfo: z.value } : {}), ...(f.status === 'ok' ? { minFreeKbytes: f.value } : {}) };
}
