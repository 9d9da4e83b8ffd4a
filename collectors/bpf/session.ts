import { asNativeError, usefulLog, type MapDump, type NativeAddon, type NativeBpfObject, type ProgStat } from './addon.js';
import { BpfDecodeError } from './dump.js';
import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';

/** Hook types, in the order diag prefers them: tp_btf is cheapest, raw_tp needs no tracefs,
 * classic tp works on old kernels; perf_event for sampling. */
export const HOOKS = ['tp_btf', 'raw_tp', 'tp', 'perf_event'] as const;
export type Hook = (typeof HOOKS)[number];

/** One way to run a probe: the programs (C function names) to load and attach together. */
export interface HookVariant {
  readonly hook: Hook;
  readonly programs: readonly string[];
}

/** Everything open right now: closed on exit however diag exits (links die with their fds
 * anyway when the process dies, since nothing is pinned; this makes a normal exit tidy). */
const OPEN = new Set<NativeBpfObject>();
let exitHookInstalled = false;
function track(obj: NativeBpfObject): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const o of OPEN) o.close();
      OPEN.clear();
    });
  }
  OPEN.add(obj);
}

/** Why a variant could not load or attach, in the user's terms. */
export function describeFailure(err: unknown, variant: HookVariant, section: string | undefined, tracefsMounted = true): string {
  const e = asNativeError(err);
  if (!e) return err instanceof Error ? err.message : String(err);
  const where = section ?? variant.hook;
  const log = usefulLog(e.log, 3);
  const tail = log === '' ? '' : ` (libbpf: ${log.replace(/\n/g, ' | ')})`;
  if (e.op === 'attach' && e.code === 'ENOENT' && variant.hook === 'tp' && !tracefsMounted)
    return 'classic tracepoints need tracefs, which is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)';
  if (e.op === 'attach' && e.code === 'ENOENT') return `kernel lacks the tracepoint ${where}`;
  if (e.op === 'load' && (e.code === 'ESRCH' || e.code === 'ENOENT') && variant.hook === 'tp_btf') return `kernel lacks the BTF tracepoint ${where}`;
  if (variant.hook === 'tp' && (e.code === 'EACCES' || e.code === 'EPERM')) return `classic tracepoints need tracefs access (root or CAP_DAC_READ_SEARCH): ${e.code}`;
  if (e.code === 'EPERM' || e.code === 'EACCES') return `${e.op} refused by the kernel (${e.code})${tail}`;
  if (e.op === 'perf_event_open' && e.code === 'ENOENT') return 'kernel has no cpu-clock perf event';
  return `${e.op} failed (${e.code})${tail}`;
}

export interface Attempt {
  readonly hook: Hook;
  readonly reason: string;
}

export interface OpenedObject {
  readonly obj: NativeBpfObject;
  readonly hook: Hook;
  /** Time to open, load and attach the variant that worked (ms). */
  readonly attachMs: number;
  /** Variants tried before it, with why each failed. */
  readonly failed: readonly Attempt[];
}

export interface OpenRequest {
  readonly addon: NativeAddon;
  readonly object: string;
  readonly variants: readonly HookVariant[];
  /** Called before load: set globals, map sizes. */
  readonly configure?: (obj: NativeBpfObject, variant: HookVariant) => void;
  /** Called after load, before attach: fill maps. */
  readonly loaded?: (obj: NativeBpfObject) => void;
  /** perf_event sampling frequency (Hz). */
  readonly perfHz?: number;
  /** Whether /sys/kernel/tracing/events exists (to explain classic tracepoint failures). */
  readonly tracefsMounted?: boolean;
}

/** Open, configure, load and attach the first variant this kernel accepts. */
export function openFirstWorking(req: OpenRequest): Outcome<OpenedObject> {
  const bytes = req.addon.embeddedObjects()[req.object];
  if (!bytes) return unavailable('tool-missing', `the addon has no BPF object ${req.object} (stale build?)`, 'rebuild: node scripts/build-native.mjs');
  const failed: Attempt[] = [];
  for (const variant of req.variants) {
    const t0 = performance.now();
    let obj: NativeBpfObject | undefined;
    let section: string | undefined;
    try {
      obj = new req.addon.BpfObject(bytes, req.object);
      const programs = obj.programs();
      const want = new Set(variant.programs);
      for (const p of programs) obj.setAutoload(p.name, want.has(p.name));
      req.configure?.(obj, variant);
      section = programs.find((p) => want.has(p.name))?.section;
      obj.load();
      req.loaded?.(obj);
      track(obj);
      for (const name of variant.programs) {
        section = programs.find((p) => p.name === name)?.section;
        if (variant.hook === 'perf_event') obj.attachPerfEvent(name, req.perfHz ?? 49);
        else obj.attach(name);
      }
      return ok({ obj, hook: variant.hook, attachMs: performance.now() - t0, failed });
    } catch (err) {
      failed.push({ hook: variant.hook, reason: describeFailure(err, variant, section, req.tracefsMounted) });
      if (obj) {
        obj.close();
        OPEN.delete(obj);
      }
    }
  }
  return unavailable('unsupported', `no hook works: ${failed.map((f) => `${f.hook}: ${f.reason}`).join('; ')}`);
}

