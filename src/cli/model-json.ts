import type { Model } from '../core/derive.js';
import { modelUnit } from '../core/fields.js';

/** The JSON shape of `diag collect --json` (schema diag.collect/v1). Field units come from the declarations. */
export function modelToJson(model: Model, collector: string) {
  const seconds = Object.values(model.tables).find((t) => t.seconds !== undefined)?.seconds;
  return {
    schema: 'diag.collect/v1',
    collector,
    startedAt: model.start.wall,
    endedAt: model.end.wall,
    windowSeconds: seconds ?? null,
    tables: Object.fromEntries(
      Object.values(model.tables).map((t) => [
        t.id,
        {
          title: t.spec.title,
          scope: t.spec.scope,
          fields: {
            ...Object.fromEntries(Object.entries(t.spec.fields).map(([n, f]) => [n, { title: f.title, kind: f.kind, unit: modelUnit(f) }])),
            ...Object.fromEntries(Object.entries(t.spec.derived ?? {}).map(([n, f]) => [n, { title: f.title, kind: 'derived', unit: f.unit }])),
          },
          ...(t.rows.status === 'ok'
            ? { status: 'ok', ...(t.rows.notes ? { notes: t.rows.notes } : {}), rows: t.rows.value.map((r) => ({ key: r.key, scope: r.scope, labels: r.labels, values: nullify(r.values), deltas: nullify(r.deltas) })) }
            : { status: t.rows.status, code: t.rows.code, reason: t.rows.reason, ...(t.rows.status === 'unavailable' && t.rows.hint ? { hint: t.rows.hint } : {}) }),
        },
      ]),
    ),
  };
}

/** JSON has no undefined: a missing value is null, never 0. */
function nullify(v: Readonly<Record<string, number | undefined>>): Record<string, number | null> {
  const o: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(v)) o[k] = x === undefined ? null : x;
  return o;
}
