import type { LoadedCheck } from '../loader.js';
import type { MetricCatalogue, MetricInfo } from '../metrics.js';
import type { Finding, Severity } from '../report-schema.js';
import { renderTemplate } from '../template.js';
import type { EvaluateInput, Judged, Measure, ResolvedCheck } from './types.js';

/** Stage 4: a finding from a judged row: title, threshold provenance, evidence and next steps. */
export function makeFinding(r: ResolvedCheck, j: Judged, severity: Severity, input: EvaluateInput): Finding {
  const { check, metric: m, table: t, measure } = r;
  const unit = unitOf(check, m, measure);
  const thr = severity === 'critical' ? check.critical : check.warning;
  const title = renderTemplate(check.title, {
    value: j.value,
    unit,
    scope: j.scope,
    key: j.key,
    threshold: thr?.value,
    severity,
    metric: check.metric,
    labels: j.labels,
    fields: j.fields,
  });
  const thresholdOut = (lvl: 'warning' | 'critical') => {
    const th = check[lvl];
    if (!th) return undefined;
    const s = check.sourceRefs[th.source];
    return { value: th.value, source: th.source, sourceTitle: s?.title ?? th.source, ...(s?.url ? { sourceUrl: s.url } : {}), ...(th.note ? { note: th.note } : {}) };
  };
  const w = thresholdOut('warning');
  const c = thresholdOut('critical');
  return {
    id: `${check.id}@${j.scope}`,
    check: check.id,
    resource: check.resource,
    kind: check.kind,
    severity,
    scope: j.scope,
    title,
    explanation: check.explain.trim(),
    evidence: {
      metric: check.metric,
      value: round(j.value),
      unit,
      measure,
      when: check.when,
      threshold: { ...(w ? { warning: w } : {}), ...(c ? { critical: c } : {}) },
      fields: Object.fromEntries(Object.entries(j.fields).map(([k, v]) => [k, v === null ? null : round(v)])),
      ...(Object.keys(j.labels).length > 0 ? { labels: { ...j.labels } } : {}),
      ...(j.rows !== undefined ? { rows: j.rows } : {}),
      windowSeconds: t.seconds === undefined ? null : round(t.seconds),
      collector: t.collector,
      inputs: inputsFor(input.catalogue, m.table, j.key, j.rows === undefined ? m.scope : 'host'),
    },
    next: check.next.map((n) => {
      if (typeof n === 'string') return n;
      if (n.run === 'collector') return `${n.why}: diag collect ${n.collector} --window 1s${n.table ? ` (table ${n.table})` : ''}`;
      return `${n.why}: diag probe ${n.probe} --duration ${n.seconds}s`;
    }),
  };
}

function unitOf(check: LoadedCheck, m: MetricInfo, measure: Measure): string {
  if (check.unit) return check.unit;
  if (check.divide_by) return check.scale === 100 ? '%' : 'ratio';
  return measure === 'delta' ? m.rawUnit : m.unit;
}

/** Inputs of the collector, with the row filled in: /proc/PID/ for a process, the cgroup's directory for a cgroup. */
function inputsFor(cat: MetricCatalogue, table: string, key: string, scope: string): string[] {
  const info = cat.tables.get(table);
  if (!info) return [];
  const inputs = [...info.collector.inputs];
  if (scope === 'process' && /^\d+$/.test(key)) return inputs.map((i) => i.replace(/\/proc\/(?:PID|<pid>|\[pid\]|\{pid\}|\$PID|\*)\//, `/proc/${key}/`));
  if (scope === 'cgroup' && key.startsWith('/')) return inputs.map((i) => i.replace('/sys/fs/cgroup/**/', `/sys/fs/cgroup/*${key === '/' ? '' : key}/`));
  return inputs;
}

export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  const digits = a >= 100 ? 1 : a >= 1 ? 3 : 6;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
