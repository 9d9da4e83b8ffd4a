import { PROBES } from './probes.js';
import { detectHooks, type HookSupport } from './hooks.js';
import { probeContext } from './probe.js';
import { closeObject, openFirstWorking, type Attempt } from './session.js';
import type { Source } from '../../src/core/source.js';

export interface ProbeStatus {
  readonly id: string;
  readonly title: string;
  readonly available: boolean;
  /** The hook it would use (tp_btf, raw_tp, tp, perf_event). */
  readonly hook?: string;
  readonly reason?: string;
  readonly hint?: string;
  /** Preferred hooks that did not work here, and why. */
  readonly fallbacks?: readonly Attempt[];
}

export interface BpfStatus {
  readonly bpf: { readonly available: true; readonly libbpf: string } | { readonly available: false; readonly reason: string; readonly hint?: string };
  readonly hooks: readonly HookSupport[];
  readonly probes: readonly ProbeStatus[];
}

/**
 * Which probes work on this host and with which hook, found by loading and attaching each one
 * for a moment (then detaching): `diag probes`, and the probe list of a snapshot's manifest.
 */
export function bpfStatus(src: Source): BpfStatus {
  const ctx = probeContext(src, { durationMs: 0 });
  const probes: ProbeStatus[] = PROBES.map((make) => make({})).map((p) => {
    if (ctx.status !== 'ok') return { id: p.id, title: p.title, available: false, reason: ctx.reason, ...(ctx.status === 'unavailable' && ctx.hint ? { hint: ctx.hint } : {}) };
    const pre = p.prerequisites?.(ctx.value);
    if (pre && pre.status !== 'ok') return { id: p.id, title: p.title, available: false, reason: pre.reason };
    const r = openFirstWorking({ addon: ctx.value.addon, object: p.object, variants: p.variants, perfHz: 1, tracefsMounted: ctx.value.tracefs, configure: (obj, variant) => p.configure?.(obj, ctx.value, variant) });
    if (r.status !== 'ok') return { id: p.id, title: p.title, available: false, reason: r.reason };
    closeObject(r.value.obj);
    return { id: p.id, title: p.title, available: true, hook: r.value.hook, ...(r.value.failed.length > 0 ? { fallbacks: r.value.failed } : {}) };
  });
  if (ctx.status !== 'ok') {
    return { bpf: { available: false, reason: ctx.reason, ...(ctx.status === 'unavailable' && ctx.hint ? { hint: ctx.hint } : {}) }, hooks: [], probes };
  }
  return { bpf: { available: true, libbpf: ctx.value.addon.libbpfVersion() }, hooks: detectHooks(ctx.value.addon, ctx.value.tracefs), probes };
}
