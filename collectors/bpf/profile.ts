import type { ProbeDefinition } from './probe.js';
import { expectDump, u64Exact } from './dump.js';
import { cString } from './cstring.js';
import { structLayout } from './layout.js';
import { elfSymbolAt, readElfSymbols, type ElfSymbols } from './elf.js';
import { parseProcMaps, type Mapping } from './proc-maps.js';
import type { Source } from '../../src/core/source.js';
import type { BpfMapDump } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';
import { topFunctions } from './top-functions.js';
import { RUN_FIELDS, runValues } from './tables.js';

/** native/bpf/profile.h */
export const PROFILE_STACK_DEPTH = 127;
export const EFAULT = 14;
/** struct sample_key (key of the `counts` map; value: u64 samples). */
export const SAMPLE_KEY = structLayout('profile', 'sample_key', 32, { tgid: [0, 4], pid: [4, 4], kstack: [8, 4], ustack: [12, 4], comm: [16, 16] });

export interface SampleKey {
  readonly tgid: number;
  readonly pid: number;
  readonly kstack: number;
  readonly ustack: number;
  readonly comm: string;
}

export function decodeSampleKeys(d: BpfMapDump): Array<SampleKey & { count: number }> {
  const out: Array<SampleKey & { count: number }> = [];
  const m = SAMPLE_KEY.members;
  for (let i = 0; i < d.count; i++) {
    const k = d.keys.subarray(i * d.keySize, (i + 1) * d.keySize);
    if (k.length < SAMPLE_KEY.size) continue;
    out.push({
      tgid: k.readUInt32LE(m.tgid.offset),
      pid: k.readUInt32LE(m.pid.offset),
      kstack: k.readInt32LE(m.kstack.offset),
      ustack: k.readInt32LE(m.ustack.offset),
      comm: cString(k, m.comm.offset, m.comm.size),
      count: u64Exact(d.values, i * d.valueStride),
    });
  }
  return out;
}

/** The addresses of one stack (leaf first), from a `stacks` map value. */
export function stackAddresses(value: Buffer): bigint[] {
  const out: bigint[] = [];
  for (let o = 0; o + 8 <= value.length; o += 8) {
    const a = value.readBigUInt64LE(o);
    if (a === 0n) break;
    out.push(a);
  }
  return out;
}

export interface ProfileStack {
  readonly tgid: number;
  readonly pid: number;
  readonly comm: string;
  /** Frames root first (user, then kernel with a `_[k]` suffix). */
  readonly frames: readonly string[];
  readonly count: number;
}

export interface ProfileResult {
  readonly hz: number;
  readonly samples: number;
  readonly stacks: readonly ProfileStack[];
  /** flamegraph.pl input: "comm;frame;frame count" lines. */
  readonly folded: string;
  /** speedscope file (https://www.speedscope.app/file-format-schema.json). */
  readonly speedscope: SpeedscopeFile;
  /** Why kernel frames are addresses, when they are. */
  readonly note?: string;
}

export interface SpeedscopeFile {
  readonly $schema: string;
  readonly exporter: string;
  readonly name: string;
  readonly shared: { readonly frames: ReadonlyArray<{ name: string }> };
  readonly profiles: ReadonlyArray<{ type: 'sampled'; name: string; unit: 'none'; startValue: number; endValue: number; samples: number[][]; weights: number[] }>;
}

export interface PerfMapEntry {
  readonly start: bigint;
  readonly size: bigint;
  readonly name: string;
}

