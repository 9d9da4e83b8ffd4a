import { statSync } from 'node:fs';
import { DiagError, UsageError } from '../core/errors.js';
import { sanitizeForTerminal } from '../core/sanitize.js';
import type { Source } from '../core/source.js';
import type { LoadedPlaybook } from '../engine/loader.js';
import { findingKey, SEVERITY_RANK as RANK } from '../engine/periods.js';
import type { Finding, Report } from '../engine/report-schema.js';
import { runPlaybook } from '../engine/run.js';
import type { EngineSession } from '../engine/session.js';
import { History, type SampleRef } from '../recording/history.js';
import { DirStore } from '../recording/store.js';
import { bundleHistory } from '../recording/bundle-history.js';
import { recordedLane } from '../recording/lanes.js';

/**
 * Judging the past: a recording (diag record's directory, or the history a bundle holds) judged
 * at one moment (`--at`) or walked window by window (`--since`), each window replayed through
 * the same sampler and playbooks as a bundle's (History.source -> MemoryTreeSource).
 */

/** `--at`/`--since`: ISO 8601, or relative to now: `-10m`, `10m`, `-1h30m` is not taken (one unit). */
export function parseTimeArg(text: string, option: string, nowMs: number): number {
  const t = text.trim();
  const rel = /^-?(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(t);
  if (rel) return nowMs - Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`${option}: expected a time in ISO 8601 (2026-12-04T13:05:00Z) or relative to now (-10m, -2h, -1d), got ${JSON.stringify(text)}`);
}

/** A recording opened for reading: diag record's directory, or a bundle holding a history (diag snapshot --recording). */
export async function openRecording(path: string): Promise<History> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`--recording: ${JSON.stringify(path)} does not exist`, { hint: 'the directory diag record writes (default /var/lib/diag/recording)' });
  }
  if (!isDir) {
    const h = await bundleHistory(path);
    if (!h) throw new DiagError(`${path} is a bundle without a recorded history`, { hint: 'judge it with --from BUNDLE; bundles with a history are made by diag snapshot --recording DIR' });
    return h;
  }
  const store = new DirStore(path);
  const meta = store.meta();
  if (!meta) throw new DiagError(`${path} holds no recording (no valid recording.json)`, { hint: 'start one with diag record --dir DIR' });
  return new History(store, meta);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The two samples a moment is judged on. Without a window: the last sample at or before `at` and
 * the one after it (the last two when `at` is past the end). With one: the first sample at or
 * after `at` (or the last), and the latest sample at least `windowMs` before it (or the first).
 */
export function pickWindow(samples: readonly SampleRef[], atMs: number, windowMs?: number): [SampleRef, SampleRef] {
  if (samples.length < 2) throw new DiagError(`the recording holds ${samples.length} sample(s): two are needed to judge a window`);
  const first = samples[0]!;
  const last = samples.at(-1)!;
  if (atMs < first.wallMs) throw new DiagError(`${iso(atMs)} is before the recording starts (${iso(first.wallMs)})`, { hint: `the recording holds ${iso(first.wallMs)} to ${iso(last.wallMs)}` });
  if (windowMs === undefined) {
    let i = samples.findIndex((s) => s.wallMs > atMs);
    if (i < 0) i = samples.length - 1;
    return [samples[Math.max(0, i - 1)]!, samples[Math.max(1, i)]!];
  }
  let j = samples.findIndex((s) => s.wallMs >= atMs);
  if (j < 1) j = j === 0 ? 1 : samples.length - 1;
  const end = samples[j]!;
  let i = j - 1;
  while (i > 0 && end.wallMs - samples[i]!.wallMs < windowMs) i--;
  return [samples[i]!, end];
}

export interface JudgeContext {
  readonly history: History;
  readonly playbook: LoadedPlaybook;
  readonly session: EngineSession;
  readonly target?: { readonly pid?: number; readonly cgroup?: string };
  readonly log: (m: string) => void;
  readonly changesLookbackSeconds?: number;
}

function sourcesOf(h: History, pair: readonly [SampleRef, SampleRef]): [Source, Source] {
  const a = h.source(pair[0]);
  const b = h.source(pair[1]);
  if (!a || !b) throw new DiagError(`${h.where}: the sample of ${iso((a ? pair[1] : pair[0]).wallMs)} does not decode (damaged segment)`);
  return [a, b];
}

