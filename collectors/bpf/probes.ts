import type { ProbeDefinition } from './probe.js';
import { runqlatProbe } from './runqlat.js';

/** Every BPF probe, in the order `diag probes` lists them. Adding one is one line here. */
export const PROBES: readonly ProbeDefinition<unknown>[] = [runqlatProbe];

export function findProbe(id: string): ProbeDefinition<unknown> | undefined {
  return PROBES.find((p) => p.id === id);
}
