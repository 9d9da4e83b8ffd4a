import type { Collector } from '../core/collector.js';
import { CollectorMemo } from '../core/collector-memo.js';
import { deriveModel } from '../core/derive.js';
import { needsWindow, Sampler, type Cadence } from '../core/sampler.js';
import type { Source } from '../core/source.js';
import { evaluatePlaybook, type Evaluation } from '../engine/evaluate.js';
import type { LoadedPlaybook } from '../engine/loader.js';
import type { MetricCatalogue } from '../engine/metrics.js';
import { collectChanges } from '../engine/changes.js';
import type { Changes } from '../engine/report-schema.js';
import { collectorsFor, DEFAULT_CHANGES_LOOKBACK_S, hostVars, levelOnlyCollectors } from '../engine/run.js';
import type { EngineSession } from '../engine/session.js';
import { LiveSource } from '../core/live-source.js';
import { DashboardSource } from './dashboard-source.js';
import { SlowLane, type SlowLaneOptions } from './slow-lane.js';
import type { Frame } from './frame.js';

/**
 * Collectors the dashboard refreshes every second: procfs, sysfs and cgroup readers. Command
 * collectors (ss, tc, nft...) and the namespace sweep cost a process or many each: the slow lane
 * samples those the playbook judges in the background (slow-lane.ts); BPF probes run when a
 * step of the guided investigation asks for them.
 */
export function dashboardCollectors(all: readonly Collector[]): Collector[] {
  return all.filter((c) => c.origin === 'procfs' || c.origin === 'sysfs' || c.origin === 'cgroup');
}

/** The collectors of tables a playbook judges that the dashboard does not refresh every second (BPF probes run only when asked). */
export function slowCollectors(playbook: LoadedPlaybook, catalogue: MetricCatalogue, fast: readonly Collector[]): Collector[] {
  return collectorsFor(playbook, catalogue).filter((c) => !fast.includes(c) && c.origin !== 'bpf');
}

/** Collectors of the culprit tables the findings lack (sockets behind a listen overflow), besides the fast ones. */
function culpritCollectors(ev: Evaluation, catalogue: MetricCatalogue, fast: readonly Collector[]): Collector[] {
  const out: Collector[] = [];
  for (const o of ev.checks) {
    if (o.findings.length === 0) continue;
    for (const t of o.culpritTables ?? []) {
      const c = catalogue.tables.get(t)?.collector;
      if (c && !fast.includes(c) && c.origin !== 'bpf' && !out.includes(c)) out.push(c);
    }
  }
  return out;
}

/** The host a source describes: its name, kernel and uptime (live, a bundle or a recording). */
export function readHost(src: Source): Frame['host'] {
  const h = src.readFile('/proc/sys/kernel/hostname');
  const k = src.readFile('/proc/sys/kernel/osrelease');
  const u = src.readFile('/proc/uptime');
  const up = u.status === 'ok' ? Number(u.value.split(' ')[0]) : undefined;
  return {
    hostname: h.status === 'ok' ? h.value.trim() : 'unknown',
    ...(k.status === 'ok' ? { kernel: k.value.trim() } : {}),
    ...(up !== undefined && Number.isFinite(up) ? { uptimeSeconds: up } : {}),
  };
}

export interface Feed {
  /** Releases what the feed holds open (descriptors kept for refreshes). */
  close?(): void;
  /** The next frame: for a live host, the window since the previous call. */
  next(): Promise<Frame>;
  readonly live: boolean;
  readonly source: Source;
  readonly playbook: LoadedPlaybook;
}

/** Live: one sample per call (a Sampler cadence); each frame judges the window since the previous sample. */
export class LiveFeed implements Feed {
  readonly live = true;
  /** What the refreshes read through: per-process files of idle processes are reused (dashboard-source.ts). */
  private readonly dashboard: DashboardSource;
  /** Rows of processes whose files did not change are the same objects from refresh to refresh (the cadence lends its memo). */
  private readonly cadence: Cadence;
  /** The host's netns and diag's PID, as a playbook run knows them (diag is never a culprit). */
  private readonly vars: Record<string, string>;
  /** The playbook's command collectors and namespace sweep, in the background (slow-lane.ts). */
  private readonly slow: SlowLane | undefined;
  /** Culprit tables the last frame's findings lacked: the next slow round samples them too. */
  private wanted: Collector[] = [];
  /** Recent changes, read in the background at start and every CHANGES_REFRESH_MS (never on the refresh path). */
  private changes: Changes | undefined;
  private changesAt = -Infinity;
  private changesReading = false;
  constructor(
    readonly source: Source,
    private readonly session: EngineSession,
    readonly playbook: LoadedPlaybook,
    private readonly collectors: readonly Collector[] = dashboardCollectors(session.collectors),
    /** The slow lane's timing, or false for none (every table the playbook needs is then only what `collectors` give). */
    slow: SlowLaneOptions | false = {},
  ) {
    this.dashboard = new DashboardSource(source, undefined, undefined, source instanceof LiveSource ? source.pinnedFiles() : undefined);
    this.cadence = new Sampler(this.dashboard).cadence(collectors, { memo: new CollectorMemo() });
    this.vars = hostVars(source);
    const levels = levelOnlyCollectors(playbook, session.catalogue);
    const once = (c: Collector) => !needsWindow(c) || levels.has(c.id);
    this.slow = slow === false ? undefined : new SlowLane(source, slowCollectors(playbook, session.catalogue, collectors), { once, ...slow });
  }

