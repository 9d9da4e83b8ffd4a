import { afterAll, describe, expect, it } from 'vitest';
import { Sampler } from '../../src/core/sampler.js';
import type { Source } from '../../src/core/source.js';
import { PROBE_COLLECTORS } from '../../collectors/index.js';
import { histogramFromPerCpuArray, slotRange } from '../../collectors/bpf/histogram.js';
import { LiveSource } from '../../src/core/live-source.js';
import { runDrilldowns } from '../../src/engine/drilldown.js';
import { evaluatePlaybook } from '../../src/engine/evaluate.js';
import { cgroupsOfPid, normaliseCgroup, resolveTarget } from '../../src/engine/target.js';
import { answer, captureFiles, fakeBpf, runqlatCapture } from '../helpers/bpf-capture.js';
import { fixtureTree } from '../helpers/fixture-host.js';
import { catalogue, HEADER, host, model, onePlaybook, testCollector } from './helpers.js';

describe('target resolution', () => {
  it('normalises cgroup paths given as sysfs paths, relative paths or with a trailing slash', () => {
    expect(normaliseCgroup('/sys/fs/cgroup/memory/a/b')).toBe('/a/b');
    expect(normaliseCgroup('/sys/fs/cgroup/cpu,cpuacct/a')).toBe('/a');
    expect(normaliseCgroup('/sys/fs/cgroup/unified/x.slice/')).toBe('/x.slice');
    expect(normaliseCgroup('/sys/fs/cgroup/system.slice/nginx.service')).toBe('/system.slice/nginx.service');
    expect(normaliseCgroup('a/b/')).toBe('/a/b');
    expect(normaliseCgroup('/')).toBe('/');
  });

  it('keeps every cgroup of a process on a hybrid host and picks the deepest, with its netns and members', () => {
    const f = fixtureTree(
      {
        '/proc/42/cgroup': '9:name=systemd:/\n4:memory:/svc/web\n1:cpu:/\n8:pids:/svc\n0::/\n',
        '/proc/42/stat': '42 (web) S 1 42 42 0 -1 0\n',
        '/sys/fs/cgroup/memory/svc/web/cgroup.procs': '42\n43\n',
      },
      { 'links.json': { '/proc/42/ns/net': 'net:[4026532000]' } },
    );
    try {
      expect(cgroupsOfPid(f.source, 42).sort()).toEqual(['/', '/svc', '/svc/web']);
      const t = resolveTarget(f.source, { pid: 42 });
      expect(t).toMatchObject({ pid: 42, cgroup: '/svc/web', netns: '4026532000', problems: [] });
      expect([...t.pids].sort()).toEqual(['42', '43']);
      const missing = resolveTarget(f.source, { cgroup: '/nope' });
      expect(missing.problems.join()).toMatch(/cgroup \/nope not found/);
    } finally {
      f.cleanup();
    }
  });
});

const CHECK = `checks:
  - id: runq
    resource: cpu
    kind: saturation
    metric: syn_host.running
    warning: { value: 2, source: src }
    title: "{value} runnable"
    explain: x
    next:
      - { run: probe, probe: runqlat, seconds: 2, why: "latency" }
      - { run: collector, collector: synthetic, table: syn_host, top: 1, why: "rows" }
`;

