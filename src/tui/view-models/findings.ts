import type { Finding } from '../../engine/report-schema.js';
import { drilldownLines } from '../../report/drilldown-text.js';

const RANK = { critical: 0, warning: 1, info: 2 } as const;

/** Findings worst first, then by resource. */
export function findingsVM(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.resource.localeCompare(b.resource) || a.scope.localeCompare(b.scope));
}

/** The detail of a finding as plain lines (host text still to be made safe by the pane). */
export function findingDetail(f: Finding): string[] {
  const e = f.evidence;
  const th = [e.threshold.warning ? `warning ${e.when === 'below' ? '<=' : '>='} ${e.threshold.warning.value} (${e.threshold.warning.sourceTitle})` : '', e.threshold.critical ? `critical ${e.when === 'below' ? '<=' : '>='} ${e.threshold.critical.value} (${e.threshold.critical.sourceTitle})` : '']
    .filter(Boolean)
    .join('; ');
  const lines = [
    `${f.severity.toUpperCase()}  ${f.resource} ${f.kind}  ${f.scope}`,
    f.title,
    '',
    `value: ${e.value} ${e.unit} (${e.metric}${e.windowSeconds ? `, over ${e.windowSeconds.toFixed(2)} s` : ''})`,
    `threshold: ${th || '-'}`,
    `raw: ${Object.entries(e.fields)
      .map(([k, v]) => `${k}=${v ?? '-'}`)
      .join(' ')}`,
    `from: ${e.inputs.join(', ')}`,
    '',
    'Why it matters:',
    f.explanation,
    '',
    'Next steps:',
    ...f.next.map((n) => `- ${n}`),
  ];
  lines.push(...drilldownDetail(f));
  return lines;
}

/** A finding's drill-downs with their evidence rows (a probe's table too: live, or as a bundle captured it). */
export function drilldownDetail(f: Finding): string[] {
  const out: string[] = [];
  for (const d of f.evidence.drilldown ?? []) {
    const { rows } = drilldownLines(d);
    out.push('', `drill-down ${d.type} ${d.name}: ${d.status}${d.reason ? ` (${d.reason})` : ''}`, ...rows.map((r) => `  ${r}`));
  }
  return out;
}
