import { probesRefused, TREE_HINT } from '../core/host-root.js';
import { LiveSource } from '../core/live-source.js';
import { ok, unavailable } from '../core/outcome.js';
import type { Source } from '../core/source.js';
import type { ProbeRunner } from '../engine/probe-runner.js';

/**
 * The probe runner of the terminal UI's guide: collectors/bpf runs the probe (loaded when one
 * runs, so a session that runs none never loads the addon) and src/report/probe-text.ts says
 * what it saw. A probe attaches to the kernel diag runs on: for a --root tree of copied files
 * that kernel is not the tree's host, so no probe runs.
 */
export function probeRunnerForCli(src: Source): Promise<ProbeRunner> {
  if (src instanceof LiveSource && src.host.kind === 'tree') {
    const refused = unavailable('not-captured', probesRefused(src.host), TREE_HINT);
    return Promise.resolve({ run: () => Promise.resolve(refused) });
  }
  return Promise.resolve({
    async run(name, durationMs, tgids) {
      const [{ findProbe }, { runProbe }, { probeText }] = await Promise.all([import('../../collectors/bpf/probes.js'), import('../../collectors/bpf/probe.js'), import('../report/probe-text.js')]);
      const def = findProbe(name);
      if (!def) return unavailable('not-found', `no BPF probe named ${JSON.stringify(name)}`, 'see diag probes');
      const r = await runProbe(def, src, { durationMs, ...(tgids !== undefined && def.filter ? { tgids } : {}) });
      if (r.status !== 'ok') return r;
      const run = r.value;
      return ok({ probe: run.probe, hook: run.hook, durationMs: Math.round(run.durationMs), lost: run.lost, result: run.result, text: probeText(run.probe, run.result).text });
    },
  });
}
