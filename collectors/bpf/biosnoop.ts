import type { ProbeDefinition } from './probe.js';
import { deviceNames, devMajor, devMinor } from './biolatency.js';
import { cString } from './cstring.js';
import { structLayout } from './layout.js';
import { ringRecords } from './session.js';
import { RUN_FIELDS, runValues } from './tables.js';
import type { BpfCapture } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';

/** native/bpf/biosnoop.h: struct bio_event (ring-buffer record, one per completed I/O). */
export const BIO_EVENT = structLayout('biosnoop', 'bio_event', 4 * 8 + 6 * 4 + 16, {
  issue_ns: [0, 8],
  latency_ns: [8, 8],
  queue_ns: [16, 8],
  sector: [24, 8],
  bytes: [32, 4],
  dev: [36, 4],
  tgid: [40, 4],
  pid: [44, 4],
  op: [48, 4],
  error: [52, 4],
  comm: [56, 16],
});

/** native/bpf/biosnoop.h: struct bio_start (value of the `inflight` map; read by no decoder, its layout kept honest). */
export const BIO_START = structLayout('biosnoop', 'bio_start', 8 + 8 + 4 + 4 + 16, {
  start_ns: [0, 8],
  issue_ns: [8, 8],
  tgid: [16, 4],
  pid: [20, 4],
  comm: [24, 16],
});

/** REQ_OP_* of include/linux/blk_types.h (the low 8 bits of cmd_flags), stable since 5.x. */
export const REQ_OPS: Readonly<Record<number, string>> = {
  0: 'read',
  1: 'write',
  2: 'flush',
  3: 'discard',
  5: 'secure-erase',
  7: 'zone-append',
  9: 'write-zeroes',
  10: 'zone-open',
  11: 'zone-close',
  12: 'zone-finish',
  13: 'zone-reset',
  15: 'zone-reset-all',
  34: 'drv-in',
  35: 'drv-out',
};

export interface BlockIo {
  /** CLOCK_MONOTONIC ns at issue to the driver. */
  readonly issueNs: number;
  readonly latencyNs: number;
  /** Submission to issue (ns), when the probe saw the submission (block_io_start). */
  readonly queueNs: number | undefined;
  readonly sector: number;
  readonly bytes: number;
  /** "7:0" */
  readonly dev: string;
  readonly tgid: number;
  readonly pid: number;
  readonly comm: string;
  readonly op: string;
  /** blk_status_t at completion; 0 is success. */
  readonly error: number;
}

/** A u64 as an exact number, or undefined past 2^53 (a damaged record: the kernel's clock, sectors
 * and latencies stay far below it). */
function exact(rec: Buffer, at: number): number | undefined {
  const v = rec.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
}

/** One ring-buffer record, or undefined when it is short or holds values no kernel writes. */
export function decodeBioEvent(rec: Buffer): BlockIo | undefined {
  if (rec.length < BIO_EVENT.size) return undefined;
  const m = BIO_EVENT.members;
  const dev = rec.readUInt32LE(m.dev.offset);
  const opNum = rec.readUInt32LE(m.op.offset);
  const issueNs = exact(rec, m.issue_ns.offset);
  const latencyNs = exact(rec, m.latency_ns.offset);
  const queue = exact(rec, m.queue_ns.offset);
  const sector = exact(rec, m.sector.offset);
  if (issueNs === undefined || latencyNs === undefined || queue === undefined || sector === undefined) return undefined;
  return {
    issueNs,
    latencyNs,
    queueNs: queue === 0 ? undefined : queue,
    sector,
    bytes: rec.readUInt32LE(m.bytes.offset),
    dev: `${devMajor(dev)}:${devMinor(dev)}`,
    tgid: rec.readUInt32LE(m.tgid.offset),
    pid: rec.readUInt32LE(m.pid.offset),
    comm: cString(rec, m.comm.offset, m.comm.size),
    op: REQ_OPS[opNum] ?? `op ${opNum}`,
    error: rec.readInt32LE(m.error.offset),
  };
}

export interface IoGroup {
  readonly ios: number;
  readonly bytes: number;
  readonly totalLatencyNs: number;
  /** Exact percentiles of the kept I/Os' latencies (ns). */
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly maxNs: number;
  readonly errors: number;
}

