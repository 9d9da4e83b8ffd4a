import type { Collector } from '../core/collector.js';
import { deriveModel, type Model } from '../core/derive.js';
import { isOk } from '../core/outcome.js';
import { needsWindow, Sampler, type SampledWindow } from '../core/sampler.js';
import type { Source } from '../core/source.js';
import type { WindowSamples } from '../core/sample.js';
import { perNetnsScope } from '../core/entity.js';
import { runDrilldowns } from './drilldown.js';
import { collectChanges, linkChanges, orderChanges, recentProcessChanges } from './changes.js';
import { collectWhere } from './where.js';
import { completeCulprits } from './culprit-stage.js';
import { evaluatePlaybook } from './evaluate.js';
import { partsNotDone } from './part-status.js';
import { fieldNeedsWindow } from './window-needs.js';
import type { LoadedCheck, LoadedPlaybook } from './loader.js';
import type { MetricCatalogue } from './metrics.js';
import type { Report, ReportStatus, UnavailableEntry } from './report-schema.js';
import { hostViewNetns, resolveTarget, type Target } from './target.js';

/**
 * One playbook run: sample what its checks need over a window, derive, judge, drill down, and
 * put it all in a diag.report/v1 document.
 */
export interface RunOptions {
  readonly playbook: LoadedPlaybook;
  readonly catalogue: MetricCatalogue;
  readonly collectors: readonly Collector[];
  /** One live source, or two (first and second sample) to replay a fixture or bundle. */
  readonly sources: Source | readonly [Source, Source];
  readonly windowMs: number;
  readonly target?: { readonly pid?: number; readonly cgroup?: string };
  /** On a live host, run the probe drill-downs (default); false leaves them to the user (the TUI's guide). */
  readonly liveProbes?: boolean;
  /** Progress messages (the CLI sends them to stderr). */
  readonly log?: (msg: string) => void;
  /**
   * Receives the host model the run derived (its collectors' tables over the window): a
   * snapshot stores it as its records without replaying the inputs a second time.
   */
  readonly onModel?: (model: Model) => void;
  /**
   * A window a long-running caller sampled itself (diag serve: the time between two scrapes,
   * from its cadence over `collectorsFor(playbook, catalogue)`): judged instead of sampling one.
   */
  readonly samples?: WindowSamples;
  /** Receives the window judged (its second sample holds the raw counters a metrics export writes). */
  readonly onSamples?: (samples: WindowSamples) => void;
  /** Time for extra sampling after judging (culprit tables, drill-downs); default the playbook's budget, 0 on a replay. */
  readonly budgetMs?: number;
  /**
   * Look-back of the report's "Recent changes" in seconds (default 24 h); 0 leaves the section
   * out (the default when `samples` is given: a long-running caller judging every scrape). Read once, during the window, through the second source (so a snapshot records it).
   */
  readonly changesLookbackSeconds?: number;
  /** The journal directory the "Recent changes" read (journalctl --directory); default the system's. */
  readonly changesJournalDirectory?: string;
  /**
   * A recorded slow lane (a flight recording: collectors read less often than the others): its
   * collectors are read from these sources (the lane's readings nearest the window), and the
   * findings measured on them carry `note` in their evidence.
   */
  readonly lane?: { readonly collectors: ReadonlySet<string>; readonly sources: readonly [Source, Source]; readonly note: string };
}

/** Default look-back of a report's "Recent changes". */
export const DEFAULT_CHANGES_LOOKBACK_S = 24 * 3600;

/**
 * Collectors whose values the playbook's checks read only as levels: read once, at the end of
 * the window (a first sample would be thrown away). E.g. the use playbook reads processes only
 * for open fds against RLIMIT_NOFILE and process states.
 */
