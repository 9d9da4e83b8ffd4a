import type { Collector, Row, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge, type FieldSpec } from '../../../src/core/fields.js';
import { ok } from '../../../src/core/outcome.js';
import type { ParseResult } from '../../../src/core/parse-result.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { parseDiskstats, parseScheduler, parseSysfsLine, parseSysfsUint, sysfsName } from './parse.js';

/**
 * Block devices: /proc/diskstats counters plus /sys/block/<dev> attributes, derived as
 * `iostat -x` (sysstat 12.6) derives them.
 *
 * Which rows:
 * - every device and partition in /proc/diskstats, except
 * - ram* (brd RAM disks), and
 * - loop* devices that are detached (size 0 in /sys/block/loopN/size, no backing file) with no
 *   I/O in flight: the kernel pre-creates 8 of them, and a detached one keeps the counters of
 *   its last use, which describe nothing that exists any more.
 *
 * Naming: the row key is the name a person knows: a device-mapper device dm-N is keyed by its
 * mapper name (/sys/block/dm-N/dm/name, e.g. "vg0-root"); the kernel name stays in the `kernel`
 * label. Partitions are found under their disk (/sys/block/DEV/PART/partition) and carry
 * kind=partition and parent=DEV; their queue attributes are the parent's (one queue per disk).
 */

const ms32 = (title: string): FieldSpec => counter(title, 'ms', { bits: 32 });

const DISK_FIELDS: Record<string, FieldSpec> = {
  reads: counter('reads completed (rate = r/s)'),
  read_merges: counter('adjacent reads merged (rate = rrqm/s)'),
  read_sectors: counter('512-byte sectors read', 'sectors'),
  read_ms: ms32('time spent reading'),
  writes: counter('writes completed (rate = w/s)'),
  write_merges: counter('adjacent writes merged (rate = wrqm/s)'),
  write_sectors: counter('512-byte sectors written', 'sectors'),
  write_ms: ms32('time spent writing'),
  in_flight: gauge('I/Os in flight'),
  io_ms: ms32('time the device had I/O in flight (busy time)'),
  queue_ms: ms32('weighted time in queue (sum of the times of all I/Os)'),
  discards: counter('discards completed (rate = d/s; Linux 4.18+)'),
  discard_merges: counter('discards merged (rate = drqm/s)'),
  discard_sectors: counter('512-byte sectors discarded', 'sectors'),
  discard_ms: ms32('time spent discarding'),
  flushes: counter('flush requests completed (rate = f/s; Linux 5.5+)'),
  flush_ms: ms32('time spent flushing'),
  size_bytes: gauge('size', 'bytes'),
  ro: gauge('read-only', 'boolean'),
  removable: gauge('removable media', 'boolean'),
  rotational: gauge('rotational (spinning disk)', 'boolean'),
  nr_requests: gauge('request queue depth (queue/nr_requests)'),
  logical_block_size: gauge('logical block size', 'bytes'),
  physical_block_size: gauge('physical block size', 'bytes'),
  max_sectors_kb: gauge('largest request the block layer issues', 'kB'),
  max_hw_sectors_kb: gauge('largest request the hardware takes', 'kB'),
  read_ahead_kb: gauge('read-ahead', 'kB'),
};

/** Queue attributes read from /sys/block/DEV/queue/<name>, same name as the field. */
const QUEUE_UINTS = ['rotational', 'nr_requests', 'logical_block_size', 'physical_block_size', 'max_sectors_kb', 'max_hw_sectors_kb', 'read_ahead_kb'] as const;

/**
 * The iostat -x columns (sysstat 12.6, write_ext_stat/compute_ext_disk_stats), from counter
 * deltas over the window. Where iostat prints 0.00 because nothing completed in the window
 * (await, areq-sz, %rrqm of a device without I/O), the value here stays undefined: there is no
 * latency to report, and a 0 ms await would be an invented number.
 */
