import type { Model, ModelRow, ModelTable } from '../../core/derive.js';
import type { LoadedCheck, LoadedPlaybook } from '../loader.js';
import type { MetricCatalogue, MetricInfo } from '../metrics.js';
import type { CheckResult, Finding } from '../report-schema.js';
import type { Target } from '../target.js';

/**
 * The stages of judging one check, each a pure function (check/): resolve (which table, how
 * to read it, the divisor) -> select (target and where) -> judge (a value per row, severity,
 * aggregate) -> finding (title, evidence, next) -> culprits (what explains it).
 */
export interface EvaluateInput {
  readonly playbook: LoadedPlaybook;
  readonly model: Model;
  readonly catalogue: MetricCatalogue;
  readonly target?: Target;
  /** The netns-aware collectors sampled inside the target's network namespace (target: netns checks). */
  readonly netnsModel?: Model;
  /** Why there is no netnsModel. */
  readonly netnsProblem?: string;
  /** Values of `$name` filter variables (host_netns, target_netns, target_cgroup). */
  readonly vars?: Readonly<Record<string, string>>;
}

export interface CheckOutcome {
  readonly check: LoadedCheck;
  readonly result: CheckResult;
  readonly findings: Finding[];
  /**
   * Tables the check's culprit declarations rank that the model lacked (or had without a
   * window): the run samples them after judging, only when there is a finding to explain.
   */
  readonly culpritTables?: readonly string[];
}

export type Measure = 'rate' | 'delta' | 'value';

/** A check bound to the table it reads (stage 1). */
export interface ResolvedCheck {
  readonly check: LoadedCheck;
  readonly metric: MetricInfo;
  /** The model the rows come from (the host's, or the view inside the target's netns). */
  readonly model: Model;
  readonly table: ModelTable;
  readonly measure: Measure;
  /** The rows are read inside the target's network namespace (their scopes nest in it). */
  readonly insideNetns: boolean;
  readonly divisor?: { readonly field: string; readonly of: (row: ModelRow) => number | undefined };
}

/** A row (or an aggregate) that crossed a threshold, with the values behind it (stage 3). */
export interface Judged {
  readonly scope: string;
  readonly key: string;
  readonly value: number;
  readonly fields: Record<string, number | null>;
  readonly labels: Readonly<Record<string, string>>;
  /** Rows aggregated (aggregate checks). */
  readonly rows?: number;
  /** The row itself (per-row checks) or the worst row (aggregates), for culprits. */
  readonly row?: ModelRow;
}

/** A stage either hands on its result or ends the check with an outcome (unknown, ok). */
export type Staged<T> = { readonly next: T } | { readonly done: CheckOutcome };

export function unknown(check: LoadedCheck, reason: string): { done: CheckOutcome } {
  return { done: { check, result: { id: check.id, status: 'unknown', reason, scopes: 0 }, findings: [] } };
}

export function okResult(check: LoadedCheck, scopes: number, reason: string): { done: CheckOutcome } {
  return { done: { check, result: { id: check.id, status: 'ok', reason, scopes }, findings: [] } };
}

export function read(row: ModelRow, field: string, measure: Measure): number | undefined {
  const v = measure === 'delta' ? row.deltas[field] : row.values[field];
  return v === undefined || !Number.isFinite(v) ? undefined : v;
}
