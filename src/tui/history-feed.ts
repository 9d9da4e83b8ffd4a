import type { Collector, Sample } from '../core/collector.js';
import { deriveModel, type Model } from '../core/derive.js';
import { collectSample } from '../core/sample.js';
import type { Source } from '../core/source.js';
import { evaluatePlaybook } from '../engine/evaluate.js';
import type { LoadedPlaybook } from '../engine/loader.js';
import { findingKey, SEVERITY_RANK } from '../engine/periods.js';
import { collectorsFor, hostVars } from '../engine/run.js';
import type { EngineSession } from '../engine/session.js';
import { dashboardCollectors, readHost, type Feed } from './feed.js';
import type { Frame } from './frame.js';
import { hostRow, rowsOf } from './frame.js';
import { findingStep, lastWindow, moveTarget, type TimeMove } from './time-travel.js';

/**
 * A recording as the TUI reads it (the CLI adapts a History to it: src/cli/history-span.ts):
 * the time of every sample, each sample as a Source replaying it, and each sample with only the
 * host-wide files the history charts read (much cheaper to build than the whole sample).
 */
export interface RecordedSpan {
  /** Where it is (a directory, or a bundle's history), for the header and messages. */
  readonly where: string;
  readonly host: string;
  readonly intervalMs: number;
  /** Wall-clock ms of every sample, oldest first. */
  readonly times: readonly number[];
  /** Sample i replayed (undefined: its frame does not decode). */
  source(i: number): Source | undefined;
  /** Sample i with only the host-wide inputs of CHART_COLLECTORS; read in order, from the first sample on. */
  hostSource(i: number): Source | undefined;
}

/** The collectors the history charts read (host-wide procfs and sysfs files only). */
export const CHART_COLLECTOR_IDS = ['cpu', 'memory', 'disk', 'netdev'] as const;

/** The series drawn over the recorded span, one value per window (index 0 unused). */
export interface ChartSeries {
  readonly cpu: (number | undefined)[];
  readonly mem: (number | undefined)[];
  readonly disk: (number | undefined)[];
  readonly net: (number | undefined)[];
  readonly psi: (number | undefined)[];
  /** Which pressure was the highest in each window (cpu, memory, io). */
  readonly psiWhich: (string | undefined)[];
}

export type ChartId = Exclude<keyof ChartSeries, 'psiWhich'>;

/** What the time-travel panel and header read of the feed (a snapshot of its progress). */
export interface TimelineView {
  readonly where: string;
  readonly times: readonly number[];
  /** The window shown. */
  readonly position: number;
  /** Windows whose chart values are read (the charts fill in from the start). */
  readonly charted: number;
  readonly series: ChartSeries;
  /** Worst severity of every window judged so far (-1: judged, nothing found). */
  readonly judged: ReadonlyMap<number, number>;
}

/** A window's chart values from its model (the same derived fields the panels show). */
export function chartPoint(m: Model): { cpu?: number; mem?: number; disk?: number; net?: number; psi?: number; psiWhich?: string } {
  const cpu = rowsOf(m, 'cpu').find((r) => r.key === 'all')?.values.busy_pct;
  const mem = hostRow(m, 'meminfo')?.values.used_pct;
  let disk: number | undefined;
  for (const r of rowsOf(m, 'disk')) {
    const u = r.values.util_pct;
    if (r.labels.kind !== 'partition' && u !== undefined && (disk === undefined || u > disk)) disk = u;
  }
  let net: number | undefined;
  for (const r of rowsOf(m, 'netdev')) {
    if (r.key === 'lo') continue;
    const rx = r.values.rx_bytes;
    const tx = r.values.tx_bytes;
    if (rx !== undefined || tx !== undefined) net = (net ?? 0) + (rx ?? 0) + (tx ?? 0);
  }
  let psi: number | undefined;
  let psiWhich: string | undefined;
  for (const r of rowsOf(m, 'psi')) {
    const v = r.values.some_pct;
    if (v !== undefined && (psi === undefined || v > psi)) [psi, psiWhich] = [v, r.key];
  }
  return { cpu, mem, disk, net, psi, psiWhich };
}

