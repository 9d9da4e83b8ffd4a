import type { CollectContext, Collector, CollectorSample, Sample } from './collector.js';
import { failed, ok, unavailable, type Outcome } from './outcome.js';
import { MemoSource } from './memo-source.js';
import type { Source } from './source.js';

export interface SampleOptions {
  /** An asynchronous collector (commands, BPF) still running after this long is reported as timed out. */
  readonly collectorTimeoutMs?: number;
}

function timeout(ms: number, id: string): { promise: Promise<Outcome<never>>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<Outcome<never>>((resolve) => {
    timer = setTimeout(() => resolve(unavailable('timeout', `collector ${id} timed out after ${ms} ms`, 'the host may be overloaded; its other collectors were kept')), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Take one sample: every collector through the source. Synchronous collectors (procfs, sysfs)
 * run one after another; asynchronous ones (commands, BPF) overlap, each bounded by a timeout.
 * A collector that throws is a bug in that collector and becomes an `error` outcome for it alone;
 * the others go on.
 */
export async function collectSample(collectors: readonly Collector[], host: Source, ctx: CollectContext = { sampleIndex: 0 }, opts: SampleOptions = {}): Promise<Sample> {
  const src = new MemoSource(host);
  const clock = src.now('sample');
  const out: Record<string, Outcome<CollectorSample>> = {};
  const pending: Array<Promise<void>> = [];
  const crashed = (c: Collector, err: unknown) => failed('bug', `collector ${c.id} crashed: ${err instanceof Error ? err.message : String(err)}`, err);
  // An asynchronous collector's promise can only settle once the synchronous ones below have
  // run, so its duration is its own synchronous part plus what it added after them: not the
  // time the others took.
  let syncDoneAt = Infinity;
  for (const c of collectors) {
    const started = performance.now();
    const cClock = src.now(`collector:${c.id}`);
    let result: ReturnType<Collector['collect']>;
    try {
      result = c.collect(src, ctx);
    } catch (err) {
      out[c.id] = crashed(c, err);
      continue;
    }
    if (!(result instanceof Promise)) {
      out[c.id] = ok({ clock: cClock, durationMs: performance.now() - started, tables: result });
      continue;
    }
    const syncMs = performance.now() - started;
    const done = result.then(
      (tables): Outcome<CollectorSample> => ok({ clock: cClock, durationMs: syncMs + Math.max(0, performance.now() - syncDoneAt), tables }),
      (err: unknown) => crashed(c, err),
    );
    if (opts.collectorTimeoutMs === undefined) {
      pending.push(done.then((o) => void (out[c.id] = o)));
    } else {
      const t = timeout(opts.collectorTimeoutMs, c.id);
      pending.push(
        Promise.race([done, t.promise]).then((o) => {
          t.cancel();
          out[c.id] = o;
        }),
      );
    }
  }
  syncDoneAt = performance.now();
  await Promise.all(pending);
  // Keep the registry's order whatever finished first.
  const ordered: Record<string, Outcome<CollectorSample>> = {};
  for (const c of collectors) if (out[c.id]) ordered[c.id] = out[c.id]!;
  return { clock, collectors: ordered };
}

export interface WindowSamples {
  readonly first: Sample;
  readonly second: Sample;
}
