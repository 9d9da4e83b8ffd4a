import { join } from 'node:path';
import { loadAddon, type NativeAddon, type NativeBpfObject } from './addon.js';
import { kernelSymbol, parseKallsyms } from './kallsyms.js';
import type { StructLayout } from './layout.js';
import { bpfPrivileges, kernelBtf, type BpfPrivileges } from './privileges.js';
import { closeObject, lostFromDump, openFirstWorking, ringBatch, RingStream, type Attempt, type Hook, type HookVariant } from './session.js';
import type { BpfCapture, BpfMapDump, BpfProgStat, BpfRingCapture } from '../../src/core/bpf.js';
import type { Resource, Row, TableSpec } from '../../src/core/collector.js';
import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';

export interface ProbeOptions {
  /** How long the probe runs (ms); it never runs longer. */
  readonly durationMs: number;
  /** Only these processes (thread-group ids), from --pid or a cgroup's members. */
  readonly tgids?: readonly number[];
  /** Stops the probe early (SIGINT/SIGTERM in the CLI). */
  readonly signal?: AbortSignal;
  /** Called once the probe is attached, right before its window starts (benchmarks, tests). */
  readonly onAttached?: () => void;
  /** Each ring-buffer record as it arrives (`diag probe execsnoop` prints them live). */
  readonly onRecord?: (ring: string, record: Buffer) => void;
}

export interface ProbeContext {
  readonly src: Source;
  readonly addon: NativeAddon;
  readonly privileges: BpfPrivileges;
  readonly options: ProbeOptions;
  readonly ncpus: number;
  /** tracefs is mounted (classic tracepoints need it). */
  readonly tracefs: boolean;
}

/** A probe's tables as a collector (collectors.ts): fields declared once, rows from its result. */
export interface ProbeTables<R> {
  readonly resources: readonly Resource[];
  readonly tables: Readonly<Record<string, TableSpec>>;
  /** Rows of every table from a decoded run (the capture gives its duration and lost events). */
  rows(result: R, capture: BpfCapture): Readonly<Record<string, Row[]>>;
}

/**
 * One probe: X.bpf.c + X.h in native/bpf, this definition and a decoder in collectors/bpf/X.ts.
 * Running it (captureProbe) yields a BpfCapture: the raw maps and ring-buffer records. `decode`
 * turns a capture into the result R (JSON-ready) wherever the capture comes from: the live
 * kernel, or a fixture or bundle that recorded it. Text for a person is the report layer's
 * (src/report/probe-text.ts).
 */
export interface ProbeDefinition<R> {
  readonly id: string;
  readonly title: string;
  /** The embedded BPF object (native/bpf/<object>.bpf.c). */
  readonly object: string;
  /** Ways to attach, most preferred first. */
  readonly variants: readonly HookVariant[];
  /** The structs its decoder reads (map keys, records), checked against the object's BTF by a test. */
  readonly layouts: readonly StructLayout[];
  /** Honours --pid / --cgroup (the `tgids` filter map of common.h). */
  readonly filter: boolean;
  /** Probe-specific settings it takes from the command line (see probes.ts ProbeSettings). */
  readonly settings?: readonly ('perProcess' | 'hz' | 'minBlockUs' | 'remote')[];
  /** What the probe needs beyond the basics, checked before loading (e.g. kallsyms). */
  prerequisites?(ctx: ProbeContext): Outcome<true>;
  /** perf_event sampling frequency, for perf_event variants. */
  readonly perfHz?: number;
  /** Before load: set globals and map sizes, skip maps the variant does not use. */
  configure?(obj: NativeBpfObject, ctx: ProbeContext, variant: HookVariant): void;
  /** Maps read after the window (`lost` is always read too). */
  readonly maps: readonly string[];
  /** Ring buffers streamed during the window. */
  readonly rings?: readonly string[];
  /** Records kept per ring buffer (more are counted, not kept). Default 100,000. */
  readonly ringLimit?: number;
  /** Kernel enums the decoder names values with, read from the kernel's BTF into the capture. */
  readonly enums?: readonly string[];
  /** Kernel addresses in the maps to name from /proc/kallsyms into the capture (a bundle has no kallsyms). */
  kernelAddresses?(maps: Readonly<Record<string, BpfMapDump>>): readonly bigint[];
  /** What a capture holds that redaction must know about (IP addresses: tcpretrans). */
  readonly carries?: ReadonlyArray<'addresses'>;
  /** A capture (live or replayed) -> the result. Reads the source only for names (comm, devices). */
  decode(capture: BpfCapture, src: Source): R;
  /** Its tables as a collector (PROBE_COLLECTORS): playbooks judge them, drill-downs show them. */
  readonly collector?: ProbeTables<R>;
}