/** The window samples[ia] -> samples[ib] judged (the recording's slow lane over its own readings around it). */
async function judgePair(ctx: JudgeContext, sources: readonly [Source, Source], samples: readonly SampleRef[], ia: number, ib: number, changes?: number): Promise<Report> {
  const lane = recordedLane(ctx.history, samples, ia, ib, sources);
  return runPlaybook({
    playbook: ctx.playbook,
    catalogue: ctx.session.catalogue,
    collectors: ctx.session.collectors,
    sources: [sources[0], sources[1]],
    windowMs: samples[ib]!.wallMs - samples[ia]!.wallMs,
    ...(ctx.target ? { target: ctx.target } : {}),
    ...(changes !== undefined ? { changesLookbackSeconds: changes } : {}),
    ...(lane ? { lane } : {}),
  });
}

/** The report a live run would have given at `atMs` (over the recorded window around it). */
export async function judgeAt(ctx: JudgeContext, atMs: number, windowMs?: number): Promise<Report> {
  const samples = ctx.history.samples();
  const pair = pickWindow(samples, atMs, windowMs);
  ctx.log(`judging ${ctx.history.where} at ${iso(atMs)}: the window ${iso(pair[0].wallMs)} -> ${iso(pair[1].wallMs)} (${((pair[1].wallMs - pair[0].wallMs) / 1000).toFixed(1)} s)`);
  const report = await judgePair(ctx, sourcesOf(ctx.history, pair), samples, samples.indexOf(pair[0]), samples.indexOf(pair[1]), ctx.changesLookbackSeconds);
  for (const d of ctx.history.damaged) ctx.log(`note: segment ${d} ends in a torn or damaged frame (a recorder stopped mid-write): read up to it`);
  return report;
}

export interface Period {
  readonly check: string;
  readonly scope: string;
  readonly resource: Finding['resource'];
  readonly kind: Finding['kind'];
  /** Start of the first window and end of the last window with the finding. */
  readonly start: string;
  readonly end: string;
  readonly worst: Finding['severity'];
  readonly title: string;
  /** Windows judged with the finding. */
  readonly windows: number;
  /**
   * The culprits named in the most of its windows (each window's top five; ties by their mean
   * rank), three at most, with how many windows named each: what held throughout, not what
   * peaked in one window (a process waiting behind the fault can top the busiest window).
   */
  readonly culprits: ReadonlyArray<{ readonly id: string; readonly name: string; readonly windows: number }>;
  /** The finding still holds in the last window judged. */
  readonly ongoing: boolean;
}

export interface HistoryReport {
  readonly schema: 'diag.history/v1';
  readonly playbook: string;
  readonly recording: string;
  readonly host: string;
  readonly from: string;
  readonly to: string;
  readonly windows: number;
  readonly status: Report['status'];
  readonly periods: readonly Period[];
}

/** How often a culprit was named over a period's windows. */
export interface Seen {
  name: string;
  windows: number;
  rankSum: number;
}

/** Each window's top five culprits, counted. */
function countCulprits(seen: Map<string, Seen>, f: Finding): void {
  for (const c of (f.culprits ?? []).slice(0, 5)) {
    const s = seen.get(c.entity.id);
    if (s) {
      s.windows++;
      s.rankSum += c.rank;
    } else seen.set(c.entity.id, { name: c.entity.name, windows: 1, rankSum: c.rank });
  }
}

/** The culprits named in the most windows (ties: the better mean rank), three at most. */
export function periodCulprits(seen: ReadonlyMap<string, Seen>): Period['culprits'] {
  return [...seen]
    .sort(([, a], [, b]) => b.windows - a.windows || a.rankSum / a.windows - b.rankSum / b.windows)
    .slice(0, 3)
    .map(([id, s]) => ({ id, name: s.name, windows: s.windows }));
}

function closePeriod(o: { p: Omit<Period, 'ongoing' | 'culprits'>; seen: ReadonlyMap<string, Seen> }, ongoing: boolean): Period {
  return { ...o.p, culprits: periodCulprits(o.seen), ongoing };
}

/**
 * Every window of consecutive samples from `sinceMs` on, judged; a finding (check @ scope) seen
 * in consecutive windows is one period, from the start of its first window to the end of its
 * last, with its worst severity. Periods sorted by start.
 */