export function levelOnlyCollectors(playbook: LoadedPlaybook, cat: MetricCatalogue): Set<string> {
  const needs = new Map<string, boolean>();
  for (const c of playbook.checks) {
    for (const metric of [c.metric, c.divide_by]) {
      const m = metric === undefined ? undefined : cat.metrics.get(metric);
      const t = m ? cat.tables.get(m.table) : undefined;
      if (!m || !t) continue;
      const w = fieldNeedsWindow(t.spec, m.field);
      needs.set(m.collector, (needs.get(m.collector) ?? false) || w);
    }
  }
  return new Set([...needs].filter(([, w]) => !w).map(([id]) => id));
}

/** Collectors whose tables the playbook's checks and essentials read. */
export function collectorsFor(playbook: LoadedPlaybook, cat: MetricCatalogue, onlyNetns = false): Collector[] {
  const tables = new Set<string>();
  const inside = (c: LoadedCheck) => c.target === 'netns' && !perNetnsScope(cat.metrics.get(c.metric)?.scope ?? 'netns');
  const checks: readonly LoadedCheck[] = playbook.checks.filter((c) => inside(c) === onlyNetns);
  for (const c of checks) {
    for (const metric of [c.metric, c.divide_by]) {
      if (metric === undefined) continue;
      const m = cat.metrics.get(metric);
      if (m) tables.add(m.table);
    }
  }
  if (!onlyNetns) for (const e of playbook.essential) tables.add(e);
  const ids = new Set([...tables].map((t) => cat.tables.get(t)?.collector.id).filter((x): x is string => x !== undefined));
  return [...new Set([...cat.tables.values()].map((t) => t.collector))].filter((c) => ids.has(c.id));
}

/** The variables every playbook run knows of the host: its network namespace, diag's own PID. */
export function hostVars(src: Source): Record<string, string> {
  const hostNetns = selfNetns(src);
  const self = src.readLink('/proc/self');
  return {
    ...(hostNetns ? { host_netns: hostNetns } : {}),
    // diag itself is never a culprit (it measures; on a busy host it shows up among the busiest)
    ...(self.status === 'ok' && /^\d+$/.test(self.value) ? { diag_pid: self.value } : {}),
  };
}

/** diag's own network namespace through /proc/self (what a fixture or bundle recorded). */
function selfNetns(src: Source): string | undefined {
  const l = src.readLink('/proc/self/ns/net');
  const m = l.status === 'ok' ? /^net:\[(\d+)\]$/.exec(l.value) : null;
  return m ? m[1] : undefined;
}

function hostInfo(src: Source, model: Model): Report['host'] {
  const read = (p: string) => {
    const r = src.readFile(p);
    return isOk(r) ? r.value.trim() : undefined;
  };
  const ncpu = model.tables.sched?.rows.status === 'ok' ? model.tables.sched.rows.value[0]?.values.ncpu : undefined;
  const kernel = read('/proc/sys/kernel/osrelease');
  return {
    hostname: read('/proc/sys/kernel/hostname') ?? 'unknown',
    ...(kernel ? { kernel } : {}),
    ...(ncpu !== undefined ? { cpus: ncpu } : {}),
    source: src.description,
  };
}

function unavailableOf(model: Model, prefix = ''): UnavailableEntry[] {
  const out: UnavailableEntry[] = [];
  for (const t of Object.values(model.tables)) {
    if (t.rows.status === 'ok') continue;
    out.push({
      collector: prefix + t.collector,
      table: t.id,
      status: t.rows.status,
      code: t.rows.code,
      reason: t.rows.reason,
      ...(t.rows.status === 'unavailable' && t.rows.hint ? { hint: t.rows.hint } : {}),
    });
  }
  return out;
}