export function closeObject(obj: NativeBpfObject): void {
  obj.close();
  OPEN.delete(obj);
}

/** Sum of a per-CPU u64 value (one entry of a dump), over CPUs. */
export function sumPerCpu(values: Buffer, entry: number, stride: number, ncpus: number, offset = 0): number {
  let s = 0n;
  const base = entry * stride;
  const per = stride / ncpus;
  for (let c = 0; c < ncpus; c++) {
    const at = base + c * per + offset;
    if (at + 8 <= values.length) s += values.readBigUInt64LE(at);
  }
  if (s > BigInt(Number.MAX_SAFE_INTEGER)) throw new BpfDecodeError(`a per-CPU sum of ${s} is past 2^53: not a value a probe run can reach`);
  return Number(s);
}

/** Lost events: [0] ring buffer full, [1] map full (the `lost` map of native/bpf/common.h). */
export function readLost(obj: NativeBpfObject, ncpus: number): { ring: number; map: number } {
  return lostFromDump(obj.dump('lost'), ncpus);
}

/** The `lost` map's counters from its dump (PERCPU_ARRAY, key u32, value u64). */
export function lostFromDump(d: Pick<MapDump, 'count' | 'keySize' | 'valueStride' | 'keys' | 'values'>, ncpus: number): { ring: number; map: number } {
  let ring = 0;
  let map = 0;
  for (let i = 0; i < d.count; i++) {
    const k = d.keys.readUInt32LE(i * d.keySize);
    const v = sumPerCpu(d.values, i, d.valueStride, ncpus);
    if (k === 0) ring = v;
    else if (k === 1) map = v;
  }
  return { ring, map };
}

/** Records of one ring-buffer batch from the addon: [u32 length][4 pad][bytes][pad to 8]. */
export function* ringRecords(batch: Buffer): Generator<Buffer> {
  let at = 0;
  while (at + 8 <= batch.length) {
    const len = batch.readUInt32LE(at);
    const end = at + 8 + len;
    if (end > batch.length) return;
    yield batch.subarray(at + 8, end);
    at += 8 + ((len + 7) & ~7);
  }
}

/** The addon's batch format from records (what ringRecords reads back). */
export function ringBatch(records: readonly Buffer[]): Buffer {
  let size = 0;
  for (const r of records) size += 8 + ((r.length + 7) & ~7);
  const out = Buffer.alloc(size);
  let at = 0;
  for (const r of records) {
    out.writeUInt32LE(r.length, at);
    r.copy(out, at + 8);
    at += 8 + ((r.length + 7) & ~7);
  }
  return out;
}

/** Streams a ring buffer: waits off the JS thread until 64 KiB are pending or 20 ms pass, then
 * hands every waiting record over in one batch. */
export class RingStream {
  private running = true;
  private readonly done: Promise<void>;
  private readonly ring: number;

  constructor(
    private readonly obj: NativeBpfObject,
    map: string,
    private readonly onRecord: (rec: Buffer) => void,
    pollMs = 20,
  ) {
    this.ring = obj.openRing(map);
    this.done = this.loop(pollMs);
    // Reported by stop(); never an unhandled rejection when the probe fails before stopping.
    this.done.catch(() => {});
  }

  private async loop(pollMs: number): Promise<void> {
    while (this.running) {
      const batch = await this.obj.pollRing(this.ring, pollMs);
      for (const rec of ringRecords(batch)) this.onRecord(rec);
    }
  }

  /** Stop polling and drain what is left. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    for (const rec of ringRecords(this.obj.consumeRing(this.ring))) this.onRecord(rec);
  }
}

export type { ProgStat };
