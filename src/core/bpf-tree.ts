import { z } from 'zod';
import { parseJsonBounded } from './bounded-json.js';
import { bpfCaptureKey, PROBE_ID, requestKeyOf, type BpfAccess, type BpfCapture, type BpfMapDump, type BpfProbeRequest, type BpfRequestKey, type BpfRingCapture } from './bpf.js';
import { failed, fromRecord, ok, OUTCOME_CODE_LIST, outcomeRecord, unavailable, type Outcome } from './outcome.js';
import { META_DIR } from './source.js';

/**
 * BPF captures in a recorded tree, one folder per capture (the key: bpfCaptureKey):
 *   .diag/bpf/<key>/run.json            the run: request, hook, duration, maps and rings held,
 *                                       symbols, enums, notes; or { status, reason, hint? }
 *                                       when the probe could not run (a replay says the same)
 *   .diag/bpf/<key>/<map>.json          { count, keySize, valueStride, ncpus }
 *   .diag/bpf/<key>/<map>.keys.bin      keys, back to back
 *   .diag/bpf/<key>/<map>.values.bin    values, back to back
 *   .diag/bpf/<key>/<ring>.ring.bin     ring-buffer records (the addon's batch format)
 * The map files are the format of test/fixtures/bpf/. A tree may come from a bundle someone sent:
 * everything is validated, sizes included, before a decoder sees a byte.
 */
export const BPF_DIR = `${META_DIR}/bpf`;
export const CAPTURE_SCHEMA = 'diag.bpf-capture/v1';

/** One file of a tree: its path from the tree's root ("/.diag/bpf/...") and content. */
export type TreeEntry = readonly [path: string, content: string | Buffer];

const LIMITS = { entries: 1_000_000, keySize: 1024, valueStride: 1 << 20, ringBytes: 256 << 20, cpus: 8192 } as const;
const mapName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
const count = z.int().min(0).max(LIMITS.entries);
const requestKey = z.strictObject({
  probe: z.string().regex(PROBE_ID),
  tgids: z.array(z.int().min(0).max(2 ** 32 - 1)).max(1 << 16).optional(),
  settings: z.record(z.string().max(64), z.union([z.number(), z.boolean()])).optional(),
});
const notOk = z.object({ status: z.enum(['unavailable', 'error']), code: z.enum(OUTCOME_CODE_LIST), reason: z.string().max(4000), hint: z.string().max(4000).optional() });
const runRecord = z.object({
  schema: z.literal(CAPTURE_SCHEMA),
  request: requestKey,
  hook: z.string().max(32),
  fallbacks: z.array(z.object({ hook: z.string().max(32), reason: z.string().max(4000) })).max(16),
  attachMs: z.number().min(0),
  durationMs: z.number().min(0),
  stoppedBy: z.enum(['duration', 'signal']),
  ncpus: z.int().min(1).max(LIMITS.cpus),
  maps: z.array(mapName).max(64),
  rings: z.record(mapName, z.object({ records: count, dropped: z.int().min(0) })),
  progStats: z.array(z.object({ name: z.string().max(64), id: z.number(), runCount: z.number(), runTimeNs: z.number(), recursionMisses: z.number() })).max(64),
  symbols: z.record(z.string().regex(/^[0-9a-f]{1,16}$/), z.string().max(512)),
  enums: z.record(z.string().max(128), z.array(z.object({ name: z.string().max(256), value: z.number() })).max(1 << 16)),
  notes: z.array(z.string().max(1000)).max(32),
  carries: z.array(z.enum(['addresses'])).max(4),
});
const runFile = z.union([runRecord, z.object({ schema: z.literal(CAPTURE_SCHEMA), request: requestKey }).extend(notOk.shape)]);
const mapMeta = z.strictObject({ count, keySize: z.int().min(1).max(LIMITS.keySize), valueStride: z.int().min(1).max(LIMITS.valueStride), ncpus: z.int().min(1).max(LIMITS.cpus) });

/** The files of one capture (or of the reason it could not be made), as a tree holds them. */
export function bpfCaptureEntries(req: BpfRequestKey, answer: Outcome<BpfCapture>): TreeEntry[] {
  const request = requestKeyOf(req);
  const dir = `/${BPF_DIR}/${bpfCaptureKey(request)}`;
  if (answer.status !== 'ok') return [[`${dir}/run.json`, JSON.stringify({ schema: CAPTURE_SCHEMA, request, ...outcomeRecord(answer) })]];
  const c = answer.value;
  const out: TreeEntry[] = [];
  for (const [name, d] of Object.entries(c.maps)) {
    out.push([`${dir}/${name}.json`, JSON.stringify({ count: d.count, keySize: d.keySize, valueStride: d.valueStride, ncpus: c.ncpus })]);
    out.push([`${dir}/${name}.keys.bin`, d.keys.subarray(0, d.count * d.keySize)]);
    out.push([`${dir}/${name}.values.bin`, d.values.subarray(0, d.count * d.valueStride)]);
  }
  const rings: Record<string, { records: number; dropped: number }> = {};
  for (const [name, r] of Object.entries(c.rings)) {
    rings[name] = { records: r.records, dropped: r.dropped };
    out.push([`${dir}/${name}.ring.bin`, r.batch]);
  }
  const run = {
    schema: CAPTURE_SCHEMA,
    request,
    hook: c.hook,
    fallbacks: c.fallbacks,
    attachMs: c.attachMs,
    durationMs: c.durationMs,
    stoppedBy: c.stoppedBy,
    ncpus: c.ncpus,
    maps: Object.keys(c.maps),
    rings,
    progStats: c.progStats,
    symbols: c.symbols,
    enums: c.enums,
    notes: c.notes,
    carries: c.carries,
  };
  out.unshift([`${dir}/run.json`, JSON.stringify(run)]);
  return out;
}

