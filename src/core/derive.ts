import type { Collector, Row, RowWindow, Sample, TableSpec } from './collector.js';
import type { WindowSamples } from './sample.js';
import { rowScope } from './entity.js';
import { failed, ok, type Outcome } from './outcome.js';

const TWO_32 = 2 ** 32;

/**
 * Increase of a counter between two readings. A counter the kernel keeps in 32 bits may wrap
 * once; anything else that went down was reset (device re-added, module reloaded, process
 * replaced) and yields undefined: never a negative number, never an invented zero.
 */
export function counterDelta(prev: number | undefined, cur: number | undefined, bits?: 32 | 64): number | undefined {
  if (prev === undefined || cur === undefined || !Number.isFinite(prev) || !Number.isFinite(cur)) return undefined;
  if (cur >= prev) return cur - prev;
  if (bits === 32 && prev < TWO_32 && cur < TWO_32) {
    const d = cur + TWO_32 - prev;
    // A real wrap leaves a delta far below the counter range; a larger one is a reset.
    if (d < TWO_32 / 2) return d;
  }
  return undefined;
}

/** One row of a Model: counters read as per-second rates, gauges as their latest value. */
export interface ModelRow {
  readonly key: string;
  /** Where, for findings: "host", "device:sda", "process:1234"... */
  readonly scope: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, number | undefined>>;
  /** Counter increases over the window (for evidence: "412 retransmits in 1.0 s"). */
  readonly deltas: Readonly<Record<string, number | undefined>>;
}

export interface ModelTable {
  readonly id: string;
  readonly collector: string;
  readonly spec: TableSpec;
  readonly rows: Outcome<ModelRow[]>;
  /** Length of the window this table's rates cover, in seconds (undefined: single sample). */
  readonly seconds: number | undefined;
}

export interface Model {
  readonly start: Sample['clock'];
  readonly end: Sample['clock'];
  readonly tables: Readonly<Record<string, ModelTable>>;
}


function sameEntity(spec: TableSpec, a: Row, b: Row): boolean {
  if (!spec.identity) return true;
  return spec.identity.every((l) => a.labels?.[l] === b.labels?.[l]);
}

/** A table's fields in declaration order, worked out once per spec instead of once per row. */
interface FieldPlan {
  readonly name: string;
  readonly counter: boolean;
  readonly bits: 32 | 64 | undefined;
}
interface TablePlan {
  readonly fields: readonly FieldPlan[];
  readonly derived: readonly string[];
  /**
   * A model row's `values` and `deltas` with every key it will have, in order: each row starts as
   * a copy of these. Keys stored one by one into `{}` turn an object of more than ~16 keys into
   * a hash table (V8's dictionary mode: ~1.5 KB for a process row's 25 values, against ~0.2 KB
   * for a copy of an object of fixed shape); with thousands of processes that was most of a
   * model's memory.
   */
  readonly values: Readonly<Record<string, undefined>>;
  readonly deltas: Readonly<Record<string, undefined>>;
}
const fieldPlans = new WeakMap<TableSpec, TablePlan>();

/** An object of fixed shape with these keys, each undefined (JSON.parse builds fast objects: no hash table). */
function shapeOf(keys: readonly string[]): Readonly<Record<string, undefined>> {
  const o = JSON.parse(`{${keys.map((k) => `${JSON.stringify(k)}:null`).join(',')}}`) as Record<string, unknown>;
  // assigning keys it has keeps its shape
  for (const k of keys) o[k] = undefined;
  return o as Record<string, undefined>;
}

function planOf(spec: TableSpec): TablePlan {
  let plan = fieldPlans.get(spec);
  if (!plan) {
    const fields = Object.entries(spec.fields).map(([name, f]) => ({ name, counter: f.kind !== 'gauge', bits: f.bits }));
    const derived = Object.keys(spec.derived ?? {});
    plan = {
      fields,
      derived,
      values: shapeOf([...fields.map((f) => f.name), ...(spec.derive ? derived.filter((d) => !fields.some((f) => f.name === d)) : [])]),
      deltas: shapeOf(fields.filter((f) => f.counter).map((f) => f.name)),
    };
    fieldPlans.set(spec, plan);
  }
  return plan;
}

/**
 * Model rows of rows that did not change over a window (the same Row object in both samples,
 * which a collector's memo gives for an idle process): every delta and rate is 0 whatever the
 * window's length, so the model row is the same too and is made once.
 */
const unchangedRows = new WeakMap<Row, ModelRow>();

