import type { Collector } from '../core/collector.js';
import { deriveModel, type Model } from '../core/derive.js';
import { UsageError } from '../core/errors.js';
import type { Source } from '../core/source.js';
import { Sampler } from '../core/sampler.js';

/**
 * sar-style interval mode for collect and overview: `diag collect cpu 1 5` prints five reports,
 * each over the second before it, as `sar 1 5` does; without a count it goes on until Ctrl-C.
 */
export interface IntervalSpec {
  readonly intervalMs: number;
  /** Reports to print; undefined: until interrupted. */
  readonly count: number | undefined;
}

/** INTERVAL [COUNT] from the positional arguments after the command's own (seconds, like sar). */
export function parseInterval(args: readonly string[], command: string): IntervalSpec | undefined {
  if (args.length === 0) return undefined;
  if (args.length > 2) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args[2])}`, { hint: `${command} ... [INTERVAL [COUNT]], e.g. 1 5 for five reports a second apart` });
  const [i, c] = args;
  if (!/^\d+(\.\d+)?$/.test(i!) || Number(i) < 0.1 || Number(i) > 86_400) throw new UsageError(`${command}: the interval is seconds between 0.1 and 86400, got ${JSON.stringify(i)}`);
  if (c !== undefined && (!/^\d+$/.test(c) || Number(c) < 1 || Number(c) > 1_000_000)) throw new UsageError(`${command}: the count is a whole number of reports from 1, got ${JSON.stringify(c)}`);
  return { intervalMs: Math.round(Number(i) * 1000), count: c === undefined ? undefined : Number(c) };
}

/**
 * Sample every interval and hand each window's model to `print` (the first sample only starts
 * the first window). Stops after `count` reports, or on SIGINT/SIGTERM (then returns normally:
 * an interrupted interval run is not an error, as with sar).
 */
export async function runIntervals(collectors: readonly Collector[], src: Source, spec: IntervalSpec, print: (model: Model, n: number) => void): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let printed = 0;
  try {
    for await (const step of new Sampler(src).cadence(collectors).every(spec.intervalMs, stop.signal)) {
      if (!step.prev) continue;
      print(deriveModel(collectors, step.window), ++printed);
      if (spec.count !== undefined && printed >= spec.count) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return printed;
}
