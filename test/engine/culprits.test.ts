import { describe, expect, it } from 'vitest';
import type { Collector, Row, Sample } from '../../src/core/collector.js';
import { deriveModel } from '../../src/core/derive.js';
import { counter, derived, gauge } from '../../src/core/fields.js';
import { ok, type Outcome } from '../../src/core/outcome.js';
import { evaluatePlaybook } from '../../src/engine/evaluate.js';
import { loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import { culpritText } from '../../src/report/culprit-text.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Tables shaped like diag's own: processes related to cgroups, cgroups with limits, sockets in namespaces. */
const world: Collector = {
  id: 'world',
  title: 'synthetic host for culprit tests',
  origin: 'procfs',
  resources: ['cpu', 'tasks', 'network'],
  inputs: ['/proc/world'],
  tables: {
    w_cpu: { title: 'cpu', scope: 'cpu', fields: { busy: gauge('busy', 'percent') } },
    w_proc: {
      title: 'processes',
      scope: 'process',
      identity: ['starttime'],
      relations: { cgroup: 'cgroup' },
      fields: { ticks: counter('cpu ticks', 'ticks'), ppid: gauge('parent'), rss: gauge('rss', 'bytes') },
      derived: { cpu_pct: derived('cpu %', 'percent') },
      derive: (w) => ({ cpu_pct: w.rate('ticks') }),
    },
    w_cg: {
      title: 'cgroups',
      scope: 'cgroup',
      identityFields: ['quota'],
      fields: { throttled_pct: gauge('throttled', 'percent'), quota: gauge('CPU limit in cores; missing = none', 'count') },
    },
    w_sock: {
      title: 'sockets',
      scope: 'socket',
      relations: { process: 'pid' },
      fields: { drops: counter('drops') },
    },
    w_ns: { title: 'netns', scope: 'netns', fields: { rcvbuf_errors: counter('errors') } },
    w_nsinv: { title: 'namespaces', scope: 'namespace', fields: { procs: gauge('procs') } },
  },
  collect: () => ({}),
};
const cat = buildCatalogue([world]);

type Tables = Record<string, Outcome<Row[]>>;
const sample = (ms: number, tables: Tables): Sample => {
  const clock = { monoMs: ms, wall: new Date(Date.UTC(2026, 0, 1) + ms).toISOString() };
  return { clock, collectors: { world: ok({ clock, durationMs: 1, tables }) } };
};
const proc = (pid: number, ticks: number, labels: Record<string, string>, values: Record<string, number> = {}): Row => ({ key: String(pid), labels: { starttime: '100', ...labels }, values: { ticks, ...values } });

function load(checks: string) {
  const dir = mkdtempSync(join(tmpdir(), 'diagt-culprits-'));
  try {
    writeFileSync(join(dir, 'p.yaml'), `schema: diag.playbook/v1\nname: t\ntitle: t\ndescription: t\nresources: [cpu, tasks, network]\nsources:\n  s: { title: "a source" }\nchecks:\n${checks}`);
    return loadPlaybooks(cat, [{ dir, origin: 'dir' }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
function playbook(checks: string) {
  const r = load(checks);
  expect(r.errors.map(String)).toEqual([]);
  return [...r.playbooks.values()][0]!;
}

const before: Tables = {
  w_cpu: ok([{ key: 'all', values: { busy: 99 } }]),
  w_proc: ok([
    proc(10, 0, { comm: 'hog', cgroup: '/app/web', cmdline: 'hog --spin' }),
    proc(11, 0, { comm: 'hog2', cgroup: '/app/web/worker' }),
    proc(12, 0, { comm: 'other', cgroup: '/batch' }),
    proc(13, 0, { comm: 'idle', cgroup: '/app/web' }),
    proc(99, 0, { comm: 'diag', cgroup: '/app/web' }),
    proc(20, 0, { comm: 'lazy-parent', cgroup: '/batch', state: 'S' }, { ppid: 1 }),
    proc(21, 0, { comm: 'z', state: 'Z' }, { ppid: 20 }),
    proc(22, 0, { comm: 'z', state: 'Z' }, { ppid: 20 }),
    proc(23, 0, { comm: 'z', state: 'Z' }, { ppid: 12 }),
  ]),
  w_cg: ok([
    { key: '/app/web', labels: { name: 'web.service', kind: 'systemd-service' }, values: { throttled_pct: 80, quota: 0.5 } },
    { key: '/batch', values: { throttled_pct: 0 } },
  ]),
  w_sock: ok([
    { key: 'udp:1', labels: { pid: '12', netns: '4026532999' }, values: { drops: 0 } },
    { key: 'udp:2', labels: { pid: '10', netns: '4026531840' }, values: { drops: 0 } },
  ]),
  w_ns: ok([{ key: '4026532999', values: { rcvbuf_errors: 0 } }]),
  w_nsinv: ok([{ key: 'net:4026532999', labels: { names: 'blue', cgroups: '/docker/abc' }, values: { procs: 1 } }]),
};
const after: Tables = {
  ...before,
  w_proc: ok([
    proc(10, 60, { comm: 'hog', cgroup: '/app/web', cmdline: 'hog --spin' }),
    proc(11, 30, { comm: 'hog2', cgroup: '/app/web/worker' }),
    proc(12, 90, { comm: 'other', cgroup: '/batch' }),
    proc(13, 0, { comm: 'idle', cgroup: '/app/web' }),
    proc(99, 95, { comm: 'diag', cgroup: '/app/web' }),
    proc(20, 0, { comm: 'lazy-parent', cgroup: '/batch', state: 'S' }, { ppid: 1 }),
    proc(21, 0, { comm: 'z', state: 'Z' }, { ppid: 20 }),
    proc(22, 0, { comm: 'z', state: 'Z' }, { ppid: 20 }),
    proc(23, 0, { comm: 'z', state: 'Z' }, { ppid: 12 }),
  ]),
  w_sock: ok([
    { key: 'udp:1', labels: { pid: '12', netns: '4026532999' }, values: { drops: 500 } },
    { key: 'udp:2', labels: { pid: '10', netns: '4026531840' }, values: { drops: 900 } },
  ]),
  w_ns: ok([{ key: '4026532999', values: { rcvbuf_errors: 500 } }]),
};
const model = deriveModel([world], { first: sample(0, before), second: sample(1000, after) });
const vars = { diag_pid: '99' };

const check = (id: string, metric: string, extra: string, culprits: string) => `  - id: ${id}
    resource: cpu
    kind: utilization
    metric: ${metric}
${extra}    warning: { value: 1, source: s }
    title: "${id} {value}"
    explain: x
    culprits:
${culprits}`;

describe('culprits', () => {
  it('rank the processes behind a host-wide finding by their share, never diag itself', () => {
    const p = playbook(check('busy', 'w_cpu.busy', '', '      - { table: w_proc, rank_by: cpu_pct, min_value: 1, top: 2, why: "Processes using the most CPU" }\n'));
    const f = evaluatePlaybook({ playbook: p, model, catalogue: cat, vars }).findings[0]!;
    expect(f.scope).toBe('cpu:all');
    expect(f.culprits?.map((c) => [c.entity.id, c.entity.name, c.value])).toEqual([
      ['process:12', 'other', 90],
      ['process:10', 'hog', 60],
    ]);
    // share of all ranked CPU (90 + 60 + 30), diag's own 95 left out
    expect(f.culprits?.[0]?.share).toBeCloseTo(0.5, 5);
    expect(f.culprits?.[1]?.identity).toMatchObject({ pid: '10', comm: 'hog', cmdline: 'hog --spin', cgroup: '/app/web', cgroup_name: 'web.service' });
  });

  it('name a cgroup finding\'s cgroup with its limit first, then only its own processes (and those below it)', () => {
    const p = playbook(check('throttled', 'w_cg.throttled_pct', '', '      - { table: w_proc, rank_by: cpu_pct, min_value: 1, why: "The cgroup\'s busiest processes" }\n'));
    const f = evaluatePlaybook({ playbook: p, model, catalogue: cat, vars }).findings.find((x) => x.scope === 'cgroup:/app/web')!;
    const c = f.culprits!;
    expect(c[0]).toMatchObject({ rank: 1, entity: { kind: 'cgroup', id: 'cgroup:/app/web', name: 'web.service (/app/web)' }, evidence: { 'w_cg.quota': 0.5 } });
    expect(c[0]!.identity.limits).toBe('CPU limit in cores: 0.50');
    expect(c.slice(1).map((x) => x.entity.id)).toEqual(['process:10', 'process:11']);
    expect(c.map((x) => x.rank)).toEqual([1, 2, 3]);
  });

  it('group zombies by parent and name the parent process, not the zombies', () => {
    const p = playbook(check('zombies', 'w_cpu.busy', '', '      - { table: w_proc, rank_by: count, where: [{ on: label.state, op: eq, value: Z }], group_by: field.ppid, as: process, why: "Parents that do not reap" }\n'));
    const f = evaluatePlaybook({ playbook: p, model, catalogue: cat, vars }).findings[0]!;
    expect(f.culprits?.map((c) => [c.entity.id, c.entity.name, c.value, c.evidence.rows])).toEqual([
      ['process:20', 'lazy-parent', 2, 2],
      ['process:12', 'other', 1, 1],
    ]);
  });

  it('keep a namespace finding to the rows seen in that namespace and name the namespace by its ip-netns name', () => {
    const p = playbook(check('udp', 'w_ns.rcvbuf_errors', '', '      - { table: w_sock, rank_by: drops, min_value: 1, why: "Sockets dropping" }\n'));
    const f = evaluatePlaybook({ playbook: p, model, catalogue: cat, vars }).findings[0]!;
    expect(f.scope).toBe('netns:4026532999');
    expect(f.culprits?.[0]).toMatchObject({ entity: { kind: 'netns', name: 'blue (netns 4026532999)' }, identity: { names: 'blue', cgroups: '/docker/abc' } });
    expect(f.culprits?.slice(1).map((c) => c.entity.id)).toEqual(['netns:4026532999/socket:udp:1']);
    expect(f.culprits?.[1]?.identity).toMatchObject({ netns: '4026532999', netns_name: 'blue' });
  });

  it('say which tables they lack (or lack a window for) instead of naming nobody', () => {
    const single = deriveModel([world], sample(0, before));
    const p = playbook(check('busy', 'w_cpu.busy', '', '      - { table: w_proc, rank_by: cpu_pct, why: "Processes using the most CPU" }\n'));
    const ev = evaluatePlaybook({ playbook: p, model: single, catalogue: cat, vars });
    expect(ev.findings[0]?.culprits).toBeUndefined();
    expect(ev.checks[0]?.culpritTables).toEqual(['w_proc']);
  });

  it('are rendered as the same two lines in every report', () => {
    const p = playbook(check('busy', 'w_cpu.busy', '', '      - { table: w_proc, rank_by: cpu_pct, min_value: 1, top: 1, why: "Processes using the most CPU" }\n'));
    const f = evaluatePlaybook({ playbook: p, model, catalogue: cat, vars }).findings[0]!;
    const t = culpritText(f.culprits![0]!);
    expect(t.head).toBe('1. process:12 other: 90 % (50 % of the total) — Processes using the most CPU');
    expect(t.detail).toBe('cgroup /batch');
  });

  it('are validated against the tables when a playbook loads', () => {
    const r = load(check('bad', 'w_cpu.busy', '', '      - { table: w_nope, rank_by: cpu_pct, why: "x" }\n      - { table: w_proc, rank_by: nope, show: [nada], why: "x" }\n      - { table: w_proc, rank_by: rss, measure: rate, group_by: field.zzz, as: martian, why: "x" }\n'));
    const msgs = r.errors.map(String).join('\n');
    expect(msgs).toContain('unknown table "w_nope"');
    expect(msgs).toContain('table w_proc has no field "nope"');
    expect(msgs).toContain('table w_proc has no field "nada"');
    expect(msgs).toContain('w_proc.rss is a gauge: measure rate needs a counter');
    expect(msgs).toContain('table w_proc has no field "zzz"');
    expect(msgs).toContain('no table has scope "martian"');
  });
});
