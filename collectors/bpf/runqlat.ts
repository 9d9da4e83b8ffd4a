import type { ProbeDefinition } from './probe.js';
import { histogramFromCounts, histogramFromPerCpuArray, percentileUpperBound, renderHistogram, type Log2Histogram } from './histogram.js';
import type { MapDump } from './addon.js';
import type { Source } from '../../src/core/source.js';
import { sanitizeForTerminal } from '../../src/core/sanitize.js';
import { structLayout } from './layout.js';

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
export function decodeProcessHist(d: MapDump): Map<number, number[]> {
  const per = new Map<number, number[]>();
  const m = PROC_SLOT.members;
  for (let i = 0; i < d.count; i++) {
    const tgid = d.keys.readUInt32LE(i * d.keySize + m.tgid.offset);
    const slot = d.keys.readUInt32LE(i * d.keySize + m.slot.offset);
    if (slot >= 64) continue;
    const counts = per.get(tgid) ?? [];
    counts[slot] = (counts[slot] ?? 0) + Number(d.values.readBigUInt64LE(i * d.valueStride));
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
    finish(s) {
      if (!perProcess) {
        const histogram = histogramFromPerCpuArray(s.obj.dump('hist'), s.ctx.ncpus, 'usecs');
        return { histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99) };
      }
      const per = decodeProcessHist(s.obj.dump('hist_proc'));
      const all: number[] = [];
      const processes = [...per.entries()]
        .map(([tgid, counts]) => {
          counts.forEach((c, k) => (all[k] = (all[k] ?? 0) + (c ?? 0)));
          const histogram = histogramFromCounts(counts, 'usecs');
          return { tgid, comm: comm(s.ctx.src, tgid), histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99) };
        })
        .sort((a, b) => b.histogram.total - a.histogram.total);
      const histogram = histogramFromCounts(all, 'usecs');
      return { histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99), processes };
    },
    render(r) {
      const pct = r.histogram.total === 0 ? '' : `p50 <= ${r.p50Us} µs, p99 <= ${r.p99Us} µs\n`;
      const head = `run-queue latency, ${r.histogram.total} scheduling events\n${renderHistogram(r.histogram)}${pct}`;
      if (!r.processes) return head;
      const top = r.processes.slice(0, 10).map((p) => `\nprocess ${p.tgid} (${sanitizeForTerminal(p.comm ?? '?')}): ${p.histogram.total} waits, p50 <= ${p.p50Us} µs, p99 <= ${p.p99Us} µs\n${renderHistogram(p.histogram)}`);
      return `${head}${top.join('')}${r.processes.length > 10 ? `\n(${r.processes.length - 10} more processes in --json)\n` : ''}`;
    },
  };
}

/** The host-wide histogram. */
export const runqlatProbe: ProbeDefinition<RunqlatResult> = runqlatProbeWith();
