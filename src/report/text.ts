import { sanitizeForTerminal as clean } from '../core/sanitize.js';
import type { CoverageCell, DrilldownResult, Finding, Report } from '../engine/report-schema.js';
import { formatValue } from '../engine/template.js';
import { whereLine } from '../engine/where.js';
import { changeLine, changeTime, CHANGES_SHOWN, explainsText, lookbackText, unreadSources } from './changes-text.js';
import { culpritText } from './culprit-text.js';
import { drilldownLines } from './drilldown-text.js';
import { NO_PAINT, padPainted, type Paint } from './paint.js';

/**
 * The report for a person at a terminal. Every string that can come from the host (titles built
 * from labels, scopes, reasons, drill-down rows) goes through sanitizeForTerminal.
 */

const SEV = { critical: 'CRITICAL', warning: 'WARNING', info: 'info' } as const;

function wrap(textIn: string, width: number, indent: string): string {
  const words = textIn.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur.length > 0 && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.map((l) => indent + l).join('\n');
}

function thresholdLine(f: Finding): string {
  const op = f.evidence.when === 'below' ? '<=' : '>=';
  const w = f.evidence.threshold.warning;
  const c = f.evidence.threshold.critical;
  if (w && c && w.sourceTitle === c.sourceTitle) return `warning ${op} ${formatValue(w.value)}, critical ${op} ${formatValue(c.value)} (${w.sourceTitle})`;
  const parts: string[] = [];
  for (const [lvl, t] of [['warning', w], ['critical', c]] as const) if (t) parts.push(`${lvl} ${op} ${formatValue(t.value)} (${t.sourceTitle})`);
  return parts.join('; ');
}

function drilldownText(d: DrilldownResult): string {
  const pad = '             ';
  const { head, rows } = drilldownLines(d);
  return [clean(head), ...rows.map((r) => pad + clean(r))].join('\n');
}

function findingText(f: Finding, paint: Paint): string {
  const e = f.evidence;
  const sev = SEV[f.severity];
  const lines = [`  ${padPainted(sev, f.severity === 'critical' ? paint.critical(sev) : f.severity === 'warning' ? paint.warning(sev) : sev, 8)} ${f.resource} ${f.kind}  ${clean(f.scope)}`, `           ${clean(f.title)}`];
  const raw = Object.entries(e.fields)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
  lines.push(`           value ${formatValue(e.value)} ${e.unit} (${e.metric}${e.rows !== undefined ? `, ${e.rows} rows` : ''}${e.windowSeconds !== null ? `, window ${e.windowSeconds.toFixed(2)} s` : ''})${raw ? `: ${raw}` : ''}`);
  if (e.windowNote) lines.push(`           ${clean(e.windowNote)}`);
  lines.push(`           threshold: ${thresholdLine(f)}`);
  lines.push(`           from: ${e.inputs.map(clean).join(', ')}`);
  lines.push(wrap(f.explanation, 88, '           '));
  if (f.culprits?.length) {
    lines.push('           culprits:');
    for (const c of f.culprits) {
      const t = culpritText(c);
      lines.push(`             ${clean(t.head)}`);
      if (t.detail) lines.push(wrap(clean(t.detail), 84, '                '));
    }
  }
  for (const n of f.next) lines.push(wrap(`- ${clean(n)}`, 88, '           '));
  for (const d of e.drilldown ?? []) lines.push(`           drill-down ${drilldownText(d)}`);
  return lines.join('\n');
}

function coverageTable(cells: readonly CoverageCell[], paint: Paint): string {
  const resources = [...new Set(cells.map((c) => c.resource))];
  const get = (r: string, k: string) => cells.find((c) => c.resource === r && c.kind === k);
  const word = (c: CoverageCell | undefined) => (c === undefined ? '' : c.status === 'finding' ? 'FINDING' : c.status === 'unknown' ? 'unknown' : c.reason ? 'ok (partly)' : 'ok');
  const painted = (c: CoverageCell | undefined, width: number) => {
    const w = word(c);
    const p = c?.status === 'finding' ? paint.critical(w) : c?.status === 'unknown' ? paint.unknown(w) : c ? paint.ok(w) : w;
    return padPainted(w, p, width);
  };
  const out = [`  ${'resource'.padEnd(12)}${'utilization'.padEnd(14)}${'saturation'.padEnd(14)}errors`];
  for (const r of resources) out.push(`  ${r.padEnd(12)}${painted(get(r, 'utilization'), 14)}${painted(get(r, 'saturation'), 14)}${painted(get(r, 'errors'), 0)}`);
  return out.join('\n');
}

