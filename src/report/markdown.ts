import type { Finding, Report } from '../engine/report-schema.js';
import { formatValue } from '../engine/template.js';
import { culpritText } from './culprit-text.js';

/**
 * The report as Markdown for a ticket. Host text is escaped so a process name cannot inject
 * Markdown, HTML or table breaks.
 */
export function mdEscape(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .replace(/[\\`*_{}[\]()#+!|<>~]/g, (c) => `\\${c}`);
}

const code = (s: string) => '`' + s.replace(/[`\u0000-\u001f]/g, '?') + '`';

function finding(f: Finding): string {
  const e = f.evidence;
  const op = e.when === 'below' ? '<=' : '>=';
  const thr = (['warning', 'critical'] as const)
    .flatMap((l) => {
      const t = e.threshold[l];
      if (!t) return [];
      const src = t.sourceUrl ? `[${mdEscape(t.sourceTitle)}](${t.sourceUrl})` : mdEscape(t.sourceTitle);
      return [`${l} ${op} ${formatValue(t.value)} (${src})`];
    })
    .join('; ');
  const raw = Object.entries(e.fields)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(', ');
  const lines = [
    `#### ${f.severity === 'critical' ? '🔴' : '🟠'} ${f.severity.toUpperCase()}: ${mdEscape(f.title)}`,
    '',
    `- **Where:** ${code(f.scope)} (${f.resource} ${f.kind}, check ${code(f.check)})`,
    `- **Value:** ${formatValue(e.value)} ${mdEscape(e.unit)} of ${code(e.metric)}${e.windowSeconds !== null ? ` over ${e.windowSeconds.toFixed(2)} s` : ''}${raw ? ` (${mdEscape(raw)})` : ''}`,
    `- **Threshold:** ${thr}`,
    `- **Read from:** ${e.inputs.map(code).join(', ')}`,
    '',
    mdEscape(f.explanation),
  ];
  if (f.culprits?.length) {
    lines.push('', '**Culprits:**', '');
    for (const c of f.culprits) {
      const t = culpritText(c);
      lines.push(`${mdEscape(t.head)}${t.detail ? `  \n   ${mdEscape(t.detail)}` : ''}`);
    }
  }
  if (f.next.length > 0) lines.push('', '**Next steps:**', '', ...f.next.map((n) => `- ${mdEscape(n)}`));
  for (const d of e.drilldown ?? []) {
    lines.push('', `**Drill-down (${d.type} ${code(d.name)}):** ${mdEscape(d.why)}: ${d.status}${d.reason ? ` (${mdEscape(d.reason)})` : ''}`);
    if (d.status === 'ok' && d.data !== undefined) lines.push('', '```json', JSON.stringify(d.data, null, 1).replace(/```/g, "'''").slice(0, 3000), '```');
  }
  return lines.join('\n');
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`## diag ${mdEscape(r.playbook)}: ${mdEscape(r.playbookTitle)} — **${r.status.toUpperCase()}**`, '');
  out.push(`- **Status:** ${r.status} (${mdEscape(r.statusReason)})`);
  out.push(`- **Host:** ${mdEscape(r.host.hostname)}${r.host.kernel ? `, Linux ${mdEscape(r.host.kernel)}` : ''}${r.host.cpus !== undefined ? `, ${r.host.cpus} CPUs` : ''}`);
  out.push(`- **When:** ${r.startedAt}, window ${r.windowSeconds === null ? '-' : `${r.windowSeconds.toFixed(2)} s`}`);
  if (r.target) out.push(`- **Target:** ${[r.target.pid !== undefined ? `pid ${r.target.pid}` : '', r.target.cgroup ? `cgroup ${code(r.target.cgroup)}` : '', r.target.netns ? `netns ${r.target.netns}` : ''].filter(Boolean).join(', ')}${r.target.reason ? ` (${mdEscape(r.target.reason)})` : ''}`);
  out.push('', `### Findings (${r.findings.length})`, '');
  if (r.findings.length === 0) out.push('None.');
  for (const f of r.findings) out.push(finding(f), '');
  out.push('', '### USE coverage', '', '| resource | utilization | saturation | errors |', '|---|---|---|---|');
  const resources = [...new Set(r.coverage.map((c) => c.resource))];
  for (const res of resources) {
    const cell = (k: string) => {
      const c = r.coverage.find((x) => x.resource === res && x.kind === k);
      if (!c) return '';
      const s = c.status === 'finding' ? '**finding**' : c.status;
      return c.reason && c.status !== 'finding' ? `${s}: ${mdEscape(c.reason)}` : s;
    };
    out.push(`| ${res} | ${cell('utilization')} | ${cell('saturation')} | ${cell('errors')} |`);
  }
  if (r.unavailable.length > 0) {
    out.push('', '### Unavailable inputs', '');
    for (const u of r.unavailable) out.push(`- ${code(`${u.collector}/${u.table ?? '*'}`)}: ${mdEscape(u.reason)}${u.hint ? ` (hint: ${mdEscape(u.hint)})` : ''}`);
  }
  return out.join('\n') + '\n';
}
