import type { CollectContext, Collector, Sample } from './collector.js';
import type { CollectorMemo } from './collector-memo.js';
import { collectSample, type SampleOptions, type WindowSamples } from './sample.js';
import type { Source } from './source.js';

/**
 * The one place that takes samples over time from a Source: the two-sample window of a playbook
 * run, a drill-down, a snapshot, `diag collect`, and the cadence of a long-running consumer (the
 * TUI's live feed; a flight recorder later). One timing policy for all of them:
 *  - a wait accounts for the time the sample before it took (a window of 1 s is 1 s from the
 *    start of its first sample to the start of its second, not 1 s plus the first sample);
 *  - a Source that replays (`Source.replay`: a fixture tree, a bundle) never waits: its clocks
 *    are the recorded ones;
 *  - every sample goes through collectSample (sample.ts): synchronous collectors back to back,
 *    asynchronous ones overlapping, each isolated, each with its own clock label.
 */

/** Time as the sampler sees it; tests pass a fake one. */
export interface SamplerClock {
  /** Monotonic milliseconds. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: SamplerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface SamplerOptions extends SampleOptions {
  readonly clock?: SamplerClock;
  /**
   * A slow lane (a flight recording's: collectors read less often than the others): these
   * collectors are read from the lane's own sources, one per sample as the main ones (the
   * recorded readings nearest the window), the rest from the main sources.
   */
  readonly lane?: SamplerLane;
}

export interface SamplerLane {
  readonly collectors: ReadonlySet<string>;
  readonly sources: readonly [Source, ...Source[]];
}

/** Does a window change what this collector reports (it has counters to turn into rates)? */
export function needsWindow(c: Collector): boolean {
  return Object.values(c.tables).some((t) => Object.values(t.fields).some((f) => f.kind === 'counter'));
}

export interface WindowOptions {
  /**
   * Collectors read once, as part of the second sample: those without counters, or read only
   * for levels (a first sample would be thrown away). On a live host they are read during the
   * wait, so their reads overlap it instead of lengthening the run; their CPU time lands in the
   * window diag measures (a few percent of one CPU with thousands of processes).
   */
  readonly once?: (c: Collector) => boolean;
  /** A second view over the same window: these collectors, inside the network namespace of `pid`. */
  readonly netns?: { readonly pid: number; readonly collectors: readonly Collector[] };
  /** Called as each step ends: the first sample, the wait (with the reads-once), the second sample. */
  readonly onPhase?: (phase: 'first' | 'wait' | 'second') => void;
  /** Context for the host view's collectors (the run's target processes). */
  readonly ctx?: Omit<CollectContext, 'sampleIndex'>;
  /** Called with the first sample before the wait: work to overlap with the window (a snapshot packs the first sample). */
  readonly duringWait?: (first: Sample) => void;
}

export interface SampledWindow extends WindowSamples {
  /** The view inside the network namespace, when WindowOptions.netns asked for it. */
  readonly netns?: WindowSamples;
}

export interface CadenceOptions {
  /** Memos lent to the collectors from sample to sample (collector-memo.ts). */
  readonly memo?: CollectorMemo;
}

/** One sample of a cadence, with the one before it. */
export interface CadenceStep {
  /** 0 for the first sample; also the sampleIndex its collectors were given. */
  readonly index: number;
  readonly sample: Sample;
  readonly prev: Sample | undefined;
  /**
   * What to derive: the window from the previous sample to this one, or this sample alone for
   * the first. Rows are paired by derive (derive.ts): a process that vanished has no row, a
   * reused PID (another start time) gets no rate.
   */
  readonly window: WindowSamples | Sample;
}

export type SamplerSources = Source | readonly [Source, ...Source[]];

export class Sampler {
  /** The sources replay recordings: no waiting, no new measurement. */
  readonly replay: boolean;
  readonly sources: readonly [Source, ...Source[]];
  readonly clock: SamplerClock;
  private readonly sampleOpts: SampleOptions;
  readonly lane: SamplerLane | undefined;

