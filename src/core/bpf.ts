import { createHash } from 'node:crypto';
import type { Outcome } from './outcome.js';

/**
 * The BPF capability of a Source: run a probe for a while and hand back what its maps and ring
 * buffers held, as raw bytes. A live source runs it through the addon (collectors/bpf, lent by
 * the CLI: core never imports collectors); a recording source keeps every capture in its tree
 * (.diag/bpf/, bpf-tree.ts); fixture and bundle trees replay them. Decoding into tables is the
 * probe collectors' job (collectors/bpf), the same for a live capture and a replayed one.
 */
export interface BpfAccess {
  run(req: BpfProbeRequest): Promise<Outcome<BpfCapture>>;
}

export interface BpfProbeRequest {
  /** A registered probe (`diag probes`), e.g. "runqlat". */
  readonly probe: string;
  /** How long it runs (ms); it never runs longer. A replay answers with what was captured. */
  readonly durationMs: number;
  /** Only these processes (thread-group ids): a --pid or cgroup target. */
  readonly tgids?: readonly number[];
  /** Probe settings (e.g. runqlat `perProcess: true`, profile `hz: 99`). */
  readonly settings?: Readonly<Record<string, number | boolean>>;
  /** Stops the probe early (it still answers with what it saw). */
  readonly signal?: AbortSignal;
  /** Called once the probe is attached, right before its window starts. */
  readonly onAttached?: () => void;
  /** Each ring-buffer record as it arrives (a live capture only: `diag probe execsnoop`). */
  readonly onRecord?: (ring: string, record: Buffer) => void;
}

/**
 * Every entry of one map: keys and values packed back to back, in the format of
 * test/fixtures/bpf/<name>.{json,keys.bin,values.bin}. Per-CPU values take
 * `valueStride` = round_up(valueSize, 8) x ncpus bytes per entry.
 */
export interface BpfMapDump {
  readonly count: number;
  readonly keySize: number;
  readonly valueStride: number;
  readonly keys: Buffer;
  readonly values: Buffer;
}

/** Records of one ring buffer, in the addon's batch format ([u32 length][4 pad][bytes][pad to 8]). */
export interface BpfRingCapture {
  readonly batch: Buffer;
  readonly records: number;
  /** Records seen beyond the kept maximum (counted, not kept). */
  readonly dropped: number;
}

/** A program's kernel statistics over the run (bpf_stats; zero when kernel.bpf_stats_enabled=0). */
export interface BpfProgStat {
  readonly name: string;
  readonly id: number;
  readonly runCount: number;
  readonly runTimeNs: number;
  readonly recursionMisses: number;
}

/** What one probe run saw, raw: enough to decode it again anywhere, without the host. */
export interface BpfCapture {
  readonly probe: string;
  /** The hook in use (tp_btf, raw_tp, tp, perf_event). */
  readonly hook: string;
  /** Preferred hooks that did not work, and why. */
  readonly fallbacks: ReadonlyArray<{ readonly hook: string; readonly reason: string }>;
  readonly attachMs: number;
  readonly durationMs: number;
  readonly stoppedBy: 'duration' | 'signal';
  /** Possible CPUs when the maps were read (per-CPU value strides). */
  readonly ncpus: number;
  /** The maps read after the window, by name ("lost" always: ring buffer full, map full). */
  readonly maps: Readonly<Record<string, BpfMapDump>>;
  readonly rings: Readonly<Record<string, BpfRingCapture>>;
  readonly progStats: readonly BpfProgStat[];
  /** Kernel addresses in the capture, named from /proc/kallsyms at capture time (hex -> symbol). */
  readonly symbols: Readonly<Record<string, string>>;
  /** Kernel enums the decoder names values with, from the kernel's BTF (e.g. skb_drop_reason). */
  readonly enums: Readonly<Record<string, ReadonlyArray<{ readonly name: string; readonly value: number }>>>;
  /** Caveats, e.g. "kernel addresses are hidden (kptr_restrict)". */
  readonly notes: readonly string[];
  /** What the capture holds that a snapshot's redaction must know about. */
  readonly carries: ReadonlyArray<'addresses'>;
}

/** A probe id as the registry spells it (also what may appear in a tree's file names). */
export const PROBE_ID = /^[a-z][a-z0-9_]{0,31}$/;

/** The request a capture answers, as kept with it: what a replay matches on (not the duration). */
export interface BpfRequestKey {
  readonly probe: string;
  readonly tgids?: readonly number[];
  readonly settings?: Readonly<Record<string, number | boolean>>;
}

export function requestKeyOf(req: BpfRequestKey): BpfRequestKey {
  const tgids = req.tgids === undefined ? undefined : [...new Set(req.tgids)].sort((a, b) => a - b);
  const settings = req.settings === undefined || Object.keys(req.settings).length === 0 ? undefined : Object.fromEntries(Object.entries(req.settings).sort(([a], [b]) => a.localeCompare(b)));
  return { probe: req.probe, ...(tgids ? { tgids } : {}), ...(settings ? { settings } : {}) };
}

/**
 * A stable, filesystem-safe name for a capture in a tree (.diag/bpf/<key>/): the probe id and a
 * hash of what was asked (processes, settings). The duration is not part of it: a replay of a
 * drill-down gets the capture whatever time budget the replay has.
 */
export function bpfCaptureKey(req: BpfRequestKey): string {
  const k = requestKeyOf(req);
  const readable = PROBE_ID.test(k.probe) ? k.probe : 'probe';
  const hash = createHash('sha1').update(JSON.stringify(k)).digest('hex').slice(0, 12);
  return `${readable}-${hash}`;
}
