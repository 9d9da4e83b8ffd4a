import type { Model, ModelRow, ModelTable } from '../core/derive.js';
import type { LoadedCheck, LoadedPlaybook } from './loader.js';
import type { MetricCatalogue, MetricInfo } from './metrics.js';
import type { Filter, UseKind } from './playbook-schema.js';
import { USE_KINDS } from './playbook-schema.js';
import type { CheckResult, CoverageCell, Finding, Severity } from './report-schema.js';
import { targetRows, type Target } from './target.js';
import { renderTemplate } from './template.js';
import { fieldNeedsWindow } from './window-needs.js';

/**
 * The evaluator: judges a Model with a playbook's checks. Pure (no I/O): the same Model gives the
 * same findings, live or replayed from a bundle.
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
}

export interface Evaluation {
  readonly checks: CheckOutcome[];
  readonly findings: Finding[];
  readonly coverage: CoverageCell[];
}

interface Judged {
  readonly scope: string;
  readonly key: string;
  readonly value: number;
  readonly fields: Record<string, number | null>;
  readonly labels: Readonly<Record<string, string>>;
  readonly rows?: number;
}

type Measure = 'rate' | 'delta' | 'value';

function measureOf(check: LoadedCheck, m: MetricInfo): Measure {
  if (m.kind !== 'counter') return 'value';
  return check.measure === 'delta' ? 'delta' : 'rate';
}

function read(row: ModelRow, field: string, measure: Measure): number | undefined {
  const v = measure === 'delta' ? row.deltas[field] : row.values[field];
  return v === undefined || !Number.isFinite(v) ? undefined : v;
}

function resolveVar(v: string, vars: Readonly<Record<string, string>>): string | undefined {
  return v.startsWith('$') ? vars[v.slice(1)] : v;
}

/** A filter with its variables filled in: once per check, not once per row. */
function resolveFilter(f0: Filter, vars: Readonly<Record<string, string>>): Filter {
  // A variable that has no value here (no target, unknown netns) matches nothing: eq fails, ne holds.
  return { ...f0, value: typeof f0.value === 'string' ? (resolveVar(f0.value, vars) ?? '\u0000unset') : Array.isArray(f0.value) ? f0.value.map((x) => resolveVar(x, vars) ?? '\u0000unset') : f0.value };
}