export async function runPlaybook(opts: RunOptions): Promise<Report> {
  const started = performance.now();
  const { playbook, catalogue } = opts;
  const sources: readonly [Source, Source] = Array.isArray(opts.sources) ? (opts.sources as readonly [Source, Source]) : [opts.sources as Source, opts.sources as Source];
  const sampler = new Sampler(sources, opts.lane ? { lane: opts.lane } : {});
  const startedAt = sources[0].now('run').wall;

  let target: Target | undefined;
  if (opts.target && (opts.target.pid !== undefined || opts.target.cgroup !== undefined)) target = resolveTarget(sources[0], opts.target);

  const hostCollectors = collectorsFor(playbook, catalogue);
  const netnsCollectors = collectorsFor(playbook, catalogue, true);
  let netnsPid: number | undefined;
  let netnsProblem: string | undefined;
  let sameNetns = false;
  if (netnsCollectors.length > 0) {
    if (!target) netnsProblem = 'no target: run with --pid PID or --cgroup PATH';
    else {
      const pid = target.pid ?? (target.pids.size > 0 ? Number([...target.pids][0]) : undefined);
      const own = hostViewNetns(sources[0]);
      if (pid === undefined) netnsProblem = target.problems.join('; ') || 'the target has no process to enter the network namespace of';
      else if (target.netns !== undefined && own !== undefined && target.netns === own && !sampler.replay) sameNetns = true;
      else netnsPid = pid;
    }
  }
  // When the target shares diag's network namespace, its view is the host view.
  const hostSet = sameNetns ? [...new Set([...hostCollectors, ...netnsCollectors])] : hostCollectors;
  opts.log?.(`${sampler.replay ? 'judging the recorded window of' : 'measuring for'} ${(opts.windowMs / 1000).toFixed(1)} s (${hostSet.map((c) => c.id).join(', ')}${netnsPid !== undefined ? `; in netns of PID ${netnsPid}: ${netnsCollectors.map((c) => c.id).join(', ')}` : ''})`);
  // Collectors without counters, or read only for levels, are read once (Sampler.window).
  const levelsOnly = levelOnlyCollectors(playbook, catalogue);
  const lookback = opts.changesLookbackSeconds ?? (opts.samples ? 0 : DEFAULT_CHANGES_LOOKBACK_S);
  // read while the window waits: the changes cost no wall time of their own on a live host
  const whereRead = opts.samples && !sampler.replay ? Promise.resolve(undefined) : collectWhere(opts.collectors, sources[1]);
  const changesRead = lookback > 0 ? collectChanges({ collectors: opts.collectors, src: sources[1], lookbackSeconds: lookback, ...(opts.changesJournalDirectory !== undefined ? { journalDirectory: opts.changesJournalDirectory } : {}) }) : Promise.resolve(undefined);
  const win: SampledWindow =
    opts.samples ??
    (await sampler.window(hostSet, opts.windowMs, {
      once: (c) => !needsWindow(c) || levelsOnly.has(c.id),
      // Per-thread collectors read only the target: the --pid process alone, else the cgroup's processes.
      ...(target ? { ctx: { processes: target.pid !== undefined ? [target.pid] : [...target.pids].map(Number) } } : {}),
      ...(netnsPid !== undefined ? { netns: { pid: netnsPid, collectors: netnsCollectors } } : {}),
    }));
  opts.onSamples?.(win);
  const model = deriveModel(hostSet, win);
  opts.onModel?.(model);
  const netnsModel = sameNetns ? model : win.netns ? deriveModel(netnsCollectors, win.netns) : undefined;

  const vars: Record<string, string> = {
    ...hostVars(sources[1]),
    ...(target?.netns ? { target_netns: target.netns } : {}),
    ...(target?.cgroup ? { target_cgroup: target.cgroup } : {}),
  };
  const evaluation = evaluatePlaybook({
    playbook,
    vars,
    model,
    catalogue,
    ...(target ? { target } : {}),
    ...(netnsModel ? { netnsModel } : {}),
    ...(netnsProblem ? { netnsProblem } : {}),
  });
  const checks = new Map(playbook.checks.map((c) => [c.id, c]));
  const budgetMs = sampler.replay ? 0 : (opts.budgetMs ?? playbook.budgetSeconds * 1000);
  const explained = await completeCulprits(evaluation, model, {
    catalogue,
    sampler,
    vars,
    windowMs: opts.windowMs,
    budgetMs,
    ...(opts.log ? { log: opts.log } : {}),
  });
  const drilled = await runDrilldowns(explained.findings, checks, {
    model: explained.model,
    // Probe drill-downs find their collectors with the catalogue's (PROBE_COLLECTORS).
    collectors: [...new Set([...opts.collectors, ...[...catalogue.tables.values()].map((t) => t.collector)])],
    sampler,
    ...(target ? { target } : {}),
    ...(opts.liveProbes === false ? { liveProbes: false } : {}),
    budgetMs,
    windowMs: opts.windowMs,
    ...(opts.log ? { log: opts.log } : {}),
  });

  const lane = opts.lane;
  // a check measured on the recorded slow lane says over which readings
  const findings = lane ? drilled.map((f) => (lane.collectors.has(f.evidence.collector) ? { ...f, evidence: { ...f.evidence, windowNote: lane.note } } : f)) : drilled;
  const changes = await changesRead;
  const where = await whereRead;
  const sinceS = Date.parse(changes?.since ?? '') / 1000;
  const allChanges = changes
    ? { ...changes, items: linkChanges(orderChanges([...changes.items, ...(Number.isFinite(sinceS) ? recentProcessChanges(model, sources[1], sinceS) : [])]), findings) }
    : undefined;
  const unavailable = [...unavailableOf(model), ...partsNotDone(model), ...(netnsModel && netnsModel !== model ? unavailableOf(netnsModel, 'netns:') : [])];
  const { status, reason } = judgeStatus(playbook, model, findings, target);
  const windowSeconds = Object.values(model.tables).find((t) => t.seconds !== undefined)?.seconds ?? null;
  return {
    schema: 'diag.report/v1',
    playbook: playbook.name,
    playbookTitle: playbook.title,
    host: hostInfo(sources[1], model),
    ...(target
      ? {
          target: {
            ...(target.pid !== undefined ? { pid: target.pid } : {}),
            ...(target.cgroup !== undefined ? { cgroup: target.cgroup } : {}),
            ...(target.netns !== undefined ? { netns: target.netns } : {}),
            ...(target.problems.length ? { reason: target.problems.join('; ') } : {}),
          },
        }
      : {}),
    startedAt,
    durationMs: Math.round(performance.now() - started),
    windowSeconds: windowSeconds === null ? null : Math.round(windowSeconds * 1000) / 1000,
    status,
    statusReason: reason,
    findings,
    coverage: evaluation.coverage,
    unavailable,
    ...(where ? { where } : {}),
    ...(allChanges ? { changes: allChanges } : {}),
  };
}

