import { lostOf } from './probe.js';
import type { Log2Histogram } from './histogram.js';
import { percentileUpperBound, slotRange } from './histogram.js';
import type { BpfCapture } from '../../src/core/bpf.js';
import type { Row } from '../../src/core/collector.js';
import { gauge, type FieldSpec } from '../../src/core/fields.js';

/**
 * Fields every probe's summary table carries, declared once: how long the probe ran and the
 * events the kernel side lost (ring buffer full, map full), zero included.
 */
export const RUN_FIELDS: Readonly<Record<string, FieldSpec>> = {
  seconds: gauge('time the probe ran', 's'),
  lost_ring: gauge('events lost: ring buffer full', 'count'),
  lost_map: gauge('events lost: a map was full', 'count'),
};

export function runValues(capture: BpfCapture): Record<string, number> {
  const lost = lostOf(capture);
  return { seconds: Math.round(capture.durationMs) / 1000, lost_ring: lost.ring, lost_map: lost.map };
}

/** Percentile fields of a latency histogram (log2 buckets, so each is the bucket's upper bound). */
export const LATENCY_FIELDS = (what: string): Readonly<Record<string, FieldSpec>> => ({
  p50_us: gauge(`${what}: half are at most this (bucket upper bound)`, 'us'),
  p90_us: gauge(`${what}: 90% are at most this (bucket upper bound)`, 'us'),
  p99_us: gauge(`${what}: 99% are at most this (bucket upper bound)`, 'us'),
  max_us: gauge(`${what}: the longest is at most this (bucket upper bound)`, 'us'),
});

export function latencyValues(h: Log2Histogram): Record<string, number | undefined> {
  const last = h.counts.length - 1;
  return {
    p50_us: percentileUpperBound(h, 0.5),
    p90_us: percentileUpperBound(h, 0.9),
    p99_us: percentileUpperBound(h, 0.99),
    max_us: h.total === 0 || last < 0 ? undefined : slotRange(last).high,
  };
}

/** One row per log2 bucket up to the last non-empty one (as bcc prints them), keyed "low-high". */
export function bucketRows(h: Log2Histogram, count: string, prefix = ''): Row[] {
  return h.counts.map((c, k) => {
    const { low, high } = slotRange(k);
    return { key: `${prefix}${low}-${high}`, values: { low_us: low, high_us: high, [count]: c } };
  });
}
