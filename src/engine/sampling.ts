import type { CollectContext, Collector, Sample } from '../core/collector.js';
import { collectSample } from '../core/sample.js';
import type { Source } from '../core/source.js';

/**
 * Sampling for a playbook run, in two ways cheaper than one collector after another:
 *  - collectors run concurrently: file readers are synchronous and run back to back, while the
 *    commands of command collectors (ss, tc, nft, ethtool, conntrack, dmesg) overlap instead of
 *    waiting for each other (each keeps its own clock, so rates stay exact);
 *  - a collector whose tables hold no counter (only levels: df, dmesg counts, file-nr) is read
 *    once, at the end of the window: a first sample would be thrown away.
 */
export async function sampleConcurrently(collectors: readonly Collector[], src: Source, ctx: CollectContext): Promise<Sample> {
  const clock = src.now('sample');
  const parts = await Promise.all(collectors.map((c) => collectSample([c], src, ctx)));
  const merged: Record<string, Sample['collectors'][string]> = {};
  for (const p of parts) Object.assign(merged, p.collectors);
  return { clock, collectors: merged };
}

/** Does a window change what this collector reports (it has counters to turn into rates)? */
export function needsWindow(c: Collector): boolean {
  return Object.values(c.tables).some((t) => Object.values(t.fields).some((f) => f.kind === 'counter'));
}
