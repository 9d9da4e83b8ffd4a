import type { TableSpec } from '../core/collector.js';
import type { DerivedSpec, FieldSpec, Unit } from '../core/fields.js';

/**
 * Prometheus names of diag's fields, from their declarations (FieldSpec.unit and kind): never a
 * list of metrics kept by hand. `diag_<table>_<field>_<base unit>`, in snake_case, converted to
 * the base units of the Prometheus conventions (seconds, bytes, ratios); counters end in `_total`.
 */

/** USER_HZ: the kernel reports CPU time in /proc in 1/100 s on every Linux ABI (sysconf(_SC_CLK_TCK)). */
export const USER_HZ = 100;

/** A base unit: the name suffix and the factor from diag's unit to it. */
export interface BaseUnit {
  /** Name suffix without the underscore ('' for a plain count). */
  readonly suffix: string;
  readonly factor: number;
}

const BASE: Readonly<Record<Unit, BaseUnit>> = {
  count: { suffix: '', factor: 1 },
  boolean: { suffix: '', factor: 1 },
  bytes: { suffix: 'bytes', factor: 1 },
  kB: { suffix: 'bytes', factor: 1024 },
  // /proc/diskstats counts 512-byte sectors whatever the device's block size
  sectors: { suffix: 'bytes', factor: 512 },
  pages: { suffix: 'pages', factor: 1 },
  ms: { suffix: 'seconds', factor: 1e-3 },
  us: { suffix: 'seconds', factor: 1e-6 },
  s: { suffix: 'seconds', factor: 1 },
  ticks: { suffix: 'seconds', factor: 1 / USER_HZ },
  percent: { suffix: 'ratio', factor: 0.01 },
  ratio: { suffix: 'ratio', factor: 1 },
  'Mb/s': { suffix: 'bytes_per_second', factor: 1e6 / 8 },
};

/** The base unit of a field or derived value's unit ("kB/s" -> bytes_per_second, x1024). */
export function baseUnit(unit: string): BaseUnit {
  const perSecond = unit.endsWith('/s') && unit !== 'Mb/s';
  const u = (perSecond ? unit.slice(0, -2) : unit) as Unit;
  const b = BASE[u] ?? { suffix: '', factor: 1 };
  if (!perSecond) return b;
  return { suffix: b.suffix === '' ? 'per_second' : `${b.suffix}_per_second`, factor: b.factor };
}

/** snake_case of a field or table id: "RetransSegs" -> "retrans_segs", "TCPBacklogDrop" -> "tcp_backlog_drop". */
export function snake(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}

/** Unit abbreviations a field name carries that its unit suffix replaces ("used_pct" -> "used_ratio"). */
const ABBREVIATIONS: readonly { readonly unit: RegExp; readonly strip: RegExp }[] = [
  { unit: /\/s$/, strip: /_s$/ },
  { unit: /^kB/, strip: /_?kb$/i },
  { unit: /^percent$/, strip: /_pct$/ },
  { unit: /^ms$/, strip: /_ms$/ },
  { unit: /^us$/, strip: /_us$/ },
  { unit: /^s$/, strip: /_s$/ },
];

/**
 * iostat's abbreviations (the disk table's derived values keep its column names) spelt out: a
 * one-letter token would read as a unit ("d" for days) to Prometheus' linter.
 */
const SPELT_OUT: Readonly<Record<string, string>> = {
  rkB_s: 'read_kB_s',
  wkB_s: 'write_kB_s',
  dkB_s: 'discard_kB_s',
  r_await: 'read_await',
  w_await: 'write_await',
  d_await: 'discard_await',
  f_await: 'flush_await',
  rrqm_pct: 'read_merged_pct',
  wrqm_pct: 'write_merged_pct',
  drqm_pct: 'discard_merged_pct',
  rareq_sz: 'read_request_size',
  wareq_sz: 'write_request_size',
  dareq_sz: 'discard_request_size',
  aqu_sz: 'queue_size',
};

