import type { Model } from '../core/derive.js';
import { culpritsOf } from './culprits.js';
import type { LoadedCheck, LoadedPlaybook } from './loader.js';
import type { UseKind } from './playbook-schema.js';
import { USE_KINDS } from './playbook-schema.js';
import type { CoverageCell, Finding, Severity } from './report-schema.js';
import { makeFinding } from './check/finding.js';
import { judgeRows, severityOf } from './check/judge.js';
import { resolveCheck } from './check/resolve.js';
import { selectRows } from './check/select.js';
import type { CheckOutcome, EvaluateInput } from './check/types.js';

export type { CheckOutcome, EvaluateInput } from './check/types.js';
export { round } from './check/finding.js';

/**
 * The evaluator: judges a Model with a playbook's checks. Pure (no I/O): the same Model gives the
 * same findings, live or replayed from a bundle. Each check goes through the stages of check/:
 * resolve -> select -> judge -> finding.
 */

export interface Evaluation {
  readonly checks: CheckOutcome[];
  readonly findings: Finding[];
  readonly coverage: CoverageCell[];
}

export function evaluateCheck(check: LoadedCheck, input: EvaluateInput): CheckOutcome {
  const resolved = resolveCheck(check, input);
  if ('done' in resolved) return resolved.done;
  const r = resolved.next;
  const selected = selectRows(r, input);
  if ('done' in selected) return selected.done;
  const judged = judgeRows(r, selected.next, input.target);
  if ('done' in judged) return judged.done;
  const { results, scopes, missing } = judged.next;
  const findings: Finding[] = [];
  for (const j of results) {
    const sev = severityOf(check, j.value);
    if (sev) findings.push(makeFinding(r, j, sev, input));
  }
  const partial = missing > 0 ? { reason: `${missing} rows lacked ${check.metric}` } : {};
  const explained = explain(findings, check, culpritModel(r.model, input), input);
  return { check, result: { id: check.id, status: findings.length > 0 ? 'finding' : 'ok', scopes, ...partial }, ...explained };
}

/** Stage 5: the culprits of each finding, from the model in hand. */
function explain(findings: Finding[], check: LoadedCheck, model: Model, input: EvaluateInput): { findings: Finding[]; culpritTables?: readonly string[] } {
  if (findings.length === 0) return { findings };
  const tables = new Set<string>();
  const out = findings.map((f) => {
    const r = culpritsOf(f, check, model, input.catalogue, input.vars);
    for (const t of r.missing) tables.add(t);
    return r.culprits.length > 0 ? { ...f, culprits: r.culprits } : f;
  });
  return tables.size > 0 ? { findings: out, culpritTables: [...tables] } : { findings: out };
}

/** A check read inside the target's netns ranks its culprits in that view first, then the host's. */
function culpritModel(model: Model, input: EvaluateInput): Model {
  return model === input.model ? model : { ...input.model, tables: { ...input.model.tables, ...model.tables } };
}

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
