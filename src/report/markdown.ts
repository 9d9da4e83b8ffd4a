import { sanitizeForTerminal, sanitizeOutput } from '../core/sanitize.js';
import type { Culprit, Finding, Report } from '../engine/report-schema.js';
import { formatValue, formatWithUnit } from '../engine/template.js';
import { culpritText, findingCause } from './culprit-text.js';
import { drilldownLines } from './drilldown-text.js';
import { whereLine } from '../engine/where.js';
import { changeLine, changeTime, CHANGES_SHOWN, lookbackText, unreadSources } from './changes-text.js';

/**
 * The report as Markdown for a ticket, read by a person: a summary table, then each finding with
 * its culprits and evidence, raw data folded in <details> blocks. Host text (process names,
 * command lines, paths) goes into code spans, where nothing needs escaping, so a ticket shows
 * `busy_pct` and `/work/x (1)` as they are; prose gets the few escapes that stop a name from
 * starting Markdown or HTML (no backslashes before every parenthesis or underscore, which Jira
 * and plain-text mail show as they are). Control, bidi and zero-width characters are shown
 * escaped (sanitizeForTerminal), in code spans as elsewhere.
 */
export function mdEscape(s: string): string {
  return (
    sanitizeForTerminal(s.replace(/\r?\n/g, ' '))
      .replace(/[\\`*[\]<>~]/g, (c) => `\\${c}`)
      // "_" only where it could open or close emphasis (not inside words: busy_pct stays).
      .replace(/(^|[^\p{L}\p{N}])_|_(?=[^\p{L}\p{N}]|$)/gu, (m) => m.replace('_', '\\_'))
      // A "#", "+", "-" or "1." at the start would make a heading or a list.
      .replace(/^(#|[+-](?=\s)|\d+(?=[.)]\s))/, '\\$1')
  );
}

/** Inline code that holds any text: a fence longer than any run of backticks in it. */
export function mdCode(s: string): string {
  const t = sanitizeForTerminal(s.replace(/\r?\n/g, ' '));
  const longest = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || t === '' ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** A table cell: its pipes escaped (GitHub's tables need that even inside code spans). */
const cell = (s: string) => s.replace(/\|/g, '\\|');

const ICON: Record<Finding['severity'], string> = { critical: '🔴', warning: '🟠', info: '🔵' };

/** A code block that holds any text (a fence longer than any run of backticks in it). */
function block(lines: readonly string[], lang = ''): string[] {
  const body = lines.map((l) => sanitizeForTerminal(l));
  const longest = Math.max(2, ...body.flatMap((l) => [...l.matchAll(/`+/g)].map((m) => m[0].length)));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${lang}`, ...body, fence];
}

function details(summary: string, content: readonly string[]): string[] {
  return ['<details>', `<summary>${summary.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))}</summary>`, '', ...content, '', '</details>'];
}

function threshold(f: Finding): string[] {
  const e = f.evidence;
  const op = e.when === 'below' ? '≤' : '≥';
  const levels = (['warning', 'critical'] as const).flatMap((l) => (e.threshold[l] ? [[l, e.threshold[l]] as const] : []));
  const values = levels.map(([l, t]) => `${l} ${op} ${formatValue(t.value)}`).join(', ');
  const sources = [...new Map(levels.map(([, t]) => [t.sourceTitle, t.sourceUrl])).entries()].map(([title, url]) => (url ? `[${mdEscape(title)}](${url})` : mdEscape(title)));
  return [`- **Threshold:** ${values}${sources.length > 0 ? ` (${sources.join('; ')})` : ''}`];
}

function culpritRows(cs: readonly Culprit[]): string[] {
  const rows = ['| # | who | how much | details |', '|---|---|---|---|'];
  for (const c of cs) {
    const amount = c.value === undefined || c.value === null ? '' : `${formatWithUnit(c.value, c.unit ?? '')}${c.share !== undefined && c.share !== null ? ` (${Math.round(c.share * 100)} %)` : ''}`;
    const who = `${c.entity.kind} ${mdCode(c.entity.name)}${c.entity.id !== `${c.entity.kind}:${c.entity.name}` ? ` ${mdCode(c.entity.id)}` : ''}`;
    const detail = culpritText(c).detail;
    rows.push(`| ${c.rank} | ${cell(who)} | ${cell(amount)} | ${detail ? cell(mdCode(detail.length > 160 ? `${detail.slice(0, 159)}…` : detail)) : ''} |`);
  }
  return rows;
}

function finding(f: Finding, n: number): string[] {
  const e = f.evidence;
  const raw = Object.entries(e.fields)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(', ');
  const out = [
    `### ${n}. ${ICON[f.severity]} ${f.severity.toUpperCase()}: ${mdEscape(f.title)}`,
    '',
    `- **Where:** ${mdCode(f.scope)} — ${f.resource} ${f.kind} (check ${mdCode(f.check)})`,
    `- **Value:** ${formatWithUnit(e.value, e.unit)} — ${mdCode(e.metric)}${e.windowSeconds !== null ? ` over ${e.windowSeconds.toFixed(2)} s` : ''}${raw ? ` (${mdCode(raw)})` : ''}`,
    ...(e.windowNote ? [`- **Window:** ${mdEscape(e.windowNote)}`] : []),
    ...threshold(f),
    '',
    mdEscape(f.explanation),
  ];
  if (f.culprits?.length) out.push('', '**Culprits**', '', ...culpritRows(f.culprits));
  if (f.next.length > 0) out.push('', '**Next steps**', '', ...f.next.map((s) => `- ${mdEscape(s)}`));
  const folded: string[] = [];
  for (const d of e.drilldown ?? []) {
    const { head, rows } = drilldownLines(d);
    folded.push(...details(`Drill-down: ${sanitizeForTerminal(head)}`, rows.length > 0 ? block(rows.slice(0, 60).concat(rows.length > 60 ? [`… ${rows.length - 60} more rows`] : [])) : ['(no rows)']), '');
  }
  folded.push(...details(`Evidence: read from ${e.inputs.length} inputs`, e.inputs.map((i) => `- ${mdCode(i)}`)));
  out.push('', ...folded);
  return out;
}

