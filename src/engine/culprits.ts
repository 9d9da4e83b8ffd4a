import type { Model, ModelRow, ModelTable } from '../core/derive.js';
import { entity, entityKind, isWithin, parseScope, rowScope, scopeString, type EntityRef } from '../core/entity.js';
import { round } from './check/finding.js';
import { formatWithUnit } from './template.js';
import { fieldNeedsWindow } from './window-needs.js';
import { filterRow, resolveFilter } from './check/select.js';
import type { LoadedCheck } from './loader.js';
import type { MetricCatalogue } from './metrics.js';
import type { CulpritSpec } from './playbook-schema.js';
import type { Culprit, Finding } from './report-schema.js';

/**
 * Culprits: the entities that explain a finding, ranked by their share of it. Declared as data
 * beside each check (`culprits:` in a playbook: which table to rank, by which field, joined on
 * the finding's scope), so a user's own playbook gets culprits too; computed from the Model in
 * hand (pure: no I/O), so a bundle or a recording names the same culprits as the live run.
 *
 * Every finding whose scope is itself an entity (a process, a cgroup, an interface, a qdisc...)
 * names that entity first, with what identifies it (command line, container, limits).
 */

/** Identity labels kept per entity, and their longest text (command lines can be 4 KiB). */
const MAX_IDENTITY = 12;
const MAX_TEXT = 300;

/** Scopes a row must be related to by a declared relation to count as theirs. */
const STRICT_KINDS = new Set(['process', 'thread', 'cgroup', 'netns', 'socket']);

/** Labels that are bookkeeping, not identity. */
const NOT_IDENTITY = new Set(['pids', 'hierarchies', 'procs_from', 'read_errors', 'stack', 'stack_pid', 'hint', 'display', 'limited', 'io_limited']);

export interface CulpritResult {
  readonly culprits: Culprit[];
  /** Tables a declaration needs that the model lacks (or lacks a window for): a caller may sample them and ask again. */
  readonly missing: readonly string[];
}

