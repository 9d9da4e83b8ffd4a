import { absentProbeRunner, type ProbeRunner } from '../engine/drilldown.js';

/** The BPF probe runner for drill-downs (collectors/bpf), or the absent one until it exists. */
export function probeRunnerForCli(): Promise<ProbeRunner> {
  return Promise.resolve(absentProbeRunner);
}
