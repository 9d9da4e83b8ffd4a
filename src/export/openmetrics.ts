import type { Row, Sample, TableSpec } from '../core/collector.js';
import type { Model, ModelTable } from '../core/derive.js';
import { IN_NETNS } from '../core/entity.js';
import { STATUSES, type Report } from '../engine/report-schema.js';
import { labelName, tableExportNames } from './names.js';
import { OTEL_ALIASES, type OtelAlias } from './otel.js';

/**
 * The metrics view of one playbook run, pure: (Sample, Model, Report) -> the OpenMetrics or
 * Prometheus text exposition. Counters are the Sample's raw values as `_total` (Prometheus
 * computes rate() itself, and a counter survives a missed scrape); gauges are the Sample's
 * levels; derived fields (busy %, await) are gauges from the Model. Names and units come from
 * the field declarations (names.ts), hostmetrics names where they overlap (otel.ts). Findings,
 * the coverage matrix, check and table status are series of their own.
 */

export const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export type ExpositionFormat = 'openmetrics' | 'prometheus';

/** Table scopes whose rows are unbounded on a busy host: at most `maxRows` rows each are exported. */
const CAPPED_SCOPES = new Set(['process', 'thread', 'socket', 'cgroup', 'rule', 'chain', 'event', 'namespace', 'netns', 'netns_visit', 'nic_counter']);

/** Label a row key goes in, by table scope, where the scope's own name would mislead. */
const KEY_LABEL: Readonly<Record<string, string>> = { process: 'pid', thread: 'tid' };

export interface ExportInput {
  readonly report: Report;
  /** The run's last sample: raw counters and levels. */
  readonly sample: Sample;
  /** The run's model: derived fields, and which tables were sampled (with their specs). */
  readonly model: Model;
  /** Rows at most per table of a capped scope (processes, sockets, cgroups...): default 50. */
  readonly maxRows?: number;
  readonly version?: string;
  /** The exporter's own counters (diag serve). */
  readonly exporter?: { readonly samplesTaken: number };
}

interface Point {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'info';
  readonly help: string;
  readonly unit: string;
  readonly points: Point[];
}

/** Families in the order first added; a name added twice with another type is a bug in names.ts. */
class Families {
  readonly map = new Map<string, Family>();

  add(name: string, type: Family['type'], help: string, unit: string, labels: Readonly<Record<string, string>>, value: number | undefined): void {
    if (value === undefined || Number.isNaN(value)) return;
    let f = this.map.get(name);
    if (!f) {
      f = { name, type, help, unit, points: [] };
      this.map.set(name, f);
    } else if (f.type !== type) throw new Error(`metric family ${name} is both ${f.type} and ${type}`);
    f.points.push({ labels, value });
  }
}

/** The rows of one table to export: all, or for a capped scope those named by findings first, then the largest. */
function rowsToExport(table: ModelTable, rows: readonly Row[], named: ReadonlySet<string>, maxRows: number): { rows: readonly Row[]; omitted: number } {
  const kind = table.spec.scope.startsWith(IN_NETNS) ? 'netns' : table.spec.scope;
  if (!CAPPED_SCOPES.has(kind) || rows.length <= maxRows) return { rows, omitted: 0 };
  const modelRows = table.rows.status === 'ok' ? table.rows.value : [];
  const rankField = Object.keys(table.spec.derived ?? {})[0] ?? Object.keys(table.spec.fields)[0];
  const rank = new Map<string, number>();
  for (const r of modelRows) rank.set(r.key, (named.has(r.scope) ? 1e300 : 0) + (rankField === undefined ? 0 : (r.values[rankField] ?? 0)));
  const chosen = [...rows].sort((a, b) => (rank.get(b.key) ?? 0) - (rank.get(a.key) ?? 0) || (a.key < b.key ? -1 : 1)).slice(0, maxRows);
  return { rows: chosen, omitted: rows.length - chosen.length };
}

