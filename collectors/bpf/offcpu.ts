import type { ProbeDefinition } from './probe.js';
import { expectDump, u64Exact } from './dump.js';
import { cString } from './cstring.js';
import { structLayout } from './layout.js';
import { foldedLines, stacksById, UserSymbolizer, type ProfileStack } from './profile.js';
import { RUN_FIELDS, runValues } from './tables.js';
import type { BpfMapDump } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';

/** native/bpf/offcpu.h */
export const OFFCPU_STACK_DEPTH = 127;
/** struct offcpu_key (key of the `counts` map). */
export const OFFCPU_KEY = structLayout('offcpu', 'offcpu_key', 40, { tgid: [0, 4], pid: [4, 4], kstack: [8, 4], ustack: [12, 4], state: [16, 4], pad: [20, 4], comm: [24, 16] });
/** struct offcpu_val (value of the `counts` map). */
export const OFFCPU_VAL = structLayout('offcpu', 'offcpu_val', 16, { total_ns: [0, 8], count: [8, 8] });
/** struct offcpu_start (a task switched out; kept in the BTF for the layout check). */
export const OFFCPU_START = structLayout('offcpu', 'offcpu_start', 24, { ts: [0, 8], kstack: [8, 4], ustack: [12, 4], state: [16, 4], pad: [20, 4] });

/** Why a task was off the CPU, from its state when switched out (include/linux/sched.h bits). */
export type OffcpuState = 'runnable' | 'sleeping' | 'blocked' | 'idle' | 'stopped' | 'other';

export const STATE_TITLES: Readonly<Record<OffcpuState, string>> = {
  runnable: 'R: preempted, waiting on a run queue',
  sleeping: 'S: interruptible sleep (waiting for an event: a pipe, socket, lock, timer)',
  blocked: 'D: uninterruptible (usually I/O)',
  idle: 'I: idle kernel wait',
  stopped: 'T: stopped or traced',
  other: 'other',
};

export function stateOf(raw: number): OffcpuState {
  if (raw === 0) return 'runnable';
  if (raw & 0x2) return raw & 0x400 ? 'idle' : 'blocked'; // TASK_UNINTERRUPTIBLE (| TASK_NOLOAD = TASK_IDLE)
  if (raw & 0x1) return 'sleeping'; // TASK_INTERRUPTIBLE
  if (raw & 0xc) return 'stopped'; // __TASK_STOPPED, __TASK_TRACED
  return 'other';
}

/** Kernel frames that say how a task went to sleep, not why: skipped when naming the wait. */
const SCHEDULER_FRAME = /^(__)?schedule|^io_schedule|^preempt_schedule|cond_resched|^__traceiter_|^__bpf_trace_|^bpf_|^finish_task_switch|^__switch_to|^context_switch/;

const BPF_FRAME = /^bpf_prog_|^bpf_trace_run|^__bpf_trace_|^__traceiter_/;

/** The wait: the first kernel frame from the leaf that is not the scheduler's (pipe_read, do_epoll_wait, ...). */
export function waitReason(kernelLeafFirst: readonly string[]): string | undefined {
  return kernelLeafFirst.find((f) => !SCHEDULER_FRAME.test(f));
}

export interface OffcpuKey {
  readonly tgid: number;
  readonly pid: number;
  readonly kstack: number;
  readonly ustack: number;
  readonly state: number;
  readonly comm: string;
  readonly totalNs: number;
  readonly count: number;
}

export function decodeOffcpu(d: BpfMapDump): OffcpuKey[] {
  const m = OFFCPU_KEY.members;
  const v = OFFCPU_VAL.members;
  const out: OffcpuKey[] = [];
  for (let i = 0; i < d.count; i++) {
    const k = d.keys.subarray(i * d.keySize, (i + 1) * d.keySize);
    const val = d.values.subarray(i * d.valueStride, (i + 1) * d.valueStride);
    out.push({
      tgid: k.readUInt32LE(m.tgid.offset),
      pid: k.readUInt32LE(m.pid.offset),
      kstack: k.readInt32LE(m.kstack.offset),
      ustack: k.readInt32LE(m.ustack.offset),
      state: k.readUInt32LE(m.state.offset),
      comm: cString(k, m.comm.offset, m.comm.size),
      totalNs: u64Exact(val, v.total_ns.offset),
      count: u64Exact(val, v.count.offset),
    });
  }
  return out;
}

export interface OffcpuStack {
  readonly tgid: number;
  readonly pid: number;
  readonly comm: string;
  readonly state: OffcpuState;
  /** The wait, named by its first non-scheduler kernel frame. */
  readonly reason: string | undefined;
  /** Frames root first: user, then kernel with a `_[k]` suffix. */
  readonly frames: readonly string[];
  readonly totalNs: number;
  /** Times it was switched out there for at least the minimum block time. */
  readonly count: number;
}

export interface OffcpuResult {
  readonly minBlockUs: number;
  readonly totalNs: number;
  /** Most time first. */
  readonly stacks: readonly OffcpuStack[];
  readonly byState: ReadonlyArray<{ readonly state: OffcpuState; readonly totalNs: number; readonly count: number }>;
  readonly byReason: ReadonlyArray<{ readonly reason: string; readonly state: OffcpuState; readonly totalNs: number; readonly count: number }>;
  /** flamegraph.pl input weighted by microseconds off CPU. */
  readonly folded: string;
  readonly note?: string;
}

const countsOf = (maps: Readonly<Record<string, BpfMapDump>>) => expectDump(maps, 'counts', { keySize: OFFCPU_KEY.size, valueStride: OFFCPU_VAL.size });
const stacksOf = (maps: Readonly<Record<string, BpfMapDump>>) => expectDump(maps, 'stacks', { keySize: 4, valueStride: OFFCPU_STACK_DEPTH * 8 });