export interface ProbeRun<R> {
  readonly probe: string;
  readonly hook: Hook;
  /** Hooks tried before the one in use, and why they failed. */
  readonly fallbacks: readonly Attempt[];
  readonly attachMs: number;
  readonly durationMs: number;
  readonly stoppedBy: 'duration' | 'signal';
  /** Events lost in the kernel: ring buffer full, map full. Zero is reported as zero. */
  readonly lost: { readonly ring: number; readonly map: number };
  readonly progStats: readonly BpfProgStat[];
  readonly result: R;
}

/** The common checks, in the order that gives the most useful reason first. */
export function probeContext(src: Source, options: ProbeOptions): Outcome<ProbeContext> {
  const addon = loadAddon();
  if (addon.status !== 'ok') return addon;
  const priv = bpfPrivileges(src);
  if (priv.status !== 'ok') return priv;
  const btf = kernelBtf(src);
  if (btf.status !== 'ok') return btf;
  return ok({ src, addon: addon.value, privileges: priv.value, options, ncpus: addon.value.possibleCpus(), tracefs: src.readDir('/sys/kernel/tracing/events').status === 'ok' });
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<'duration' | 'signal'> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve('signal');
    const onAbort = () => {
      clearTimeout(t);
      resolve('signal');
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve('duration');
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Names of the kernel addresses a capture holds, from /proc/kallsyms (hex -> symbol), and why some have none. */
function nameAddresses(src: Source, addrs: readonly bigint[]): { symbols: Record<string, string>; notes: string[] } {
  if (addrs.length === 0) return { symbols: {}, notes: [] };
  const k = src.readFile('/proc/kallsyms');
  const p = k.status === 'ok' ? parseKallsyms(k.value) : undefined;
  const syms = p?.ok ? p.value : undefined;
  if (syms === undefined) return { symbols: {}, notes: ['/proc/kallsyms unreadable: kernel locations are addresses'] };
  if (syms.hidden) return { symbols: {}, notes: ['kernel addresses are hidden (kptr_restrict; needs CAP_SYSLOG): kernel locations are addresses'] };
  const symbols: Record<string, string> = {};
  for (const a of addrs) {
    const name = kernelSymbol(syms, a);
    if (name !== undefined) symbols[a.toString(16)] = name;
  }
  return { symbols, notes: [] };
}

/**
 * Attach a probe, run it for the window, read its maps, detach (always): the raw capture.
 * Everything a decoder needs from the host that a bundle would not have (kernel symbol names,
 * kernel enums) is read now and kept with it.
 */
export async function captureProbe<R>(def: ProbeDefinition<R>, src: Source, options: ProbeOptions): Promise<Outcome<BpfCapture>> {
  const c = probeContext(src, options);
  if (c.status !== 'ok') return c;
  const ctx = c.value;
  const pre = def.prerequisites?.(ctx);
  if (pre && pre.status !== 'ok') return pre;
  if (options.tgids !== undefined && !def.filter) return unavailable('bad-option', `probe ${def.id} cannot be limited to processes or cgroups`);
  const filter = options.tgids;
  const opened = openFirstWorking({
    addon: ctx.addon,
    object: def.object,
    variants: def.variants,
    tracefsMounted: ctx.tracefs,
    ...(def.perfHz === undefined ? {} : { perfHz: def.perfHz }),
    configure: (obj, variant) => {
      if (filter !== undefined) obj.setGlobal('filter_tgid', Buffer.from([1]));
      def.configure?.(obj, ctx, variant);
    },
    loaded: (obj) => {
      for (const tgid of filter ?? []) {
        const k = Buffer.alloc(4);
        k.writeUInt32LE(tgid);
        obj.update('tgids', k, Buffer.from([1]));
      }
    },
  });
  if (opened.status !== 'ok') return opened;
  const { obj, hook, attachMs, failed } = opened.value;
  const limit = def.ringLimit ?? 100_000;
  const kept = new Map<string, { records: Buffer[]; dropped: number }>();
  const t0 = performance.now();
  try {
    const streams = (def.rings ?? []).map((name) => {
      const k = { records: [] as Buffer[], dropped: 0 };
      kept.set(name, k);
      return new RingStream(obj, name, (rec) => {
        options.onRecord?.(name, rec);
        if (k.records.length < limit) k.records.push(rec);
        else k.dropped++;
      });
    });
    options.onAttached?.();
    const stoppedBy = await wait(options.durationMs, options.signal);
    await Promise.all(streams.map((s) => s.stop()));
    const durationMs = performance.now() - t0;
    const maps: Record<string, BpfMapDump> = {};
    for (const name of ['lost', ...def.maps]) {
      const d = obj.dump(name);
      maps[name] = { count: d.count, keySize: d.keySize, valueStride: d.valueStride, keys: d.keys, values: d.values };
    }
    const rings: Record<string, BpfRingCapture> = {};
    for (const [name, k] of kept) rings[name] = { batch: ringBatch(k.records), records: k.records.length, dropped: k.dropped };
    const enums: Record<string, Array<{ name: string; value: number }>> = {};
    for (const e of def.enums ?? []) enums[e] = ctx.addon.btfEnum(e) ?? [];
    const { symbols, notes } = nameAddresses(src, def.kernelAddresses?.(maps) ?? []);
    const progStats = obj.progStats().map((p) => ({ name: p.name, id: p.id, runCount: p.runCount, runTimeNs: p.runTimeNs, recursionMisses: p.recursionMisses }));
    return ok({ probe: def.id, hook, fallbacks: failed, attachMs, durationMs, stoppedBy, ncpus: ctx.ncpus, maps, rings, progStats, symbols, enums, notes, carries: def.carries ?? [] });
  } finally {
    closeObject(obj);
  }
}

/** Events lost in the kernel, from a capture's `lost` map. */
export function lostOf(capture: BpfCapture): { ring: number; map: number } {
  const d = capture.maps.lost;
  if (d === undefined || d.keySize !== 4 || d.valueStride !== 8 * capture.ncpus) return { ring: 0, map: 0 };
  return lostFromDump(d, capture.ncpus);
}

/** A capture's run as `diag probe` reports it, with the decoded result. */
export function probeRun<R>(def: ProbeDefinition<R>, capture: BpfCapture, src: Source): ProbeRun<R> {
  return {
    probe: def.id,
    hook: capture.hook as Hook,
    fallbacks: capture.fallbacks.map((f) => ({ hook: f.hook as Hook, reason: f.reason })),
    attachMs: capture.attachMs,
    durationMs: capture.durationMs,
    stoppedBy: capture.stoppedBy,
    lost: lostOf(capture),
    progStats: capture.progStats,
    result: def.decode(capture, src),
  };
}

/** Attach a probe, run it for the window, decode, detach (always). */
export async function runProbe<R>(def: ProbeDefinition<R>, src: Source, options: ProbeOptions): Promise<Outcome<ProbeRun<R>>> {
  const c = await captureProbe(def, src, options);
  if (c.status !== 'ok') return c;
  return ok(probeRun(def, c.value, src));
}

/** --cgroup PATH: the cgroup directory (absolute under /sys/fs/cgroup, or relative to a hierarchy). */
export function cgroupMembers(src: Source, path: string): Outcome<number[]> {
  const candidates = path.startsWith('/sys/fs/cgroup')
    ? [path]
    : ['', 'unified', 'cpu', 'memory', 'pids', 'systemd'].map((h) => join('/sys/fs/cgroup', h, path));
  for (const dir of candidates) {
    const procs = src.readFile(join(dir, 'cgroup.procs'));
    if (procs.status !== 'ok') continue;
    const tgids = procs.value
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
    return ok(tgids);
  }
  return unavailable('not-found', `--cgroup: no cgroup ${JSON.stringify(path)} (looked for cgroup.procs under /sys/fs/cgroup)`, 'give the path under /sys/fs/cgroup, e.g. /sys/fs/cgroup/memory/mygroup');
}
