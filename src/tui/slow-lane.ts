import type { Collector } from '../core/collector.js';
import { deriveModel, type ModelTable } from '../core/derive.js';
import { Sampler } from '../core/sampler.js';
import type { Source } from '../core/source.js';

/**
 * What the dashboard judges besides its every-second collectors: the playbook's command
 * collectors (tc, nft/iptables, conntrack, dmesg) and the sweep of every network namespace, and
 * the tables culprits need (sockets behind a listen overflow), each a process or many: sampled
 * over a window of their own in the background, every `everyMs` (15 s) at the earliest, and so that
 * the work of a round (its reads and commands, not the window's wait) takes at most a tenth of
 * the time (a loaded host, or one with hundreds of namespaces, gets rounds further apart). Driven by the refreshes (`poll`): a paused
 * dashboard samples nothing. A frame judges with the last round's tables until the next.
 */
export interface SlowLaneOptions {
  /** Shortest time from one round's start to the next (default 15 s). */
  readonly everyMs?: number;
  /** The window each round measures rates over (default 1 s, as a run). */
  readonly windowMs?: number;
  /** Rounds whose tables are older than this are dropped (default 6 x everyMs). */
  readonly maxAgeMs?: number;
  /** Collectors read once, at the end of the window (the checks read only their levels: dmesg). */
  readonly once?: (c: Collector) => boolean;
  /** The clock (tests). */
  readonly now?: () => number;
}

export class SlowLane {
  private readonly sampler: Sampler;
  private readonly everyMs: number;
  private readonly windowMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly once: ((c: Collector) => boolean) | undefined;
  private running: Promise<void> | undefined;
  private dueAt = 0;
  private last: { readonly at: number; readonly tables: Readonly<Record<string, ModelTable>> } | undefined;
  private closed = false;

  constructor(
    source: Source,
    /** Always sampled (the playbook's checks need them). */
    private readonly base: readonly Collector[],
    opts: SlowLaneOptions = {},
  ) {
    this.sampler = new Sampler(source);
    this.everyMs = opts.everyMs ?? 15_000;
    this.windowMs = opts.windowMs ?? 1000;
    this.maxAgeMs = opts.maxAgeMs ?? 6 * this.everyMs;
    this.now = opts.now ?? (() => performance.now());
    this.once = opts.once;
  }

  /**
   * The tables of the last round (undefined before the first, or when it is too old), and a
   * new round started when one is due. `extra`: collectors wanted this time besides the base
   * (the culprit tables of the findings on screen).
   */
  poll(extra: readonly Collector[] = []): Readonly<Record<string, ModelTable>> | undefined {
    const t = this.now();
    if (!this.closed && !this.running && t >= this.dueAt) {
      const collectors = [...new Set([...this.base, ...extra])];
      if (collectors.length > 0) this.running = this.round(collectors, t);
    }
    return this.last && t - this.last.at <= this.maxAgeMs ? this.last.tables : undefined;
  }

  /** The round under way, if any (tests wait for it). */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }

  private async round(collectors: readonly Collector[], started: number): Promise<void> {
    try {
      const model = deriveModel(collectors, await this.sampler.window(collectors, this.windowMs, this.once ? { once: this.once } : {}));
      this.last = { at: this.now(), tables: model.tables };
    } catch {
      // a round that failed leaves the last one's tables until they are too old; the next one tries again
    } finally {
      // the window is waiting, not work: the work of a round (reads, commands) is kept to a tenth of the time
      const work = Math.max(0, this.now() - started - this.windowMs);
      this.dueAt = started + Math.max(this.everyMs, this.windowMs + 10 * work);
      this.running = undefined;
    }
  }
}