/** Labels of a row: its key under the scope's name (a row seen in another netns: netns + kind). */
function rowLabels(spec: TableSpec, row: Row): Record<string, string> {
  const scope = spec.scope;
  if (scope === 'host') return {};
  const out: Record<string, string> = {};
  if (scope.startsWith(IN_NETNS)) {
    const i = row.key.indexOf('/');
    out.netns = i > 0 ? row.key.slice(0, i) : '';
    out[labelName(scope.slice(IN_NETNS.length))] = i > 0 ? row.key.slice(i + 1) : row.key;
  } else out[KEY_LABEL[scope] ?? labelName(scope)] = row.key;
  const comm = row.labels?.comm;
  if ((scope === 'process' || scope === 'thread') && comm !== undefined) out.comm = comm;
  return out;
}

function otelLabels(alias: OtelAlias, key: string): Record<string, string> | undefined {
  if (alias.skipKeys?.includes(key)) return undefined;
  return alias.keyLabel ? { [alias.keyLabel]: `${alias.keyPrefix ?? ''}${key}`, ...alias.labels } : { ...alias.labels };
}

const OTEL_UNITS = ['bytes', 'seconds'];

function tableFamilies(fams: Families, table: ModelTable, rows: readonly Row[]): void {
  const spec = table.spec;
  const modelRows = new Map(table.rows.status === 'ok' ? table.rows.value.map((r) => [r.key, r]) : []);
  const names = tableExportNames(table.id, spec);
  const plans = [
    ...Object.entries(spec.fields).map(([f, fs]) => ({ f, name: names.get(f)!, title: fs.title, unit: fs.unit, fromModel: false })),
    ...Object.entries(spec.derived ?? {}).map(([f, ds]) => ({ f, name: names.get(f)!, title: ds.title, unit: ds.unit, fromModel: true })),
  ];
  for (const p of plans) {
    const alias = OTEL_ALIASES[`${table.id}.${p.f}`];
    const help = `${spec.title}: ${p.title} (diag ${table.id}.${p.f}, ${p.unit}${p.name.factor === 1 ? '' : ` x ${p.name.factor}`})`;
    for (const row of rows) {
      const raw = p.fromModel ? modelRows.get(row.key)?.values[p.f] : row.values[p.f];
      if (raw === undefined || !Number.isFinite(raw)) continue;
      // dividing by 100 or 1000 keeps 759365 ticks 7593.65 s (multiplying by 0.01 gives 7593.650000000001)
      const value = p.name.factor < 1 ? raw / Math.round(1 / p.name.factor) : raw * p.name.factor;
      if (alias) {
        const labels = otelLabels(alias, row.key);
        if (labels) fams.add(alias.family, p.name.type, alias.help, OTEL_UNITS.find((u) => alias.family.endsWith(`_${u}`)) ?? '', labels, value);
      } else fams.add(p.name.family, p.name.type, help, p.name.unit, rowLabels(spec, row), value);
    }
  }
}

