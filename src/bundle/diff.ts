import { z } from 'zod';

/**
 * What changed between two bundles: findings (appeared, resolved, got worse or better) and
 * metrics (every value of every row present in both, by relative change). Pure: takes the
 * reports and parsed records the bundles hold.
 */

const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };

export const diffFindingSchema = z.object({
  id: z.string(),
  resource: z.string(),
  kind: z.string(),
  severity: z.string(),
  scope: z.string(),
  title: z.string(),
});
const reportLike = z.looseObject({ status: z.string(), findings: z.array(z.looseObject(diffFindingSchema.shape)) });

export const modelRecordsSchema = z.object({
  tables: z.record(
    z.string(),
    z.looseObject({
      status: z.string(),
      fields: z.record(z.string(), z.looseObject({ title: z.string(), unit: z.string() })).optional(),
      rows: z.array(z.looseObject({ key: z.string(), scope: z.string().optional(), values: z.record(z.string(), z.number().nullable()) })).optional(),
    }),
  ),
});

export type DiffFinding = z.infer<typeof diffFindingSchema>;

export interface FindingChange {
  readonly change: 'appeared' | 'resolved' | 'worse' | 'better' | 'unchanged';
  readonly before?: DiffFinding;
  readonly after?: DiffFinding;
}

export interface MetricChange {
  readonly metric: string;
  readonly key: string;
  readonly scope: string;
  readonly unit: string;
  readonly before: number;
  readonly after: number;
  /** (after - before) / |before|; Infinity when before was 0. */
  readonly relative: number;
}

export interface BundleDiff {
  readonly statusBefore: string;
  readonly statusAfter: string;
  readonly findings: FindingChange[];
  readonly metrics: MetricChange[];
  readonly rowsAppeared: Array<{ table: string; key: string }>;
  readonly rowsDisappeared: Array<{ table: string; key: string }>;
}

const findingKey = (f: DiffFinding) => `${f.id}\u0000${f.scope}`;

export function diffReports(a: unknown, b: unknown): Pick<BundleDiff, 'statusBefore' | 'statusAfter' | 'findings'> {
  const ra = reportLike.parse(a);
  const rb = reportLike.parse(b);
  const before = new Map(ra.findings.map((f) => [findingKey(f), f]));
  const after = new Map(rb.findings.map((f) => [findingKey(f), f]));
  const out: FindingChange[] = [];
  for (const [k, f] of after) {
    const old = before.get(k);
    if (!old) out.push({ change: 'appeared', after: f });
    else {
      const d = (SEVERITY_RANK[f.severity] ?? 0) - (SEVERITY_RANK[old.severity] ?? 0);
      out.push({ change: d > 0 ? 'worse' : d < 0 ? 'better' : 'unchanged', before: old, after: f });
    }
  }
  for (const [k, f] of before) if (!after.has(k)) out.push({ change: 'resolved', before: f });
  const order = { worse: 0, appeared: 1, better: 2, resolved: 3, unchanged: 4 };
  out.sort((x, y) => order[x.change] - order[y.change]);
  return { statusBefore: ra.status, statusAfter: rb.status, findings: out };
}

export function diffModels(a: unknown, b: unknown): Pick<BundleDiff, 'metrics' | 'rowsAppeared' | 'rowsDisappeared'> {
  const ma = modelRecordsSchema.parse(a);
  const mb = modelRecordsSchema.parse(b);
  const metrics: MetricChange[] = [];
  const rowsAppeared: BundleDiff['rowsAppeared'] = [];
  const rowsDisappeared: BundleDiff['rowsDisappeared'] = [];
  for (const [tid, tb] of Object.entries(mb.tables)) {
    const ta = ma.tables[tid];
    const rowsA = new Map((ta?.rows ?? []).map((r) => [r.key, r]));
    const rowsB = new Map((tb.rows ?? []).map((r) => [r.key, r]));
    for (const [key, rb] of rowsB) {
      const ra = rowsA.get(key);
      if (!ra) {
        rowsAppeared.push({ table: tid, key });
        continue;
      }
      for (const [field, vb] of Object.entries(rb.values)) {
        const va = ra.values[field];
        if (va === null || va === undefined || vb === null || va === vb) continue;
        const relative = va === 0 ? (vb > 0 ? Infinity : -Infinity) : (vb - va) / Math.abs(va);
        metrics.push({ metric: `${tid}.${field}`, key, scope: rb.scope ?? key, unit: tb.fields?.[field]?.unit ?? '', before: va, after: vb, relative });
      }
    }
    for (const key of rowsA.keys()) if (!rowsB.has(key)) rowsDisappeared.push({ table: tid, key });
  }
  metrics.sort((x, y) => Math.abs(y.relative) - Math.abs(x.relative));
  return { metrics, rowsAppeared, rowsDisappeared };
}
