import type { Collector, Resource, TableSpec } from '../core/collector.js';
import { modelUnit } from '../core/fields.js';

/**
 * The metric catalogue: every "table.field" the registered collectors declare, read from their
 * table specs (never listed a second time). Counters appear as per-second rates, the way a
 * playbook reads them.
 */
export interface MetricInfo {
  readonly name: string;
  readonly table: string;
  readonly field: string;
  readonly collector: string;
  readonly scope: string;
  /** counter (read as a rate), gauge (a level) or derived (computed over the window). */
  readonly kind: 'counter' | 'gauge' | 'derived';
  /** Unit as a playbook sees it (counters: "<unit>/s"). */
  readonly unit: string;
  /** Unit of the raw counter (for `measure: delta`). */
  readonly rawUnit: string;
  readonly title: string;
  readonly desc?: string;
  readonly resources: readonly Resource[];
  readonly tableTitle: string;
}

export interface TableInfo {
  readonly id: string;
  readonly collector: Collector;
  readonly spec: TableSpec;
}

export interface MetricCatalogue {
  readonly metrics: ReadonlyMap<string, MetricInfo>;
  readonly tables: ReadonlyMap<string, TableInfo>;
}

export function buildCatalogue(collectors: readonly Collector[]): MetricCatalogue {
  const metrics = new Map<string, MetricInfo>();
  const tables = new Map<string, TableInfo>();
  for (const c of collectors) {
    for (const [tid, spec] of Object.entries(c.tables)) {
      tables.set(tid, { id: tid, collector: c, spec });
      const base = { table: tid, collector: c.id, scope: spec.scope, resources: c.resources, tableTitle: spec.title };
      for (const [f, fs] of Object.entries(spec.fields)) {
        metrics.set(`${tid}.${f}`, {
          ...base,
          name: `${tid}.${f}`,
          field: f,
          kind: fs.kind,
          unit: modelUnit(fs),
          rawUnit: fs.unit,
          title: fs.title,
          ...(fs.desc === undefined ? {} : { desc: fs.desc }),
        });
      }
      for (const [f, ds] of Object.entries(spec.derived ?? {})) {
        metrics.set(`${tid}.${f}`, {
          ...base,
          name: `${tid}.${f}`,
          field: f,
          kind: 'derived',
          unit: ds.unit,
          rawUnit: ds.unit,
          title: ds.title,
          ...(ds.desc === undefined ? {} : { desc: ds.desc }),
        });
      }
    }
  }
  return { metrics, tables };
}

/** Closest known metric names, for "did you mean" in loader errors. */
export function suggestMetrics(cat: MetricCatalogue, name: string, n = 3): string[] {
  const [table, field] = name.split('.');
  const all = [...cat.metrics.keys()];
  const sameTable = all.filter((m) => m.startsWith(`${table}.`));
  const pool = sameTable.length > 0 ? sameTable : all;
  const target = sameTable.length > 0 ? (field ?? '') : name;
  return pool
    .map((m) => ({ m, d: editDistance(sameTable.length > 0 ? m.slice(m.indexOf('.') + 1) : m, target) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, n)
    .filter((x) => x.d <= Math.max(3, target.length / 2))
    .map((x) => x.m);
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