/** /tmp/perf-PID.map ("START SIZE name", hex, one symbol per line, as JIT runtimes write it); bad lines skipped. */
export function parsePerfMap(text: string): PerfMapEntry[] {
  const out: PerfMapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:0x)?([0-9a-fA-F]+) (?:0x)?([0-9a-fA-F]+) (.+)$/.exec(line.trim());
    if (m) out.push({ start: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`), name: m[3] ?? '' });
  }
  return out;
}

/** Symbolises user addresses of one process through /proc/PID/maps and the mapped ELF files. */
export class UserSymbolizer {
  private readonly maps = new Map<number, Mapping[] | undefined>();
  private readonly elfs = new Map<string, ElfSymbols | undefined>();
  private readonly perfMaps = new Map<number, PerfMapEntry[] | undefined>();
  constructor(private readonly src: Source) {}

  /** JIT code (anonymous memory) named from the runtime's /tmp/perf-PID.map, read in the process's root. */
  private jitSymbol(tgid: number, addr: bigint): string | undefined {
    if (!this.perfMaps.has(tgid)) {
      const r = this.src.readFile(`/proc/${tgid}/root/tmp/perf-${tgid}.map`);
      this.perfMaps.set(tgid, r.status === 'ok' ? parsePerfMap(r.value) : undefined);
    }
    return this.perfMaps.get(tgid)?.find((e) => addr >= e.start && addr < e.start + e.size)?.name;
  }

  symbol(tgid: number, addr: bigint): string {
    let maps = this.maps.get(tgid);
    if (!this.maps.has(tgid)) {
      const r = this.src.readFile(`/proc/${tgid}/maps`);
      const p = r.status === 'ok' ? parseProcMaps(r.value) : undefined;
      maps = p?.ok ? p.value : undefined;
      this.maps.set(tgid, maps);
    }
    const m = maps?.find((x) => addr >= x.start && addr < x.end);
    if (!m) return this.jitSymbol(tgid, addr) ?? `[unknown]`;
    const base = m.path.split('/').pop() ?? m.path;
    if (!m.path.startsWith('/')) return this.jitSymbol(tgid, addr) ?? (m.path === '' ? '[anon]' : m.path);
    const key = `${tgid}:${m.path}`;
    if (!this.elfs.has(key)) this.elfs.set(key, readElfSymbols(`/proc/${tgid}/root${m.path}`));
    const elf = this.elfs.get(key);
    const name = elf ? elfSymbolAt(elf, addr - m.start + m.offset) : undefined;
    return name ?? `[${base}]`;
  }
}

/** The `stacks` map (STACK_TRACE: key u32 id, value PROFILE_STACK_DEPTH u64 addresses): id -> addresses, leaf first. */
export function stacksById(d: BpfMapDump): Map<number, bigint[]> {
  const out = new Map<number, bigint[]>();
  for (let i = 0; i < d.count; i++) out.set(d.keys.readUInt32LE(i * d.keySize), stackAddresses(d.values.subarray(i * d.valueStride, (i + 1) * d.valueStride)));
  return out;
}

export function foldedLines(stacks: readonly ProfileStack[]): string {
  const merged = new Map<string, number>();
  for (const s of stacks) {
    const line = [s.comm, ...s.frames].map((f) => f.replace(/[;\s]/g, '_')).join(';');
    merged.set(line, (merged.get(line) ?? 0) + s.count);
  }
  return [...merged.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([l, c]) => `${l} ${c}`)
    .join('\n');
}

export function toSpeedscope(stacks: readonly ProfileStack[], name: string): SpeedscopeFile {
  const frames: Array<{ name: string }> = [];
  const index = new Map<string, number>();
  const frameId = (f: string): number => {
    let i = index.get(f);
    if (i === undefined) {
      i = frames.length;
      frames.push({ name: f });
      index.set(f, i);
    }
    return i;
  };
  const samples = stacks.map((s) => [s.comm, ...s.frames].map(frameId));
  const weights = stacks.map((s) => s.count);
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    exporter: 'diag',
    name,
    shared: { frames },
    profiles: [{ type: 'sampled', name, unit: 'none', startValue: 0, endValue: weights.reduce((a, b) => a + b, 0), samples, weights }],
  };
}

const countsOf = (maps: Readonly<Record<string, BpfMapDump>>) => expectDump(maps, 'counts', { keySize: SAMPLE_KEY.size, valueStride: 8 });
const stacksOf = (maps: Readonly<Record<string, BpfMapDump>>) => expectDump(maps, 'stacks', { keySize: 4, valueStride: PROFILE_STACK_DEPTH * 8 });

/**
 * CPU stacks. Kernel frames are named from the capture (kallsyms at capture time); user frames
 * from /proc/PID/maps and the mapped ELF files, read when decoding: on the live host right after
 * the run (a replayed capture names only what it can still read).
 */
export function profileProbe(opts: { hz?: number } = {}): ProbeDefinition<ProfileResult> {
  const hz = Math.min(99, Math.max(49, opts.hz ?? 49));
  return {
    id: 'profile',
    title: `CPU profile: kernel and user stacks sampled at ${hz} Hz (folded stacks, speedscope)`,
    object: 'profile',
    layouts: [SAMPLE_KEY],
    variants: [{ hook: 'perf_event', programs: ['sample'] }],
    perfHz: hz,
    filter: true,
    settings: ['hz'],
    maps: ['counts', 'stacks'],
    kernelAddresses(maps) {
      const stacks = stacksById(stacksOf(maps));
      return decodeSampleKeys(countsOf(maps)).flatMap((k) => (k.kstack >= 0 ? (stacks.get(k.kstack) ?? []) : []));
    },
    decode(cap, src) {
      const users = new UserSymbolizer(src);
      const byId = stacksById(stacksOf(cap.maps));
      const stackOf = (id: number) => (id < 0 ? [] : (byId.get(id) ?? []));
      const stacks: ProfileStack[] = decodeSampleKeys(countsOf(cap.maps)).map((key) => {
        const kernel = stackOf(key.kstack).map((a) => `${cap.symbols[a.toString(16)] ?? `0x${a.toString(16)}`}_[k]`);
        const user = stackOf(key.ustack).map((a) => users.symbol(key.tgid, a));
        return { tgid: key.tgid, pid: key.pid, comm: key.comm, frames: [...user.reverse(), ...kernel.reverse()], count: key.count };
      });
      stacks.sort((a, b) => b.count - a.count);
      const note = cap.notes.length > 0 ? cap.notes.join('; ') : undefined;
      return { hz, samples: stacks.reduce((a, x) => a + x.count, 0), stacks, folded: foldedLines(stacks), speedscope: toSpeedscope(stacks, `diag profile ${hz} Hz`), ...(note ? { note } : {}) };
    },
    collector: {
      resources: ['cpu'],
      tables: {
        profile_functions: {
          title: 'CPU profile: the functions the samples are in (self: its own code; total: with what it calls)',
          scope: 'function',
          fields: {
            self_pct: gauge('% of the samples running this function\'s own code', 'percent'),
            total_pct: gauge('% of the samples with this function on the stack', 'percent'),
            self_samples: gauge('samples running its own code'),
            total_samples: gauge('samples with it on the stack'),
          },
        },
        profile_summary: { title: 'CPU profile: samples, rate, duration and lost events', scope: 'host', fields: { samples: gauge('samples taken'), hz: gauge('samples per second on each CPU (Hz)'), ...RUN_FIELDS } },
      },
      rows: (r, cap) => ({
        profile_functions: topFunctions(r.stacks, 50).map((f) => ({
          key: f.name,
          labels: { function: f.name },
          values: { self_pct: Math.round(f.selfPct * 10) / 10, total_pct: Math.round(f.totalPct * 10) / 10, self_samples: f.self, total_samples: f.total },
        })),
        profile_summary: [{ key: 'host', values: { samples: r.samples, hz: r.hz, ...runValues(cap) } }],
      }),
    },
  };
}
