import { afterAll, describe, expect, it } from 'vitest';
import { cgroupCollector, collectCgroups } from '../../../collectors/cgroup/collector.js';
import type { ModelRow } from '../../../src/core/derive.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { CRI_ID, DOCKER_ID, POD_UID, v2Host } from './v2-files.js';

const clock = (ms: number) => ({ 'clock.json': { monoMs: ms, wall: new Date(ms).toISOString() } });
const trees: Array<{ cleanup: () => void }> = [];
afterAll(() => trees.forEach((t) => t.cleanup()));

function tree(files: Record<string, string>, ms = 0) {
  const t = fixtureTree(files, clock(ms));
  trees.push(t);
  return t.source;
}

const DOCKER = `/system.slice/docker-${DOCKER_ID}.scope`;
const POD = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replace(/-/g, '_')}.slice`;

function rowsOf(m: ReturnType<typeof deriveModel>, table: string): Map<string, ModelRow> {
  const t = m.tables[table]!.rows;
  if (t.status !== 'ok') throw new Error(`${table}: ${t.status} ${t.reason}`);
  return new Map(t.value.map((r) => [r.key, r]));
}

describe('cgroups collector on a unified (cgroup v2) fixture host', async () => {
  const m = deriveModel([cgroupCollector], await collectWindow([cgroupCollector], [tree(v2Host(0), 0), tree(v2Host(1), 1000)], 1000));

  it('detects the layout and walks every cgroup', () => {
    const layout = rowsOf(m, 'cgroup_layout').get('host')!;
    expect(layout.labels).toMatchObject({ mode: 'unified', v2_mount: '/sys/fs/cgroup', v2_controllers: 'cpuset cpu io memory hugetlb pids rdma misc' });
    expect(layout.values).toMatchObject({ cgroups: 8, truncated: 0 });
  });

  it('names cgroups and lists their processes', () => {
    const inv = rowsOf(m, 'cgroups');
    expect(inv.get(DOCKER)!.labels).toMatchObject({ kind: 'container', runtime: 'docker', container_id: DOCKER_ID, pids: '4242 4243 4244', hierarchies: 'v2' });
    expect(inv.get(DOCKER)!.values.procs).toBe(3);
    expect(inv.get(`${POD}/cri-containerd-${CRI_ID}.scope`)!.labels).toMatchObject({ kind: 'container', runtime: 'containerd', pod_uid: POD_UID, qos: 'burstable', pids: '9001' });
    expect(inv.get(POD)!.labels).toMatchObject({ kind: 'pod', name: `pod:${POD_UID}` });
    expect(inv.get('/system.slice/nginx.service')!.labels).toMatchObject({ kind: 'service', name: 'nginx.service', pids: '800 801' });
    expect(inv.get('/')!.values.procs).toBe(2);
  });

  it('CPU: usage %, limit in cores, throttled periods and time', () => {
    const d = rowsOf(m, 'cgroup_cpu').get(DOCKER)!;
    expect(d.labels.limited).toBe('yes');
    expect(d.values.quota_cores).toBeCloseTo(0.5);
    expect(d.values.cpu_pct).toBeCloseTo(45);
    expect(d.values.limit_used_pct).toBeCloseTo(90);
    expect(d.deltas.nr_throttled).toBe(8);
    expect(d.values.throttled_pct).toBeCloseTo(80);
    expect(d.values.throttled_ms).toBeCloseTo(200);
    const sys = rowsOf(m, 'cgroup_cpu').get('/system.slice')!;
    expect(sys.labels.limited).toBe('no');
    expect(sys.values.quota_cores).toBeUndefined();
    expect(sys.values.throttled_pct).toBe(0); // no period elapsed (no demand), none throttled: 0 %
    // the root has only usage: no limit, no throttling fields invented
    const root = rowsOf(m, 'cgroup_cpu').get('/')!;
    expect(root.values.cpu_pct).toBeCloseTo(150);
    expect(root.values.nr_throttled).toBeUndefined();
  });

  it('memory: usage vs limit and high, events as counters, "max" is no limit', () => {
    const d = rowsOf(m, 'cgroup_memory').get(DOCKER)!;
    expect(d.values).toMatchObject({ current: 201326592, limit: 268435456, high: 251658240, anon: 104857600, file: 52428800, kernel: 8388608, sock: 4096 });
    expect(d.values.used_pct).toBeCloseTo(75);
    expect(d.deltas).toMatchObject({ events_max: 2, oom_kill: 1, oom: 1, events_high: 0 });
    const sys = rowsOf(m, 'cgroup_memory').get('/system.slice')!;
    expect(sys.values.limit).toBeUndefined();
    expect(sys.values.used_pct).toBeUndefined();
    expect(rowsOf(m, 'cgroup_memory').get(`${POD}/cri-containerd-${CRI_ID}.scope`)!.values.used_pct).toBeCloseTo(50);
  });

  it('memory: limit hits from memory.events.local, so an ancestor does not repeat its child\'s', () => {
    const mem = rowsOf(m, 'cgroup_memory');
    const d = mem.get(DOCKER)!;
    expect(d.labels).toMatchObject({ limited: 'yes', display: `docker:${DOCKER_ID.slice(0, 12)}` });
    expect(d.values).toMatchObject({ limit_hits: 2, high_hits: 0, peak: 260046848 });
    expect(d.deltas).toMatchObject({ events_max_local: 2, oom_kill_local: 1 });
    const sys = mem.get('/system.slice')!;
    expect(sys.deltas.events_max).toBe(2); // the subtree count moved...
    expect(sys.values.limit_hits).toBe(0); // ...but not its own
    expect(sys.labels).toMatchObject({ limited: 'no', display: 'system.slice' });
    expect(sys.values.peak).toBeUndefined(); // not read without a limit
    // without memory.events.local (Linux < 5.2) the subtree count stands only for a cgroup with a limit of its own
    const files = (t: 0 | 1) => Object.fromEntries(Object.entries(v2Host(t)).filter(([k]) => !k.endsWith('memory.events.local')));
    return collectWindow([cgroupCollector], [tree(files(0), 0), tree(files(1), 1000)], 1000).then((w) => {
      const mm = rowsOf(deriveModel([cgroupCollector], w), 'cgroup_memory');
      expect(mm.get(DOCKER)!.values.limit_hits).toBe(2);
      expect(mm.get('/system.slice')!.values.limit_hits).toBeUndefined();
    });
  });

  it('pids: current/max and fork failures per second', () => {
    const d = rowsOf(m, 'cgroup_pids').get(DOCKER)!;
    expect(d.values).toMatchObject({ current: 4, max: 100, used_pct: 4 });
    expect(d.deltas.fork_fail).toBe(7);
    expect(d.values).toMatchObject({ fork_fail_total: 9, peak: 100 });
    expect(d.labels).toMatchObject({ limited: 'yes', display: `docker:${DOCKER_ID.slice(0, 12)}` });
    const sys = rowsOf(m, 'cgroup_pids').get('/system.slice')!;
    expect(sys.values.max).toBeUndefined();
    // pids.events.local (its own limit) rather than pids.events (the subtree's refusals)
    expect(sys.values.fork_fail_total).toBe(0);
    expect(sys.deltas.fork_fail).toBe(0);
  });

  it('io: summed over devices; an empty io.stat is zero I/O, not missing', () => {
    const d = rowsOf(m, 'cgroup_io').get(DOCKER)!;
    expect(d.labels.devices).toBe('8:0 8:16');
    expect(d.values.wbytes).toBe(1048576);
    expect(d.deltas.rios).toBe(0);
    expect(rowsOf(m, 'cgroup_io').get(`${POD}/cri-containerd-${CRI_ID}.scope`)!.deltas.rbytes).toBe(0);
  });

  it('io: io.max limits against the I/O on the limited devices', () => {
    const d = rowsOf(m, 'cgroup_io').get(DOCKER)!;
    expect(d.labels).toMatchObject({ limited: 'yes', limits: '8:16 wbps=2097152' });
    expect(d.values).toMatchObject({ wbps_max: 2097152, limited_wbytes: 1048576, limit_used_pct: 50 });
    expect(d.values.rbps_max).toBeUndefined();
    // the root has no io.max: no limit row fields, no label
    const root = rowsOf(m, 'cgroup_io').get('/')!;
    expect(root.labels.limited).toBeUndefined();
    expect(root.values.limit_used_pct).toBeUndefined();
  });

  it('PSI per cgroup', () => {
    const d = rowsOf(m, 'cgroup_psi').get(DOCKER)!;
    expect(d.values.cpu_some_pct).toBeCloseTo(30);
    expect(d.values.cpu_full_pct).toBeCloseTo(10);
    expect(d.values.cpu_some_avg10).toBe(12.5);
    // which of its resources the cgroup limits itself (a check judges the pressure of those)
    expect(d.labels).toMatchObject({ cpu_limited: 'yes', memory_limited: 'yes', io_limited: 'yes' });
    expect(rowsOf(m, 'cgroup_psi').get('/')!.labels).toMatchObject({ display: '/', cpu_limited: 'no', memory_limited: 'no', io_limited: 'no' });
  });
});

describe('cgroups collector: bounds, garbage and missing input', () => {
  it('reports truncation when the count or depth bound is reached', () => {
    const out = collectCgroups(tree(v2Host(0)), { maxCount: 3 });
    const l = out.cgroup_layout!;
    expect(l.status === 'ok' && l.value[0]!.values).toMatchObject({ cgroups: 3, truncated: 1 });
    expect(l.status === 'ok' && l.value[0]!.values.skipped_count).toBeGreaterThan(0);
    const deep = collectCgroups(tree(v2Host(0)), { maxDepth: 1 }).cgroup_layout!;
    expect(deep.status === 'ok' && deep.value[0]!.values).toMatchObject({ cgroups: 3, truncated: 1, skipped_depth: 3 });
  });
  it('a garbled file leaves its values missing and names the error on the cgroup', () => {
    const files = v2Host(0);
    files[`/sys/fs/cgroup${DOCKER}/cpu.stat`] = 'usage_usec 12 13\n';
    files[`/sys/fs/cgroup${DOCKER}/memory.max`] = 'lots\n';
    const out = collectCgroups(tree(files));
    const cpu = out.cgroup_cpu!.status === 'ok' ? out.cgroup_cpu!.value.find((r) => r.key === DOCKER) : undefined;
    expect(cpu?.values.usage).toBeUndefined();
    expect(cpu?.values.quota_cores).toBeCloseTo(0.5);
    const mem = out.cgroup_memory!.status === 'ok' ? out.cgroup_memory!.value.find((r) => r.key === DOCKER) : undefined;
    expect(mem?.values.limit).toBeUndefined();
    expect(mem?.values.current).toBe(201326592);
    const inv = out.cgroups!.status === 'ok' ? out.cgroups!.value.find((r) => r.key === DOCKER) : undefined;
    expect(inv?.labels?.read_errors).toMatch(/cpu\.stat/);
  });
  it("falls back to the host init's mountinfo when diag's own names mounts the source cannot read (--root)", () => {
    const files = v2Host(0);
    files['/proc/1/mountinfo'] = files['/proc/self/mountinfo']!;
    files['/proc/self/mountinfo'] = '40 30 0:40 / /host/sys/fs/cgroup rw - cgroup2 cgroup2 rw\n';
    const l = collectCgroups(tree(files)).cgroup_layout!;
    expect(l.status === 'ok' && l.value[0]!.labels).toMatchObject({ mountinfo: '/proc/1/mountinfo', mode: 'unified' });
    expect(l.status === 'ok' && l.value[0]!.values.cgroups).toBe(8);
  });
  it('takes cgroup names as data: spaces, newlines and escape sequences stay in the key, never break the walk', () => {
    const files = v2Host(0);
    const odd = 'we ird\n\u001b[2Jname.service';
    files[`/sys/fs/cgroup/system.slice/${odd}/cgroup.procs`] = '77\n';
    files[`/sys/fs/cgroup/system.slice/${odd}/pids.current`] = '1\n';
    const out = collectCgroups(tree(files));
    const inv = out.cgroups!.status === 'ok' ? out.cgroups!.value.find((r) => r.key === `/system.slice/${odd}`) : undefined;
    expect(inv?.labels).toMatchObject({ kind: 'service', name: odd, pids: '77' });
    const pids = out.cgroup_pids!.status === 'ok' ? out.cgroup_pids!.value.find((r) => r.key === `/system.slice/${odd}`) : undefined;
    expect(pids?.values.current).toBe(1);
  });
  it('without mountinfo every table is unavailable, with no cgroup mount it says so', () => {
    const none = collectCgroups(tree({ '/proc/stat': 'cpu 1 2 3 4\n' }));
    expect(none.cgroups!.status).toBe('unavailable');
    const nomount = collectCgroups(tree({ '/proc/self/mountinfo': '22 27 0:21 / /proc rw,relatime - proc proc rw\n' }));
    expect(nomount.cgroup_cpu).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/no cgroup filesystem/) });
  });
});