/** Reads the files under .diag/bpf/ of a tree: `name` is relative to it ("<key>/run.json"). */
export interface BpfFiles {
  text(name: string): string | undefined;
  bytes(name: string): Buffer | undefined;
}

function issues(e: z.ZodError): string {
  return e.issues
    .map((i) => `${i.path.join('.')}: ${i.message}`)
    .join('; ')
    .slice(0, 300);
}

/** The capture answering `req` in a tree, validated; undefined when the tree holds none. */
export function readBpfCapture(req: BpfRequestKey, files: BpfFiles, where: string): Outcome<BpfCapture> | undefined {
  const key = bpfCaptureKey(req);
  const text = files.text(`${key}/run.json`);
  if (text === undefined) return undefined;
  const bad = (what: string) => failed('parse', `BPF capture ${key} in ${where} is malformed: ${what}`);
  const raw = parseJsonBounded(text);
  if (!raw.ok) return bad(`run.json ${raw.reason}`);
  const p = runFile.safeParse(raw.value);
  if (!p.success) return bad(`run.json: ${issues(p.error)}`);
  const run = p.data;
  if (JSON.stringify(requestKeyOf(run.request)) !== JSON.stringify(requestKeyOf(req))) return bad('run.json answers another request');
  if ('status' in run) return fromRecord(run);
  const maps: Record<string, BpfMapDump> = {};
  for (const name of run.maps) {
    const metaText = files.text(`${key}/${name}.json`);
    if (metaText === undefined) return bad(`map ${name}: ${name}.json is missing`);
    const metaRaw = parseJsonBounded(metaText);
    if (!metaRaw.ok) return bad(`${name}.json ${metaRaw.reason}`);
    const m = mapMeta.safeParse(metaRaw.value);
    if (!m.success) return bad(`${name}.json: ${issues(m.error)}`);
    if (m.data.ncpus !== run.ncpus) return bad(`${name}.json: ${m.data.ncpus} CPUs, the run ${run.ncpus}`);
    const keys = files.bytes(`${key}/${name}.keys.bin`);
    const values = files.bytes(`${key}/${name}.values.bin`);
    if (keys === undefined || values === undefined) return bad(`map ${name}: its keys or values are missing`);
    if (keys.length !== m.data.count * m.data.keySize) return bad(`map ${name}: ${keys.length} key bytes for ${m.data.count} keys of ${m.data.keySize}`);
    if (values.length !== m.data.count * m.data.valueStride) return bad(`map ${name}: ${values.length} value bytes for ${m.data.count} values of ${m.data.valueStride}`);
    maps[name] = { count: m.data.count, keySize: m.data.keySize, valueStride: m.data.valueStride, keys, values };
  }
  const rings: Record<string, BpfRingCapture> = {};
  for (const [name, r] of Object.entries(run.rings)) {
    const batch = files.bytes(`${key}/${name}.ring.bin`);
    if (batch === undefined) return bad(`ring ${name}: ${name}.ring.bin is missing`);
    if (batch.length > LIMITS.ringBytes) return bad(`ring ${name}: ${batch.length} bytes`);
    rings[name] = { batch, records: r.records, dropped: r.dropped };
  }
  return ok({
    probe: run.request.probe,
    hook: run.hook,
    fallbacks: run.fallbacks,
    attachMs: run.attachMs,
    durationMs: run.durationMs,
    stoppedBy: run.stoppedBy,
    ncpus: run.ncpus,
    maps,
    rings,
    progStats: run.progStats,
    symbols: run.symbols,
    enums: run.enums,
    notes: run.notes,
    carries: run.carries,
  });
}

/**
 * During a snapshot, a probe a drill-down asks for that the tree does not hold yet is run live,
 * stored in the tree (through `refuse`: what a snapshot does not keep is stored as the reason it
 * was not kept) and answered from what was stored, so the report made at capture is exactly what
 * a replay of the bundle gives.
 */
export interface CaptureThrough {
  readonly live: BpfAccess;
  /** Adds a capture's files to the tree (they must be readable through the tree's BpfFiles). */
  store(entries: readonly TreeEntry[]): void;
  /** Why this capture must not be kept, if it must not (e.g. it holds addresses and the snapshot is obfuscated). */
  refuse?(capture: BpfCapture): string | undefined;
}

/** The BPF capability of a recorded tree (fixture or bundle): replays the captures it holds. */
export class TreeBpf implements BpfAccess {
  constructor(
    private readonly files: BpfFiles,
    private readonly where: string,
    private readonly through?: CaptureThrough,
  ) {}

  async run(req: BpfProbeRequest): Promise<Outcome<BpfCapture>> {
    const held = readBpfCapture(req, this.files, this.where);
    if (held) return held;
    if (this.through) {
      const o = await this.through.live.run(req);
      const refused = o.status === 'ok' ? this.through.refuse?.(o.value) : undefined;
      this.through.store(bpfCaptureEntries(req, refused === undefined ? o : unavailable('not-captured', refused)));
      return readBpfCapture(req, this.files, this.where) ?? failed('bug', `BPF capture of ${req.probe} was stored but cannot be read back`);
    }
    return unavailable('not-captured', `BPF probe ${req.probe} was not captured in ${this.where}`, 'a snapshot keeps the probes its drill-downs ran; run diag on the live host for others');
  }
}
