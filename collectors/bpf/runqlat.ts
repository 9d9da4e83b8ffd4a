import type { ProbeDefinition } from './probe.js';
import { expectDump, perCpuU64, u64Exact } from './dump.js';
import { histogramFromCounts, histogramFromPerCpuArray, MAX_SLOTS, percentileUpperBound, type Log2Histogram } from './histogram.js';
import { structLayout } from './layout.js';
import { bucketRows, LATENCY_FIELDS, latencyValues, RUN_FIELDS, runValues } from './tables.js';
import type { BpfMapDump } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';
import type { Source } from '../../src/core/source.js';

/** native/bpf/runqlat.h: struct proc_slot (key of the `hist_proc` map; value: u64 count). */
export const PROC_SLOT = structLayout('runqlat', 'proc_slot', 8, { tgid: [0, 4], slot: [4, 4] });

/** Layout: native/bpf/runqlat.h (hist: PERCPU_ARRAY of RUNQLAT_SLOTS u64 counts, microseconds;
 * hist_proc: HASH {u32 tgid, u32 slot} -> u64 with per_process). */
export interface ProcessRunqlat {
  readonly tgid: number;
  /** From /proc/PID/comm when the process still exists. */
  readonly comm: string | undefined;
  readonly histogram: Log2Histogram;
  readonly p50Us: number | undefined;
  readonly p99Us: number | undefined;
}

export interface RunqlatResult {
  /** All processes together. */
  readonly histogram: Log2Histogram;
  readonly p50Us: number | undefined;
  readonly p99Us: number | undefined;
  /** With perProcess: one histogram per process, most waits first. */
  readonly processes?: readonly ProcessRunqlat[];
}

/** Decode `hist_proc`: per process, its slot counts. */
export function decodeProcessHist(d: BpfMapDump): Map<number, number[]> {
  const per = new Map<number, number[]>();
  const m = PROC_SLOT.members;
  for (let i = 0; i < d.count; i++) {
    const tgid = d.keys.readUInt32LE(i * d.keySize + m.tgid.offset);
    const slot = d.keys.readUInt32LE(i * d.keySize + m.slot.offset);
    if (slot >= MAX_SLOTS) continue;
    const counts = per.get(tgid) ?? [];
    counts[slot] = (counts[slot] ?? 0) + u64Exact(d.values, i * d.valueStride);
    per.set(tgid, counts);
  }
  return per;
}

function comm(src: Source, tgid: number): string | undefined {
  const r = src.readFile(`/proc/${tgid}/comm`);
  return r.status === 'ok' ? r.value.replace(/\n$/, '') : undefined;
}

export interface RunqlatOptions {
  /** One histogram per process (in the kernel: a hash keyed by process and slot). */
  readonly perProcess?: boolean;
}

export function runqlatProbeWith(opts: RunqlatOptions = {}): ProbeDefinition<RunqlatResult> {
  const perProcess = opts.perProcess === true;
  return {
    id: 'runqlat',
    title: 'run-queue latency: time runnable tasks wait for a CPU (log2 histogram, µs)',
    object: 'runqlat',
    layouts: [PROC_SLOT],
    variants: [
      { hook: 'tp_btf', programs: ['wakeup_btf', 'wakeup_new_btf', 'switch_btf'] },
      { hook: 'raw_tp', programs: ['wakeup_raw', 'wakeup_new_raw', 'switch_raw'] },
      { hook: 'tp', programs: ['wakeup_tp', 'wakeup_new_tp', 'switch_tp'] },
    ],
    filter: true,
    settings: ['perProcess'],
    configure(obj, _ctx, variant) {
      // tp_btf keeps enqueue times in task-local storage; the others in a hash map.
      obj.setAutocreate(variant.hook === 'tp_btf' ? 'start' : 'start_ts', false);
      if (perProcess) obj.setGlobal('per_process', Buffer.from([1]));
      else obj.setAutocreate('hist_proc', false);
    },
    maps: [perProcess ? 'hist_proc' : 'hist'],
    decode(cap, src) {
      if (!perProcess) {
        const histogram = histogramFromPerCpuArray(expectDump(cap.maps, 'hist', { keySize: 4, valueStride: perCpuU64(cap.ncpus) }), cap.ncpus, 'usecs');
        return { histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99) };
      }
      const per = decodeProcessHist(expectDump(cap.maps, 'hist_proc', { keySize: PROC_SLOT.size, valueStride: 8 }));
      const all: number[] = [];
      const processes = [...per.entries()]
        .map(([tgid, counts]) => {
          counts.forEach((c, k) => (all[k] = (all[k] ?? 0) + (c ?? 0)));
          const histogram = histogramFromCounts(counts, 'usecs');
          return { tgid, comm: comm(src, tgid), histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99) };
        })
        .sort((a, b) => b.histogram.total - a.histogram.total);
      const histogram = histogramFromCounts(all, 'usecs');
      return { histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99), processes };
    },
    collector: {
      resources: ['cpu'],
      tables: {
        runqlat: {
          title: 'Run-queue latency histogram: waits for a CPU per log2 bucket (µs)',
          scope: 'bucket',
          fields: { low_us: gauge('bucket from', 'us'), high_us: gauge('bucket to', 'us'), waits: gauge('waits in this bucket over the probe\'s run') },
        },
        runqlat_summary: {
          title: 'Run-queue latency over the probe\'s run: waits and percentiles',
          scope: 'host',
          fields: { waits: gauge('times a runnable task waited for a CPU'), ...LATENCY_FIELDS('waits for a CPU'), ...RUN_FIELDS },
        },
      },
      rows: (r, cap) => ({
        runqlat: bucketRows(r.histogram, 'waits'),
        runqlat_summary: [{ key: 'host', values: { waits: r.histogram.total, ...latencyValues(r.histogram), ...runValues(cap) } }],
      }),
    },
  };
}

/** The host-wide histogram. */
export const runqlatProbe: ProbeDefinition<RunqlatResult> = runqlatProbeWith();
