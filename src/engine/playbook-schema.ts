import { z } from 'zod';
import { RESOURCES } from '../core/collector.js';

/**
 * The playbook file format (diag.playbook/v1), validated by zod and published as a JSON Schema
 * (schemas/playbook.schema.json, generated from this file by scripts/generate-schemas.mjs).
 *
 * A playbook is data, never code: a check names a metric ("table.field" from the collectors'
 * declarations), how to read it, which rows (scopes) it applies to, and the thresholds with their
 * sources. Nothing in a playbook is evaluated as JavaScript.
 */

export const USE_KINDS = ['utilization', 'saturation', 'errors'] as const;
export type UseKind = (typeof USE_KINDS)[number];

const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" and "_", starting with a letter or digit')
  .max(64);
const metricName = z
  .string()
  .regex(/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/, 'a metric name "table.field" (see `diag metrics`)')
  .max(128);
const text = (max: number) => z.string().min(1).max(max);

export const sourceSchema = z
  .strictObject({
    title: text(300).describe('Who says so: document, author, section'),
    url: z.url().optional().describe('Where to read it'),
  })
  .describe('A reference a threshold is based on');

export const thresholdSchema = z
  .strictObject({
    value: z.number().describe('The limit, in the unit of the checked value (after divide_by and scale)'),
    source: identifier.describe('Key of an entry in the playbook\'s `sources`'),
    note: text(500).optional().describe('Why this value'),
  })
  .describe('One severity level of a check');

const STRING_OPS = ['eq', 'ne', 'in', 'not_in', 'prefix', 'not_prefix'] as const;
const NUMBER_OPS = ['gt', 'ge', 'lt', 'le'] as const;
export type FilterOp = (typeof STRING_OPS)[number] | (typeof NUMBER_OPS)[number];

export const filterSchema = z
  .strictObject({
    on: z
      .string()
      .regex(/^(key|label\.[A-Za-z0-9_]+|field\.[A-Za-z0-9_]+)$/, '"key", "label.NAME" or "field.NAME"')
      .describe('What the filter looks at: the row key, one of its labels, or a field of the same table'),
    op: z.enum([...STRING_OPS, ...NUMBER_OPS]).describe('eq/ne/in/not_in/prefix/not_prefix on text; gt/ge/lt/le on numbers'),
    value: z.union([z.string().max(256), z.number(), z.array(z.string().max(256)).max(64)]).describe('Text, a number, or a list of texts for in/not_in'),
  })
  .superRefine((f, ctx) => {
    const numeric = (NUMBER_OPS as readonly string[]).includes(f.op);
    const isField = f.on.startsWith('field.');
    if (numeric !== isField) {
      ctx.addIssue({ code: 'custom', path: ['op'], message: numeric ? `${f.op} compares numbers: use it with on: field.NAME` : `${f.op} compares text: use it with on: key or label.NAME` });
    } else if (numeric && typeof f.value !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} needs a number` });
    } else if ((f.op === 'in' || f.op === 'not_in') !== Array.isArray(f.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: f.op === 'in' || f.op === 'not_in' ? `${f.op} needs a list of texts` : `${f.op} needs a single text` });
    } else if (!numeric && typeof f.value === 'number') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} needs text (quote numbers: "0")` });
    }
  })
  .describe('A row filter (data, not code)');
export type Filter = z.infer<typeof filterSchema>;

export const nextStepSchema = z
  .union([
    text(500).describe('Advice for a person: a command to run, a document to read'),
    z
      .strictObject({
        run: z.literal('collector'),
        collector: identifier.describe('Collector id (`diag collectors`)'),
        table: identifier.optional().describe('One of its tables (default: the first)'),
        sort_by: z.string().regex(/^[A-Za-z0-9_]+$/).optional().describe('Field to order rows by, descending'),
        top: z.int().min(1).max(50).default(5).describe('Rows to keep as evidence'),
        same_target: z.boolean().default(false).describe('Keep only rows of the run\'s target (cgroup / process)'),
        why: text(300).describe('What this drill-down shows'),
      })
      .describe('Drill-down: diag runs another collector and adds its top rows as evidence'),
    z
      .strictObject({
        run: z.literal('probe'),
        probe: identifier.describe('BPF probe name (`diag probes`)'),
        table: identifier.optional().describe('One of its tables (default: the first; `diag metrics` lists them)'),
        sort_by: z.string().regex(/^[A-Za-z0-9_]+$/).optional().describe('Field to order rows by, descending'),
        top: z.int().min(1).max(50).optional().describe('Rows to keep as evidence (default: all, at most 50)'),
        seconds: z.number().min(0.1).max(10).default(3).describe('How long to run it (capped by the playbook budget)'),
        why: text(300).describe('What this drill-down shows'),
      })
      .describe('Drill-down: diag runs a BPF probe for a few seconds, only when this check found something, and adds its table as evidence (a snapshot keeps the run)'),
  ])
  .describe('A next step');