  /**
   * One source to measure (a live host, or a recording of it); or recorded sources, one per
   * sample (a bundle's two samples), which a window reads first and second and a cadence steps
   * through. Two sources of a live host (a snapshot's two recordings) are read in turn, in real
   * time.
   */
  constructor(sources: SamplerSources, opts: SamplerOptions = {}) {
    this.sources = isSourceList(sources) ? sources : [sources];
    this.replay = this.sources[0].replay;
    this.clock = opts.clock ?? REAL_CLOCK;
    this.sampleOpts = opts.collectorTimeoutMs === undefined ? {} : { collectorTimeoutMs: opts.collectorTimeoutMs };
    this.lane = opts.lane && opts.lane.collectors.size > 0 ? opts.lane : undefined;
  }

  /**
   * Sample number `index` of `collectors`, now: from the index-th source, or the last one there
   * is (one live source gives every sample).
   */
  async sampleAt(collectors: readonly Collector[], index: number, ctx: Omit<CollectContext, 'sampleIndex'> = {}): Promise<Sample> {
    const src = this.sources[Math.min(index, this.sources.length - 1)]!;
    const lane = this.lane;
    const inLane = lane ? collectors.filter((c) => lane.collectors.has(c.id)) : [];
    if (!lane || inLane.length === 0) return collectSample(collectors, src, { sampleIndex: index, ...ctx }, this.sampleOpts);
    const laneSrc = lane.sources[Math.min(index, lane.sources.length - 1)]!;
    const [main, slow] = await Promise.all([
      collectSample(
        collectors.filter((c) => !lane.collectors.has(c.id)),
        src,
        { sampleIndex: index, ...ctx },
        this.sampleOpts,
      ),
      collectSample(inLane, laneSrc, { sampleIndex: index, ...ctx }, this.sampleOpts),
    ]);
    // the registry's order, the sample's clock
    const ordered: Record<string, Sample['collectors'][string]> = {};
    for (const c of collectors) {
      const o = main.collectors[c.id] ?? slow.collectors[c.id];
      if (o) ordered[c.id] = o;
    }
    return { clock: main.clock, collectors: ordered };
  }

  /**
   * Two samples `windowMs` apart (from the start of the first to the start of the second):
   * the first from the first source, the second from the second (or the same one).
   */
  async window(collectors: readonly Collector[], windowMs: number, opts: WindowOptions = {}): Promise<SampledWindow> {
    const once = opts.once ?? (() => false);
    const twice = (c: Collector) => !once(c);
    const netns = opts.netns;
    const take = async (i: number, pick: (c: Collector) => boolean): Promise<[Sample, Sample | undefined]> => {
      const netnsSet = netns ? netns.collectors.filter(pick) : [];
      // The host view and the namespace view run side by side: their commands overlap.
      return Promise.all([
        this.sampleAt(collectors.filter(pick), i, opts.ctx),
        netns && netnsSet.length > 0 ? this.sampleAt(netnsSet, i, { netnsPid: netns.pid }) : Promise.resolve(undefined),
      ]);
    };
    const started = this.clock.now();
    const [h1, n1] = await take(0, twice);
    opts.onPhase?.('first');
    opts.duringWait?.(h1);
    let early: [Sample, Sample | undefined] | undefined;
    let first = h1;
    if (!this.replay) {
      if (collectors.some(once) || netns?.collectors.some(once)) {
        early = await take(1, once);
        first = await this.retakeHostLoad(collectors.filter(twice), h1, windowMs, windowMs - (this.clock.now() - started), opts);
      }
      const wait = windowMs - (this.clock.now() - started);
      if (wait > 0) await this.clock.sleep(wait);
    }
    opts.onPhase?.('wait');
    // A replay reads everything of the second sample at once: its recording holds it all.
    const [h2, n2] = await take(1, early ? twice : () => true);
    opts.onPhase?.('second');
    const merge = (x: Sample, y: Sample | undefined): Sample => (y ? { clock: x.clock, collectors: { ...y.collectors, ...x.collectors } } : x);
    const second = merge(h2, early?.[0]);
    const netnsSecond = n2 ? merge(n2, early?.[1]) : early?.[1];
    // Only read-once collectors in the namespace: an empty first sample at the second's time.
    const netnsFirst = n1 ?? (netnsSecond ? { clock: netnsSecond.clock, collectors: {} } : undefined);
    return { first, second, ...(netnsFirst && netnsSecond ? { netns: { first: netnsFirst, second: netnsSecond } } : {}) };
  }