/** A small map that forgets the least recently used entry past `size`. */
class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(private readonly size: number) {}
  get(k: K): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.size) this.m.delete(this.m.keys().next().value!);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The dashboard at any moment of a recording. Nothing is derived ahead: a window is built when
 * it is shown (its two samples collected, derived, judged), and the last few samples and frames
 * are kept, so a step forward or back collects one sample. The charts read only the host-wide
 * files of every sample, in order, in the background; n / N judge windows from the position on
 * until a finding starts, and keep what each judged window found.
 */
export class HistoryFeed implements Feed {
  readonly live = false;
  private readonly collectors: readonly Collector[];
  private readonly chartCollectors: readonly Collector[];
  private readonly samples = new Lru<number, Sample | null>(6);
  private readonly frames = new Lru<number, Frame>(4);
  /** Finding keys and worst severity of every window judged. */
  private readonly keys = new Map<number, ReadonlySet<string>>();
  private readonly worst = new Map<number, number>();
  private pos: number;
  private readonly series: ChartSeries = { cpu: [], mem: [], disk: [], net: [], psi: [], psiWhich: [] };
  private charted = 0;
  private chartsStopped = false;

  constructor(
    private readonly span: RecordedSpan,
    private readonly session: EngineSession,
    readonly playbook: LoadedPlaybook,
    /** The window shown first (default: the last one). */
    start?: number,
  ) {
    const fast = dashboardCollectors(session.collectors);
    const judged = collectorsFor(playbook, session.catalogue).filter((c) => c.origin !== 'bpf' && !fast.includes(c));
    this.collectors = [...fast, ...judged];
    this.chartCollectors = session.collectors.filter((c) => (CHART_COLLECTOR_IDS as readonly string[]).includes(c.id));
    const last = lastWindow(span.times.length);
    this.pos = Math.max(Math.min(start ?? last, last), Math.min(1, last));
  }

  get count(): number {
    return this.span.times.length;
  }

  get position(): number {
    return this.pos;
  }

  /** The second sample of the window shown, as a Source (what the guide and tones would read). */
  get source(): Source {
    return this.span.source(this.pos) ?? this.span.source(this.span.times.length - 1)!;
  }

  view(): TimelineView {
    return { where: this.span.where, times: this.span.times, position: this.pos, charted: this.charted, series: this.series, judged: this.worst };
  }

  /** The window shown. */
  next(): Promise<Frame> {
    return this.frameAt(this.pos);
  }

  /** Where a move (not to a finding) lands from the window shown. */
  target(move: Exclude<TimeMove, { kind: 'finding' }>): number {
    return moveTarget(this.span.times, this.pos, move);
  }

  /** Make window i the one shown (its frame is built by next() or frameAt). */
  moveTo(i: number): void {
    const last = lastWindow(this.count);
    this.pos = Math.max(Math.min(i, last), Math.min(1, last));
  }

  /** The frame of window i is kept (showing it costs nothing). */
  has(i: number): boolean {
    return this.frames.get(i) !== undefined;
  }

  /** The findings of window i that were not in the window before it (what n landed on), once both are judged. */
  started(i: number): Frame['evaluation']['findings'] {
    const before = this.keys.get(i - 1) ?? new Set<string>();
    return (this.frames.get(i)?.evaluation.findings ?? []).filter((f) => !before.has(findingKey(f)));
  }