export type NextStep = z.infer<typeof nextStepSchema>;

export const culpritSpecSchema = z
  .strictObject({
    table: identifier.describe('Table whose rows are ranked (see `diag metrics`), e.g. processes, cgroup_cpu, sockets'),
    rank_by: z
      .string()
      .regex(/^[A-Za-z0-9_]+$/)
      .describe('Field to rank by, descending (counters as per-second rates unless measure: delta), or "count" (each row counts 1; with group_by, the rows of each group)'),
    measure: z.enum(['rate', 'delta']).optional().describe('For a counter rank_by: per-second rate (default) or increase over the window'),
    within: z
      .enum(['scope', 'host'])
      .default('scope')
      .describe('scope: only rows that belong to the finding\'s scope (its cgroup and those below it, its process, its network namespace...); host: every row'),
    where: z.array(filterSchema).max(8).optional().describe('Rows to consider (all must match)'),
    group_by: z
      .string()
      .regex(/^(label|field)\.[A-Za-z0-9_]+$/, '"label.NAME" or "field.NAME"')
      .optional()
      .describe('Rank groups of rows instead of rows: e.g. zombies grouped by field.ppid name their parent'),
    as: identifier.optional().describe('Entity kind of a group\'s key (e.g. process for field.ppid), looked up in the table of that scope'),
    top: z.int().min(1).max(20).default(5).describe('Culprits kept'),
    min_value: z.number().optional().describe('Ignore rows whose rank value is below this (e.g. idle processes)'),
    show: z.array(z.string().regex(/^[A-Za-z0-9_]+$/)).max(8).default([]).describe('Other fields of the row kept as evidence'),
    shares: z.boolean().default(true).describe('Give each culprit its share of the ranked total (false when the rank is an order, e.g. newest first)'),
    why: text(200).describe('What the list shows, e.g. "Processes using the most CPU"'),
  })
  .describe('Culprits: which rows of which table explain a finding, ranked by their share (data, not code)');
export type CulpritSpec = z.infer<typeof culpritSpecSchema>;

