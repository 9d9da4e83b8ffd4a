import type { ModelRow, ModelTable } from '../../core/derive.js';
import type { LoadedCheck } from '../loader.js';
import type { MetricInfo } from '../metrics.js';
import { perNetnsScope } from '../../core/entity.js';
import { fieldNeedsWindow } from '../window-needs.js';
import { read, unknown, type EvaluateInput, type Measure, type ResolvedCheck, type Staged } from './types.js';

/** Stage 1: the metric's table (host view or inside the target's netns), how to read it, the divisor. */
export function resolveCheck(check: LoadedCheck, input: EvaluateInput): Staged<ResolvedCheck> {
  const { catalogue: cat, target } = input;
  let model = input.model;
  const m = cat.metrics.get(check.metric);
  if (!m) return unknown(check, `metric ${check.metric} is not provided by any registered collector`);
  // target: netns on a per-netns table filters its rows; on a netns-aware collector's table it
  // reads the view taken inside the target's namespace.
  const insideNetns = check.target === 'netns' && !perNetnsScope(m.scope);
  if (check.target === 'netns') {
    if (!target) return unknown(check, 'no target: run with --pid PID or --cgroup PATH');
    if (insideNetns) {
      if (!input.netnsModel) return unknown(check, input.netnsProblem ?? 'the target\'s network namespace could not be observed');
      model = input.netnsModel;
    } else if (target.netns === undefined) return unknown(check, 'the target\'s network namespace is unknown');
  }
  const t = model.tables[m.table];
  if (!t) return unknown(check, `collector ${m.collector} was not run`);
  if (t.rows.status !== 'ok') return unknown(check, tableReason(t));
  const measure = measureOf(check, m);
  // Counters need two samples; so do derived values computed from rates (busy %, await).
  if (fieldNeedsWindow(t.spec, m.field) && t.seconds === undefined) {
    return unknown(check, `${check.metric} needs two samples (a window): ${m.kind === 'counter' ? 'rates' : 'derived values'} cannot be computed from one`);
  }

  // The divisor: same row, or the single row of a host-wide table.
  let divisor: ResolvedCheck['divisor'];
  if (check.divide_by !== undefined) {
    const d = cat.metrics.get(check.divide_by);
    if (!d) return unknown(check, `metric ${check.divide_by} is not provided by any registered collector`);
    // A counter divisor is read the same way as the metric (both rates or both deltas).
    const dm: Measure = d.kind !== 'counter' ? 'value' : measure === 'delta' ? 'delta' : 'rate';
    if (d.table === m.table) divisor = { field: d.field, of: (row: ModelRow) => read(row, d.field, dm) };
    else {
      const dt = model.tables[d.table];
      if (!dt) return unknown(check, `collector ${d.collector} was not run`);
      if (dt.rows.status !== 'ok') return unknown(check, tableReason(dt));
      const hostRow = dt.rows.value[0];
      const dv = hostRow ? read(hostRow, d.field, dm) : undefined;
      divisor = { field: d.field, of: () => dv };
    }
  }
  return { next: { check, metric: m, model, table: t, measure, insideNetns, ...(divisor ? { divisor } : {}) } };
}

function measureOf(check: LoadedCheck, m: MetricInfo): Measure {
  if (m.kind !== 'counter') return 'value';
  return check.measure === 'delta' ? 'delta' : 'rate';
}

export function tableReason(t: ModelTable): string {
  if (t.rows.status === 'ok') return '';
  const hint = t.rows.status === 'unavailable' && t.rows.hint ? ` (hint: ${t.rows.hint})` : '';
  return `${t.id}: ${t.rows.reason}${hint}`;
}
