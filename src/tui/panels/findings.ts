import type { Finding } from '../../engine/report-schema.js';
import type { TextOverlay } from '../overlay.js';
import { safe } from '../text.js';
import { findingDetail, findingsVM } from '../view-models/findings.js';
import type { PanelLookup, TablePanel } from './types.js';

const SEVERITY = { critical: 'CRIT', warning: 'WARN', info: 'info' } as const;
const RANK = { critical: 3, warning: 2, info: 1 } as const;

/** A finding's detail; Enter in it goes to the row of its scope when a panel shows that scope. */
export function findingOverlay(f: Finding, panels: PanelLookup): TextOverlay {
  const to = panels(f.scope);
  return {
    title: `Finding: ${f.title}`,
    lines: findingDetail(f).map((l) => safe(l)),
    selectable: 0,
    ...(to ? { enter: { action: { type: 'jump', panel: to.panel, id: to.id }, hint: `Enter: ${to.title} ${to.id}` } } : {}),
  };
}

/** Findings worst first; Enter shows the evidence. */
export const findingsPanel: TablePanel<Finding> = {
  kind: 'table',
  id: 'findings',
  title: 'Findings',
  selectable: true,
  header: 'never',
  columns: [
    { id: 'severity', title: 'sev', width: 4, value: (f) => SEVERITY[f.severity], tone: (f) => f.severity, sort: { key: (f) => RANK[f.severity] } },
    { id: 'resource', title: 'resource', width: 12, value: (f) => `${f.resource}/${f.kind.slice(0, 3)}`, sort: { key: (f) => `${f.resource}/${f.kind}`, ascending: true } },
    { id: 'finding', title: 'finding', width: (w) => Math.max(10, w - 18), value: (f) => `${f.scope}: ${f.title}`, sort: { key: (f) => `${f.scope}: ${f.title}`, ascending: true } },
  ],
  rows: (frame) => findingsVM(frame.evaluation.findings),
  rowId: (f) => f.id,
  empty(frame) {
    const unknown = frame.evaluation.coverage.filter((c) => c.status === 'unknown').length;
    const text = frame.model.tables.cpu?.seconds === undefined && frame.source === 'live' ? 'measuring the first window…' : `no findings${unknown ? ` (${unknown} USE cells could not be judged: see the matrix)` : ''}`;
    return { text, tone: 'ok' };
  },
  onEnter: (f, _frame, panels) => ({ kind: 'overlay', content: findingOverlay(f, panels) }),
};
