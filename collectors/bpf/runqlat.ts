import type { ProbeDefinition } from './probe.js';
import { histogramFromPerCpuArray, percentileUpperBound, renderHistogram, type Log2Histogram } from './histogram.js';

/** Layout: native/bpf/runqlat.h (hist: PERCPU_ARRAY of RUNQLAT_SLOTS u64 counts, microseconds). */
export interface RunqlatResult {
  readonly histogram: Log2Histogram;
  readonly p50Us: number | undefined;
  readonly p99Us: number | undefined;
}

export const runqlatProbe: ProbeDefinition<RunqlatResult> = {
  id: 'runqlat',
  title: 'run-queue latency: time runnable tasks wait for a CPU (log2 histogram, µs)',
  object: 'runqlat',
  variants: [
    { hook: 'tp_btf', programs: ['wakeup_btf', 'wakeup_new_btf', 'switch_btf'] },
    { hook: 'raw_tp', programs: ['wakeup_raw', 'wakeup_new_raw', 'switch_raw'] },
    { hook: 'tp', programs: ['wakeup_tp', 'wakeup_new_tp', 'switch_tp'] },
  ],
  filter: true,
  configure(obj, _ctx, variant) {
    // tp_btf keeps enqueue times in task-local storage; the others in a hash map.
    obj.setAutocreate(variant.hook === 'tp_btf' ? 'start' : 'start_ts', false);
  },
  finish(s) {
    const histogram = histogramFromPerCpuArray(s.obj.dump('hist'), s.ctx.ncpus, 'usecs');
    return { histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99) };
  },
  render(r) {
    const pct = r.histogram.total === 0 ? '' : `p50 <= ${r.p50Us} µs, p99 <= ${r.p99Us} µs\n`;
    return `run-queue latency, ${r.histogram.total} scheduling events\n${renderHistogram(r.histogram)}${pct}`;
  },
};
