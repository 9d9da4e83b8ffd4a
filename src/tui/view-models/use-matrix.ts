import { RESOURCES, type Resource } from '../../core/collector.js';
import type { Evaluation } from '../../engine/evaluate.js';
import { USE_KINDS, type UseKind } from '../../engine/playbook-schema.js';
import type { Tone } from '../theme.js';

export interface MatrixCell {
  readonly text: 'ok' | 'WARN' | 'CRIT' | 'info' | '?';
  readonly tone: Tone;
  /** Why it is unknown, or the title of the worst finding. */
  readonly detail: string;
}

export interface MatrixRow {
  readonly resource: Resource;
  readonly cells: Readonly<Record<UseKind, MatrixCell>>;
}

/** The USE matrix: resources x utilisation/saturation/errors, unknown marked, never shown as ok. */
export function useMatrixVM(e: Evaluation): MatrixRow[] {
  return RESOURCES.map((resource) => {
    const cells = {} as Record<UseKind, MatrixCell>;
    for (const kind of USE_KINDS) {
      const cov = e.coverage.find((c) => c.resource === resource && c.kind === kind);
      const found = e.findings.filter((f) => f.resource === resource && f.kind === kind);
      const worst = found.find((f) => f.severity === 'critical') ?? found.find((f) => f.severity === 'warning') ?? found[0];
      if (worst) {
        const text = worst.severity === 'critical' ? 'CRIT' : worst.severity === 'warning' ? 'WARN' : 'info';
        cells[kind] = { text, tone: worst.severity, detail: worst.title };
      } else if (cov && cov.status === 'ok') {
        cells[kind] = { text: 'ok', tone: 'ok', detail: `${cov.checks.length} checks` };
      } else {
        // unknown, not covered, or a 'finding' cell whose finding is not in the list: never "ok"
        cells[kind] = { text: '?', tone: 'unknown', detail: cov?.reason ?? (cov ? `coverage says ${cov.status} but no finding was reported` : 'not checked') };
      }
    }
    return { resource, cells };
  });
}
