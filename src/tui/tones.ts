import type { ModelRow } from '../core/derive.js';
import { severityOf } from '../engine/check/judge.js';
import { filterRow } from '../engine/check/select.js';
import type { LoadedCheck, LoadedPlaybook } from '../engine/loader.js';
import type { Filter } from '../engine/playbook-schema.js';
import type { Finding, Severity } from '../engine/report-schema.js';
import type { Frame } from './frame.js';
import { rowsOf } from './frame.js';
import type { Tone } from './theme.js';

/**
 * What colours a value in a panel: the frame's findings for the row's scope first, else the
 * thresholds of the loaded playbooks' checks on the same metric ("table.field"). A panel never
 * carries thresholds of its own: changing a playbook changes the colours.
 */
export class Tones {
  private readonly byMetric = new Map<string, readonly LoadedCheck[]>();

  /**
   * `primary` is the playbook that judges the frames; the `others` (the rest of the loaded
   * playbooks) lend their checks for the metrics it does not check (cgroup throttling, a
   * process's CPU), the first by name that checks the metric.
   */
  constructor(primary?: LoadedPlaybook, others: readonly LoadedPlaybook[] = []) {
    const add = (pb: LoadedPlaybook, only?: (metric: string) => boolean) => {
      const found = new Map<string, LoadedCheck[]>();
      for (const c of pb.checks) {
        if (!comparable(c) || (only && !only(c.metric))) continue;
        const list = found.get(c.metric) ?? [];
        list.push(c);
        found.set(c.metric, list);
      }
      for (const [metric, list] of found) this.byMetric.set(metric, list);
    };
    if (primary) add(primary);
    const own = new Set(this.byMetric.keys());
    const lent = new Set<string>();
    for (const pb of [...others].filter((p) => p.name !== primary?.name).sort((a, b) => a.name.localeCompare(b.name))) {
      const before = new Set(this.byMetric.keys());
      add(pb, (m) => !own.has(m) && !lent.has(m));
      for (const m of this.byMetric.keys()) if (!before.has(m)) lent.add(m);
    }
  }

  /** Checks whose thresholds apply to the metric's own value, in the order the playbook lists them. */
  checksOf(metric: string): readonly LoadedCheck[] {
    return this.byMetric.get(metric) ?? [];
  }
}

/** No thresholds: tones from the frame's findings alone. */
export const NO_TONES = new Tones();

/**
 * A check whose thresholds compare the field's own value: not divided, scaled or aggregated,
 * and with no filter variable (the dashboard has no target to fill them with).
 */
function comparable(c: LoadedCheck): boolean {
  return c.divide_by === undefined && c.scale === undefined && c.aggregate === undefined && !(c.where ?? []).some(hasVariable);
}

function hasVariable(f: Filter): boolean {
  return typeof f.value === 'string' ? f.value.startsWith('$') : Array.isArray(f.value) && f.value.some((v) => v.startsWith('$'));
}

const rowIndex = new WeakMap<readonly ModelRow[], Map<string, ModelRow>>();

/** A table's row by key (the first row of a host table when no key is given). */
function rowOf(frame: Frame, table: string, key: string | undefined): ModelRow | undefined {
  const rows = rowsOf(frame.model, table);
  if (key === undefined) return rows[0];
  let index = rowIndex.get(rows);
  if (!index) {
    index = new Map(rows.map((r) => [r.key, r]));
    rowIndex.set(rows, index);
  }
  return index.get(key);
}

const RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };
const findingIndex = new WeakMap<readonly Finding[], Map<string, Severity>>();

/** The worst severity of the findings on a metric for a scope. */
function findingSeverity(findings: readonly Finding[], metric: string, scope: string): Severity | undefined {
  let index = findingIndex.get(findings);
  if (!index) {
    index = new Map();
    for (const f of findings) {
      const k = `${f.evidence.metric}\u0000${f.scope}`;
      const had = index.get(k);
      if (!had || RANK[f.severity] > RANK[had]) index.set(k, f.severity);
    }
    findingIndex.set(findings, index);
  }
  return index.get(`${metric}\u0000${scope}`);
}

/**
 * The tone of a metric's value in one row (`key`; a host table's row when omitted): the
 * severity of the frame's finding on it, else the worst severity its value reaches against the
 * thresholds of the checks whose filters the row passes ('ok' below them). Undefined when no
 * check applies or the row has no value: nothing to colour.
 */
export function toneOf(tones: Tones, frame: Frame, metric: string, key?: string): Tone | undefined {
  const dot = metric.indexOf('.');
  const table = metric.slice(0, dot);
  const field = metric.slice(dot + 1);
  const row = rowOf(frame, table, key);
  if (!row) return undefined;
  const found = findingSeverity(frame.evaluation.findings, metric, row.scope);
  if (found) return found;
  let tone: Tone | undefined;
  for (const c of tones.checksOf(metric)) {
    if (c.where && !c.where.every((f) => filterRow(f, row))) continue;
    const v = c.measure === 'delta' ? (row.deltas[field] ?? row.values[field]) : row.values[field];
    if (v === undefined || !Number.isFinite(v)) continue;
    tone = worstTone(tone, severityOf(c, v) ?? 'ok');
  }
  return tone;
}

const TONE_RANK: Partial<Record<Tone, number>> = { ok: 1, info: 2, warning: 3, critical: 4 };

/** The worse of two tones (critical over warning over info over ok; undefined says nothing). */
export function worstTone(a: Tone | undefined, b: Tone | undefined): Tone | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (TONE_RANK[b] ?? 0) > (TONE_RANK[a] ?? 0) ? b : a;
}

/** Only trouble stands out: 'ok' is not coloured (columns that colour only what is wrong). */
export function alarm(t: Tone | undefined): Tone | undefined {
  return t === 'ok' ? undefined : t;
}

/** Any finding on a scope, whatever its metric (a cgroup with a finding is "troubled"). */
export function scopeSeverity(frame: Frame, scope: string): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of frame.evaluation.findings) if (f.scope === scope && (!worst || RANK[f.severity] > RANK[worst])) worst = f.severity;
  return worst;
}
