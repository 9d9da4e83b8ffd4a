import { sumPerCpu } from './session.js';
import type { BpfMapDump } from '../../src/core/bpf.js';

/** A log2 histogram: slot k counts values in [2^k, 2^(k+1)), slot 0 also counts 0. */
export interface Log2Histogram {
  readonly unit: string;
  /** counts[k] = number of values in slot k; trailing empty slots trimmed. */
  readonly counts: readonly number[];
  readonly total: number;
}

/** Slots a log2 histogram of 64-bit values can have; a key beyond them is not a slot. */
export const MAX_SLOTS = 64;

export function slotRange(k: number): { low: number; high: number } {
  return k === 0 ? { low: 0, high: 1 } : { low: 2 ** k, high: 2 ** (k + 1) - 1 };
}

/** A PERCPU_ARRAY of u64 counts (key u32 slot), summed over CPUs. */
export function histogramFromPerCpuArray(d: BpfMapDump, ncpus: number, unit: string): Log2Histogram {
  const counts: number[] = [];
  for (let i = 0; i < d.count; i++) {
    const slot = d.keys.readUInt32LE(i * d.keySize);
    if (slot >= MAX_SLOTS) continue;
    counts[slot] = (counts[slot] ?? 0) + sumPerCpu(d.values, i, d.valueStride, ncpus);
  }
  return histogramFromCounts(counts, unit);
}

export function histogramFromCounts(raw: readonly (number | undefined)[], unit: string): Log2Histogram {
  const counts = Array.from(raw, (v) => v ?? 0);
  while (counts.length > 0 && counts[counts.length - 1] === 0) counts.pop();
  return { unit, counts, total: counts.reduce((a, b) => a + b, 0) };
}

/** Value below which a fraction p of the samples fall (upper bound of that slot). */
export function percentileUpperBound(h: Log2Histogram, p: number): number | undefined {
  if (h.total === 0) return undefined;
  let seen = 0;
  for (let k = 0; k < h.counts.length; k++) {
    seen += h.counts[k] ?? 0;
    if (seen >= p * h.total) return slotRange(k).high;
  }
  return undefined;
}