export function renderMarkdown(r: Report): string {
  const out: string[] = [];
  const crit = r.findings.filter((f) => f.severity === 'critical').length;
  out.push(`## diag ${mdEscape(r.playbook)} on ${mdCode(r.host.hostname)}: ${r.status.toUpperCase()}`, '');
  out.push(`${mdEscape(r.playbookTitle)}. **${r.status}**: ${mdEscape(r.statusReason)}.`, '');
  out.push(
    `- **Host:** ${mdCode(r.host.hostname)}${r.host.kernel ? `, Linux ${mdEscape(r.host.kernel)}` : ''}${r.host.cpus !== undefined ? `, ${r.host.cpus} CPUs` : ''}`,
    `- **When:** ${r.startedAt}, window ${r.windowSeconds === null ? '— (one moment)' : `${r.windowSeconds.toFixed(2)} s`}`,
  );
  if (r.where) out.push(`- **Where:** ${mdEscape(whereLine(r.where))}${r.where.kernel_params ? `; kernel parameters ${mdCode(String(r.where.kernel_params))}` : ''}`);
  if (r.where?.bpf) out.push(`- **BPF attached:** ${mdEscape(String(r.where.bpf))}`);
  if (r.target) {
    const t = [r.target.pid !== undefined ? `pid ${r.target.pid}` : '', r.target.cgroup ? `cgroup ${mdCode(r.target.cgroup)}` : '', r.target.netns ? `netns ${r.target.netns}` : ''].filter(Boolean).join(', ');
    out.push(`- **Target:** ${t}${r.target.reason ? ` (${mdEscape(r.target.reason)})` : ''}`);
  }
  out.push('', `### Summary: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'} (${crit} critical)`, '');
  if (r.findings.length === 0) out.push('No finding: every judged check is within its thresholds (see the coverage below for what could not be judged).');
  else {
    out.push('| # | severity | resource | where | finding | cause |', '|---|---|---|---|---|---|');
    r.findings.forEach((f, i) => {
      const cause = findingCause(f);
      out.push(`| ${i + 1} | ${ICON[f.severity]} ${f.severity} | ${f.resource} ${f.kind} | ${cell(mdCode(f.scope))} | ${cell(mdEscape(f.title))} | ${cause ? cell(mdCode(cause)) : ''} |`);
    });
  }
  r.findings.forEach((f, i) => out.push('', ...finding(f, i + 1)));

  if (r.changes) {
    const ch = r.changes;
    out.push('', `### Recent changes (${lookbackText(ch)}, since ${ch.since}): ${ch.status === 'ok' ? ch.items.length : mdEscape(ch.reason ?? ch.status)}`, '');
    if (ch.status === 'ok' && ch.items.length === 0) out.push('None seen.');
    for (const c of ch.items.slice(0, CHANGES_SHOWN)) out.push(`- ${changeTime(c)} ${mdEscape(changeLine(c))}${c.findings?.length ? ` (may explain: ${c.findings.map((f) => mdCode(f)).join(', ')})` : ''}`);
    if (ch.items.length > CHANGES_SHOWN) out.push(`- … ${ch.items.length - CHANGES_SHOWN} more (the JSON report lists them all)`);
    const unread = unreadSources(ch);
    if (unread.length > 0) out.push('', `Not read: ${unread.map(mdEscape).join('; ')}`);
  }
  out.push('', '### USE coverage', '', '| resource | utilization | saturation | errors |', '|---|---|---|---|');
  const resources = [...new Set(r.coverage.map((c) => c.resource))];
  const why: string[] = [];
  for (const res of resources) {
    const at = (k: string) => {
      const c = r.coverage.find((x) => x.resource === res && x.kind === k);
      if (!c) return '';
      if (c.reason && c.status !== 'finding') why.push(`- **${res} ${k}** (${c.status}): ${mdEscape(c.reason)}`);
      return c.status === 'finding' ? '**finding**' : c.status === 'unknown' ? 'unknown' : c.reason ? 'ok (partly)' : 'ok';
    };
    out.push(`| ${res} | ${at('utilization')} | ${at('saturation')} | ${at('errors')} |`);
  }
  if (why.length > 0) out.push('', ...details(`What could not be judged (${why.length} cells)`, why));
  if (r.unavailable.length > 0) {
    out.push(
      '',
      ...details(
        `Unavailable inputs (${r.unavailable.length})`,
        r.unavailable.map((u) => `- ${mdCode(`${u.collector}/${u.table ?? '*'}`)}: ${mdEscape(u.reason)}${u.hint ? ` (hint: ${mdEscape(u.hint)})` : ''}`),
      ),
    );
  }
  // what a field above missed is still never raw in a ticket
  return sanitizeOutput(out.join('\n') + '\n');
}
