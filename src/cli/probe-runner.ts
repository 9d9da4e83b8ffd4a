import { bpfProbeRunner } from '../engine/bpf-probes.js';
import type { ProbeRunner } from '../engine/drilldown.js';
import type { Source } from '../core/source.js';

/** The BPF probe runner for drill-downs (collectors/bpf, loaded lazily when a probe runs). */
export function probeRunnerForCli(src: Source): Promise<ProbeRunner> {
  return Promise.resolve(bpfProbeRunner(src));
}
