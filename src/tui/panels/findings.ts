import type { Finding } from '../../engine/report-schema.js';
import { findingCause } from '../../report/culprit-text.js';
import type { Frame } from '../frame.js';
import type { TextOverlay } from '../overlay.js';
import { safe, textWidth } from '../text.js';
import { findingDetail, findingsVM } from '../view-models/findings.js';
import { culpritRows, culpritView } from './culprits.js';
import type { EnterResult, PanelLookup, TablePanel } from './types.js';

const SEVERITY = { critical: 'CRIT', warning: 'WARN', info: 'info' } as const;
const RANK = { critical: 3, warning: 2, info: 1 } as const;
/** Inner width below which the resource column gives its room to the finding. */
const NARROW = 100;

/**
 * A finding's evidence: its culprits first, each a selectable row (the same two lines as the
 * text report) whose Enter goes to the culprit's row; then what was measured against which
 * threshold, why it matters and the next steps. Without culprits, Enter goes to the row of the
 * finding's scope when a panel shows it.
 */
export function findingOverlay(f: Finding, frame: Frame | undefined, panels: PanelLookup): TextOverlay {
  const culprits = culpritRows(f.culprits ?? [], frame);
  const detail = findingDetail(f).map((l) => safe(l));
  if (culprits.lines.length > 0) {
    return {
      title: `Finding: ${f.title}`,
      lines: [...culprits.lines, '', ...detail],
      selectable: culprits.lines.length,
      details: culprits.details,
      actions: culprits.actions,
      ...(culprits.jumps > 0 ? { hint: 'Enter: go to the culprit' } : {}),
    };
  }
  const to = panels(f.scope);
  return {
    title: `Finding: ${f.title}`,
    lines: detail,
    selectable: 0,
    ...(to ? { enter: { action: { type: 'jump', panel: to.panel, id: to.id }, hint: `Enter: ${to.title} ${to.id}` } } : {}),
  };
}

/** Enter on a finding: its first culprit a panel shows (else the row of its scope); without either, its evidence. */
export function findingEnter(f: Finding, frame: Frame, panels: PanelLookup): EnterResult {
  for (const c of f.culprits ?? []) {
    const v = culpritView(c, frame);
    if (v) return { kind: 'action', action: v.action, message: `culprit ${c.rank} of "${f.title}": ${v.label} (e on a finding: its evidence)` };
  }
  const to = panels(f.scope);
  if (to) return { kind: 'action', action: { type: 'jump', panel: to.panel, id: to.id }, message: `${to.title} ${to.id}: where "${f.title}" was measured (e on a finding: its evidence)` };
  return { kind: 'overlay', content: findingOverlay(f, frame, panels) };
}

/** The finding's text in a cell: scope, title and what explains it; the scope (which the title names in words) goes first when the width runs short. */
export function findingCell(f: Finding, width: number): string {
  const cause = findingCause(f);
  const text = `${f.title}${cause ? ` — ${cause}` : ''}`;
  const full = `${f.scope}: ${text}`;
  return textWidth(full) > width ? text : full;
}

/** Findings worst first, each with its first culprit; Enter goes to that culprit, e shows the evidence. */
export const findingsPanel: TablePanel<Finding> = {
  kind: 'table',
  id: 'findings',
  title: 'Findings',
  selectable: true,
  header: 'never',
  columns: [
    { id: 'severity', title: 'sev', width: 4, value: (f) => SEVERITY[f.severity], tone: (f) => f.severity, sort: { key: (f) => RANK[f.severity] } },
    // on a narrow panel the finding and its cause need the room more than the resource (the title says it)
    { id: 'resource', title: 'resource', width: (w) => (w < NARROW ? 0 : 12), value: (f) => `${f.resource}/${f.kind.slice(0, 3)}`, sort: { key: (f) => `${f.resource}/${f.kind}`, ascending: true } },
    { id: 'finding', title: 'finding', width: (w) => Math.max(10, w - (w < NARROW ? 5 : 18)), value: (f, env) => findingCell(f, env.width), sort: { key: (f) => `${f.scope}: ${f.title}`, ascending: true } },
  ],
  rows: (frame) => findingsVM(frame.evaluation.findings),
  rowId: (f) => f.id,
  empty(frame) {
    const unknown = frame.evaluation.coverage.filter((c) => c.status === 'unknown').length;
    const text = frame.model.tables.cpu?.seconds === undefined && frame.source === 'live' ? 'measuring the first window…' : `no findings${unknown ? ` (${unknown} USE cells could not be judged: see the matrix)` : ''}`;
    return { text, tone: 'ok' };
  },
  onEnter: (f, frame, panels) => findingEnter(f, frame, panels),
  detail: (f, frame, panels) => findingOverlay(f, frame, panels),
};
