import type { ProbeDefinition } from './probe.js';
import { biolatencyProbe } from './biolatency.js';
import { biosnoopProbe } from './biosnoop.js';
import { dropsProbe } from './drops.js';
import { execsnoopProbe } from './execsnoop.js';
import { offcpuProbe } from './offcpu.js';
import { oomkillProbe } from './oomkill.js';
import { profileProbe } from './profile.js';
import { runqlatProbeWith } from './runqlat.js';
import { syscallsProbe } from './syscalls.js';
import { tcpconnProbe, type RemoteFilter } from './tcpconn.js';
import { tcpretransProbe } from './tcpretrans.js';

/** Probe-specific command-line settings; a probe lists the ones it takes in `settings`. */
export interface ProbeSettings {
  /** runqlat: one histogram per process. */
  readonly perProcess?: boolean;
  /** profile: sampling frequency, 49-99 Hz. */
  readonly hz?: number;
  /** offcpu: blocks shorter than this (µs) are not counted. */
  readonly minBlockUs?: number;
  /** tcpconn: only sockets whose peer is this address (and port). */
  readonly remote?: RemoteFilter;
}

/** Every BPF probe, in the order `diag probes` lists them. Adding one is one line here. Each
 * entry makes a fresh definition from the settings. */
export const PROBES: ReadonlyArray<(s: ProbeSettings) => ProbeDefinition<unknown>> = [
  (s) => runqlatProbeWith({ perProcess: s.perProcess === true }),
  () => biolatencyProbe(),
  () => biosnoopProbe(),
  () => tcpretransProbe,
  (s) => tcpconnProbe(s.remote === undefined ? {} : { remote: s.remote }),
  () => dropsProbe,
  () => execsnoopProbe(),
  () => oomkillProbe(),
  (s) => profileProbe(s.hz === undefined ? {} : { hz: s.hz }),
  () => syscallsProbe(),
  (s) => offcpuProbe(s.minBlockUs === undefined ? {} : { minBlockUs: s.minBlockUs }),
];

export const probeIds = (): string[] => PROBES.map((p) => p({}).id);

export function findProbe(id: string, settings: ProbeSettings = {}): ProbeDefinition<unknown> | undefined {
  for (const make of PROBES) {
    const p = make(settings);
    if (p.id === id) return p;
  }
  return undefined;
}

/** Settings as a BPF request carries them (BpfProbeRequest.settings), typed; unknown ones are ignored. */
export function settingsOf(raw: Readonly<Record<string, number | boolean>> | undefined): ProbeSettings {
  const perProcess = raw?.perProcess;
  const hz = raw?.hz;
  const minBlockUs = raw?.minBlockUs;
  return {
    ...(typeof perProcess === 'boolean' ? { perProcess } : {}),
    ...(typeof hz === 'number' ? { hz } : {}),
    ...(typeof minBlockUs === 'number' ? { minBlockUs } : {}),
  };
}
