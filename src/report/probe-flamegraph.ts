import type { OffcpuResult } from '../../collectors/bpf/offcpu.js';
import type { ProfileResult } from '../../collectors/bpf/profile.js';
import { flameGraphSvg, type FlameStack } from './flamegraph.js';

/**
 * Whether user stacks look walked through frame pointers: the share of samples (or off-CPU
 * time) whose stack has two user frames or more. A binary built without frame pointers (the
 * default of gcc -O2) yields one user frame, the leaf: its callers are missing.
 */
export function framePointerStatus(stacks: ReadonlyArray<{ readonly frames: readonly string[]; readonly weight: number }>): string {
  const user = stacks.filter((s) => s.frames.some((f) => !f.endsWith('_[k]')));
  const all = user.reduce((a, s) => a + s.weight, 0);
  if (all === 0) return 'frame pointers: no user stacks in the run (kernel only)';
  const deep = user.filter((s) => s.frames.filter((f) => !f.endsWith('_[k]')).length >= 2).reduce((a, s) => a + s.weight, 0);
  const pct = (100 * deep) / all;
  return pct >= 50
    ? `frame pointers: ${pct.toFixed(0)}% of user stacks have callers (walked through frame pointers)`
    : `frame pointers: only ${pct.toFixed(0)}% of user stacks have callers: the binaries likely lack frame pointers (rebuild with -fno-omit-frame-pointer; JIT runtimes: publish /tmp/perf-PID.map)`;
}

/** The flame graph of a profile or off-CPU run: the SVG, its stack count and the frame-pointer status. */
export function flameGraphOf(probe: string, result: unknown): { svg: string; stacks: number; framePointers: string } | undefined {
  let stacks: FlameStack[];
  let title: string;
  let unit: string;
  if (probe === 'profile') {
    const r = result as ProfileResult;
    stacks = r.stacks.map((s) => ({ frames: [s.comm, ...s.frames], count: s.count }));
    title = `CPU flame graph (${r.hz} Hz)`;
    unit = 'samples';
  } else if (probe === 'offcpu') {
    const r = result as OffcpuResult;
    stacks = r.stacks.map((s) => ({ frames: [s.comm, ...s.frames], count: Math.max(1, Math.round(s.totalNs / 1000)) }));
    title = `Off-CPU flame graph (blocks of ${r.minBlockUs} µs or more)`;
    unit = 'µs off CPU';
  } else return undefined;
  const framePointers = framePointerStatus(stacks.map((s) => ({ frames: s.frames.slice(1), weight: s.count })));
  return { svg: flameGraphSvg(stacks, { title, unit }), stacks: stacks.length, framePointers };
}
