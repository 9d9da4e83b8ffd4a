import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLLECTORS, PROBE_COLLECTORS } from '../../collectors/index.js';
import { LiveSource } from '../../src/core/live-source.js';
import { loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import { runPlaybook } from '../../src/engine/run.js';
import { answer, captureFiles, fakeBpf, runqlatCapture } from '../helpers/bpf-capture.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/**
 * A playbook judges a BPF probe's table like any other (its tables are in the metric catalogue):
 * live, the probe runs during the window; replayed, the capture the recording kept is judged.
 */
const PLAYBOOK = `schema: diag.playbook/v1
name: latency
title: run-queue latency judged
description: one check on a probe table
resources: [cpu]
sources:
  src: { title: "a source" }
checks:
  - id: runq-latency
    resource: cpu
    kind: saturation
    metric: runqlat_summary.p99_us
    warning: { value: 1000, source: src }
    title: "p99 run-queue wait {value} us"
    explain: x
`;

const catalogue = buildCatalogue([...COLLECTORS, ...PROBE_COLLECTORS]);
function playbook() {
  const dir = mkdtempSync(join(tmpdir(), 'dprobe-pb-'));
  try {
    writeFileSync(join(dir, 'latency.yaml'), PLAYBOOK);
    const r = loadPlaybooks(catalogue, [{ dir, origin: 'dir' }]);
    expect(r.errors.map(String)).toEqual([]);
    return r.playbooks.get('latency')!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a playbook check on a probe table', () => {
  const cap = runqlatCapture(1000);
  const pb = playbook();

  it('live: the probe runs once, in the window, and its p99 is judged with the probe as the collector', async () => {
    const bpf = fakeBpf(() => answer(cap));
    const report = await runPlaybook({ playbook: pb, catalogue, collectors: COLLECTORS, sources: new LiveSource({ bpf }), windowMs: 50 });
    expect(bpf.asked.map((r) => r.probe)).toEqual(['runqlat']);
    const f = report.findings.find((x) => x.check === 'runq-latency');
    expect(f).toMatchObject({ severity: 'warning', scope: 'host', evidence: { metric: 'runqlat_summary.p99_us', unit: 'us', collector: 'runqlat', measure: 'value' } });
    expect(f!.evidence.value).toBeGreaterThanOrEqual(1000);
  });

  it('replayed: the recorded capture gives the same finding, and a tree without one says the check cannot be judged', async () => {
    const live = await runPlaybook({ playbook: pb, catalogue, collectors: COLLECTORS, sources: new LiveSource({ bpf: fakeBpf(() => answer(cap)) }), windowMs: 50 });
    const f = fixtureTree(captureFiles({ probe: 'runqlat' }, answer(cap)));
    const empty = fixtureTree({});
    try {
      const replayed = await runPlaybook({ playbook: pb, catalogue, collectors: COLLECTORS, sources: [f.source, f.source], windowMs: 50 });
      expect(replayed.findings.map((x) => [x.check, x.severity, x.evidence.value])).toEqual(live.findings.map((x) => [x.check, x.severity, x.evidence.value]));
      const none = await runPlaybook({ playbook: pb, catalogue, collectors: COLLECTORS, sources: [empty.source, empty.source], windowMs: 50 });
      expect(none.findings).toEqual([]);
      const check = none.coverage.flatMap((c) => c.checks).find((c) => c.id === 'runq-latency');
      expect(check).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/BPF probe runqlat was not captured in fixture/) });
    } finally {
      f.cleanup();
      empty.cleanup();
    }
  });
});
