import { describe, expect, it } from 'vitest';
import { ok } from '../../src/core/outcome.js';
import { Sampler } from '../../src/core/sampler.js';
import type { Source } from '../../src/core/source.js';
import { absentProbeRunner, runDrilldowns, type ProbeRunner } from '../../src/engine/drilldown.js';
import { evaluatePlaybook } from '../../src/engine/evaluate.js';
import { cgroupsOfPid, normaliseCgroup, resolveTarget } from '../../src/engine/target.js';
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
  const base = { model: m, collectors: [testCollector], sampler: new Sampler(live(fixtureTree({}).source)), windowMs: 1000 };

  it('says the probe runner is not present when there is none, and reuses the run\'s model for a collector', async () => {
    const out = await runDrilldowns(findings, checks, { ...base, probes: absentProbeRunner, budgetMs: 5000 });
    const d = out[0]!.evidence.drilldown!;
    expect(d[0]).toMatchObject({ type: 'probe', name: 'runqlat', status: 'unavailable', reason: 'probe runner not present (hint: this diag build has no BPF probe runner)' });
    expect(d[1]).toMatchObject({ type: 'collector', name: 'synthetic/syn_host', status: 'ok', data: [{ scope: 'host', values: { running: 9 } }] });
  });

  it('runs a probe within the budget and skips it when the budget is used up', async () => {
    const asked: number[] = [];
    const probes: ProbeRunner = { run: (_n, ms) => (asked.push(ms), Promise.resolve(ok({ p99Us: 1200 }))) };
    const out = await runDrilldowns(findings, checks, { ...base, probes, budgetMs: 5000 });
    expect(asked).toEqual([2000]);
    expect(out[0]!.evidence.drilldown![0]).toMatchObject({ status: 'ok', data: { p99Us: 1200 } });
    const none = await runDrilldowns(findings, checks, { ...base, probes, budgetMs: 0 });
    expect(none[0]!.evidence.drilldown![0]).toMatchObject({ status: 'skipped', reason: 'drill-down time budget used up' });
    expect(asked).toEqual([2000]);
  });

  it('on a recording the same inputs give the same drill-down, with no time of the replay in it', async () => {
    const src = fixtureTree({}).source;
    const run = () => runDrilldowns(findings, checks, { ...base, probes: absentProbeRunner, budgetMs: 5000, sampler: new Sampler([src, src]) });
    const a = (await run())[0]!.evidence.drilldown!;
    const b = (await run())[0]!.evidence.drilldown!;
    expect(a[1]).toMatchObject({ type: 'collector', status: 'ok' });
    expect(a[1]).not.toHaveProperty('durationMs');
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    // live, the step says how long it took
    const onHost = (await runDrilldowns(findings, checks, { ...base, probes: absentProbeRunner, budgetMs: 5000 }))[0]!.evidence.drilldown!;
    expect(onHost[1]).toHaveProperty('durationMs');
  });
});