describe('drill-downs', () => {
  const pb = onePlaybook(`${HEADER}budget_seconds: 5\n${CHECK}`);
  const m = model({}, { syn_host: host({ running: 9, ncpu: 2 }) });
  const findings = evaluatePlaybook({ playbook: pb, model: m, catalogue }).findings;
  const checks = new Map(pb.checks.map((c) => [c.id, c]));
  // The run's sampler on a live host: the fixture's answers, read as if measured now.
  const live = (s: Source): Source => Object.assign(Object.create(s) as Source, { replay: false });
  const runqlat = PROBE_COLLECTORS.find((c) => c.id === 'runqlat')!;
  const empty = fixtureTree({});
  afterAll(empty.cleanup);
  const base = { model: m, collectors: [testCollector, runqlat], sampler: new Sampler(live(empty.source)), windowMs: 1000 };
  // What the captured fixture dump holds, as the probe's first table shows it: one row per bucket.
  const cap = runqlatCapture();
  const hist = histogramFromPerCpuArray(cap.maps.hist!, cap.ncpus, 'usecs');
  const bucketRows = hist.counts.map((waits, k) => {
    const { low, high } = slotRange(k);
    return { scope: `bucket:${low}-${high}`, labels: {}, values: { low_us: low, high_us: high, waits } };
  });

  it('a probe no collector produces is unavailable; a collector drill-down reuses the run\'s model', async () => {
    const out = await runDrilldowns(findings, checks, { ...base, collectors: [testCollector], budgetMs: 5000 });
    const d = out[0]!.evidence.drilldown!;
    expect(d[0]).toMatchObject({ type: 'probe', name: 'runqlat', status: 'unavailable', reason: 'no BPF probe runqlat produces tables (diag probes lists them)' });
    expect(d[1]).toMatchObject({ type: 'collector', name: 'synthetic/syn_host', status: 'ok', data: [{ scope: 'host', values: { running: 9 } }] });
  });

  it('a live source without the BPF capability says so', async () => {
    const out = await runDrilldowns(findings, checks, { ...base, sampler: new Sampler(new LiveSource()), budgetMs: 5000 });
    expect(out[0]!.evidence.drilldown![0]).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^BPF probes cannot run through live host \(hint: run diag as root/) });
  });

  it('runs the probe within the budget, shows its table as rows, and skips it when the budget is used up', async () => {
    const bpf = fakeBpf(() => answer(cap));
    const sampler = new Sampler(new LiveSource({ bpf }));
    const out = await runDrilldowns(findings, checks, { ...base, sampler, budgetMs: 5000 });
    expect(bpf.asked.map((r) => [r.probe, r.durationMs])).toEqual([['runqlat', 2000]]);
    const d = out[0]!.evidence.drilldown![0]!;
    expect(d).toMatchObject({ type: 'probe', name: 'runqlat', status: 'ok' });
    expect(d).toHaveProperty('durationMs');
    expect(d.data).toEqual(bucketRows);
    const none = await runDrilldowns(findings, checks, { ...base, sampler, budgetMs: 0 });
    expect(none[0]!.evidence.drilldown![0]).toMatchObject({ status: 'skipped', reason: 'drill-down time budget used up' });
    expect(bpf.asked).toHaveLength(1);
  });

  it('leaves probes to the user when asked to (the guide), on a live host', async () => {
    const bpf = fakeBpf(() => answer(cap));
    const out = await runDrilldowns(findings, checks, { ...base, sampler: new Sampler(new LiveSource({ bpf })), budgetMs: 5000, liveProbes: false });
    expect(out[0]!.evidence.drilldown![0]).toMatchObject({ status: 'skipped', reason: 'not run yet: choose it in the step to run it' });
    expect(bpf.asked).toEqual([]);
  });

  it('on a recording the same inputs give the same drill-down, the probe\'s from its capture, with no time of the replay in it', async () => {
    const f = fixtureTree(captureFiles({ probe: 'runqlat' }, answer(cap)));
    try {
      const run = () => runDrilldowns(findings, checks, { ...base, budgetMs: 0, sampler: new Sampler([f.source, f.source]) });
      const a = (await run())[0]!.evidence.drilldown!;
      const b = (await run())[0]!.evidence.drilldown!;
      expect(a[0]).toEqual({ type: 'probe', name: 'runqlat', why: 'latency', status: 'ok', data: bucketRows });
      expect(a[1]).toMatchObject({ type: 'collector', status: 'ok' });
      expect(a[1]).not.toHaveProperty('durationMs');
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      // live, the step says how long it took
      const onHost = (await runDrilldowns(findings, checks, { ...base, budgetMs: 5000 }))[0]!.evidence.drilldown!;
      expect(onHost[1]).toHaveProperty('durationMs');
    } finally {
      f.cleanup();
    }
  });

  it('a recording without the capture says the probe was not captured', async () => {
    const tree = fixtureTree({});
    const src = tree.source;
    const out = await runDrilldowns(findings, checks, { ...base, budgetMs: 0, sampler: new Sampler([src, src]) }).finally(tree.cleanup);
    expect(out[0]!.evidence.drilldown![0]).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^BPF probe runqlat was not captured in fixture /) });
  });
});