  /**
   * The window where the next (dir 1) or previous (-1) finding starts, judging windows on the
   * way (each judged once); undefined when none does. `progress` hears each window judged;
   * `cancelled` stops the search (a key pressed meanwhile).
   */
  async findFinding(dir: 1 | -1, progress?: (window: number) => void, cancelled?: () => boolean): Promise<number | undefined> {
    for (;;) {
      const step = findingStep(this.pos, dir, this.count, (j) => this.keys.get(j));
      if ('found' in step) return step.found;
      if ('none' in step) return undefined;
      if (cancelled?.()) return undefined;
      progress?.(step.judge);
      await this.frameAt(step.judge);
      // let a key in between two windows
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The sample i, collected (null: it does not decode). */
  private async sampleAt(i: number): Promise<Sample | null> {
    const kept = this.samples.get(i);
    if (kept !== undefined) return kept;
    const src = this.span.source(i);
    const s = src ? await collectSample(this.collectors, src, { sampleIndex: 0 }) : null;
    this.samples.set(i, s);
    return s;
  }

  async frameAt(i: number): Promise<Frame> {
    const kept = this.frames.get(i);
    if (kept) return kept;
    const times = this.span.times;
    if (lastWindow(times.length) === 0) throw new Error(`${this.span.where} holds ${times.length} sample(s): two are needed for a window`);
    // a window costs a few hundred ms (its samples decoded, collected, derived): let the screen draw first
    await new Promise((r) => setImmediate(r));
    const [a, b] = [await this.sampleAt(i - 1), await this.sampleAt(i)];
    const src = this.span.source(i);
    let frame: Frame;
    if (!a || !b || !src) {
      // a damaged frame: the window is shown empty, with why
      const model = deriveModel([], { clock: { monoMs: 0, wall: iso(times[i]!) }, collectors: {} });
      const evaluation = evaluatePlaybook({ playbook: this.playbook, model, catalogue: this.session.catalogue, vars: {} });
      frame = this.frameOf(i, model, evaluation, { hostname: this.span.host });
    } else {
      const model = deriveModel(this.collectors, { first: a, second: b });
      const evaluation = evaluatePlaybook({ playbook: this.playbook, model, catalogue: this.session.catalogue, vars: hostVars(src) });
      const host = readHost(src);
      frame = this.frameOf(i, model, evaluation, host.hostname === 'unknown' ? { ...host, hostname: this.span.host } : host);
    }
    const found = frame.evaluation.findings;
    this.keys.set(i, new Set(found.map(findingKey)));
    this.worst.set(i, found.reduce((m, f) => Math.max(m, SEVERITY_RANK[f.severity]), -1));
    this.frames.set(i, frame);
    return frame;
  }

  private frameOf(i: number, model: Model, evaluation: Frame['evaluation'], host: Frame['host']): Frame {
    const times = this.span.times;
    return {
      model,
      evaluation,
      playbook: this.playbook.name,
      host,
      at: iso(times[i]!),
      source: 'history',
      tick: i,
      position: { window: i, windows: lastWindow(times.length), from: iso(times[i - 1]!), startedAt: iso(times[0]!), endedAt: iso(times.at(-1)!) },
    };
  }

  /**
   * Reads the charts' values of every window, from the first on, one sample per turn of the
   * event loop (keys stay answered); `onProgress` after every `every` windows and at the end.
   */
  async chart(onProgress: () => void, every = 25): Promise<void> {
    let prev: Sample | undefined;
    const n = this.count;
    for (let i = 0; i < n && !this.chartsStopped; i++) {
      const src = this.span.hostSource(i);
      const cur = src ? await collectSample(this.chartCollectors, src, { sampleIndex: 0 }) : undefined;
      if (i > 0 && prev && cur) {
        const p = chartPoint(deriveModel(this.chartCollectors, { first: prev, second: cur }));
        this.series.cpu[i] = p.cpu;
        this.series.mem[i] = p.mem;
        this.series.disk[i] = p.disk;
        this.series.net[i] = p.net;
        this.series.psi[i] = p.psi;
        this.series.psiWhich[i] = p.psiWhich;
      }
      prev = cur;
      this.charted = i;
      if (i % every === 0) onProgress();
      await new Promise((r) => setImmediate(r));
    }
    onProgress();
  }

  close(): void {
    this.chartsStopped = true;
  }
}
