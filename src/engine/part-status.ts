import type { Model } from '../core/derive.js';
import { isOutcomeCode, type OutcomeCode } from '../core/outcome.js';
import type { UnavailableEntry } from './report-schema.js';

/** Parts named per report entry (the rest counted). */
const NAMED = 6;

/**
 * The parts of a collection that were not done (TableSpec.partStatus: one row per part, e.g. a
 * network namespace not entered), as `unavailable` entries of a report: one per status, reason
 * and outcome code (label `code`), naming the first parts, so that nothing is skipped silently and a hundred namespaces
 * skipped for the same reason are one line.
 */
export function partsNotDone(model: Model, prefix = ''): UnavailableEntry[] {
  const out: UnavailableEntry[] = [];
  for (const t of Object.values(model.tables)) {
    const ps = t.spec.partStatus;
    if (!ps || t.rows.status !== 'ok') continue;
    const groups = new Map<string, { why: string; code: OutcomeCode | undefined; names: string[] }>();
    for (const r of t.rows.value) {
      const status = r.labels.status;
      if (status === undefined || status === 'ok') continue;
      const why = `${status}: ${r.labels.reason ?? 'no reason given'}`;
      const code = isOutcomeCode(r.labels.code) ? r.labels.code : undefined;
      const key = `${code ?? ''}\u0000${why}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { why, code, names: [] }));
      g.names.push(r.labels[ps.name] ?? r.key);
    }
    for (const { why, code, names } of groups.values()) {
      const shown = names.slice(0, NAMED).join(', ') + (names.length > NAMED ? ` +${names.length - NAMED} more` : '');
      out.push({ collector: prefix + t.collector, table: t.id, status: 'unavailable', ...(code ? { code } : {}), reason: `${names.length} ${ps.what} ${why} (${shown})` });
    }
  }
  return out;
}