/** Suffixes a gauge must not end in (OpenMetrics keeps them for counters, histograms, summaries, info). */
const RESERVED_GAUGE_SUFFIX = /_(total|created|sum|bucket|info|count)$/;

export interface ExportName {
  /** Family name (OpenMetrics `# TYPE` line): no `_total`. */
  readonly family: string;
  /** Sample name: the family, plus `_total` for a counter. */
  readonly sample: string;
  readonly type: 'counter' | 'gauge';
  /** Base unit suffix the name ends in ('' when none). */
  readonly unit: string;
  readonly factor: number;
}

/** The exported name of `table.field`: a raw counter (`_total`), a gauge, or a derived value (a gauge). */
export function exportName(table: string, field: string, spec: FieldSpec | DerivedSpec, kind: 'counter' | 'gauge' | 'derived', qualifier?: string): ExportName {
  const unitText = kind === 'derived' ? spec.unit : (spec as FieldSpec).unit;
  const b = baseUnit(unitText);
  let f = SPELT_OUT[field] ?? field;
  for (const a of ABBREVIATIONS) if (a.unit.test(unitText)) f = f.replace(a.strip, '');
  let base = snake(f) || 'value';
  const type = kind === 'counter' ? 'counter' : 'gauge';
  if (type === 'counter') base = base.replace(/_total$/, '');
  else if (base === 'count') base = 'entries';
  else if (RESERVED_GAUGE_SUFFIX.test(base)) base = base.replace(RESERVED_GAUGE_SUFFIX, '_$1_value').replace(/_total_value$/, '_all').replace(/_count_value$/, '');
  const stem = `diag_${snake(table)}_${base}${qualifier ? `_${qualifier}` : ''}`;
  const family = b.suffix === '' || stem.endsWith(`_${b.suffix}`) ? stem : `${stem}_${b.suffix}`;
  return { family, sample: type === 'counter' ? `${family}_total` : family, type, unit: b.suffix, factor: b.factor };
}

/** A label name from a scope kind or label ("qdisc_class", "netns"): [a-zA-Z_][a-zA-Z0-9_]*, never "__" first. */
export function labelName(s: string): string {
  const n = s.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^__+/, '_');
  return /^[a-zA-Z_]/.test(n) ? n : `_${n}`;
}

const tableNames = new WeakMap<TableSpec, ReadonlyMap<string, ExportName>>();

/**
 * The names of a table's fields and derived values, each family name used once: a gauge named
 * like a counter of the table (a socket's `retrans` now and `retrans_total`) reads `_current`, a
 * derived value named like a field (`throttled_ms` over the window, `throttled` in µs) `_window`.
 */
export function tableExportNames(table: string, spec: TableSpec): ReadonlyMap<string, ExportName> {
  let names = tableNames.get(spec);
  if (names) return names;
  const out = new Map<string, ExportName>();
  const used = new Set<string>();
  const counters = Object.entries(spec.fields).filter(([, f]) => f.kind === 'counter');
  const gauges = Object.entries(spec.fields).filter(([, f]) => f.kind !== 'counter');
  for (const [f, fs] of counters) {
    const n = exportName(table, f, fs, 'counter');
    out.set(f, n);
    used.add(n.family);
  }
  const place = (f: string, spec2: FieldSpec | DerivedSpec, kind: 'gauge' | 'derived', qualifier: string) => {
    let n = exportName(table, f, spec2, kind);
    if (used.has(n.family)) n = exportName(table, f, spec2, kind, qualifier);
    out.set(f, n);
    used.add(n.family);
  };
  for (const [f, fs] of gauges) place(f, fs, 'gauge', 'current');
  for (const [f, ds] of Object.entries(spec.derived ?? {})) place(f, ds, 'derived', 'window');
  names = out;
  tableNames.set(spec, names);
  return names;
}