export function deriveRow(spec: TableSpec, cur: Row, prev: Row | undefined, seconds: number | undefined): ModelRow {
  if (prev === cur && seconds !== undefined && seconds > 0) {
    let m = unchangedRows.get(cur);
    if (!m) {
      m = computeRow(spec, cur, prev, seconds);
      unchangedRows.set(cur, m);
    }
    return m;
  }
  return computeRow(spec, cur, prev, seconds);
}

function computeRow(spec: TableSpec, cur: Row, prev: Row | undefined, seconds: number | undefined): ModelRow {
  const p = prev && sameEntity(spec, prev, cur) ? prev : undefined;
  const plan = planOf(spec);
  const cv = cur.values;
  const pv = p?.values;
  const perSecond = seconds !== undefined && seconds > 0;
  const values: Record<string, number | undefined> = { ...plan.values };
  const deltas: Record<string, number | undefined> = { ...plan.deltas };
  // Hot path (every row of every table, e.g. 2,000 processes): no closures, each delta once.
  for (const f of plan.fields) {
    if (!f.counter) values[f.name] = cv[f.name];
    else {
      const d = pv ? counterDelta(pv[f.name], cv[f.name], f.bits) : undefined;
      deltas[f.name] = d;
      values[f.name] = d === undefined || !perSecond ? undefined : d / (seconds as number);
    }
  }
  if (spec.derive) {
    let w: RowWindow;
    if (perSecond) {
      const delta = (f: string): number | undefined => (pv ? counterDelta(pv[f], cv[f], spec.fields[f]?.bits) : undefined);
      const rate = (f: string): number | undefined => {
        const d = delta(f);
        return d === undefined ? undefined : d / (seconds as number);
      };
      w = { cur, prev: p, seconds: seconds as number, delta, rate, value: (f) => cv[f] };
    } else {
      // Without a window only derived values that need no rate can exist; the derive function
      // sees no previous row and returns undefined for the rest.
      w = { cur, prev: undefined, seconds: 0, delta: () => undefined, rate: () => undefined, value: (f) => cv[f] };
    }
    const d = spec.derive(w);
    for (const name of plan.derived) {
      const v = d[name];
      values[name] = v === undefined || !Number.isFinite(v) ? undefined : v;
    }
  }
  return { key: cur.key, scope: rowScope(spec.scope, cur.key), labels: cur.labels ?? {}, values, deltas };
}

/** Derive a Model from one sample (gauges only) or a window of two samples (rates too). */
export function deriveModel(collectors: readonly Collector[], samples: WindowSamples | Sample): Model {
  const w = 'second' in samples ? samples : undefined;
  const last = w ? w.second : (samples as Sample);
  const tables: Record<string, ModelTable> = {};
  for (const c of collectors) {
    const curC = last.collectors[c.id];
    const prevC = w?.first.collectors[c.id];
    for (const [tid, spec] of Object.entries(c.tables)) {
      if (curC === undefined) continue;
      if (curC.status !== 'ok') {
        tables[tid] = { id: tid, collector: c.id, spec, rows: curC.status === 'unavailable' ? curC : failed(curC.code, curC.reason), seconds: undefined };
        continue;
      }
      const curT = curC.value.tables[tid];
      if (curT === undefined) {
        tables[tid] = { id: tid, collector: c.id, spec, rows: failed('bug', `collector ${c.id} returned no table ${tid}`), seconds: undefined };
        continue;
      }
      if (curT.status !== 'ok') {
        tables[tid] = { id: tid, collector: c.id, spec, rows: curT, seconds: undefined };
        continue;
      }
      let seconds: number | undefined;
      let prevRows: Map<string, Row> | undefined;
      if (prevC?.status === 'ok') {
        const prevT = prevC.value.tables[tid];
        const dt = (curC.value.clock.monoMs - prevC.value.clock.monoMs) / 1000;
        if (prevT?.status === 'ok' && dt > 0) {
          seconds = dt;
          // a loop, not new Map(rows.map(...)): no [key, row] pair per row (2,000 processes a second in the TUI)
          prevRows = new Map();
          for (const r of prevT.value) prevRows.set(r.key, r);
        }
      }
      const rows = curT.value.map((r) => deriveRow(spec, r, prevRows?.get(r.key), seconds));
      tables[tid] = { id: tid, collector: c.id, spec, rows: ok(rows, curT.notes), seconds };
    }
  }
  return { start: w ? w.first.clock : last.clock, end: last.clock, tables };
}
