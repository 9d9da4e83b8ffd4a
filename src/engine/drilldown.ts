import type { Collector } from '../core/collector.js';
import { deriveModel, type Model, type ModelRow } from '../core/derive.js';
import { failed, type Outcome } from '../core/outcome.js';
import type { Sampler } from '../core/sampler.js';
import type { LoadedCheck } from './loader.js';
import type { NextStep } from './playbook-schema.js';
import type { DrilldownResult, Finding } from './report-schema.js';
import { rowInTarget, targetPids, type Target, type TargetKind } from './target.js';
import { fieldNeedsWindow } from './window-needs.js';

/**
 * Drill-downs: next steps diag runs itself once a cheaper check has found something, under the
 * playbook's time budget. A collector drill-down reuses the run's model when the collector was
 * already sampled, else samples it over a short window; a probe drill-down runs the probe's
 * collector (origin 'bpf') for a few seconds through the source's BPF capability: live, or the
 * capture a recording kept (a snapshot's drill-downs are replayed from the bundle).
 */

export type { ProbeRunner } from './probe-runner.js';

export interface DrilldownContext {
  readonly model: Model;
  readonly collectors: readonly Collector[];
  /**
   * The run's sampler. On a replay (bundle, fixture) collectors answer from its two recorded
   * samples at no time cost, and probes from the captures the recording holds.
   */
  readonly sampler: Sampler;
  readonly target?: Target;
  /** On a live host, run probe drill-downs (default); false leaves them to the user (the TUI's guide). */
  readonly liveProbes?: boolean;
  readonly budgetMs: number;
  readonly windowMs: number;
  readonly log?: (msg: string) => void;
}

type CollectorStep = Extract<NextStep, { run: 'collector' }>;
type ProbeStep = Extract<NextStep, { run: 'probe' }>;

function topRows(rows: readonly ModelRow[], step: CollectorStep, target: Target | undefined, scope: string): unknown[] {
  let list = [...rows];
  if (step.same_target && target && (scope === 'process' || scope === 'cgroup')) list = list.filter((r) => rowInTarget(scope, r, target));
  if (step.sort_by) {
    const f = step.sort_by;
    list.sort((a, b) => (b.values[f] ?? -Infinity) - (a.values[f] ?? -Infinity));
  }
  return list.slice(0, step.top).map((r) => ({
    scope: r.scope,
    labels: r.labels,
    values: Object.fromEntries(Object.entries(r.values).filter(([, v]) => v !== undefined)),
  }));
}

