import { join } from 'node:path';
import { loadAddon, type NativeAddon, type NativeBpfObject, type ProgStat } from './addon.js';
import { bpfPrivileges, kernelBtf, type BpfPrivileges } from './privileges.js';
import { closeObject, openFirstWorking, readLost, RingStream, type Attempt, type Hook, type HookVariant } from './session.js';
import type { StructLayout } from './layout.js';
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

/** A running probe, handed to its definition to read maps and stream events. */
export interface ProbeSession {
  readonly obj: NativeBpfObject;
  readonly hook: Hook;
  readonly ctx: ProbeContext;
  /** Start streaming a ring buffer map; stopped and drained before `finish`. */
  stream(map: string, onRecord: (rec: Buffer) => void): void;
}

/**
 * One probe: X.bpf.c + X.h in native/bpf, this definition and a decoder in collectors/bpf/X.ts.
 * R is the decoded result (JSON-ready).
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
  readonly settings?: readonly ('perProcess' | 'hz' | 'live')[];
  /** What the probe needs beyond the basics, checked before loading (e.g. kallsyms). */
  prerequisites?(ctx: ProbeContext): Outcome<true>;
  /** perf_event sampling frequency, for perf_event variants. */
  readonly perfHz?: number;
  /** Before load: set globals and map sizes, skip maps the variant does not use. */
  configure?(obj: NativeBpfObject, ctx: ProbeContext, variant: HookVariant): void;
  /** After attach: start ring streams. */
  start?(session: ProbeSession): void;
  /** After the window (streams drained): read maps and decode. */
  finish(session: ProbeSession): Promise<R> | R;
  /** Text for a person (or, with textIsData, for another tool). */
  render(result: R): string;
  /** The text is data for another tool (folded stacks): the CLI prints the run's own lines
   * (hook, lost events) on stderr. */
  readonly textIsData?: boolean;
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
  readonly progStats: readonly ProgStat[];
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

/** Attach a probe, run it for the window, decode, detach (always). */
export async function runProbe<R>(def: ProbeDefinition<R>, src: Source, options: ProbeOptions): Promise<Outcome<ProbeRun<R>>> {
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
  const streams: RingStream[] = [];
  const session: ProbeSession = {
    obj,
    hook,
    ctx,
    stream: (map, onRecord) => {
      streams.push(new RingStream(obj, map, onRecord));
    },
  };
  const t0 = performance.now();
  try {
    def.start?.(session);
    options.onAttached?.();
    const stoppedBy = await wait(options.durationMs, options.signal);
    await Promise.all(streams.map((s) => s.stop()));
    const durationMs = performance.now() - t0;
    const lost = readLost(obj, ctx.ncpus);
    const progStats = obj.progStats();
    const result = await def.finish(session);
    return ok({ probe: def.id, hook, fallbacks: failed, attachMs, durationMs, stoppedBy, lost, progStats, result });
  } finally {
    closeObject(obj);
  }
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
