import type { Model, ModelRow, ModelTable } from '../../src/core/derive.js';
import type { Evaluation } from '../../src/engine/evaluate.js';
import type { CoverageCell, Finding } from '../../src/engine/report-schema.js';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks, type LoadResult } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import type { Frame } from '../../src/tui/frame.js';
import { Tones } from '../../src/tui/tones.js';

/** Small hand-made models, evaluations and frames for the TUI's pure parts. */
export function row(key: string, values: Record<string, number | undefined> = {}, labels: Record<string, string> = {}, deltas: Record<string, number | undefined> = {}): ModelRow {
  return { key, scope: key, labels, values, deltas };
}

export function table(id: string, rows: ModelRow[]): ModelTable {
  return { id, collector: id, spec: { title: id, scope: 'host', fields: {} } as unknown as ModelTable['spec'], rows: { status: 'ok', value: rows }, seconds: 1 };
}

export function model(tables: Record<string, ModelRow[]>, unavailable: Record<string, string> = {}): Model {
  const t: Record<string, ModelTable> = {};
  for (const [id, rows] of Object.entries(tables)) t[id] = table(id, rows);
  for (const [id, reason] of Object.entries(unavailable)) t[id] = { ...table(id, []), rows: { status: 'unavailable', code: 'permission', reason, hint: 'run as root' } };
  const clock = { monoMs: 0, wall: '2026-11-22T04:00:00.000Z' };
  return { start: clock, end: { monoMs: 1000, wall: '2026-11-22T04:00:01.000Z' }, tables: t };
}

export function finding(p: Partial<Finding> & Pick<Finding, 'resource' | 'kind' | 'severity'>): Finding {
  return {
    id: `${p.check ?? 'c'}@${p.scope ?? 'host'}`,
    check: 'c',
    scope: 'host',
    title: `${p.resource} ${p.kind}`,
    explanation: 'why',
    next: ['do this'],
    evidence: { metric: 'm.f', value: 1, unit: 'percent', measure: 'value', when: 'above', threshold: {}, fields: {}, windowSeconds: 1, collector: 'x', inputs: ['/proc/x'] },
    ...p,
  };
}

export function cell(resource: CoverageCell['resource'], kind: CoverageCell['kind'], status: CoverageCell['status'], reason?: string): CoverageCell {
  return { resource, kind, status, ...(reason ? { reason } : {}), checks: [{ id: `${resource}-${kind}`, status, scopes: 1 }] };
}

export function evaluation(findings: Finding[] = [], coverage: CoverageCell[] = []): Evaluation {
  return { checks: [], findings, coverage };
}

export function frame(m: Model, e: Evaluation = evaluation(), source: 'live' | 'bundle' = 'live'): Frame {
  return { model: m, evaluation: e, playbook: 'use', host: { hostname: 'h', kernel: '6.1', uptimeSeconds: 3700 }, at: m.end.wall, source, tick: 1 };
}

let builtins: LoadResult | undefined;
/** The built-in playbooks (playbooks/*.yaml), loaded once. */
export function builtinPlaybooks(): LoadResult {
  builtins ??= loadPlaybooks(buildCatalogue(COLLECTORS), [{ dir: builtinPlaybookDir(), origin: 'builtin' }], { cache: null });
  return builtins;
}

/** The thresholds the dashboard colours by: the `use` playbook first, the other built-ins for the rest. */
export function builtinTones(): Tones {
  const all = builtinPlaybooks().playbooks;
  return new Tones(all.get('use'), [...all.values()]);
}