/**
 * Status like a monitoring plugin: critical or warning when a finding says so (what was found
 * stands even when other inputs are missing); otherwise unknown when an essential table is
 * unavailable or the target could not be resolved; otherwise ok.
 */
export function judgeStatus(playbook: LoadedPlaybook, model: Model, findings: Report['findings'], target: Target | undefined): { status: ReportStatus; reason: string } {
  const crit = findings.filter((f) => f.severity === 'critical').length;
  const warn = findings.filter((f) => f.severity === 'warning').length;
  const n = (k: number, what: string) => `${k} ${what} finding${k === 1 ? '' : 's'}`;
  if (crit > 0) return { status: 'critical', reason: warn > 0 ? `${n(crit, 'critical')} and ${n(warn, 'warning')}` : n(crit, 'critical') };
  if (warn > 0) return { status: 'warning', reason: n(warn, 'warning') };
  const missing = playbook.essential.filter((t) => {
    const mt = model.tables[t];
    return !mt || mt.rows.status !== 'ok';
  });
  if (missing.length > 0) {
    const why = missing.map((t) => {
      const mt = model.tables[t];
      return mt && mt.rows.status !== 'ok' ? `${t} (${mt.rows.reason})` : `${t} (not collected)`;
    });
    return { status: 'unknown', reason: `essential inputs unavailable: ${why.join('; ')}` };
  }
  if (playbook.target === 'required' && target && target.problems.length > 0) return { status: 'unknown', reason: `target: ${target.problems.join('; ')}` };
  return { status: 'ok', reason: 'no findings' };
}
