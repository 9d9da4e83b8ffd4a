import type { RowWindow, TableSpec } from '../core/collector.js';

/**
 * Which values need two samples. Counters do (rates, deltas); gauges do not. A derived value
 * needs a window when the table's derive function cannot compute it from levels alone: asked
 * with every field at 1 and no rates, it returns undefined for it (busy %, await) or a number
 * (fds % of the limit). Asked once per table.
 */
const fromLevels = new WeakMap<TableSpec, ReadonlySet<string>>();

function derivedFromLevels(spec: TableSpec): ReadonlySet<string> {
  let known = fromLevels.get(spec);
  if (known) return known;
  const ok = new Set<string>();
  if (spec.derive) {
    const values: Record<string, number> = Object.fromEntries(Object.keys(spec.fields).map((f) => [f, 1]));
    const cur = { key: 'levels-only', labels: {}, values };
    const w: RowWindow = { cur, prev: undefined, seconds: 0, delta: () => undefined, rate: () => undefined, value: (f) => values[f] };
    try {
      const d = spec.derive(w);
      for (const [k, v] of Object.entries(d)) if (v !== undefined && Number.isFinite(v)) ok.add(k);
    } catch {
      /* a derive function that needs more than levels: everything needs a window */
    }
  }
  known = ok;
  fromLevels.set(spec, known);
  return known;
}

export function fieldNeedsWindow(spec: TableSpec, field: string): boolean {
  const f = spec.fields[field];
  if (f) return f.kind === 'counter';
  return !derivedFromLevels(spec).has(field);
}
