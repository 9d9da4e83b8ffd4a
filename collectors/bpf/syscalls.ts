import type { ProbeDefinition } from './probe.js';
import { expectDump, u64Exact } from './dump.js';
import { histogramFromCounts, percentileUpperBound, type Log2Histogram } from './histogram.js';
import { structLayout } from './layout.js';
import { RUN_FIELDS, runValues } from './tables.js';
import { syscallName } from './syscall-names.js';
import type { BpfMapDump } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';
import type { Source } from '../../src/core/source.js';

/** native/bpf/syscalls.h */
export const SYSCALLS_SLOTS = 36;
/** struct sc_key (key of the `stats` map). */
export const SC_KEY = structLayout('syscalls', 'sc_key', 8, { tgid: [0, 4], nr: [4, 4] });
/** struct sc_stats (value of the `stats` map). */
export const SC_STATS = structLayout('syscalls', 'sc_stats', 88 + 8 * SYSCALLS_SLOTS, {
  count: [0, 8],
  total_ns: [8, 8],
  max_ns: [16, 8],
  max_args: [24, 48],
  max_ret: [72, 8],
  max_tid: [80, 4],
  pad: [84, 4],
  slots: [88, 8 * SYSCALLS_SLOTS],
});
/** struct sc_start (a call in flight; not read by the decoder, kept in the BTF for this check). */
export const SC_START = structLayout('syscalls', 'sc_start', 64, { ts: [0, 8], args: [8, 48], nr: [56, 4], pad: [60, 4] });

export { syscallName };

export interface SlowestCall {
  readonly ns: number;
  readonly tid: number;
  /** The six argument registers, hex (x86_64; empty on other architectures). */
  readonly args: readonly string[];
  readonly ret: number;
}

export interface SyscallStat {
  readonly nr: number;
  readonly name: string;
  readonly count: number;
  readonly totalNs: number;
  /** Latency, log2 ns. */
  readonly histogram: Log2Histogram;
  readonly p50Ns: number | undefined;
  readonly p99Ns: number | undefined;
  readonly slowest: SlowestCall;
}

export interface ProcessSyscalls {
  readonly tgid: number;
  readonly comm: string | undefined;
  readonly count: number;
  readonly totalNs: number;
  /** Most time first. */
  readonly syscalls: readonly SyscallStat[];
}

export interface SyscallsResult {
  readonly count: number;
  readonly totalNs: number;
  /** Over every process, most time first. */
  readonly syscalls: readonly SyscallStat[];
  /** Most time first. */
  readonly processes: readonly ProcessSyscalls[];
}

interface RawStat {
  readonly tgid: number;
  readonly nr: number;
  readonly count: number;
  readonly totalNs: number;
  readonly slots: number[];
  readonly slowest: SlowestCall;
}

const u64 = u64Exact;

/** Decode the `stats` map (key SC_KEY, value SC_STATS). */
export function decodeStats(d: BpfMapDump): RawStat[] {
  const k = SC_KEY.members;
  const v = SC_STATS.members;
  const out: RawStat[] = [];
  for (let i = 0; i < d.count; i++) {
    const key = d.keys.subarray(i * d.keySize, (i + 1) * d.keySize);
    const val = d.values.subarray(i * d.valueStride, (i + 1) * d.valueStride);
    const slots: number[] = [];
    for (let s = 0; s < SYSCALLS_SLOTS; s++) slots.push(u64(val, v.slots.offset + 8 * s));
    const args = process.arch === 'x64' ? Array.from({ length: 6 }, (_, a) => `0x${val.readBigUInt64LE(v.max_args.offset + 8 * a).toString(16)}`) : [];
    out.push({
      tgid: key.readUInt32LE(k.tgid.offset),
      nr: key.readUInt32LE(k.nr.offset),
      count: u64(val, v.count.offset),
      totalNs: u64(val, v.total_ns.offset),
      slots,
      slowest: { ns: u64(val, v.max_ns.offset), tid: val.readUInt32LE(v.max_tid.offset), args, ret: Number(val.readBigInt64LE(v.max_ret.offset)) },
    });
  }
  return out;
}

function stat(nr: number, parts: readonly RawStat[]): SyscallStat {
  const slots: number[] = [];
  for (const p of parts) p.slots.forEach((c, s) => (slots[s] = (slots[s] ?? 0) + c));
  const histogram = histogramFromCounts(slots, 'nsecs');
  const slowest = parts.reduce((a, p) => (p.slowest.ns > a.slowest.ns ? p : a)).slowest;
  return {
    nr,
    name: syscallName(nr),
    count: parts.reduce((a, p) => a + p.count, 0),
    totalNs: parts.reduce((a, p) => a + p.totalNs, 0),
    histogram,
    p50Ns: percentileUpperBound(histogram, 0.5),
    p99Ns: percentileUpperBound(histogram, 0.99),
    slowest,
  };
}

