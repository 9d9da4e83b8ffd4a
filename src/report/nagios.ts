import type { Finding, Report, ReportStatus } from '../engine/report-schema.js';

/**
 * A report as a monitoring plugin prints it (Nagios plugin guidelines, monitoring-plugins'
 * development guidelines): a status line under 80 characters naming the worst finding, the other
 * findings on the following lines (long output), and performance data after a `|`:
 * `'label'=value[UOM];warn;crit;min;max`, numbers in the C locale (a dot, no exponent, no
 * grouping). The runner takes the state from the exit code (`EXIT_CODES`).
 */

const STATE: Readonly<Record<ReportStatus, string>> = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
const RANK = { critical: 0, warning: 1, info: 2 } as const;

/** The status line's limit: a runner shows 80 columns and some cut there. */
export const STATUS_LINE_MAX = 79;

/**
 * Host text on a plugin's output: one line, printable ASCII-safe, and no `|` (which would start
 * the performance data).
 */
export function pluginText(s: string): string {
  return s
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .replace(/\|/g, '/')
    .replace(/\s+/g, ' ')
    .trim();
}

function fit(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3).trimEnd()}...`;
}

/** A number as the guidelines want it: C locale, no exponent, at most 6 decimals. */
export function perfNumber(v: number): string {
  if (!Number.isFinite(v)) return '';
  if (Math.abs(v) >= 1e15) return BigInt(Math.round(v)).toString();
  const r = Math.round(v * 1e6) / 1e6;
  const s = String(r);
  return /e/i.test(s) ? r.toFixed(6).replace(/\.?0+$/, '') : s;
}

/** UOM of the guidelines for a check's unit: s, ms, us, %, B, KB, MB, TB, c; none for the rest (rates, ratios, counts). */
function uom(unit: string): string {
  const map: Readonly<Record<string, string>> = { percent: '%', s: 's', ms: 'ms', us: 'us', bytes: 'B', kB: 'KB' };
  return map[unit] ?? '';
}

/** A performance-data label: quoted, without `'` and `=` (which the guidelines forbid). */
function perfLabel(s: string): string {
  return `'${s.replace(/['=]/g, '_').replace(/[\p{Cc}]+/gu, ' ')}'`;
}

function findingPerf(f: Finding): string {
  const e = f.evidence;
  const range = (t: { value: number } | undefined) => (t === undefined ? '' : e.when === 'below' ? `${perfNumber(t.value)}:` : perfNumber(t.value));
  const u = uom(e.unit);
  const min = e.value >= 0 ? '0' : '';
  const max = u === '%' ? '100' : '';
  return `${perfLabel(`${f.check}@${f.scope}`)}=${perfNumber(e.value)}${u};${range(e.threshold.warning)};${range(e.threshold.critical)};${min};${max}`.replace(/;+$/, '');
}

/** Findings worst first (critical, warning, info), in the report's order within a severity. */
export function worstFirst(findings: readonly Finding[]): Finding[] {
  return findings.map((f, i) => ({ f, i })).sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i).map((x) => x.f);
}

export function renderNagios(report: Report): string {
  const head = `DIAG ${pluginText(report.playbook).toUpperCase()} ${STATE[report.status]} - `;
  const sorted = worstFirst(report.findings);
  const [worst, ...others] = sorted;
  const counts = { ok: 0, finding: 0, unknown: 0 };
  for (const c of report.coverage) counts[c.status]++;
  let summary: string;
  if (worst) {
    const more = others.length > 0 ? ` (+${others.length} more)` : '';
    summary = fit(pluginText(worst.title), STATUS_LINE_MAX - head.length - more.length) + more;
  } else if (report.status === 'unknown') summary = pluginText(report.statusReason);
  else summary = `no findings, ${counts.ok} of ${report.coverage.length} USE cells ok`;
  const lines = [fit(head + summary, STATUS_LINE_MAX)];
  for (const f of others) lines.push(`${f.severity.toUpperCase()}: ${pluginText(f.title)} [${pluginText(`${f.check}@${f.scope}`)}]`);
  if (worst) lines.push(`worst: ${pluginText(`${worst.check}@${worst.scope}`)}`);
  if (report.status === 'unknown' && worst) lines.push(`could not judge: ${pluginText(report.statusReason)}`);
  const perf = [
    ...sorted.map(findingPerf),
    `'findings_critical'=${sorted.filter((f) => f.severity === 'critical').length};;;0`,
    `'findings_warning'=${sorted.filter((f) => f.severity === 'warning').length};;;0`,
    `'use_cells_unknown'=${counts.unknown};;;0;${report.coverage.length}`,
    `'duration'=${perfNumber(report.durationMs / 1000)}s;;;0`,
  ];
  lines.push(`coverage: ${counts.ok} ok, ${counts.finding} finding, ${counts.unknown} unknown | ${perf.join(' ')}`);
  return lines.join('\n') + '\n';
}
