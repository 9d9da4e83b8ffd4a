import { captureProbe } from './probe.js';
import { findProbe, settingsOf } from './probes.js';
import type { BpfAccess } from '../../src/core/bpf.js';
import { LiveSource } from '../../src/core/live-source.js';
import { unavailable } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';

/**
 * The BPF capability of a live source: runs a registered probe through the addon and answers
 * with its raw capture. The CLI lends it to its LiveSource (core never loads the addon). Probes
 * observe the running kernel, so the privileges, BTF and kallsyms it reads are this host's
 * (`src`), also when the source observes a host filesystem under --root.
 */
export function liveBpf(src: Source = new LiveSource()): BpfAccess {
  return {
    run(req) {
      const def = findProbe(req.probe, settingsOf(req.settings));
      if (!def) return Promise.resolve(unavailable('not-found', `no BPF probe named ${JSON.stringify(req.probe)}`, 'see diag probes'));
      return captureProbe(def, src, {
        durationMs: req.durationMs,
        ...(req.tgids !== undefined ? { tgids: req.tgids } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.onAttached ? { onAttached: req.onAttached } : {}),
        ...(req.onRecord ? { onRecord: req.onRecord } : {}),
      });
    },
  };
}