  /**
   * The host-load collectors (Collector.hostLoad) read again after diag's own reads of the
   * window, so that their window holds only diag's sleep: with one busy loop on a CPU, diag's
   * threads and the commands it runs (ss, tc, nft) queue behind it and would read as CPU
   * pressure of their own making (30 % of a 1 s window measured on a 2-CPU host). Done on one
   * live source only (a snapshot's first sample is already recorded and packed), and only
   * when at least 40 % of the window (and 250 ms) is left: a slow host keeps the whole window.
   */
  private async retakeHostLoad(collectors: readonly Collector[], first: Sample, windowMs: number, leftMs: number, opts: WindowOptions): Promise<Sample> {
    const load = collectors.filter((c) => c.hostLoad);
    if (load.length === 0 || this.sources.length > 1 || opts.duringWait || leftMs < Math.max(250, 0.4 * windowMs)) return first;
    const again = await this.sampleAt(load, 0, opts.ctx);
    return { clock: first.clock, collectors: { ...first.collectors, ...again.collectors } };
  }

  /** Successive samples of `collectors`, each paired with the one before. */
  cadence(collectors: readonly Collector[], opts: CadenceOptions = {}): Cadence {
    return new Cadence(this, collectors, opts);
  }
}

/**
 * Samples one after another from a Sampler's source: `next()` takes one now (the consumer keeps
 * its own timer, as the TUI does), `every(ms)` takes one per interval. On a replay it steps
 * through the recorded sources, one sample each, and is then done.
 */
export class Cadence {
  private prev: Sample | undefined;
  private index = 0;

  constructor(
    private readonly sampler: Sampler,
    private readonly collectors: readonly Collector[],
    private readonly opts: CadenceOptions = {},
  ) {}

  /** Samples taken so far: the index of the next one. */
  get taken(): number {
    return this.index;
  }

  /** Every recorded sample was taken (a live source is never done). */
  get done(): boolean {
    return this.sampler.replay && this.index >= this.sampler.sources.length;
  }

  /** Take the next sample now; `collectors` narrows this one sample (e.g. a cheaper first paint). */
  async next(collectors: readonly Collector[] = this.collectors): Promise<CadenceStep> {
    if (this.done) throw new RangeError(`the recording holds ${this.sampler.sources.length} samples; all were taken`);
    const index = this.index++;
    const sample = await this.sampler.sampleAt(collectors, index, this.opts.memo ? { memo: this.opts.memo } : {});
    const prev = this.prev;
    this.prev = sample;
    return { index, sample, prev, window: prev ? { first: prev, second: sample } : sample };
  }

  /**
   * A sample every `intervalMs`: each wait accounts for the time the sample and its consumer
   * took, so samples start on the interval (or at once when the last one overran it). A replay
   * never waits. Ends when `signal` aborts or a replay is done.
   */
  async *every(intervalMs: number, signal?: AbortSignal): AsyncGenerator<CadenceStep, void, undefined> {
    while (!this.done && !signal?.aborted) {
      const { clock } = this.sampler;
      const started = clock.now();
      yield await this.next();
      if (this.sampler.replay || signal?.aborted) continue;
      const wait = intervalMs - (clock.now() - started);
      if (wait > 0) await clock.sleep(wait, signal);
    }
  }
}

function isSourceList(s: SamplerSources): s is readonly [Source, ...Source[]] {
  return Array.isArray(s);
}

/** Two samples `windowMs` apart of `collectors` (Sampler.window with every collector read twice). */
export function collectWindow(collectors: readonly Collector[], sources: SamplerSources, windowMs: number, opts: SamplerOptions = {}): Promise<SampledWindow> {
  return new Sampler(sources, opts).window(collectors, windowMs);
}