  close(): void {
    this.slow?.close();
    this.dashboard.close();
  }

  /** The slow lane's round under way, if any (tests). */
  slowSettled(): Promise<void> {
    return this.slow?.settled() ?? Promise.resolve();
  }

  async next(): Promise<Frame> {
    this.dashboard.beginTick();
    // First paint: the first frame has no rates anyway, and reading every process's files is
    // most of its cost (~0.3 s with 2,000 processes); the process list follows half a second later.
    const step = await this.cadence.next(this.cadence.taken === 0 ? this.collectors.filter((c) => c.id !== 'processes') : this.collectors);
    const fast = deriveModel(this.collectors, step.window);
    // the last slow round's tables beside this window's (the fast ones win: the same table is never in both)
    const slow = this.slow?.poll(this.wanted);
    const model = slow ? { ...fast, tables: { ...slow, ...fast.tables } } : fast;
    const evaluation = evaluatePlaybook({ playbook: this.playbook, model, catalogue: this.session.catalogue, vars: this.vars });
    this.wanted = culpritCollectors(evaluation, this.session.catalogue, this.collectors);
    // not on the first screens: they are what the user waits for
    if (step.index >= 2) this.refreshChanges();
    return { model, evaluation, playbook: this.playbook.name, host: readHost(this.source), at: step.sample.clock.wall, source: 'live', tick: step.index, ...(this.changes ? { changes: this.changes } : {}) };
  }

  private refreshChanges(): void {
    if (this.changesReading || performance.now() - this.changesAt < CHANGES_REFRESH_MS) return;
    this.changesReading = true;
    this.changesAt = performance.now();
    collectChanges({ collectors: this.session.collectors, src: this.source, lookbackSeconds: DEFAULT_CHANGES_LOOKBACK_S })
      .then((c) => {
        if (c) this.changes = c;
      })
      .catch(() => undefined)
      .finally(() => (this.changesReading = false));
  }
}

/** How often the dashboard reads recent changes again (a few processes and log files each time). */
export const CHANGES_REFRESH_MS = 5 * 60_000;

/** A snapshot bundle: one frame, time frozen at the capture. */
export class BundleFeed implements Feed {
  readonly live = false;
  private frame: Frame | undefined;
  constructor(
    private readonly sources: readonly [Source, Source],
    private readonly session: EngineSession,
    readonly playbook: LoadedPlaybook,
    private readonly windowMs: number,
    /** From the bundle's manifest: the host (its hostname and kernel files are not recorded) and the capture time. */
    private readonly capture: { readonly host?: { readonly hostname: string; readonly kernel?: string }; readonly at?: string } = {},
  ) {}
  get source(): Source {
    return this.sources[1];
  }

  async next(): Promise<Frame> {
    if (this.frame) return this.frame;
    const collectors = this.session.collectors;
    const model = deriveModel(collectors, await new Sampler(this.sources).window(collectors, this.windowMs));
    const evaluation = evaluatePlaybook({ playbook: this.playbook, model, catalogue: this.session.catalogue, vars: hostVars(this.sources[1]) });
    const recorded = readHost(this.sources[1]);
    const host = { ...recorded, ...(this.capture.host ? { hostname: this.capture.host.hostname, ...(this.capture.host.kernel ? { kernel: this.capture.host.kernel } : {}) } : {}) };
    const changes = await collectChanges({ collectors, src: this.sources[1], lookbackSeconds: DEFAULT_CHANGES_LOOKBACK_S });
    this.frame = { model, evaluation, playbook: this.playbook.name, host, at: this.capture.at ?? model.end.wall, source: 'bundle', tick: 0, ...(changes ? { changes } : {}) };
    return this.frame;
  }
}
