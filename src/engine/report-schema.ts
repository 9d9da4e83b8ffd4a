import { z } from 'zod';
import { RESOURCES } from '../core/collector.js';
import { OUTCOME_CODE_LIST, OUTCOME_CODES } from '../core/outcome.js';
import { USE_KINDS } from './playbook-schema.js';

/**
 * The report of `diag run playbook` (diag.report/v1, ARCHITECTURE.md): what --json prints, what
 * a bundle keeps as report.json. Fields may be added, never renamed. Published as
 * schemas/report.schema.json.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const STATUSES = ['ok', 'warning', 'critical', 'unknown'] as const;
export type ReportStatus = (typeof STATUSES)[number];

const thresholdOut = z.object({
  value: z.number(),
  source: z.string().describe('Source key'),
  sourceTitle: z.string(),
  sourceUrl: z.string().optional(),
  note: z.string().optional(),
});

export const drilldownResultSchema = z.object({
  type: z.enum(['collector', 'probe']),
  name: z.string().describe('Collector id (table) or probe name'),
  why: z.string(),
  status: z.enum(['ok', 'unavailable', 'error', 'skipped']),
  reason: z.string().optional(),
  durationMs: z.number().optional(),
  sortBy: z.string().optional().describe('Field the rows are ordered by (collector drill-downs)'),
  data: z.unknown().optional().describe('Rows (collector) or the probe result'),
});
export type DrilldownResult = z.infer<typeof drilldownResultSchema>;

export const evidenceSchema = z.object({
  metric: z.string().describe('table.field checked'),
  value: z.number().describe('The value judged (after divide_by / scale / aggregate)'),
  unit: z.string(),
  measure: z.enum(['rate', 'delta', 'value']),
  when: z.enum(['above', 'below']),
  threshold: z.object({ warning: thresholdOut.optional(), critical: thresholdOut.optional() }),
  fields: z.record(z.string(), z.number().nullable()).describe('Raw values behind it: the metric, the divisor, their deltas over the window'),
  labels: z.record(z.string(), z.string()).optional().describe('Labels of the row (untrusted host text)'),
  rows: z.int().optional().describe('Rows aggregated'),
  windowSeconds: z.number().nullable(),
  windowNote: z.string().optional().describe('When the value is not measured over the report\'s window: over which (a flight recording\'s slow lane: the two readings its rates span)'),
  collector: z.string(),
  inputs: z.array(z.string()).describe('Raw inputs the value came from'),
  drilldown: z.array(drilldownResultSchema).optional(),
});

export const culpritSchema = z.object({
  entity: z
    .object({
      kind: z.string().describe('process, thread, cgroup, device, mount, socket, interface, qdisc, rule, netns, event...'),
      id: z.string().describe('The entity as a scope string (process:PID, cgroup:/path, netns:ID/interface:eth0): the same across samples, bundles and diffs'),
      name: z.string().describe('What a person calls it: the command, the container or unit, the ip-netns name (untrusted host text)'),
    })
    .describe('Who or what'),
  rank: z.int().min(1).describe('1 = explains most'),
  why: z.string().describe('Which list it comes from, e.g. "Processes using the most CPU"'),
  metric: z.string().optional().describe('table.field it is ranked by ("table.count" for a group count); absent for the finding\'s own scope'),
  value: z.number().nullable().optional().describe('Its value of that metric'),
  unit: z.string().optional(),
  share: z.number().nullable().optional().describe('Its share of the ranked total (0..1); null when the total is 0'),
  identity: z.record(z.string(), z.string()).describe('What identifies it: pid, start time, command line, user, cgroup, container, limits (untrusted host text)'),
  evidence: z.record(z.string(), z.number().nullable()).describe('Numbers behind it: the ranked value, limits, other fields'),
});
export type Culprit = z.infer<typeof culpritSchema>;

export const findingSchema = z.object({
  id: z.string().describe('check id @ scope: stable across runs'),
  check: z.string(),
  resource: z.enum(RESOURCES),
  kind: z.enum(USE_KINDS),
  severity: z.enum(SEVERITIES),
  scope: z.string().describe('host, cpu:0, device:sda, interface:eth0, mount:/, cgroup:/path, process:PID, netns:ID'),
  title: z.string(),
  explanation: z.string(),
  evidence: evidenceSchema,
  culprits: z.array(culpritSchema).optional().describe('What explains the finding, ranked: processes, cgroups, sockets, rules, namespaces, events'),
  next: z.array(z.string()),
});
export type Finding = z.infer<typeof findingSchema>;

export const checkResultSchema = z.object({
  id: z.string(),
  status: z.enum(['ok', 'finding', 'unknown']),
  reason: z.string().optional(),
  scopes: z.int().describe('Scopes (rows) judged'),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const coverageCellSchema = z.object({
  resource: z.enum(RESOURCES),
  kind: z.enum(USE_KINDS),
  status: z.enum(['ok', 'finding', 'unknown']),
  reason: z.string().optional(),
  checks: z.array(checkResultSchema).describe('The checks behind this cell'),
});
export type CoverageCell = z.infer<typeof coverageCellSchema>;

export const unavailableSchema = z.object({
  collector: z.string(),
  table: z.string().optional(),
  status: z.enum(['unavailable', 'error']),
  code: z
    .enum(OUTCOME_CODE_LIST)
    .optional()
    .describe(`Why, for programs (the reason is for people): ${Object.entries(OUTCOME_CODES).map(([c, d]) => `${c}: ${d}`).join(' ')}`),
  reason: z.string(),
  hint: z.string().optional(),
});
export type UnavailableEntry = z.infer<typeof unavailableSchema>;

export const changeSchema = z.object({
  at: z.string().nullable().describe('When (ISO 8601, UTC); null when no time is knowable (a sysctl set at runtime, a pending reboot)'),
  kind: z.string().describe('package, boot, reboot, shutdown, kernel, unit, sysctl, mount, kernel-event, interface, route, process'),
  action: z.string().describe('install, upgrade, remove, purge, started, failed, restart-scheduled, set at runtime, mounted, oom_kill, started recently...'),
  subject: z.string().describe('What changed: a package, a unit, a sysctl key, a mount point, a process (untrusted host text)'),
  detail: z.string().describe('One line for people (untrusted host text)'),
  source: z.string().describe('The input it was read from'),
  scope: z.string().optional().describe('The entity it touched as a scope string (cgroup:/system.slice/x.service, mount:/srv, process:PID)'),
  count: z.int().optional().describe('Changes in this entry (packages of one transaction or one run)'),
  names: z.array(z.string()).optional().describe('Packages of a grouped package change (first 50)'),
  findings: z.array(z.string()).optional().describe('Ids of this report\'s findings this change may explain: their scope or a culprit meets the change\'s'),
});
export type Change = z.infer<typeof changeSchema>;

export const changesSchema = z.object({
  since: z.string().describe('Start of the look-back (ISO 8601)'),
  lookbackSeconds: z.number(),
  status: z.enum(['ok', 'unavailable', 'error']),
  reason: z.string().optional(),
  items: z.array(changeSchema).describe('Newest first; changes without a time first'),
  sources: z
    .array(z.object({ name: z.string(), status: z.enum(['ok', 'unavailable']), reason: z.string().optional(), code: z.string().optional() }))
    .describe('Each input read and whether it could be'),
});
export type Changes = z.infer<typeof changesSchema>;

export const reportSchema = z
  .object({
    schema: z.literal('diag.report/v1'),
    playbook: z.string(),
    playbookTitle: z.string(),
    host: z.object({
      hostname: z.string(),
      kernel: z.string().optional(),
      cpus: z.int().optional(),
      source: z.string().describe('live host, fixture, bundle'),
    }),
    target: z
      .object({ pid: z.int().optional(), cgroup: z.string().optional(), netns: z.string().optional(), reason: z.string().optional() })
      .optional(),
    startedAt: z.string(),
    durationMs: z.number(),
    windowSeconds: z.number().nullable(),
    status: z.enum(STATUSES),
    statusReason: z.string(),
    findings: z.array(findingSchema),
    coverage: z.array(coverageCellSchema),
    unavailable: z.array(unavailableSchema),
    where: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .describe('Where diag ran (the whereami collector): virt, virt_evidence, cloud, container, container_evidence, cgroup, cgroup_mode, cgroup_cpus, cgroup_memory_max, cgroup_pids_max, kernel_params, btf, psi, kprobes, numa_nodes, modules; bpf, bpf_programs (BPF programs attached to interfaces, cgroups, tracepoints: the bpfnet collector) (untrusted host text)'),
    changes: changesSchema.optional().describe('What changed on the host in the look-back (default 24 h): packages, boots, kernels, units, sysctls, mounts, kernel events, new heavy processes'),
  })
  .describe('diag run playbook report (diag.report/v1)');
export type Report = z.infer<typeof reportSchema>;

/** Exit codes of `diag run playbook` (Nagios/Icinga plugin convention). */
export const EXIT_CODES: Readonly<Record<ReportStatus, number>> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/** node-problem-detector's custom plugin convention: 0 ok, 1 a problem, 2 unknown. */
export const NPD_EXIT_CODES: Readonly<Record<ReportStatus, number>> = { ok: 0, warning: 1, critical: 1, unknown: 2 };

export const EXIT_CODE_MODES = { nagios: EXIT_CODES, npd: NPD_EXIT_CODES } as const;
export type ExitCodeMode = keyof typeof EXIT_CODE_MODES;