function filterRow(f: Filter, row: ModelRow): boolean {
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

function severityOf(check: LoadedCheck, value: number): Severity | undefined {
  // no closure: this runs for every row of every check (2,000 processes) on every refresh
  const below = check.when === 'below';
  if (check.critical && (below ? value <= check.critical.value : value >= check.critical.value)) return 'critical';
  if (check.warning && (below ? value <= check.warning.value : value >= check.warning.value)) return 'warning';
  return undefined;
}

/** The {field.NAME} fields a check's title names (evidence too), worked out once per check. */
const titleFieldsOf = new WeakMap<LoadedCheck, readonly string[]>();
function titleFields(check: LoadedCheck): readonly string[] {
  let f = titleFieldsOf.get(check);
  if (!f) {
    f = [...check.title.matchAll(/\{field\.([A-Za-z0-9_]+)\}/g)].map((x) => x[1]!);
    titleFieldsOf.set(check, f);
  }
  return f;
}

function unknown(check: LoadedCheck, reason: string): CheckOutcome {
  return { check, result: { id: check.id, status: 'unknown', reason, scopes: 0 }, findings: [] };
}

function tableReason(t: ModelTable): string {
  if (t.rows.status === 'ok') return '';
  const hint = t.rows.status === 'unavailable' && t.rows.hint ? ` (hint: ${t.rows.hint})` : '';
  return `${t.id}: ${t.rows.reason}${hint}`;
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

export function evaluateCheck(check: LoadedCheck, input: EvaluateInput): CheckOutcome {
  const { catalogue: cat, target } = input;
  let model = input.model;
  const m = cat.metrics.get(check.metric);
  if (!m) return unknown(check, `metric ${check.metric} is not provided by any registered collector`);
  // target: netns on a per-netns table filters its rows; on a netns-aware collector's table it
  // reads the view taken inside the target's namespace.
  const insideNetns = check.target === 'netns' && m.scope !== 'netns';
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
  const needsWindow = fieldNeedsWindow(t.spec, m.field);
  if (needsWindow && t.seconds === undefined) return unknown(check, `${check.metric} needs two samples (a window): ${m.kind === 'counter' ? 'rates' : 'derived values'} cannot be computed from one`);

  // The divisor: same row, or the single row of a host-wide table.
  let divisorFrom: ((row: ModelRow) => number | undefined) | undefined;
  let divisorField = '';
  if (check.divide_by !== undefined) {
    const d = cat.metrics.get(check.divide_by);
    if (!d) return unknown(check, `metric ${check.divide_by} is not provided by any registered collector`);
    divisorField = d.field;
    // A counter divisor is read the same way as the metric (both rates or both deltas).
    const dm: Measure = d.kind !== 'counter' ? 'value' : measure === 'delta' ? 'delta' : 'rate';
    if (d.table === m.table) divisorFrom = (row) => read(row, d.field, dm);
    else {
      const dt = model.tables[d.table];
      if (!dt) return unknown(check, `collector ${d.collector} was not run`);
      if (dt.rows.status !== 'ok') return unknown(check, tableReason(dt));
      const hostRow = dt.rows.value[0];
      const dv = hostRow ? read(hostRow, d.field, dm) : undefined;
      divisorFrom = () => dv;
    }
  }

  let rows = t.rows.value;
  const vars = input.vars ?? {};
  if (check.target && !insideNetns) {
    if (!target) return unknown(check, `no target: run with --pid PID or --cgroup PATH`);
    const kind = check.target;
    if (kind === 'cgroup' && target.cgroup === undefined) return unknown(check, 'the target has no cgroup');
    rows = targetRows(kind, rows, target);
    if (rows.length === 0) return unknown(check, `no ${m.table} row for the target (${kind === 'cgroup' ? `cgroup ${target.cgroups.join(', ')}` : kind === 'netns' ? `netns ${target.netns}` : `${target.pids.size} processes`})`);
  }
  if (check.where) {
    const before = rows.length;
    const where = check.where.map((f) => resolveFilter(f, vars));
    rows = rows.filter((r) => where.every((f) => filterRow(f, r)));
    if (rows.length === 0 && before > 0 && check.when_none !== undefined) return okResult(check, 0, check.when_none);
  }

  // Only rows that cross a threshold become findings, so only they (and, for an aggregate, the
  // worst row) get an evidence record: the other rows of a 2,000-process table cost a number.
  const judged: Judged[] = [];
  const vals: number[] = [];
  let worst: { row: ModelRow; v: number; d: number | undefined; value: number } | undefined;
  let counted = 0;
  let missing = 0;
  let tooSmall = 0;
  const scale = check.scale ?? 1;
  const below = check.when === 'below';
  const judge = (row: ModelRow, v: number, d: number | undefined, value: number): Judged => {
    const fields: Record<string, number | null> = { [m.field]: v };
    if (m.kind === 'counter') fields[`${m.field}_delta`] = row.deltas[m.field] ?? null;
    if (d !== undefined) fields[divisorField] = d;
    // Fields the title names are evidence too.
    for (const f of titleFields(check)) if (!(f in fields)) fields[f] = read(row, f, 'value') ?? null;
    const scope = insideNetns ? netnsScope(target?.netns, row.scope) : row.scope;
    return { scope, key: row.key, value, fields, labels: row.labels };
  };
  for (const row of rows) {
    const v = read(row, m.field, measure);
    if (v === undefined) {
      missing++;
      continue;
    }
    let value = v;
    let d: number | undefined;
    if (divisorFrom) {
      d = divisorFrom(row);
      if (d === undefined) {
        missing++;
        continue;
      }
      if (d <= 0 || (check.min_denominator !== undefined && d < check.min_denominator)) {
        tooSmall++;
        continue;
      }
      value = v / d;
    }
    value *= scale;
    counted++;
    if (check.aggregate) {
      vals.push(value);
      // the first of the worst, as a stable sort would put first
      if (!worst || (below ? value < worst.value : value > worst.value)) worst = { row, v, d, value };
      continue;
    }
    if (severityOf(check, value)) judged.push(judge(row, v, d, value));
  }

  const scopeName = targetScope(check, target);
  let results: Judged[] = judged;
  let scopes = counted;
  if (check.aggregate) {
    if (vals.length === 0 && check.aggregate !== 'count' && check.aggregate !== 'sum') {
      return missing > 0 ? unknown(check, `${check.metric} missing in all ${missing} rows`) : okResult(check, 0, tooSmall > 0 ? 'too little activity to judge' : `no ${m.scope} rows`);
    }
    let agg: number;
    switch (check.aggregate) {
      case 'count':
        agg = vals.length;
        break;
      case 'sum':
        agg = vals.reduce((a, b) => a + b, 0);
        break;
      case 'avg':
        agg = vals.reduce((a, b) => a + b, 0) / vals.length;
        break;
      case 'max':
        agg = vals.reduce((a, b) => Math.max(a, b), -Infinity);
        break;
      case 'min':
        agg = vals.reduce((a, b) => Math.min(a, b), Infinity);
        break;
    }
    const w = worst ? judge(worst.row, worst.v, worst.d, worst.value) : undefined;
    results = [{ scope: scopeName, key: scopeName, value: agg, fields: w ? { ...w.fields } : {}, labels: {}, rows: vals.length }];
    scopes = 1;
  } else if (counted === 0) {
    if (missing > 0) return unknown(check, `${check.metric} missing in ${missing} of ${rows.length} rows`);
    return okResult(check, 0, tooSmall > 0 ? `too little activity to judge (${check.divide_by} below ${check.min_denominator ?? 0})` : `no ${m.scope} rows to check`);
  }

  const findings: Finding[] = [];
  for (const j of results) {
    const sev = severityOf(check, j.value);
    if (!sev) continue;
    findings.push(makeFinding(check, m, t, j, sev, measure, input));
  }
  const partial = missing > 0 ? `${missing} rows lacked ${check.metric}` : undefined;
  if (findings.length > 0) return { check, result: { id: check.id, status: 'finding', scopes, ...(partial ? { reason: partial } : {}) }, findings };
  return { check, result: { id: check.id, status: 'ok', scopes, ...(partial ? { reason: partial } : {}) }, findings };
}

function okResult(check: LoadedCheck, scopes: number, reason: string): CheckOutcome {
  return { check, result: { id: check.id, status: 'ok', reason, scopes }, findings: [] };
}

/** A row seen inside another network namespace: "netns:ID" or "netns:ID/interface:eth0". */
function netnsScope(netns: string | undefined, scope: string): string {
  const ns = `netns:${netns ?? '?'}`;
  return scope === 'host' ? ns : `${ns}/${scope}`;
}

function targetScope(check: LoadedCheck, target: Target | undefined): string {
  if (!check.target || !target) return 'host';
  if (check.target === 'netns') return `netns:${target.netns ?? '?'}`;
  if (target.cgroup !== undefined) return `cgroup:${target.cgroup}`;
  return target.pid !== undefined ? `process:${target.pid}` : 'host';
}

function unitOf(check: LoadedCheck, m: MetricInfo, measure: Measure): string {
  if (check.unit) return check.unit;
  if (check.divide_by) return check.scale === 100 ? '%' : 'ratio';
  return measure === 'delta' ? m.rawUnit : m.unit;
}

function makeFinding(check: LoadedCheck, m: MetricInfo, t: ModelTable, j: Judged, severity: Severity, measure: Measure, input: EvaluateInput): Finding {
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

export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  const digits = a >= 100 ? 1 : a >= 1 ? 3 : 6;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Resources x USE kinds: finding if any check found something, ok if a check judged, else unknown. */
export function buildCoverage(playbook: LoadedPlaybook, outcomes: readonly CheckOutcome[]): CoverageCell[] {
  const cells: CoverageCell[] = [];
  for (const resource of playbook.resources) {
    for (const kind of USE_KINDS as readonly UseKind[]) {
      const mine = outcomes.filter((o) => o.check.resource === resource && o.check.kind === kind);
      const checks = mine.map((o) => o.result);
      if (mine.length === 0) {
        cells.push({ resource, kind, status: 'unknown', reason: 'not checked by this playbook', checks });
        continue;
      }
      const unknowns = mine.filter((o) => o.result.status === 'unknown');
      const unknownText = unknowns.map((o) => `${o.check.id}: ${o.result.reason ?? 'unknown'}`).join('; ');
      if (mine.some((o) => o.result.status === 'finding')) {
        cells.push({ resource, kind, status: 'finding', ...(unknowns.length ? { reason: `also unknown: ${unknownText}` } : {}), checks });
      } else if (unknowns.length === mine.length) {
        cells.push({ resource, kind, status: 'unknown', reason: unknownText, checks });
      } else {
        cells.push({ resource, kind, status: 'ok', ...(unknowns.length ? { reason: `partly: ${mine.length - unknowns.length} of ${mine.length} checks judged; unknown: ${unknownText}` } : {}), checks });
      }
    }
  }
  return cells;
}

const SEV_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function evaluatePlaybook(input: EvaluateInput): Evaluation {
  const checks = input.playbook.checks.map((c) => evaluateCheck(c, input));
  const findings = checks.flatMap((o) => o.findings).sort((a, b) => SEV_RANK[b.severity] - SEV_RANK[a.severity]);
  return { checks, findings, coverage: buildCoverage(input.playbook, checks) };
}
