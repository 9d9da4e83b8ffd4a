import type { ProbeDefinition } from './probe.js';
import { biolatencyProbe } from './biolatency.js';
import { dropsProbe } from './drops.js';
import { execsnoopProbe } from './execsnoop.js';
import { oomkillProbe } from './oomkill.js';
import { profileProbe } from './profile.js';
import { runqlatProbe } from './runqlat.js';
import { tcpretransProbe } from './tcpretrans.js';

/** Every BPF probe, in the order `diag probes` lists them. Adding one is one line here. Each
 * entry makes a fresh definition (probes that stream events keep them per run). */
export const PROBES: ReadonlyArray<() => ProbeDefinition<unknown>> = [
  () => runqlatProbe,
  () => biolatencyProbe(),
  () => tcpretransProbe,
  () => dropsProbe,
  () => execsnoopProbe(),
  () => oomkillProbe(),
  () => profileProbe(),
];

export const probeIds = (): string[] => PROBES.map((p) => p().id);

export function findProbe(id: string): ProbeDefinition<unknown> | undefined {
  for (const make of PROBES) {
    const p = make();
    if (p.id === id) return p;
  }
  return undefined;
}
