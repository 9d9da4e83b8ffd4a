import { sanitizeForTerminal as clean } from '../core/sanitize.js';
import { EXIT_CODES, type Finding, type Report, type ReportStatus, type Severity } from '../engine/report-schema.js';

/**
 * Many hosts' reports side by side (`diag fleet`), pure: which hosts are in which state, and
 * which findings many hosts share against the ones only a few have ("7 of 20 hosts: ...",
 * "1 host: ..."). A finding is the same across hosts when its check and scope are: scopes that
 * name a host's own numbering (a PID, a namespace inode, a socket, an event) are compared by
 * kind alone (`process:*`), so "a process near its fd limit" groups across hosts.
 */

/** One host's input: its report, or why there is none (an unreadable file counts as unknown). */
export interface FleetHost {
  readonly name: string;
  /** Where it came from (a file). */
  readonly source: string;
  readonly report?: Report;
  readonly problem?: string;
}

export interface FleetGroup {
  /** check@scope with host-local ids as `*`. */
  readonly key: string;
  readonly check: string;
  readonly resource: Finding['resource'];
  readonly kind: Finding['kind'];
  /** The worst severity among the hosts. */
  readonly severity: Severity;
  /** The title on the first host (the worst one). */
  readonly title: string;
  /** Hosts with it, worst first, each with its own scope and value. */
  readonly hosts: readonly { readonly name: string; readonly scope: string; readonly severity: Severity; readonly value: number; readonly unit: string }[];
}

export interface FleetSummary {
  readonly schema: 'diag.fleet/v1';
  readonly hosts: readonly { readonly name: string; readonly source: string; readonly hostname?: string; readonly status: ReportStatus; readonly reason: string; readonly critical: number; readonly warning: number; readonly startedAt?: string; readonly playbook?: string }[];
  readonly status: ReportStatus;
  readonly groups: readonly FleetGroup[];
}

const SEV_RANK: Readonly<Record<Severity, number>> = { critical: 2, warning: 1, info: 0 };
/** Worst first, as a monitoring system rolls states up: critical, warning, unknown, ok. */
const STATUS_RANK: Readonly<Record<ReportStatus, number>> = { critical: 3, warning: 2, unknown: 1, ok: 0 };
const HOST_LOCAL = /\b(process|thread|netns|socket|event):[^/]+/g;

export function groupKey(f: Finding): string {
  return `${f.check}@${f.scope.replace(HOST_LOCAL, '$1:*')}`;
}

export function summarizeFleet(hosts: readonly FleetHost[]): FleetSummary {
  const rows = hosts.map((h) => {
    const r = h.report;
    if (!r) return { name: h.name, source: h.source, status: 'unknown' as const, reason: h.problem ?? 'no report', critical: 0, warning: 0 };
    return {
      name: h.name,
      source: h.source,
      hostname: r.host.hostname,
      status: r.status,
      reason: r.statusReason,
      critical: r.findings.filter((f) => f.severity === 'critical').length,
      warning: r.findings.filter((f) => f.severity === 'warning').length,
      startedAt: r.startedAt,
      playbook: r.playbook,
    };
  });
  rows.sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status] || b.critical - a.critical || b.warning - a.warning || (a.name < b.name ? -1 : 1));
  const status = rows.reduce<ReportStatus>((w, r) => (STATUS_RANK[r.status] > STATUS_RANK[w] ? r.status : w), 'ok');

  const groups = new Map<string, { first: Finding; hosts: Map<string, Finding> }>();
  for (const h of hosts) {
    for (const f of h.report?.findings ?? []) {
      const key = groupKey(f);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { first: f, hosts: new Map() }));
      const had = g.hosts.get(h.name);
      // one line per host: its worst finding of the group
      if (!had || SEV_RANK[f.severity] > SEV_RANK[had.severity]) g.hosts.set(h.name, f);
    }
  }
  const out: FleetGroup[] = [...groups.entries()].map(([key, g]) => {
    const list = [...g.hosts.entries()]
      .map(([name, f]) => ({ name, scope: f.scope, severity: f.severity, value: f.evidence.value, unit: f.evidence.unit, title: f.title }))
      .sort((a, b) => SEV_RANK[b.severity] - SEV_RANK[a.severity] || (a.name < b.name ? -1 : 1));
    const worst = list[0]!;
    return {
      key,
      check: g.first.check,
      resource: g.first.resource,
      kind: g.first.kind,
      severity: worst.severity,
      title: worst.title,
      hosts: list.map(({ name, scope, severity, value, unit }) => ({ name, scope, severity, value, unit })),
    };
  });
  out.sort((a, b) => b.hosts.length - a.hosts.length || SEV_RANK[b.severity] - SEV_RANK[a.severity] || (a.key < b.key ? -1 : 1));
  return { schema: 'diag.fleet/v1', hosts: rows, status, groups: out };
}

export const fleetExitCode = (s: FleetSummary): number => EXIT_CODES[s.status];

const STATE = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' } as const;

function names(list: readonly string[], max = 6): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

/** The summary for a terminal: states, shared findings, outliers, then the host table. */
export function renderFleetText(s: FleetSummary): string {
  const n = s.hosts.length;
  const lines: string[] = [];
  lines.push(`diag fleet: ${n} host${n === 1 ? '' : 's'}, worst ${STATE[s.status]}`);
  lines.push('');
  lines.push('Hosts by status:');
  for (const st of ['critical', 'warning', 'unknown', 'ok'] as const) {
    const hs = s.hosts.filter((h) => h.status === st).map((h) => clean(h.name));
    lines.push(`  ${STATE[st].padEnd(8)} ${String(hs.length).padStart(3)}${hs.length ? `  ${names(hs, 12)}` : ''}`);
  }
  const shared = s.groups.filter((g) => g.hosts.length > 1);
  const outliers = s.groups.filter((g) => g.hosts.length === 1);
  const line = (g: FleetGroup) => {
    const who = g.hosts.length === 1 ? `1 host (${clean(g.hosts[0]!.name)})` : `${g.hosts.length} of ${n} hosts`;
    return `  ${who}: ${STATE[g.severity === 'info' ? 'ok' : g.severity]} ${clean(g.title)} [${clean(g.key)}]`;
  };
  lines.push('');
  lines.push(`Shared findings (${shared.length}):`);
  if (shared.length === 0) lines.push('  none');
  for (const g of shared) {
    lines.push(line(g));
    if (g.hosts.length < n) lines.push(`    on ${names(g.hosts.map((h) => clean(h.name)))}`);
  }
  lines.push('');
  lines.push(`Outliers, on one host only (${outliers.length}):`);
  if (outliers.length === 0) lines.push('  none');
  for (const g of outliers) lines.push(line(g));
  lines.push('');
  lines.push('Hosts:');
  const w = Math.max(4, ...s.hosts.map((h) => clean(h.name).length));
  lines.push(`  ${'host'.padEnd(w)}  status    crit  warn  taken                     why`);
  for (const h of s.hosts) {
    lines.push(`  ${clean(h.name).padEnd(w)}  ${STATE[h.status].padEnd(8)}  ${String(h.critical).padStart(4)}  ${String(h.warning).padStart(4)}  ${(h.startedAt ?? '-').padEnd(24)}  ${clean(h.reason)}`);
  }
  return lines.join('\n') + '\n';
}