/** The culprits of one finding from the model. */
export function culpritsOf(finding: Finding, check: LoadedCheck, model: Model, cat: MetricCatalogue, vars: Readonly<Record<string, string>> = {}): CulpritResult {
  const scope = parseScope(finding.scope);
  const out: Culprit[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const self = selfCulprit(scope, model);
  if (self) {
    out.push(self);
    seen.add(self.entity.id);
  }
  for (const spec of check.culprits) {
    const t = model.tables[spec.table];
    const info = cat.tables.get(spec.table);
    if (!t || !info || t.rows.status !== 'ok') {
      if (info) missing.push(spec.table);
      continue;
    }
    const needsWindow = [spec.rank_by, ...spec.show].some((f) => f !== 'count' && fieldNeedsWindow(info.spec, f));
    if (needsWindow && t.seconds === undefined) {
      missing.push(spec.table);
      continue;
    }
    for (const c of rankTable(spec, t, scope, model, vars)) {
      if (seen.has(c.entity.id)) continue;
      seen.add(c.entity.id);
      out.push({ ...c, rank: out.length + 1 });
    }
  }
  return { culprits: out, missing };
}

/** Culprits of every finding of an evaluation; the tables the model lacked, by finding id. */
export function attachCulprits(findings: readonly Finding[], checks: ReadonlyMap<string, LoadedCheck>, model: Model, cat: MetricCatalogue, vars?: Readonly<Record<string, string>>): { findings: Finding[]; missing: Map<string, readonly string[]> } {
  const missing = new Map<string, readonly string[]>();
  const out = findings.map((f) => {
    const check = checks.get(f.check);
    if (!check) return f;
    const r = culpritsOf(f, check, model, cat, vars);
    if (r.missing.length > 0) missing.set(f.id, r.missing);
    return r.culprits.length > 0 ? { ...f, culprits: r.culprits } : f;
  });
  return { findings: out, missing };
}

/**
 * The rows of one table ranked as culprits of a scope, by a declaration made on the spot (a
 * drill-down the guide runs: "the processes by CPU"), so its result reads like any culprit.
 */
export function rankRows(spec: CulpritSpec, model: Model, scope: string, vars: Readonly<Record<string, string>> = {}): Culprit[] {
  const t = model.tables[spec.table];
  if (!t || t.rows.status !== 'ok') return [];
  return rankTable(spec, t, parseScope(scope), model, vars).map((c, i) => ({ ...c, rank: i + 1 }));
}

interface Candidate {
  readonly ref: EntityRef;
  readonly value: number;
  readonly row: ModelRow | undefined;
  readonly table: ModelTable;
  readonly rows: number;
}

function rankTable(spec: CulpritSpec, t: ModelTable, scope: EntityRef, model: Model, vars: Readonly<Record<string, string>>): Omit<Culprit, 'rank'>[] {
  if (t.rows.status !== 'ok') return [];
  let rows: readonly ModelRow[] = t.rows.value;
  if (spec.within === 'scope') rows = rows.filter((r) => belongs(t, r, scope));
  const self = vars.diag_pid;
  if (self !== undefined && t.spec.scope === 'process') rows = rows.filter((r) => r.key !== self);
  if (spec.where) {
    const where = spec.where.map((f) => resolveFilter(f, vars));
    rows = rows.filter((r) => where.every((f) => filterRow(f, r)));
  }
  const valueOf = (r: ModelRow): number | undefined => {
    if (spec.rank_by === 'count') return 1;
    const v = spec.measure === 'delta' ? r.deltas[spec.rank_by] : r.values[spec.rank_by];
    return v === undefined || !Number.isFinite(v) ? undefined : v;
  };
  let candidates: Candidate[] = [];
  if (spec.group_by) {
    const groups = new Map<string, { value: number; rows: number; first: ModelRow }>();
    const [where, name] = spec.group_by.split('.') as ['label' | 'field', string];
    for (const r of rows) {
      const v = valueOf(r);
      const k = where === 'label' ? r.labels[name] : r.values[name]?.toString();
      if (v === undefined || k === undefined || k === '') continue;
      const g = groups.get(k);
      if (g) {
        g.value += v;
        g.rows++;
      } else groups.set(k, { value: v, rows: 1, first: r });
    }
    const kind = spec.as ?? name;
    for (const [k, g] of groups) {
      const ref = entity(kind, k, scope.within);
      const own = lookupRow(model, ref);
      candidates.push({ ref, value: g.value, row: own?.row, table: own?.table ?? t, rows: g.rows });
    }
  } else {
    for (const r of rows) {
      const v = valueOf(r);
      if (v === undefined) continue;
      candidates.push({ ref: entityOfRow(t, r, scope), value: v, row: r, table: t, rows: 1 });
    }
  }
  if (spec.min_value !== undefined) candidates = candidates.filter((c) => c.value >= spec.min_value!);
  const total = candidates.reduce((a, c) => a + Math.max(0, c.value), 0);
  candidates.sort((a, b) => b.value - a.value || (a.ref.key < b.ref.key ? -1 : a.ref.key > b.ref.key ? 1 : 0));
  const unit = spec.rank_by === 'count' ? 'rows' : unitOf(t, spec.rank_by, spec.measure);
  return candidates.slice(0, spec.top).map((c) => {
    const evidence: Record<string, number | null> = { [spec.rank_by]: round(c.value) };
    if (spec.group_by) evidence.rows = c.rows;
    if (c.row && c.table === t) for (const f of spec.show) evidence[f] = roundOrNull(c.row.values[f]);
    const described = describe(c.ref, model, c.row, c.table);
    return {
      entity: { kind: c.ref.kind, id: scopeString(c.ref), name: described.name },
      why: spec.why,
      metric: `${spec.table}.${spec.rank_by}`,
      value: round(c.value),
      unit,
      ...(spec.shares ? { share: total > 0 ? round(Math.max(0, c.value) / total) : null } : {}),
      identity: described.identity,
      evidence: { ...evidence, ...described.facts },
    };
  });
}

function roundOrNull(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : round(v);
}

function unitOf(t: ModelTable, field: string, measure: CulpritSpec['measure']): string {
  const f = t.spec.fields[field];
  if (f) return f.kind === 'gauge' || measure === 'delta' ? f.unit : `${f.unit}/s`;
  return t.spec.derived?.[field]?.unit ?? '';
}

/** The entity a row is, nested in the finding's network namespace when the finding was seen inside one. */
function entityOfRow(t: ModelTable, r: ModelRow, scope: EntityRef): EntityRef {
  const own = parseScope(rowScope(t.spec.scope, r.key));
  const netns = scope.kind === 'netns' && scope.within === undefined ? scope : scope.within;
  return netns && own.kind !== 'netns' && r.labels.netns === netns.key ? { ...own, within: netns } : own;
}

/** Does a row belong to the scope: is it the scope, below it, or related to it by a declared relation? */
function belongs(t: ModelTable, r: ModelRow, scope: EntityRef): boolean {
  if (scope.kind === 'host' && scope.within === undefined) return true;
  const own = parseScope(rowScope(t.spec.scope, r.key));
  if (own.kind === scope.kind) return isWithin(own, scope);
  const rel = t.spec.relations?.[scope.kind];
  if (rel !== undefined) {
    let v: string | undefined;
    for (const l of typeof rel === 'string' ? [rel] : rel) if ((v = r.labels[l]) !== undefined) break;
    if (v === undefined) return false;
    return v.split(',').some((x) => isWithin(entity(scope.kind, x.trim()), scope));
  }
  // A row seen inside a network namespace belongs to that namespace; a row that cannot say
  // which namespace, cgroup or process it belongs to does not belong to one.
  const ns = scope.kind === 'netns' ? scope : scope.within?.kind === 'netns' ? scope.within : undefined;
  if (ns) return r.labels.netns === ns.key;
  if (STRICT_KINDS.has(scope.kind)) return false;
  // A scope the table has no relation to (a CPU, a block device, a mount): every row may explain
  // it (the processes busy on the host's CPUs, doing its I/O).
  return true;
}

/** The row of an entity in the first table of its kind that has it (in its network namespace: eth0 of a container is not the host's). */
function lookupRow(model: Model, ref: EntityRef): { row: ModelRow; table: ModelTable } | undefined {
  const id = scopeString(ref);
  for (const t of Object.values(model.tables)) {
    if (entityKind(t.spec.scope) !== ref.kind || t.rows.status !== 'ok') continue;
    const row = t.rows.value.find((r) => r.scope === id);
    if (row) return { row, table: t };
  }
  return undefined;
}

/** The finding's own scope as its first culprit, when it is an entity diag can describe. */
function selfCulprit(scope: EntityRef, model: Model): Culprit | undefined {
  if (scope.kind === 'host') return undefined;
  const own = lookupRow(model, scope);
  const d = describe(scope, model, own?.row, own?.table);
  if (Object.keys(d.identity).length === 0 && Object.keys(d.facts).length === 0) return undefined;
  return { entity: { kind: scope.kind, id: scopeString(scope), name: d.name }, rank: 1, why: 'where it was measured', identity: d.identity, evidence: d.facts };
}

interface Described {
  readonly name: string;
  readonly identity: Record<string, string>;
  readonly facts: Record<string, number | null>;
}

/**
 * What identifies an entity, from every table of its kind that has a row for it (a cgroup's
 * name from `cgroups`, its quota from `cgroup_cpu`, its limit from `cgroup_memory`), plus the
 * entities it belongs to (a process's cgroup with its container or unit name; a netns's name).
 */
export function describe(ref: EntityRef, model: Model, row?: ModelRow, table?: ModelTable): Described {
  const identity: Record<string, string> = {};
  const facts: Record<string, number | null> = {};
  const add = (k: string, v: string | undefined) => {
    if (v === undefined || v === '' || k in identity || Object.keys(identity).length >= MAX_IDENTITY || NOT_IDENTITY.has(k)) return;
    identity[k] = v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) + '…' : v;
  };
  const rows: { row: ModelRow; table: ModelTable }[] = [];
  if (row && table) rows.push({ row, table });
  const lookupKind = ref.kind === 'netns' ? 'namespace' : ref.kind;
  const lookupScope = ref.kind === 'netns' ? `namespace:net:${ref.key}` : scopeString(ref);
  for (const t of Object.values(model.tables)) {
    if (entityKind(t.spec.scope) !== lookupKind || t.rows.status !== 'ok' || t === table) continue;
    const r = t.rows.value.find((x) => x.scope === lookupScope);
    if (r) rows.push({ row: r, table: t });
  }
  if (ref.kind === 'process') add('pid', ref.key);
  const limits: string[] = [];
  for (const { row: r, table: t } of rows) {
    for (const [k, v] of Object.entries(r.labels)) add(k, v);
    for (const f of t.spec.identityFields ?? []) {
      const v = r.values[f];
      facts[`${t.id}.${f}`] = roundOrNull(v);
      const spec = t.spec.fields[f];
      if (v !== undefined && spec) limits.push(`${spec.title.replace(/;.*$/, '')}: ${formatWithUnit(v, spec.unit)}`);
    }
  }
  if (limits.length > 0) add('limits', limits.join('; '));
  // A process's or socket's cgroup: its container or unit name says more than the path.
  const cg = identity.cgroup;
  if (cg !== undefined && ref.kind !== 'cgroup') {
    const c = lookupRow(model, entity('cgroup', cg));
    if (c) {
      // Only when the path says what it is (a unit, a container, a pod): "other" repeats the path.
      const kind = c.row.labels.kind;
      if (kind && kind !== 'other' && kind !== 'root') {
        if (c.row.labels.name && c.row.labels.name !== cg) add('cgroup_name', c.row.labels.name);
        add('cgroup_kind', kind);
      }
    }
  }
  if (ref.within?.kind === 'netns') {
    const ns = describe(ref.within, model);
    add('netns', ref.within.key);
    if (ns.identity.names) add('netns_name', ns.identity.names);
  }
  return { name: nameOf(ref, identity), identity, facts };
}

function nameOf(ref: EntityRef, id: Record<string, string>): string {
  switch (ref.kind) {
    case 'process':
    case 'thread':
      return id.comm ?? ref.key;
    case 'cgroup':
      return id.name && id.name !== ref.key ? `${id.name} (${ref.key})` : ref.key;
    case 'event':
      return id.comm ?? id.what ?? ref.key;
    case 'netns': {
      // ip-netns names, else the container, unit or process the namespaces collector named it by
      const name = id.names ?? id.name;
      return name ? `${name} (netns ${ref.key})` : id.cgroups ? `netns ${ref.key} of ${id.cgroups.split(' ')[0]}` : `netns ${ref.key}`;
    }
    default:
      return ref.key;
  }
}
