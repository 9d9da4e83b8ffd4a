import type { ModelRow } from '../../core/derive.js';
import { entity, parseScope, perNetnsScope, scopeString } from '../../core/entity.js';
import type { LoadedCheck } from '../loader.js';
import type { Severity } from '../report-schema.js';
import type { Target } from '../target.js';
import { evidenceFields, measureRow, MISSING, TOO_SMALL } from './measure.js';
import { okResult, unknown, type Judged, type ResolvedCheck, type Staged } from './types.js';

/** What a table's rows are, for "no ... rows" reasons: rows seen inside other network namespaces are netns rows. */
const rowsOf = (scope: string): string => (perNetnsScope(scope) ? 'netns' : scope);

export function severityOf(check: LoadedCheck, value: number): Severity | undefined {
  // no closure: this runs for every row of every check (2,000 processes) on every refresh
  const below = check.when === 'below';
  if (check.critical && (below ? value <= check.critical.value : value >= check.critical.value)) return 'critical';
  if (check.warning && (below ? value <= check.warning.value : value >= check.warning.value)) return 'warning';
  return undefined;
}

/** The {field.NAME} fields a check's title names (evidence too), worked out once per check. */
const titleFieldsOf = new WeakMap<LoadedCheck, readonly string[]>();
export function titleFields(check: LoadedCheck): readonly string[] {
  let f = titleFieldsOf.get(check);
  if (!f) {
    f = [...check.title.matchAll(/\{field\.([A-Za-z0-9_]+)\}/g)].map((x) => x[1]!);
    titleFieldsOf.set(check, f);
  }
  return f;
}

export interface JudgedRows {
  /** Rows (or the one aggregate) that crossed a threshold. */
  readonly results: readonly Judged[];
  /** Scopes judged. */
  readonly scopes: number;
  /** Rows without the metric. */
  readonly missing: number;
}

/**
 * Stage 3: a value per row, then either each row judged alone or one aggregate over them.
 * Only rows that cross a threshold (and, for an aggregate, the worst row) get an evidence
 * record: the other rows of a 2,000-process table cost a number.
 */
export function judgeRows(r: ResolvedCheck, rows: readonly ModelRow[], target: Target | undefined): Staged<JudgedRows> {
  const { check } = r;
  const judged: Judged[] = [];
  const vals: number[] = [];
  let worst: { row: ModelRow; value: number } | undefined;
  let counted = 0;
  let missing = 0;
  let tooSmall = 0;
  const below = check.when === 'below';
  const judge = (row: ModelRow, value: number): Judged => {
    const scope = r.insideNetns ? scopeString({ ...parseScope(row.scope), within: entity('netns', target?.netns ?? '?') }) : row.scope;
    return { scope, key: row.key, value, fields: evidenceFields(r, row, titleFields(check)), labels: row.labels, row };
  };
  for (const row of rows) {
    const value = measureRow(r, row);
    if (value === MISSING) {
      missing++;
      continue;
    }
    if (value === TOO_SMALL) {
      tooSmall++;
      continue;
    }
    counted++;
    if (check.aggregate) {
      vals.push(value);
      // the first of the worst, as a stable sort would put first
      if (!worst || (below ? value < worst.value : value > worst.value)) worst = { row, value };
      continue;
    }
    if (severityOf(check, value)) judged.push(judge(row, value));
  }

  if (check.aggregate) {
    if (vals.length === 0 && check.aggregate !== 'count' && check.aggregate !== 'sum') {
      return missing > 0 ? unknown(check, `${check.metric} missing in all ${missing} rows`) : okResult(check, 0, tooSmall > 0 ? 'too little activity to judge' : `no ${rowsOf(r.metric.scope)} rows`);
    }
    const scope = targetScope(check, target);
    const w = worst ? judge(worst.row, worst.value) : undefined;
    return { next: { results: [{ scope, key: scope, value: aggregate(check.aggregate, vals), fields: w ? { ...w.fields } : {}, labels: {}, rows: vals.length, ...(w?.row ? { row: w.row } : {}) }], scopes: 1, missing } };
  }
  if (counted === 0) {
    if (missing > 0) return unknown(check, `${check.metric} missing in ${missing} of ${rows.length} rows`);
    return okResult(check, 0, tooSmall > 0 ? `too little activity to judge (${check.divide_by} below ${check.min_denominator ?? 0})` : `no ${rowsOf(r.metric.scope)} rows to check`);
  }
  return { next: { results: judged, scopes: counted, missing } };
}

function aggregate(kind: NonNullable<LoadedCheck['aggregate']>, vals: readonly number[]): number {
  switch (kind) {
    case 'count':
      return vals.length;
    case 'sum':
      return vals.reduce((a, b) => a + b, 0);
    case 'avg':
      return vals.reduce((a, b) => a + b, 0) / vals.length;
    case 'max':
      return vals.reduce((a, b) => Math.max(a, b), -Infinity);
    case 'min':
      return vals.reduce((a, b) => Math.min(a, b), Infinity);
  }
}

/** Where an aggregate is measured: the host, or the run's target (its netns, cgroup or process). */
export function targetScope(check: LoadedCheck, target: Target | undefined): string {
  if (!check.target || !target) return 'host';
  if (check.target === 'netns') return scopeString(entity('netns', target.netns ?? '?'));
  if (target.cgroup !== undefined) return scopeString(entity('cgroup', target.cgroup));
  return target.pid !== undefined ? scopeString(entity('process', String(target.pid))) : 'host';
}