function sumBy<T>(items: readonly T[], key: (t: T) => string): Map<string, { first: T; totalNs: number; count: number }> {
  const m = new Map<string, { first: T; totalNs: number; count: number }>();
  for (const t of items) {
    const k = key(t);
    const e = m.get(k);
    const s = t as unknown as { totalNs: number; count: number };
    if (e) {
      e.totalNs += s.totalNs;
      e.count += s.count;
    } else m.set(k, { first: t, totalNs: s.totalNs, count: s.count });
  }
  return m;
}

/**
 * Off-CPU time by thread, kernel and user stack and state (sched_switch). Kernel frames named
 * from the capture (kallsyms), user frames from the processes' ELF files when decoding.
 */
export function offcpuProbe(opts: { minBlockUs?: number } = {}): ProbeDefinition<OffcpuResult> {
  const minBlockUs = Math.max(1, Math.round(opts.minBlockUs ?? 100));
  return {
    id: 'offcpu',
    title: `off-CPU time by kernel and user stack and by state (blocks of ${minBlockUs} µs or more)`,
    object: 'offcpu',
    layouts: [OFFCPU_KEY, OFFCPU_VAL, OFFCPU_START],
    variants: [
      { hook: 'tp_btf', programs: ['switch_btf'] },
      { hook: 'raw_tp', programs: ['switch_raw'] },
    ],
    filter: true,
    settings: ['minBlockUs'],
    configure(obj, _ctx, variant) {
      obj.setAutocreate(variant.hook === 'tp_btf' ? 'start' : 'start_ts', false);
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(minBlockUs) * 1000n);
      obj.setGlobal('min_block_ns', b);
    },
    maps: ['counts', 'stacks'],
    kernelAddresses(maps) {
      const stacks = stacksById(stacksOf(maps));
      return decodeOffcpu(countsOf(maps)).flatMap((k) => (k.kstack >= 0 ? (stacks.get(k.kstack) ?? []) : []));
    },
    decode(cap, src) {
      const users = new UserSymbolizer(src);
      const byId = stacksById(stacksOf(cap.maps));
      const stackOf = (id: number) => (id < 0 ? [] : (byId.get(id) ?? []));
      const stacks: OffcpuStack[] = decodeOffcpu(countsOf(cap.maps)).map((key) => {
        const named = stackOf(key.kstack).map((a) => cap.symbols[a.toString(16)] ?? `0x${a.toString(16)}`);
        // The probe's own frames (the BPF program and its trampoline) sit at the leaf: not the task's.
        const own = named.findIndex((f) => !BPF_FRAME.test(f));
        const kernelLeaf = own < 0 ? [] : named.slice(own);
        const user = stackOf(key.ustack).map((a) => users.symbol(key.tgid, a));
        return {
          tgid: key.tgid,
          pid: key.pid,
          comm: key.comm,
          state: stateOf(key.state),
          reason: waitReason(kernelLeaf),
          frames: [...user.reverse(), ...kernelLeaf.map((f) => `${f}_[k]`).reverse()],
          totalNs: key.totalNs,
          count: key.count,
        };
      });
      stacks.sort((a, b) => b.totalNs - a.totalNs);
      const byState = [...sumBy(stacks, (s) => s.state).values()].map((e) => ({ state: e.first.state, totalNs: e.totalNs, count: e.count })).sort((a, b) => b.totalNs - a.totalNs);
      const byReason = [...sumBy(stacks, (s) => `${s.state}/${s.reason ?? '?'}`).values()]
        .map((e) => ({ reason: e.first.reason ?? '?', state: e.first.state, totalNs: e.totalNs, count: e.count }))
        .sort((a, b) => b.totalNs - a.totalNs);
      const weighted: ProfileStack[] = stacks.map((s) => ({ tgid: s.tgid, pid: s.pid, comm: s.comm, frames: s.frames, count: Math.max(1, Math.round(s.totalNs / 1000)) }));
      const note = cap.notes.length > 0 ? cap.notes.join('; ') : undefined;
      return { minBlockUs, totalNs: stacks.reduce((a, s) => a + s.totalNs, 0), stacks, byState, byReason, folded: foldedLines(weighted), ...(note ? { note } : {}) };
    },
    collector: {
      resources: ['cpu'],
      tables: {
        offcpu: {
          title: 'Off-CPU time per process, state and wait over the probe\'s run',
          scope: 'process',
          fields: { offcpu_ms: gauge('time off the CPU', 'ms'), blocks: gauge('times switched out for at least the minimum block time') },
          relations: { process: 'pid' },
        },
        offcpu_summary: { title: 'Off-CPU probe: time off CPU, duration and lost events', scope: 'host', fields: { offcpu_ms: gauge('time off the CPU, every traced thread', 'ms'), ...RUN_FIELDS } },
      },
      rows: (r, cap) => {
        const per = sumBy(r.stacks, (s) => `${s.tgid}/${s.state}/${s.reason ?? '?'}`);
        return {
          offcpu: [...per.entries()].map(([key, e]) => ({
            key,
            labels: { pid: String(e.first.tgid), comm: e.first.comm, state: e.first.state, reason: e.first.reason ?? '?' },
            values: { offcpu_ms: Math.round(e.totalNs / 1e3) / 1e3, blocks: e.count },
          })),
          offcpu_summary: [{ key: 'host', values: { offcpu_ms: Math.round(r.totalNs / 1e3) / 1e3, ...runValues(cap) } }],
        };
      },
    },
  };
}