/** Every family of one run, in a stable order: diag's own series first, then the tables. */
function buildFamilies(input: ExportInput): Families {
  const fams = new Families();
  const { report } = input;
  const pb = report.playbook;
  fams.add('diag_build', 'info', 'diag build information', '', { version: input.version ?? 'unknown' }, 1);
  for (const s of STATUSES) fams.add('diag_status', 'gauge', `The playbook's status (1 for the current one: ok, warning, critical, unknown), as its exit code says`, '', { playbook: pb, status: s }, report.status === s ? 1 : 0);
  for (const f of report.findings) {
    const labels = { playbook: pb, check: f.check, resource: f.resource, kind: f.kind, scope: f.scope, severity: f.severity };
    fams.add('diag_finding', 'gauge', 'A finding of the playbook, 1 while it holds: what (check, resource, USE kind), where (scope), how bad (severity)', '', labels, 1);
    fams.add('diag_finding_value', 'gauge', "The value a finding judged, in the check's unit (label unit)", '', { playbook: pb, check: f.check, scope: f.scope, unit: f.evidence.unit }, f.evidence.value);
    for (const sev of ['warning', 'critical'] as const) {
      const t = f.evidence.threshold[sev];
      if (t) fams.add('diag_finding_threshold', 'gauge', "The threshold a finding's value was judged against, by severity", '', { playbook: pb, check: f.check, scope: f.scope, severity: sev }, t.value);
    }
  }
  const cellStates = ['ok', 'finding', 'unknown'] as const;
  for (const c of report.coverage) {
    for (const s of cellStates) fams.add('diag_coverage', 'gauge', 'The USE coverage matrix: 1 for the state of each resource x kind cell (ok, finding, unknown: could not judge)', '', { playbook: pb, resource: c.resource, kind: c.kind, status: s }, c.status === s ? 1 : 0);
  }
  for (const c of report.coverage) {
    for (const ch of c.checks) {
      for (const s of cellStates) fams.add('diag_check_status', 'gauge', 'Each check of the playbook: 1 for its state (ok, finding, unknown)', '', { playbook: pb, check: ch.id, status: s }, ch.status === s ? 1 : 0);
    }
  }
  if (report.windowSeconds !== null) fams.add('diag_window_seconds', 'gauge', 'Length of the window the rates and findings cover', 'seconds', { playbook: pb }, report.windowSeconds);
  fams.add('diag_run_duration_seconds', 'gauge', 'Time the playbook run took', 'seconds', { playbook: pb }, report.durationMs / 1000);
  if (input.exporter) {
    fams.add('diag_exporter_samples', 'counter', 'Samples the exporter took and judged (scrapes within one cache interval share one)', '', {}, input.exporter.samplesTaken);
  }

  const named = new Set<string>();
  for (const f of report.findings) {
    named.add(f.scope);
    for (const c of f.culprits ?? []) named.add(c.entity.id);
  }
  const maxRows = input.maxRows ?? 50;
  for (const table of Object.values(input.model.tables)) {
    const cs = input.sample.collectors[table.collector];
    const rows = cs?.status === 'ok' ? cs.value.tables[table.id] : undefined;
    fams.add('diag_table_up', 'gauge', 'Whether a table could be read this sample (0: unavailable or failed, see /report)', '', { collector: table.collector, table: table.id }, rows?.status === 'ok' ? 1 : 0);
    if (rows?.status !== 'ok') continue;
    const chosen = rowsToExport(table, rows.value, named, maxRows);
    if (chosen.omitted > 0) fams.add('diag_export_rows_omitted', 'gauge', 'Rows of a table left out by the cardinality cap (those named by findings are kept first, then the largest)', '', { table: table.id }, chosen.omitted);
    tableFamilies(fams, table, chosen.rows);
  }
  return fams;
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Renders each format at most once: the text of one run for every scrape that shares it. */
export function memoExposition(input: ExportInput): (format: ExpositionFormat) => string {
  const done = new Map<ExpositionFormat, string>();
  return (format) => {
    let t = done.get(format);
    if (t === undefined) {
      t = renderExposition(input, format);
      done.set(format, t);
    }
    return t;
  };
}

/** The exposition text of one run, in OpenMetrics 1.0 or the Prometheus text format 0.0.4. */
export function renderExposition(input: ExportInput, format: ExpositionFormat): string {
  const out: string[] = [];
  for (const f of buildFamilies(input).map.values()) {
    if (f.points.length === 0) continue;
    const sample = f.type === 'counter' ? `${f.name}_total` : f.type === 'info' ? `${f.name}_info` : f.name;
    if (format === 'openmetrics') {
      out.push(`# TYPE ${f.name} ${f.type}`);
      if (f.unit !== '' && f.name.endsWith(`_${f.unit}`)) out.push(`# UNIT ${f.name} ${f.unit}`);
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    } else {
      out.push(`# HELP ${sample} ${escapeHelp(f.help)}`);
      out.push(`# TYPE ${sample} ${f.type === 'info' ? 'gauge' : f.type}`);
    }
    for (const p of f.points) out.push(`${sample}${formatLabels(p.labels)} ${formatValue(p.value)}`);
  }
  if (format === 'openmetrics') out.push('# EOF');
  return out.join('\n') + '\n';
}

/** The format an HTTP Accept header asks for: OpenMetrics when it names it (with q > 0), else the Prometheus text format. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  for (const part of (accept ?? '').split(',')) {
    const [type, ...params] = part.trim().split(';').map((s) => s.trim());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return 'openmetrics';
  }
  return 'prometheus';
}
