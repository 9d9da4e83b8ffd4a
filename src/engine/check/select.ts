import type { ModelRow } from '../../core/derive.js';
import type { Filter } from '../playbook-schema.js';
import { targetRows } from '../target.js';
import { okResult, unknown, type EvaluateInput, type ResolvedCheck, type Staged } from './types.js';

/** Stage 2: the rows the check judges: the target's, then those that pass every `where` filter. */
export function selectRows(r: ResolvedCheck, input: EvaluateInput): Staged<readonly ModelRow[]> {
  const { check, table: t, metric: m } = r;
  const target = input.target;
  let rows = t.rows.status === 'ok' ? t.rows.value : [];
  if (check.target && !r.insideNetns) {
    if (!target) return unknown(check, `no target: run with --pid PID or --cgroup PATH`);
    const kind = check.target;
    if (kind === 'cgroup' && target.cgroup === undefined) return unknown(check, 'the target has no cgroup');
    rows = targetRows(kind, rows, target);
    if (rows.length === 0) return unknown(check, `no ${m.table} row for the target (${kind === 'cgroup' ? `cgroup ${target.cgroups.join(', ')}` : kind === 'netns' ? `netns ${target.netns}` : kind === 'pid' && target.pid !== undefined ? `process ${target.pid}` : `${target.pids.size} processes`})`);
  }
  if (check.where) {
    const before = rows.length;
    const where = check.where.map((f) => resolveFilter(f, input.vars ?? {}));
    rows = rows.filter((row) => where.every((f) => filterRow(f, row)));
    if (rows.length === 0 && before > 0 && check.when_none !== undefined) return okResult(check, 0, check.when_none);
  }
  return { next: rows };
}

function resolveVar(v: string, vars: Readonly<Record<string, string>>): string | undefined {
  return v.startsWith('$') ? vars[v.slice(1)] : v;
}

/** A filter with its variables filled in: once per check, not once per row. */
export function resolveFilter(f0: Filter, vars: Readonly<Record<string, string>>): Filter {
  // A variable that has no value here (no target, unknown netns) matches nothing: eq fails, ne holds.
  return { ...f0, value: typeof f0.value === 'string' ? (resolveVar(f0.value, vars) ?? '\u0000unset') : Array.isArray(f0.value) ? f0.value.map((x) => resolveVar(x, vars) ?? '\u0000unset') : f0.value };
}

export function filterRow(f: Filter, row: ModelRow): boolean {
  let subject: string | number | undefined;
  if (f.on === 'key') subject = row.key;
  else if (f.on.startsWith('label.')) subject = row.labels[f.on.slice(6)];
  else subject = row.values[f.on.slice(6)];
  if (subject === undefined) return f.op === 'ne' || f.op === 'not_in' || f.op === 'not_prefix';
  const v = f.value;
  switch (f.op) {
    case 'eq':
      return subject === v;
    case 'ne':
      return subject !== v;
    case 'in':
      return Array.isArray(v) && v.includes(String(subject));
    case 'not_in':
      return Array.isArray(v) && !v.includes(String(subject));
    case 'prefix':
      return typeof v === 'string' && String(subject).startsWith(v);
    case 'not_prefix':
      return typeof v === 'string' && !String(subject).startsWith(v);
    case 'gt':
      return typeof subject === 'number' && typeof v === 'number' && subject > v;
    case 'ge':
      return typeof subject === 'number' && typeof v === 'number' && subject >= v;
    case 'lt':
      return typeof subject === 'number' && typeof v === 'number' && subject < v;
    case 'le':
      return typeof subject === 'number' && typeof v === 'number' && subject <= v;
  }
}