function diskDerive(w: RowWindow): Record<string, number | undefined> {
  const ratio = (num: number | undefined, den: number | undefined) => (num === undefined || den === undefined || den === 0 ? undefined : num / den);
  const per = (num: string, den: string) => ratio(w.delta(num), w.delta(den));
  const halve = (v: number | undefined) => (v === undefined ? undefined : v / 2);
  const mergedPct = (merges: string, ios: string) => {
    const m = w.delta(merges);
    const n = w.delta(ios);
    return m === undefined || n === undefined || m + n === 0 ? undefined : (100 * m) / (m + n);
  };
  // sar -d / iostat -s "await": reads, writes and discards together (flushes are not counted).
  const sum = (names: readonly string[]) => {
    let total = 0;
    for (const n of names) {
      const d = w.delta(n);
      if (d === undefined) return undefined;
      total += d;
    }
    return total;
  };
  const withDiscards = w.value('discards') !== undefined;
  const ios = withDiscards ? ['reads', 'writes', 'discards'] : ['reads', 'writes'];
  const times = withDiscards ? ['read_ms', 'write_ms', 'discard_ms'] : ['read_ms', 'write_ms'];
  const busy = w.rate('io_ms');
  const queue = w.rate('queue_ms');
  return {
    rkB_s: halve(w.rate('read_sectors')),
    wkB_s: halve(w.rate('write_sectors')),
    dkB_s: halve(w.rate('discard_sectors')),
    rrqm_pct: mergedPct('read_merges', 'reads'),
    wrqm_pct: mergedPct('write_merges', 'writes'),
    drqm_pct: mergedPct('discard_merges', 'discards'),
    r_await: per('read_ms', 'reads'),
    w_await: per('write_ms', 'writes'),
    d_await: per('discard_ms', 'discards'),
    f_await: per('flush_ms', 'flushes'),
    await: ratio(sum(times), sum(ios)),
    rareq_sz: halve(per('read_sectors', 'reads')),
    wareq_sz: halve(per('write_sectors', 'writes')),
    dareq_sz: halve(per('discard_sectors', 'discards')),
    aqu_sz: queue === undefined ? undefined : queue / 1000,
    // io_ms per second of window: 1000 ms/s is 100 % busy. Capped like a percentage (the kernel
    // can account a little more than the window when a sample lands mid-update).
    util_pct: busy === undefined ? undefined : Math.min(100, busy / 10),
  };
}

function readUint(src: Source, path: string): number | undefined {
  const r = readParsed(src, path, parseSysfsUint);
  return r.status === 'ok' ? r.value : undefined;
}

function readLine(src: Source, path: string, parse: (t: string) => ParseResult<string> = parseSysfsLine): string | undefined {
  const r = readParsed(src, path, parse);
  return r.status === 'ok' ? r.value : undefined;
}

type Kind = 'disk' | 'partition' | 'dm' | 'md' | 'loop' | 'zram';

function kindOf(name: string, isPartition: boolean, dmName: string | undefined): Kind {
  if (isPartition) return 'partition';
  if (dmName !== undefined) return 'dm';
  if (/^md\d/.test(name)) return 'md';
  if (/^loop\d/.test(name)) return 'loop';
  if (/^zram\d/.test(name)) return 'zram';
  return 'disk';
}

/** Values and labels of one whole disk's /sys/block/DEV directory (queue, size, dm, loop). */
interface DiskAttrs {
  readonly values: Record<string, number | undefined>;
  readonly labels: Record<string, string>;
  readonly dmName?: string;
}

function readDiskAttrs(src: Source, dir: string, isLoopOrDm: { loop: boolean; dm: boolean }): DiskAttrs {
  const values: Record<string, number | undefined> = {};
  const labels: Record<string, string> = {};
  for (const q of QUEUE_UINTS) values[q] = readUint(src, `${dir}/queue/${q}`);
  const sched = readLine(src, `${dir}/queue/scheduler`, parseScheduler);
  if (sched !== undefined) labels.scheduler = sched;
  const wc = readLine(src, `${dir}/queue/write_cache`);
  if (wc !== undefined) labels.write_cache = wc;
  let dmName: string | undefined;
  if (isLoopOrDm.dm) {
    dmName = readLine(src, `${dir}/dm/name`);
    const slaves = src.readDir(`${dir}/slaves`);
    if (slaves.status === 'ok' && slaves.value.length > 0) labels.slaves = [...slaves.value].sort().join(',');
  }
  if (isLoopOrDm.loop) {
    const backing = readLine(src, `${dir}/loop/backing_file`);
    if (backing !== undefined) labels.backing_file = backing;
  }
  return dmName === undefined ? { values, labels } : { values, labels, dmName };
}