export async function walkPeriods(ctx: JudgeContext, sinceMs: number, untilMs = Infinity): Promise<HistoryReport> {
  const h = ctx.history;
  const all = h.samples();
  // the sample before `since` too: the first window ends after it
  const startIdx = all.findIndex((s) => s.wallMs >= sinceMs) < 0 ? Math.max(0, all.length - 2) : Math.max(0, all.findIndex((s) => s.wallMs >= sinceMs) - 1);
  const samples = all.slice(startIdx).filter((s) => s.wallMs <= untilMs);
  ctx.log(`walking ${samples.length - 1} windows of ${h.where} from ${samples[0] ? iso(samples[0].wallMs) : '-'}`);
  const open = new Map<string, { p: Omit<Period, 'ongoing' | 'culprits'>; last: number; worstRank: number; worstValue: number; seen: Map<string, Seen> }>();
  const done: Period[] = [];
  let prevSrc: Source | undefined;
  let judged = 0;
  for (let i = 1; i < samples.length; i++) {
    const pair = [samples[i - 1]!, samples[i]!] as const;
    const a = prevSrc ?? h.source(pair[0]);
    const b = h.source(pair[1]);
    prevSrc = b;
    if (!a || !b) continue;
    // indices into the whole recording: the slow lane's readings may lie outside the span
    const r = await judgePair(ctx, [a, b], all, startIdx + i - 1, startIdx + i, 0);
    judged++;
    for (const f of r.findings) {
      const key = findingKey(f);
      const o = open.get(key);
      if (o && o.last === i - 1) {
        o.last = i;
        // the worst window: by severity, then by how far its value went
        const value = f.evidence.value;
        const worse = RANK[f.severity] > o.worstRank || (RANK[f.severity] === o.worstRank && value > o.worstValue);
        o.p = { ...o.p, end: iso(pair[1].wallMs), windows: o.p.windows + 1, ...(worse ? { worst: f.severity, title: f.title } : {}) };
        if (worse) [o.worstRank, o.worstValue] = [RANK[f.severity], value];
        countCulprits(o.seen, f);
      } else {
        if (o) done.push(closePeriod(o, false));
        const seen = new Map<string, Seen>();
        countCulprits(seen, f);
        open.set(key, { p: { check: f.check, scope: f.scope, resource: f.resource, kind: f.kind, start: iso(pair[0].wallMs), end: iso(pair[1].wallMs), worst: f.severity, title: f.title, windows: 1 }, last: i, worstRank: RANK[f.severity], worstValue: f.evidence.value, seen });
      }
    }
  }
  const lastIdx = samples.length - 1;
  for (const o of open.values()) done.push(closePeriod(o, o.last === lastIdx));
  done.sort((x, y) => x.start.localeCompare(y.start) || RANK[y.worst] - RANK[x.worst]);
  const worst = done.reduce((m, p) => Math.max(m, RANK[p.worst]), -1);
  for (const d of h.damaged) ctx.log(`note: segment ${d} ends in a torn or damaged frame (a recorder stopped mid-write): read up to it`);
  return {
    schema: 'diag.history/v1',
    playbook: ctx.playbook.name,
    recording: h.where,
    host: h.meta.host,
    from: samples[0] ? iso(samples[0].wallMs) : iso(sinceMs),
    to: samples.at(-1) ? iso(samples.at(-1)!.wallMs) : iso(sinceMs),
    windows: judged,
    status: judged === 0 ? 'unknown' : worst >= 2 ? 'critical' : worst === 1 ? 'warning' : 'ok',
    periods: done,
  };
}

/** The periods as text: one line each, oldest first. */
export function renderPeriods(r: HistoryReport): string {
  const t = (s: string) => s.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const lines = [`${r.playbook} over ${sanitizeForTerminal(r.recording)} (${sanitizeForTerminal(r.host)}), ${t(r.from)} -> ${t(r.to)}: ${r.windows} windows, ${r.periods.length} period(s) with findings, status ${r.status.toUpperCase()}`];
  if (r.periods.length === 0) lines.push('  nothing found in any window');
  for (const p of r.periods) {
    const who = p.culprits.length > 0 ? `  [${p.culprits.map((c) => `${c.id} ${sanitizeForTerminal(c.name)}${p.windows > 1 ? ` (${c.windows}/${p.windows})` : ''}`).join(', ')}]` : '';
    lines.push(`  ${t(p.start)} -> ${p.ongoing ? `${t(p.end)} (ongoing)` : t(p.end)}  ${p.worst.toUpperCase().padEnd(8)} ${p.check}@${sanitizeForTerminal(p.scope)}: ${sanitizeForTerminal(p.title)}${who}`);
  }
  return lines.join('\n') + '\n';
}
