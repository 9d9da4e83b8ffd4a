import type { Collector } from '../core/collector.js';
import { deriveModel, type Model } from '../core/derive.js';
import type { Sampler } from '../core/sampler.js';
import { culpritsOf } from './culprits.js';
import type { Evaluation } from './evaluate.js';
import type { MetricCatalogue } from './metrics.js';
import type { Finding } from './report-schema.js';

/**
 * Culprits whose tables the run did not sample (or sampled once, without rates): a run reads
 * only what its checks need, so the processes that explain "CPUs 100 % busy" are sampled after
 * the finding, over a short window, only when there is a finding to explain. A recording
 * (bundle, fixture) holds every collector's two samples: they are read at no time cost, so a
 * replay names the same culprits as the capture.
 */
export interface CulpritStageOptions {
  readonly catalogue: MetricCatalogue;
  /** The run's sampler: on a replay the recorded samples, read at no time cost. */
  readonly sampler: Sampler;
  readonly vars: Readonly<Record<string, string>>;
  readonly windowMs: number;
  /** Time a live run may spend sampling (0: replay, no waiting). */
  readonly budgetMs: number;
  readonly log?: (msg: string) => void;
}

/** Longest extra window for culprits on a live host (as a collector drill-down takes). */
export const CULPRIT_WINDOW_MS = 500;

export async function completeCulprits(ev: Evaluation, model: Model, opts: CulpritStageOptions): Promise<{ findings: Finding[]; model: Model }> {
  const needed = new Set<string>();
  for (const o of ev.checks) if (o.findings.length > 0) for (const t of o.culpritTables ?? []) needed.add(t);
  if (needed.size === 0) return { findings: ev.findings, model };
  const collectors: Collector[] = [];
  for (const t of needed) {
    const c = opts.catalogue.tables.get(t)?.collector;
    if (c && !collectors.includes(c)) collectors.push(c);
  }
  let win: Awaited<ReturnType<Sampler['window']>>;
  if (opts.sampler.replay) win = await opts.sampler.window(collectors, opts.windowMs);
  else {
    const ms = Math.min(opts.windowMs, CULPRIT_WINDOW_MS, opts.budgetMs);
    if (ms < 100) return { findings: ev.findings, model };
    opts.log?.(`culprits: sampling ${collectors.map((c) => c.id).join(', ')} for ${(ms / 1000).toFixed(1)} s`);
    win = await opts.sampler.window(collectors, ms);
  }
  const extra = deriveModel(collectors, win);
  // The extra window's tables replace the run's single reads of the same tables.
  const merged: Model = { ...model, tables: { ...model.tables, ...extra.tables } };
  const byCheck = new Map(ev.checks.map((o) => [o.check.id, o]));
  const findings = ev.findings.map((f) => {
    const o = byCheck.get(f.check);
    if (!o?.culpritTables?.length) return f;
    const r = culpritsOf(f, o.check, merged, opts.catalogue, opts.vars);
    return r.culprits.length > 0 ? { ...f, culprits: r.culprits } : f;
  });
  return { findings, model: merged };
}
