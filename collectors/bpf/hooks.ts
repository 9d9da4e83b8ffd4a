import type { NativeAddon } from './addon.js';
import { openFirstWorking, closeObject, type Hook } from './session.js';

export type HookFeature = Hook | 'ringbuf';

export interface HookSupport {
  readonly feature: HookFeature;
  readonly works: boolean;
  readonly reason?: string;
}

/** Program in native/bpf/hooks.bpf.c that exercises each feature. */
const PROBE_PROGRAMS: Readonly<Record<HookFeature, string>> = {
  tp_btf: 'probe_tp_btf',
  raw_tp: 'probe_raw_tp',
  tp: 'probe_tp',
  perf_event: 'probe_perf_event',
  ringbuf: 'probe_ringbuf',
};

/**
 * What this kernel and these credentials allow, found by loading and attaching a trivial program
 * per hook type (`bpftool feature probe` reports tp_btf as unavailable on kernels where it works).
 */
export function detectHooks(addon: NativeAddon, tracefsMounted: boolean): HookSupport[] {
  return (Object.keys(PROBE_PROGRAMS) as HookFeature[]).map((feature) => {
    const hook: Hook = feature === 'ringbuf' ? 'raw_tp' : feature;
    const r = openFirstWorking({ addon, object: 'hooks', variants: [{ hook, programs: [PROBE_PROGRAMS[feature]] }], perfHz: 1, tracefsMounted });
    if (r.status === 'ok') {
      closeObject(r.value.obj);
      return { feature, works: true };
    }
    return { feature, works: false, reason: r.reason.replace(/^no hook works: [a-z_]+: /, '') };
  });
}
