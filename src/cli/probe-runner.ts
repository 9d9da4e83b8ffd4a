import { probesRefused, TREE_HINT } from '../core/host-root.js';
import { LiveSource } from '../core/live-source.js';
import { unavailable } from '../core/outcome.js';
import type { Source } from '../core/source.js';
import { bpfProbeRunner } from '../engine/bpf-probes.js';
import type { ProbeRunner } from '../engine/drilldown.js';

/**
 * The BPF probe runner for drill-downs (collectors/bpf, loaded lazily when a probe runs). A
 * probe attaches to the kernel diag runs on: for a --root tree of copied files that kernel is
 * not the tree's host, so no probe runs.
 */
export function probeRunnerForCli(src: Source): Promise<ProbeRunner> {
  if (src instanceof LiveSource && src.host.kind === 'tree') {
    const refused = unavailable('not-captured', probesRefused(src.host), TREE_HINT);
    return Promise.resolve({ run: () => Promise.resolve(refused) });
  }
  return Promise.resolve(bpfProbeRunner(src));
}