function collectDisks(src: Source): TableOutcomes[string] {
  const ds = readParsed(src, '/proc/diskstats', parseDiskstats);
  if (ds.status !== 'ok') return ds;
  const devices = ds.value.devices;
  const block = src.readDir('/sys/block');
  const wholeDisks = new Set(block.status === 'ok' ? block.value : []);
  const kernelNames = new Set(devices.map((d) => d.name));

  // Partitions: a diskstats name that is not a whole disk, found as /sys/block/DISK/NAME/partition
  // (the longest whole-disk name that prefixes it: "nvme0n1" for "nvme0n1p1").
  const parentOf = new Map<string, string>();
  const sortedDisks = [...wholeDisks].sort((a, b) => b.length - a.length);
  for (const d of devices) {
    const s = sysfsName(d.name);
    if (wholeDisks.has(s)) continue;
    const parent = sortedDisks.find((p) => s.startsWith(p) && src.readFile(`/sys/block/${p}/${s}/partition`).status === 'ok');
    if (parent !== undefined) parentOf.set(s, parent);
  }

  const attrCache = new Map<string, DiskAttrs>();
  const attrsOf = (s: string): DiskAttrs => {
    let a = attrCache.get(s);
    if (a === undefined) {
      a = readDiskAttrs(src, `/sys/block/${s}`, { loop: /^loop\d/.test(s), dm: /^dm-\d/.test(s) });
      attrCache.set(s, a);
    }
    return a;
  };

  const rows: Row[] = [];
  const usedKeys = new Set<string>();
  for (const d of devices) {
    const s = sysfsName(d.name);
    const parent = parentOf.get(s);
    const isWhole = wholeDisks.has(s);
    if (/^ram\d/.test(d.name) && parent === undefined) continue;
    const dir = parent === undefined ? `/sys/block/${s}` : `/sys/block/${parent}/${s}`;
    const sectors = readUint(src, `${dir}/size`);
    if (/^loop\d/.test(d.name) && parent === undefined && sectors === 0 && !d.stats.in_flight) continue;
    const attrs = isWhole ? attrsOf(s) : parent !== undefined ? attrsOf(parent) : undefined;
    const dmName = isWhole ? attrs?.dmName : undefined;
    const kind = kindOf(d.name, parent !== undefined, dmName);
    // The mapper name unless it would collide with another device's kernel name or key.
    let key = dmName !== undefined && !kernelNames.has(dmName) ? dmName : d.name;
    if (usedKeys.has(key)) key = d.name;
    if (usedKeys.has(key)) continue;
    usedKeys.add(key);
    const labels: Record<string, string> = { kernel: d.name, dev: `${d.major}:${d.minor}` };
    // Without /sys/block (a container without sysfs) a partition cannot be told from a disk.
    if (block.status === 'ok') labels.kind = kind;
    if (parent !== undefined) labels.parent = parent;
    if (attrs !== undefined) {
      for (const [k, v] of Object.entries(attrs.labels)) {
        // A partition shares its disk's queue, not its disk's slaves or backing file.
        if (parent === undefined || k === 'scheduler' || k === 'write_cache') labels[k] = v;
      }
    }
    rows.push({
      key,
      labels,
      values: {
        ...d.stats,
        ...(attrs?.values ?? {}),
        size_bytes: sectors === undefined ? undefined : sectors * 512,
        ro: readUint(src, `${dir}/ro`),
        removable: isWhole ? readUint(src, `${dir}/removable`) : undefined,
      },
    });
  }
  return ok(rows);
}

export const diskCollector: Collector = {
  id: 'disk',
  title: 'Block devices: I/O counters as iostat -x, queue settings, partitions and device-mapper names',
  origin: 'procfs',
  resources: ['disk'],
  inputs: ['/proc/diskstats', '/sys/block/*/queue/*', '/sys/block/*/{size,ro,removable}', '/sys/block/dm-*/dm/name', '/sys/block/*/*/partition', '/sys/block/loop*/loop/backing_file'],
  tables: {
    disk: {
      title: 'Block devices (derived columns as iostat -x)',
      scope: 'device',
      // A device number reused by another device (loop re-attached elsewhere, dm re-created)
      // is a new device: its counters are not paired with the old one's.
      identity: ['dev'],
      fields: DISK_FIELDS,
      derived: {
        rkB_s: derived('rkB/s', 'kB/s'),
        wkB_s: derived('wkB/s', 'kB/s'),
        dkB_s: derived('dkB/s', 'kB/s'),
        rrqm_pct: derived('%rrqm (reads merged before issue)', 'percent'),
        wrqm_pct: derived('%wrqm', 'percent'),
        drqm_pct: derived('%drqm', 'percent'),
        r_await: derived('r_await (mean read time incl. queueing)', 'ms'),
        w_await: derived('w_await', 'ms'),
        d_await: derived('d_await', 'ms'),
        f_await: derived('f_await', 'ms'),
        await: derived('await (reads, writes and discards, as sar -d)', 'ms'),
        rareq_sz: derived('rareq-sz (mean read size)', 'kB'),
        wareq_sz: derived('wareq-sz', 'kB'),
        dareq_sz: derived('dareq-sz', 'kB'),
        aqu_sz: derived('aqu-sz (mean number of I/Os queued or in service)', 'count'),
        util_pct: derived('%util (time the device was busy)', 'percent'),
      },
      derive: diskDerive,
    },
  },
  collect(src) {
    return { disk: collectDisks(src) };
  },
};