function changesText(ch: NonNullable<Report['changes']>): string[] {
  const out = [`Recent changes (${lookbackText(ch)}, since ${ch.since}): ${ch.status === 'ok' ? ch.items.length : clean(ch.reason ?? ch.status)}`];
  if (ch.status === 'ok' && ch.items.length === 0) out.push('  none seen');
  for (const c of ch.items.slice(0, CHANGES_SHOWN)) {
    const lines = wrap(`${clean(changeLine(c))}${c.findings?.length ? ` [${clean(explainsText(c))}]` : ''}`, 78, '').split('\n');
    const time = changeTime(c).padEnd(20);
    out.push(...lines.map((l, i) => `  ${i === 0 ? time : ' '.repeat(time.length)}  ${l}`));
  }
  if (ch.items.length > CHANGES_SHOWN) out.push(`  ... ${ch.items.length - CHANGES_SHOWN} more (--json lists them all)`);
  const unread = unreadSources(ch);
  if (unread.length > 0) out.push(wrap(`not read: ${unread.map(clean).join('; ')}`, 100, '  '));
  return out;
}

export function renderText(r: Report, paint: Paint = NO_PAINT): string {
  const out: string[] = [];
  const counts = `${r.findings.filter((f) => f.severity === 'critical').length} critical, ${r.findings.filter((f) => f.severity === 'warning').length} warning`;
  out.push(`diag ${r.playbook}: ${clean(r.playbookTitle)}`);
  const status = r.status.toUpperCase();
  out.push(`status: ${r.status === 'critical' ? paint.critical(status) : r.status === 'warning' ? paint.warning(status) : r.status === 'ok' ? paint.ok(status) : paint.unknown(status)} (${clean(r.statusReason)})`);
  out.push(`host: ${clean(r.host.hostname)}${r.host.kernel ? `, Linux ${clean(r.host.kernel)}` : ''}${r.host.cpus !== undefined ? `, ${r.host.cpus} CPUs` : ''}; ${r.startedAt}; window ${r.windowSeconds === null ? '-' : `${r.windowSeconds.toFixed(2)} s`}; took ${r.durationMs} ms`);
  if (r.where) out.push(wrap(`where: ${clean(whereLine(r.where))}`, 100, '').replace(/\n/g, '\n       '));
  if (r.where?.kernel_params) out.push(wrap(`kernel parameters: ${clean(String(r.where.kernel_params))}`, 100, '').replace(/\n/g, '\n       '));
  if (r.where?.bpf) out.push(wrap(`BPF attached: ${clean(String(r.where.bpf))}`, 100, '').replace(/\n/g, '\n       '));
  if (r.target) {
    const t = r.target;
    out.push(`target: ${[t.pid !== undefined ? `pid ${t.pid}` : '', t.cgroup ? `cgroup ${clean(t.cgroup)}` : '', t.netns ? `netns ${t.netns}` : ''].filter(Boolean).join(', ')}${t.reason ? ` (${clean(t.reason)})` : ''}`);
  }
  out.push('');
  out.push(`Findings (${counts}):`);
  if (r.findings.length === 0) out.push('  none');
  for (const f of r.findings) out.push(findingText(f, paint), '');
  if (r.changes) out.push(...changesText(r.changes), '');
  out.push('Coverage (USE: resource x utilization / saturation / errors):');
  out.push(coverageTable(r.coverage, paint));
  const notes = r.coverage.filter((c) => c.reason && c.status !== 'finding');
  if (notes.length > 0) {
    out.push('', 'Not fully judged:');
    for (const c of notes) out.push(wrap(`${c.resource} ${c.kind}: ${clean(c.reason ?? '')}`, 100, '  '));
  }
  if (r.unavailable.length > 0) {
    out.push('', 'Unavailable inputs:');
    for (const u of r.unavailable) out.push(wrap(`${u.collector}/${u.table ?? '*'}: ${clean(u.reason)}${u.hint ? ` (hint: ${clean(u.hint)})` : ''}`, 100, '  '));
  }
  return out.join('\n') + '\n';
}