function groupBy<K, T>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const t of items) {
    const k = key(t);
    const l = m.get(k);
    if (l) l.push(t);
    else m.set(k, [t]);
  }
  return m;
}

const byTime = (a: { totalNs: number }, b: { totalNs: number }) => b.totalNs - a.totalNs;

function comm(src: Source, tgid: number): string | undefined {
  const r = src.readFile(`/proc/${tgid}/comm`);
  return r.status === 'ok' ? r.value.replace(/\n$/, '') : undefined;
}

/** Per process and call (the kernel's aggregation), then per call over every process. */
export function syscallsResult(raw: readonly RawStat[], commOf: (tgid: number) => string | undefined): SyscallsResult {
  const syscalls = [...groupBy(raw, (r) => r.nr).entries()].map(([nr, parts]) => stat(nr, parts)).sort(byTime);
  const processes = [...groupBy(raw, (r) => r.tgid).entries()]
    .map(([tgid, parts]) => {
      const calls = parts.map((p) => stat(p.nr, [p])).sort(byTime);
      return { tgid, comm: commOf(tgid), count: calls.reduce((a, c) => a + c.count, 0), totalNs: calls.reduce((a, c) => a + c.totalNs, 0), syscalls: calls };
    })
    .sort(byTime);
  return { count: syscalls.reduce((a, c) => a + c.count, 0), totalNs: syscalls.reduce((a, c) => a + c.totalNs, 0), syscalls, processes };
}

const nsToUs = (ns: number | undefined): number | undefined => (ns === undefined ? undefined : Math.round(ns / 100) / 10);

/**
 * System calls: per process and call, how many and how long (raw_syscalls sys_enter -> sys_exit),
 * with the slowest call's arguments.
 */
export function syscallsProbe(): ProbeDefinition<SyscallsResult> {
  return {
    id: 'syscalls',
    title: 'system calls per process: counts, latency (log2 histogram, ns), the slowest call and its arguments',
    object: 'syscalls',
    layouts: [SC_KEY, SC_STATS, SC_START],
    variants: [
      { hook: 'tp_btf', programs: ['enter_btf', 'exit_btf'] },
      { hook: 'raw_tp', programs: ['enter_raw', 'exit_raw'] },
      { hook: 'tp', programs: ['enter_tp', 'exit_tp'] },
    ],
    filter: true,
    configure(obj, _ctx, variant) {
      obj.setAutocreate(variant.hook === 'tp_btf' ? 'inflight' : 'inflight_ts', false);
    },
    maps: ['stats'],
    decode(cap, src) {
      const raw = decodeStats(expectDump(cap.maps, 'stats', { keySize: SC_KEY.size, valueStride: SC_STATS.size }));
      return syscallsResult(raw, (tgid) => comm(src, tgid));
    },
    collector: {
      resources: ['cpu'],
      tables: {
        syscalls: {
          title: 'System calls per process and call over the probe\'s run',
          scope: 'process',
          fields: {
            calls: gauge('calls that returned'),
            time_ms: gauge('time inside the calls', 'ms'),
            p50_us: gauge('latency: half are at most this (bucket upper bound)', 'us'),
            p99_us: gauge('latency: 99% are at most this (bucket upper bound)', 'us'),
            max_us: gauge('the slowest call', 'us'),
          },
          relations: { process: 'pid' },
        },
        syscalls_summary: { title: 'System call probe: calls, duration and lost events', scope: 'host', fields: { calls: gauge('calls that returned, every process'), ...RUN_FIELDS } },
      },
      rows: (r, cap) => ({
        syscalls: r.processes.flatMap((p) =>
          p.syscalls.map((c) => ({
            key: `${p.tgid}/${c.name}`,
            labels: { pid: String(p.tgid), syscall: c.name, ...(p.comm === undefined ? {} : { comm: p.comm }) },
            values: { calls: c.count, time_ms: Math.round(c.totalNs / 1e3) / 1e3, p50_us: nsToUs(c.p50Ns), p99_us: nsToUs(c.p99Ns), max_us: nsToUs(c.slowest.ns) },
          })),
        ),
        syscalls_summary: [{ key: 'host', values: { calls: r.count, ...runValues(cap) } }],
      }),
    },
  };
}