export interface ProcessIo extends IoGroup {
  readonly tgid: number;
  readonly comm: string;
  /** Devices it did I/O on, most I/Os first ("loop0" or "7:0"). */
  readonly devices: readonly string[];
}

export interface DeviceIo extends IoGroup {
  readonly dev: string;
  readonly name: string | undefined;
  readonly byOp: Readonly<Record<string, number>>;
}

export interface BiosnoopResult {
  /** Where the issuing process was taken: at submission (block_io_start), or at issue to the driver. */
  readonly attribution: 'submission' | 'issue';
  /** Every kept I/O, in completion order. */
  readonly ios: readonly BlockIo[];
  /** Completed I/Os beyond the kept maximum: counted, not kept (not in the summaries). */
  readonly dropped: number;
  readonly slowest: readonly BlockIo[];
  readonly processes: readonly ProcessIo[];
  readonly devices: readonly DeviceIo[];
}

function group(ios: readonly BlockIo[]): IoGroup {
  const lat = ios.map((i) => i.latencyNs).sort((a, b) => a - b);
  const at = (p: number): number => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil(p * lat.length) - 1))] ?? 0;
  return {
    ios: ios.length,
    bytes: ios.reduce((a, i) => a + i.bytes, 0),
    totalLatencyNs: lat.reduce((a, b) => a + b, 0),
    p50Ns: at(0.5),
    p99Ns: at(0.99),
    maxNs: lat[lat.length - 1] ?? 0,
    errors: ios.filter((i) => i.error !== 0).length,
  };
}

function groupBy<K>(ios: readonly BlockIo[], key: (i: BlockIo) => K): Map<K, BlockIo[]> {
  const m = new Map<K, BlockIo[]>();
  for (const i of ios) {
    const k = key(i);
    const l = m.get(k);
    if (l) l.push(i);
    else m.set(k, [i]);
  }
  return m;
}

/** The summaries of a list of I/Os; `names`: "major:minor" -> device name. */
export function summariseIos(ios: readonly BlockIo[], names: ReadonlyMap<string, string>, attribution: BiosnoopResult['attribution'], dropped = 0): BiosnoopResult {
  const devName = (dev: string): string => names.get(dev) ?? dev;
  const processes = [...groupBy(ios, (i) => i.tgid).entries()]
    .map(([tgid, list]) => {
      const devs = [...groupBy(list, (i) => i.dev).entries()].sort((a, b) => b[1].length - a[1].length).map(([d]) => devName(d));
      return { tgid, comm: list[list.length - 1]?.comm ?? '', devices: devs, ...group(list) };
    })
    .sort((a, b) => b.totalLatencyNs - a.totalLatencyNs);
  const devices = [...groupBy(ios, (i) => i.dev).entries()]
    .map(([dev, list]) => {
      const byOp: Record<string, number> = {};
      for (const i of list) byOp[i.op] = (byOp[i.op] ?? 0) + 1;
      return { dev, name: names.get(dev), byOp, ...group(list) };
    })
    .sort((a, b) => b.totalLatencyNs - a.totalLatencyNs);
  const slowest = [...ios].sort((a, b) => b.latencyNs - a.latencyNs).slice(0, 20);
  return { attribution, ios, dropped, slowest, processes, devices };
}

/** The capture loaded block_io_start (its programs' statistics name what was loaded). */
const attributionOf = (cap: BpfCapture): BiosnoopResult['attribution'] => (cap.progStats.some((p) => p.name.startsWith('start_')) ? 'submission' : 'issue');

