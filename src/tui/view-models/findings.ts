import { DOMINANT_SHARE, evidenceStrength } from '../../engine/evidence.js';
import type { Finding } from '../../engine/report-schema.js';
import { drilldownLines } from '../../report/drilldown-text.js';

const RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * Findings worst first; within a severity the ones that name a cause first (a process, a cgroup,
 * a namespace before a resource before the host; a dominant culprit before none: the order of
 * engine/evidence.ts without the distance past the threshold, which would re-order the list at
 * every refresh), then by resource and scope.
 */
export function findingsVM(findings: readonly Finding[]): Finding[] {
  const tier = new Map(findings.map((f) => {
    const e = evidenceStrength(f);
    return [f, e.specificity * 2 + (e.dominance >= DOMINANT_SHARE ? 1 : 0)] as const;
  }));
  return [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity] || tier.get(b)! - tier.get(a)! || a.resource.localeCompare(b.resource) || a.scope.localeCompare(b.scope));
}

/** The detail of a finding as plain lines (host text still to be made safe by the pane). */
export function findingDetail(f: Finding): string[] {
  const e = f.evidence;
  const th = thresholdText(f, true);
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

/** The thresholds a finding was judged against: "warning >= 80; critical >= 90", with their sources when asked. */
export function thresholdText(f: Finding, sources = false): string {
  const e = f.evidence;
  const op = e.when === 'below' ? '<=' : '>=';
  const one = (name: string, t: { value: number; sourceTitle: string } | undefined) => (t ? `${name} ${op} ${t.value}${sources ? ` (${t.sourceTitle})` : ''}` : '');
  return [one('warning', e.threshold.warning), one('critical', e.threshold.critical)].filter(Boolean).join('; ');
}