export const checkSchema = z
  .strictObject({
    id: identifier.describe('Unique within the playbook (after includes)'),
    resource: z.enum(RESOURCES).describe('USE resource'),
    kind: z.enum(USE_KINDS).describe('USE kind'),
    metric: metricName.describe('The value checked: "table.field" (see `diag metrics`); the table sets the scope iterated over'),
    measure: z
      .enum(['rate', 'delta', 'value'])
      .optional()
      .describe('For counters: per-second rate (default) or increase over the window; gauges and derived fields are read as their value'),
    divide_by: metricName
      .optional()
      .describe('Divide by this metric: a field of the same row, or of a host-wide table (e.g. per CPU, per segment sent)'),
    scale: z.number().positive().optional().describe('Multiply after dividing (e.g. 100 for a percentage)'),
    unit: text(64).optional().describe('Unit of the checked value for display (default: the metric\'s unit)'),
    where: z.array(filterSchema).max(16).optional().describe('Rows to check (all must match)'),
    aggregate: z
      .enum(['max', 'min', 'sum', 'avg', 'count'])
      .optional()
      .describe('Judge one value over all matching rows (scope: host, or the target) instead of each row'),
    target: z
      .enum(['cgroup', 'netns', 'process', 'pid'])
      .optional()
      .describe(
        'Only rows belonging to the run\'s target (--pid / --cgroup): its cgroup, its network namespace, its processes (with --pid: every process of its cgroup), or pid: the --pid process alone (with --cgroup: its processes); probe drill-downs of a pid check trace only that process',
      ),
    min_denominator: z
      .number()
      .nonnegative()
      .optional()
      .describe('Skip rows whose divide_by value is below this (e.g. too few segments sent for a ratio to mean anything)'),
    when_none: text(200)
      .optional()
      .describe('When rows exist but none matches `where` (or lacks the value), the check is ok for this reason (e.g. "no memory limit set")'),
    when: z.enum(['above', 'below']).default('above').describe('A finding when the value is >= (above) or <= (below) a threshold'),
    warning: thresholdSchema.optional(),
    critical: thresholdSchema.optional(),
    title: text(200).describe('Finding title; placeholders {value} {unit} {scope} {key} {threshold} {severity} {metric} {label.NAME} {field.NAME}'),
    explain: text(2000).describe('What the finding means and why it matters'),
    next: z.array(nextStepSchema).max(12).default([]).describe('What to look at next'),
    culprits: z.array(culpritSpecSchema).max(4).default([]).describe('What explains a finding: entities ranked by their share of it'),
  })
  .superRefine((c, ctx) => {
    if (!c.warning && !c.critical) ctx.addIssue({ code: 'custom', path: ['warning'], message: 'a check needs a warning or a critical threshold (or both)' });
    if (c.warning && c.critical) {
      const bad = c.when === 'above' ? c.critical.value < c.warning.value : c.critical.value > c.warning.value;
      if (bad) ctx.addIssue({ code: 'custom', path: ['critical', 'value'], message: `critical (${c.critical.value}) must be ${c.when === 'above' ? '>=' : '<='} warning (${c.warning.value}) when: ${c.when}` });
    }
    if (c.min_denominator !== undefined && c.divide_by === undefined) ctx.addIssue({ code: 'custom', path: ['min_denominator'], message: 'min_denominator needs divide_by' });
    c.culprits.forEach((k, i) => {
      if (k.as !== undefined && k.group_by === undefined) ctx.addIssue({ code: 'custom', path: ['culprits', i, 'as'], message: 'as names the entity of a group: it needs group_by' });
    });
  })
  .describe('One USE check');
export type CheckSpec = z.infer<typeof checkSchema>;

export const playbookSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors'),
    schema: z.literal('diag.playbook/v1').describe('Format version'),
    name: identifier.describe('`diag run playbook <name>`'),
    title: text(120),
    description: text(2000),
    resources: z.array(z.enum(RESOURCES)).min(1).describe('Rows of the coverage matrix (each x utilization/saturation/errors)'),
    include: z.array(identifier).max(16).default([]).describe('Other playbooks whose checks, resources and essentials this one adds'),
    target: z
      .enum(['none', 'optional', 'required'])
      .default('none')
      .describe('Whether the playbook judges one cgroup/process given with --pid / --cgroup'),
    essential: z
      .array(identifier)
      .default([])
      .describe('Tables without which the playbook cannot judge: when one is unavailable and nothing was found, status is unknown (exit 3)'),
    budget_seconds: z.number().min(0).max(60).default(5).describe('Time for drill-downs (probes) after the window'),
    sources: z.record(identifier, sourceSchema).default({}).describe('References for thresholds, by key'),
    checks: z.array(checkSchema).default([]),
  })
  .superRefine((p, ctx) => {
    if (p.checks.length === 0 && p.include.length === 0) ctx.addIssue({ code: 'custom', path: ['checks'], message: 'a playbook needs checks or include' });
    const seen = new Map<string, number>();
    p.checks.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['checks', i, 'id'], message: `duplicate check id ${JSON.stringify(c.id)} (first at checks[${seen.get(c.id)}])` });
      else seen.set(c.id, i);
      for (const lvl of ['warning', 'critical'] as const) {
        const t = c[lvl];
        if (t && !(t.source in p.sources)) ctx.addIssue({ code: 'custom', path: ['checks', i, lvl, 'source'], message: `unknown source ${JSON.stringify(t.source)}: define it under \`sources\`` });
      }
      if (c.target && p.target === 'none') ctx.addIssue({ code: 'custom', path: ['checks', i, 'target'], message: 'target checks need the playbook\'s `target: optional` or `target: required`' });
    });
  })
  .describe('A diag playbook (diag.playbook/v1)');

export type PlaybookFile = z.infer<typeof playbookSchema>;
