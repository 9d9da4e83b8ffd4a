import { ok, unavailable } from '../core/outcome.js';
import type { Source } from '../core/source.js';
import type { ProbeRunner } from './drilldown.js';

/**
 * The drill-down hook onto collectors/bpf: runs a registered BPF probe for the given time and
 * returns a JSON-ready summary (hook in use, lost events, decoded result, text rendering).
 * collectors/bpf is imported only when a probe drill-down actually runs, so runs that find
 * nothing never load the addon.
 */
export function bpfProbeRunner(src: Source): ProbeRunner {
  return {
    async run(name, durationMs, tgids) {
      const [{ findProbe }, { runProbe }] = await Promise.all([import('../../collectors/bpf/probes.js'), import('../../collectors/bpf/probe.js')]);
      const def = findProbe(name);
      if (!def) return unavailable('not-found', `no BPF probe named ${JSON.stringify(name)}`, 'see diag probes');
      const r = await runProbe(def, src, { durationMs, ...(tgids !== undefined && def.filter ? { tgids } : {}) });
      if (r.status !== 'ok') return r;
      const run = r.value;
      return ok({
        probe: run.probe,
        hook: run.hook,
        durationMs: Math.round(run.durationMs),
        lost: run.lost,
        result: run.result,
        text: def.render(run.result),
      });
    },
  };
}
