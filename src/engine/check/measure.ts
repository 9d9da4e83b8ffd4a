import type { ModelRow } from '../../core/derive.js';
import { read, type ResolvedCheck } from './types.js';

/** Why a row has no value to judge. */
export const MISSING = 'missing';
export const TOO_SMALL = 'too-small';

/**
 * Stage 3a: the value a check judges for one row: the metric (rate, delta or level), divided by
 * the divisor, scaled. Runs for every row of every check (2,000 processes) on every TUI refresh:
 * no allocation here.
 */
export function measureRow(r: ResolvedCheck, row: ModelRow): number | typeof MISSING | typeof TOO_SMALL {
  const v = read(row, r.metric.field, r.measure);
  if (v === undefined) return MISSING;
  let value = v;
  if (r.divisor) {
    const d = r.divisor.of(row);
    if (d === undefined) return MISSING;
    if (d <= 0 || (r.check.min_denominator !== undefined && d < r.check.min_denominator)) return TOO_SMALL;
    value = v / d;
  }
  return value * (r.check.scale ?? 1);
}

/** The raw values behind a row's judged value, for evidence (only rows that become findings). */
export function evidenceFields(r: ResolvedCheck, row: ModelRow, titleFields: readonly string[]): Record<string, number | null> {
  const m = r.metric;
  const fields: Record<string, number | null> = { [m.field]: read(row, m.field, r.measure) ?? null };
  if (m.kind === 'counter') fields[`${m.field}_delta`] = row.deltas[m.field] ?? null;
  if (r.divisor) fields[r.divisor.field] = r.divisor.of(row) ?? null;
  // Fields the title names are evidence too.
  for (const f of titleFields) if (!(f in fields)) fields[f] = read(row, f, 'value') ?? null;
  return fields;
}