/** Per-I/O block latency with the issuing process (the text is src/report/probe-text.ts). */
export function biosnoopProbe(): ProbeDefinition<BiosnoopResult> {
  return {
    id: 'biosnoop',
    title: 'every block I/O: issuing process, device, op, bytes, sector, latency',
    object: 'biosnoop',
    layouts: [BIO_EVENT, BIO_START],
    variants: [
      { hook: 'tp_btf', programs: ['start_btf', 'issue_btf', 'complete_btf'] },
      { hook: 'tp_btf', programs: ['issue_btf', 'complete_btf'] },
      { hook: 'raw_tp', programs: ['start_raw', 'issue_raw', 'complete_raw'] },
      { hook: 'raw_tp', programs: ['issue_raw', 'complete_raw'] },
    ],
    filter: true,
    configure(obj, _ctx, variant) {
      if (variant.programs.some((p) => p.startsWith('start_'))) obj.setGlobal('have_start', Buffer.from([1]));
    },
    maps: [],
    rings: ['events'],
    ringLimit: 200_000,
    decode(cap, src) {
      const ring = cap.rings.events;
      const ios: BlockIo[] = [];
      for (const rec of ringRecords(ring?.batch ?? Buffer.alloc(0))) {
        const e = decodeBioEvent(rec);
        if (e) ios.push(e);
      }
      return summariseIos(ios, deviceNames(src), attributionOf(cap), ring?.dropped ?? 0);
    },
    collector: {
      resources: ['disk'],
      tables: {
        biosnoop_process: {
          title: 'Block I/O per issuing process over the probe\'s run (I/Os, bytes, latency issue to completion)',
          scope: 'process',
          fields: {
            ios: gauge('I/Os completed'),
            bytes: gauge('bytes of those I/Os', 'bytes'),
            latency_total_ms: gauge('summed I/O latency', 'ms'),
            p99_ms: gauge('I/O latency, 99th percentile', 'ms'),
            max_ms: gauge('slowest I/O', 'ms'),
          },
        },
        biosnoop_device: {
          title: 'Block I/O per device over the probe\'s run, as biosnoop saw it',
          scope: 'device',
          fields: {
            ios: gauge('I/Os completed'),
            bytes: gauge('bytes of those I/Os', 'bytes'),
            p50_ms: gauge('I/O latency, median', 'ms'),
            p99_ms: gauge('I/O latency, 99th percentile', 'ms'),
            max_ms: gauge('slowest I/O', 'ms'),
          },
          identity: ['dev'],
        },
        biosnoop_slowest: {
          title: 'The slowest block I/Os of the probe\'s run (up to 20): device, operation, size, sector, issuing process',
          scope: 'event',
          fields: {
            latency_ms: gauge('I/O latency, issue to completion', 'ms'),
            queue_ms: gauge('time from submission to issue (when block_io_start is attached)', 'ms'),
            bytes: gauge('size of the I/O', 'bytes'),
            sector: gauge('first sector (512 bytes) of the I/O'),
          },
        },
        biosnoop_summary: { title: 'Per-I/O block probe: I/Os, duration and lost events', scope: 'host', fields: { ios: gauge('I/Os completed'), not_kept: gauge('I/Os beyond the kept maximum'), ...RUN_FIELDS } },
      },
      rows: (r, cap) => {
        const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;
        return {
          biosnoop_process: r.processes.map((p) => ({
            key: String(p.tgid),
            labels: { comm: p.comm, devices: p.devices.join(',') },
            values: { ios: p.ios, bytes: p.bytes, latency_total_ms: ms(p.totalLatencyNs), p99_ms: ms(p.p99Ns), max_ms: ms(p.maxNs) },
          })),
          biosnoop_device: r.devices.map((d) => ({ key: d.name ?? d.dev, labels: { dev: d.dev }, values: { ios: d.ios, bytes: d.bytes, p50_ms: ms(d.p50Ns), p99_ms: ms(d.p99Ns), max_ms: ms(d.maxNs) } })),
          biosnoop_slowest: r.slowest.map((i, n, all) => {
            const device = r.devices.find((d) => d.dev === i.dev)?.name ?? i.dev;
            const key = `${device} ${i.op} sector ${i.sector}`;
            // the same sector twice among the slowest: told apart by rank
            const twice = all.some((j, m) => m !== n && j.dev === i.dev && j.op === i.op && j.sector === i.sector);
            return {
              key: twice ? `${key} #${n + 1}` : key,
              labels: { device, dev: i.dev, op: i.op, pid: String(i.tgid), comm: i.comm },
              values: { latency_ms: ms(i.latencyNs), ...(i.queueNs === undefined ? {} : { queue_ms: ms(i.queueNs) }), bytes: i.bytes, sector: i.sector },
            };
          }),
          biosnoop_summary: [{ key: 'host', values: { ios: r.ios.length, not_kept: r.dropped, ...runValues(cap) } }],
        };
      },
    },
  };
}
