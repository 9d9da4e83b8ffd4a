import { z } from 'zod';
import { OUTCOME_CODE_LIST } from '../core/outcome.js';

/**
 * Bundle format version. Readers accept exactly the versions they know, with a clear message
 * otherwise. v2: what was recorded under /proc/PID/ is stored as one record per process in
 * samples/N/.diag/procs/*.jsonl (src/core/proc-records.ts) instead of one entry per file; v1
 * bundles (plain files) are still read.
 */
export const BUNDLE_SCHEMA = 'diag.bundle/v2';
/** Every version this diag reads. */
export const READABLE_BUNDLE_SCHEMAS: readonly string[] = ['diag.bundle/v1', BUNDLE_SCHEMA];

/**
 * The machine code of a non-ok outcome (src/core/outcome.ts OUTCOME_CODES). Absent in bundles
 * written before codes existed; a code this version does not know reads as absent.
 */
const code = z.enum(OUTCOME_CODE_LIST).optional().catch(undefined);

const collectorEntry = z.object({
  id: z.string(),
  status: z.enum(['ok', 'partial', 'unavailable', 'error', 'timeout']),
  /** procfs, sysfs, cgroup, namespaces, commands, bpf. */
  origin: z.string().optional(),
  /** The time limit of its asynchronous part (commands) in each sample; reads of /proc and /sys are synchronous. */
  timeoutMs: z.number().optional(),
  /** Its duration in the second sample, and in both. */
  durationMs: z.number().optional(),
  durationsMs: z.array(z.number()).optional(),
  code,
  reason: z.string().optional(),
  tables: z.record(z.string(), z.object({ status: z.string(), code, reason: z.string().optional(), hint: z.string().optional(), rows: z.number().optional() })).optional(),
});

const sampleEntry = z.object({ dir: z.string(), clock: z.object({ monoMs: z.number(), wall: z.string() }) });

const probeEntry = z.object({
  name: z.string(),
  status: z.enum(['available', 'unavailable']),
  title: z.string().optional(),
  code,
  reason: z.string().optional(),
  hint: z.string().optional(),
  hooks: z.array(z.string()).optional(),
  /** Runs a drill-down made while the snapshot was taken, stored under samples/1/.diag/bpf/<capture>/. */
  runs: z
    .array(z.object({ capture: z.string(), status: z.enum(['ok', 'unavailable', 'error']), hook: z.string().optional(), durationMs: z.number().optional(), reason: z.string().optional() }))
    .optional(),
});

export type ManifestProbe = z.infer<typeof probeEntry>;

export const manifestSchema = z.object({
  schema: z.string(),
  diagVersion: z.string(),
  createdAt: z.string(),
  host: z.object({ hostname: z.string(), kernel: z.string(), machine: z.string().optional() }),
  windowMs: z.number(),
  durationMs: z.number(),
  /** The two samples of the window, first and second. */
  samples: z.tuple([sampleEntry, sampleEntry]),
  collectors: z.array(collectorEntry),
  /**
   * Every BPF probe and whether it could run on this host: its prerequisites (addon, privileges,
   * BTF, its own needs) are checked, nothing is loaded or run. `hooks` are the attach points it
   * would try, most preferred first; `runs` the probes drill-downs ran during the snapshot.
   */
  probes: z.array(probeEntry),
  redaction: z.object({
    enabled: z.boolean(),
    obfuscated: z.boolean(),
    rules: z.array(z.object({ rule: z.string(), description: z.string(), hits: z.number() })),
    obfuscation: z.object({ ipv4: z.number(), ipv6: z.number(), mac: z.number(), hostname: z.number() }).optional(),
    droppedPaths: z.number(),
  }),
  limits: z.object({ collectorTimeoutMs: z.number(), snapshotTimeoutMs: z.number() }),
  /**
   * A snapshot made from a flight recording (diag snapshot --recording): its samples over the
   * span asked for, redacted, as a recording (`history/`, src/recording/); `samples` above are
   * its last two.
   */
  history: z.object({ dir: z.literal('history'), samples: z.number(), from: z.string(), to: z.string(), intervalMs: z.number(), recording: z.string() }).optional(),
  /** Where the snapshot's time went (ms): sample0, wait, sample1, redact, report, probes. */
  phasesMs: z.record(z.string(), z.number()).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