/** Run the drill-downs of the checks that found something; returns them attached to findings. */
export async function runDrilldowns(findings: Finding[], checks: ReadonlyMap<string, LoadedCheck>, ctx: DrilldownContext): Promise<Finding[]> {
  const deadline = performance.now() + ctx.budgetMs;
  const { replay } = ctx.sampler;
  const cache = new Map<string, Promise<DrilldownResult>>();
  const extraModels = new Map<string, Promise<Model>>();

  const collectorStep = async (step: CollectorStep): Promise<DrilldownResult> => {
    const started = performance.now();
    const base = { type: 'collector' as const, name: step.table ? `${step.collector}/${step.table}` : step.collector, why: step.why };
    const c = ctx.collectors.find((x) => x.id === step.collector);
    if (!c) return { ...base, status: 'unavailable', reason: `collector ${step.collector} is not registered` };
    const tableId = step.table ?? Object.keys(c.tables)[0];
    if (tableId === undefined) return { ...base, status: 'unavailable', reason: `collector ${step.collector} has no tables` };
    // Reuse the run's sample unless it was read once and the order needs rates (cpu_pct).
    const inRun = ctx.model.tables[tableId];
    const usable = inRun && !(inRun.seconds === undefined && step.sort_by !== undefined && fieldNeedsWindow(inRun.spec, step.sort_by));
    let pendingModel: Promise<Model> | undefined = usable ? Promise.resolve(ctx.model) : extraModels.get(c.id);
    if (!pendingModel && replay) {
      // A recording holds every collector's two samples: the drill-down reads them, no waiting.
      pendingModel = ctx.sampler.window([c], ctx.windowMs).then((w) => deriveModel([c], w));
      extraModels.set(c.id, pendingModel);
    }
    if (!pendingModel) {
      const left = deadline - performance.now();
      const win = Math.min(ctx.windowMs, 500, left - 100);
      if (win < 100) return { ...base, status: 'skipped', reason: 'drill-down time budget used up' };
      ctx.log?.(`drill-down: sampling ${c.id} for ${(win / 1000).toFixed(1)} s`);
      // One short window per collector, shared by every drill-down that needs it.
      pendingModel = ctx.sampler.window([c], win).then((w) => deriveModel([c], w));
      extraModels.set(c.id, pendingModel);
    }
    const model = await pendingModel;
    const t = model.tables[tableId];
    if (!t) return { ...base, status: 'error', reason: `collector ${c.id} produced no table ${tableId}` };
    if (t.rows.status !== 'ok') return { ...base, status: t.rows.status, reason: t.rows.reason };
    // How long the step took is a fact of a live run; a replay's own time is not the host's, and
    // would make a bundle's findings differ from run to run.
    const took = replay ? {} : { durationMs: Math.round(performance.now() - started) };
    return { ...base, status: 'ok', ...took, ...(step.sort_by ? { sortBy: step.sort_by } : {}), data: topRows(t.rows.value, step, ctx.target, t.spec.scope) };
  };

  // One run per probe (and target), shared by every drill-down that shows one of its tables.
  const probeModels = new Map<string, Promise<Outcome<Model>>>();
  const probeStep = async (step: ProbeStep, kind: TargetKind | undefined): Promise<DrilldownResult> => {
    const base = { type: 'probe' as const, name: step.table ? `${step.probe}/${step.table}` : step.probe, why: step.why };
    const c = ctx.collectors.find((x) => x.id === step.probe && x.origin === 'bpf');
    if (!c) return { ...base, status: 'unavailable', reason: `no BPF probe ${step.probe} produces tables (diag probes lists them)` };
    const tableId = step.table ?? Object.keys(c.tables)[0];
    if (tableId === undefined || !c.tables[tableId]) return { ...base, status: 'unavailable', reason: `probe ${step.probe} has no table ${step.table ?? ''}` };
    if (!replay && ctx.liveProbes === false) return { ...base, status: 'skipped', reason: 'not run yet: choose it in the step to run it' };
    let ms = step.seconds * 1000;
    if (!replay) {
      const left = deadline - performance.now();
      ms = Math.min(ms, left - 200);
      if (ms < 100) return { ...base, status: 'skipped', reason: 'drill-down time budget used up' };
    }
    const started = performance.now();
    const pids = ctx.target ? targetPids(kind, ctx.target) : [];
    const tgids = pids.length > 0 ? pids : undefined;
    const runKey = `${c.id}:${tgids?.join(',') ?? ''}`;
    let pending = probeModels.get(runKey);
    if (!pending) {
      if (!replay) ctx.log?.(`drill-down: probe ${step.probe} for ${(ms / 1000).toFixed(1)} s`);
      // Sample 1: on a replay, the recording's second sample holds the capture.
      pending = ctx.sampler.sampleAt([c], 1, { probe: { durationMs: ms, ...(tgids ? { tgids } : {}) } }).then((s): Outcome<Model> => {
        const o = s.collectors[c.id];
        if (!o) return failed('bug', `probe ${c.id} produced nothing`);
        return o.status === 'ok' ? { status: 'ok', value: deriveModel([c], s) } : o;
      });
      probeModels.set(runKey, pending);
    }
    const m = await pending;
    // As for collectors: a replay's own time is not the host's.
    const took = replay ? {} : { durationMs: Math.round(performance.now() - started) };
    if (m.status !== 'ok') return { ...base, status: m.status, ...took, reason: m.status === 'unavailable' && m.hint ? `${m.reason} (hint: ${m.hint})` : m.reason };
    const t = m.value.tables[tableId];
    if (!t) return { ...base, status: 'error', ...took, reason: `probe ${c.id} produced no table ${tableId}` };
    if (t.rows.status !== 'ok') return { ...base, status: t.rows.status, ...took, reason: t.rows.status === 'unavailable' && t.rows.hint ? `${t.rows.reason} (hint: ${t.rows.hint})` : t.rows.reason };
    const rows = topRows(t.rows.value, { ...step, run: 'collector', collector: c.id, same_target: false, top: step.top ?? 50 }, ctx.target, t.spec.scope);
    return { ...base, status: 'ok', ...took, ...(step.sort_by ? { sortBy: step.sort_by } : {}), data: rows };
  };

  // Every distinct drill-down starts at once (a probe's seconds and a collector's short window
  // overlap instead of adding up), each bounded by the budget; one shared by several findings
  // runs once.
  const pending = new Map<string, Promise<DrilldownResult[]>>();
  for (const f of findings) {
    const check = checks.get(f.check);
    const steps = (check?.next ?? []).filter((n): n is CollectorStep | ProbeStep => typeof n !== 'string');
    if (steps.length === 0 || f.severity === 'info') continue;
    const runs = steps.map((s) => {
      const key = s.run === 'collector' ? `c:${s.collector}:${s.table ?? ''}:${s.sort_by ?? ''}:${s.top}:${s.same_target}` : `p:${s.probe}:${s.table ?? ''}:${s.sort_by ?? ''}:${s.top ?? ''}:${check?.target === 'pid' ? 'pid' : ''}`;
      let p = cache.get(key);
      if (!p) {
        p = s.run === 'collector' ? collectorStep(s) : probeStep(s, check?.target);
        cache.set(key, p);
      }
      return p;
    });
    pending.set(f.id, Promise.all(runs));
  }
  const out: Finding[] = [];
  for (const f of findings) {
    const p = pending.get(f.id);
    out.push(p ? { ...f, evidence: { ...f.evidence, drilldown: await p } } : f);
  }
  return out;
}
