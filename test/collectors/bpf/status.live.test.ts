import { afterAll, describe, expect, it } from 'vitest';
import { PROBES } from '../../../collectors/bpf/probes.js';
import { bpfStatus } from '../../../collectors/bpf/status.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { ensureTracefs } from '../../helpers/bpf.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

/**
 * bpfStatus directly (audit item 30): on this host as root every probe loads and attaches with
 * a hook this kernel offers; through a source whose process lacks the capabilities, nothing is
 * tried and every probe carries the same reason as BPF as a whole.
 */
const req = liveRequirement('root');
const HOOKS = ['tp_btf', 'raw_tp', 'tp', 'perf_event'];

describe.skipIf(req.skip)('bpfStatus', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('as root on this host: every probe available, each with a hook detection found working', () => {
    cleanups.push(ensureTracefs());
    const s = bpfStatus(new LiveSource());
    expect(s.bpf.available).toBe(true);
    expect(s.probes.map((p) => p.id)).toEqual(PROBES.map((make) => make({}).id));
    const working = new Set<string>(s.hooks.filter((h) => h.works).map((h) => h.feature));
    for (const p of s.probes) {
      expect(p.available, `${p.id}: ${p.reason ?? ''}`).toBe(true);
      expect(HOOKS).toContain(p.hook);
      expect(working.has(p.hook!), `${p.id} uses ${p.hook}, which detection did not find working`).toBe(true);
    }
  });

  it('without CAP_BPF and CAP_PERFMON: unavailable with the reason and hint, for BPF and for every probe', () => {
    const t = fixtureTree({ '/proc/self/status': 'Name:\tdiag\nCapEff:\t0000000000000000\n' });
    cleanups.push(t.cleanup);
    const s = bpfStatus(t.source);
    expect(s.bpf.available).toBe(false);
    if (s.bpf.available) return;
    expect(s.bpf.reason).toMatch(/CAP_BPF\+CAP_PERFMON/);
    expect(s.bpf.hint).toBeDefined();
    expect(s.hooks).toEqual([]);
    expect(s.probes.length).toBe(PROBES.length);
    for (const p of s.probes) expect(p).toMatchObject({ available: false, reason: s.bpf.reason, hint: s.bpf.hint });
  });
});
