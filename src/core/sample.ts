import type { CollectContext, Collector, CollectorSample, Sample } from './collector.js';
import { failed, ok, type Outcome } from './outcome.js';
import type { Source } from './source.js';

/**
 * Take one sample: every collector through the source. A collector that throws is a bug in that
 * collector and becomes an `error` outcome for it alone; the others go on.
 */
export async function collectSample(collectors: readonly Collector[], src: Source, ctx: CollectContext = { sampleIndex: 0 }): Promise<Sample> {
  const clock = src.now('sample');
  const out: Record<string, Outcome<CollectorSample>> = {};
  for (const c of collectors) {
    const started = performance.now();
    const cClock = src.now(`collector:${c.id}`);
    try {
      const tables = await c.collect(src, ctx);
      out[c.id] = ok({ clock: cClock, durationMs: performance.now() - started, tables });
    } catch (err) {
      out[c.id] = failed(`collector ${c.id} crashed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
  return { clock, collectors: out };
}

export interface WindowSamples {
  readonly first: Sample;
  readonly second: Sample;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Two samples `windowMs` apart. Give two sources to replay a fixture or bundle (each holds the
 * raw inputs of one sample); give one live source to measure now.
 */
export async function collectWindow(collectors: readonly Collector[], sources: Source | readonly [Source, Source], windowMs: number): Promise<WindowSamples> {
  const [a, b] = Array.isArray(sources) ? (sources as readonly [Source, Source]) : [sources as Source, sources as Source];
  const t0 = performance.now();
  const first = await collectSample(collectors, a, { sampleIndex: 0 });
  if (a.kind === 'live' || a.kind === 'recording') {
    const wait = windowMs - (performance.now() - t0);
    if (wait > 0) await sleep(wait);
  }
  const second = await collectSample(collectors, b, { sampleIndex: 1 });
  return { first, second };
}
