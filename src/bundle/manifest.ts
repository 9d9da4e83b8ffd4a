import { z } from 'zod';

/** Bundle format version. Readers accept exactly the versions they know, with a clear message otherwise. */
export const BUNDLE_SCHEMA = 'diag.bundle/v1';

const collectorEntry = z.object({
  id: z.string(),
  status: z.enum(['ok', 'partial', 'unavailable', 'error', 'timeout']),
  durationMs: z.number().optional(),
  reason: z.string().optional(),
  tables: z.record(z.string(), z.object({ status: z.string(), reason: z.string().optional(), hint: z.string().optional(), rows: z.number().optional() })).optional(),
});

export const manifestSchema = z.object({
  schema: z.string(),
  diagVersion: z.string(),
  createdAt: z.string(),
  host: z.object({ hostname: z.string(), kernel: z.string(), machine: z.string().optional() }),
  windowMs: z.number(),
  durationMs: z.number(),
  samples: z.array(z.object({ dir: z.string(), clock: z.object({ monoMs: z.number(), wall: z.string() }) })).length(2),
  collectors: z.array(collectorEntry),
  probes: z.array(z.object({ name: z.string(), status: z.string(), reason: z.string().optional() })),
  redaction: z.object({
    enabled: z.boolean(),
    obfuscated: z.boolean(),
    rules: z.array(z.object({ rule: z.string(), description: z.string(), hits: z.number() })),
    obfuscation: z.object({ ipv4: z.number(), ipv6: z.number(), mac: z.number(), hostname: z.number() }).optional(),
    droppedPaths: z.number(),
  }),
  limits: z.object({ collectorTimeoutMs: z.number(), snapshotTimeoutMs: z.number() }),
});

export type Manifest = z.infer<typeof manifestSchema>;
