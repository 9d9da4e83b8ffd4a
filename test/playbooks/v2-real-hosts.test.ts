import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupCollector, collectCgroups } from '../../collectors/cgroup/collector.js';
import { nameCgroup } from '../../collectors/cgroup/naming.js';
import { cgroupLabel, parsePidCgroup } from '../../collectors/procfs/processes/parse.js';
import { COLLECTORS } from '../../collectors/index.js';
import type { Row } from '../../src/core/collector.js';
import type { FixtureSource } from '../../src/core/fixture-source.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import type { Finding, Report } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { capturedTrees, type Edits } from '../helpers/captured-tree.js';

/**
 * cgroup v2 from real v2-only hosts (test/fixtures/cgroup/v2-hosts/*, PROVENANCE.md beside each):
 * our machines are hybrid, so these captured trees are how v2 runs through the same playbooks
 * and the same assertions as the live v1 tests: the finding under the exact cgroup scope, the
 * cgroup named first among the culprits, and nothing for a quiet cgroup (with a positive
 * control on the same tree). A capture is one moment: sample 1 is the captured files verbatim,
 * sample 0 the same files with the named counters rewound by the stated amounts (the fault
 * "during the window"); every edit is listed in the test and in PROVENANCE.md.
 */
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const BASE = new URL('../fixtures/cgroup/v2-hosts/', import.meta.url).pathname;
const trees = capturedTrees(BASE);
afterAll(() => trees.cleanup());

/** Every file of a captured tree, by host path. */
const captured = (name: string): Record<string, string> => trees.files(name);

/** The cgroup collector's rows of one table read from the capture verbatim (one sample: counters as the files hold them), by cgroup path. */
function rows(name: string, table: string): Map<string, Row> {
  const t = collectCgroups(trees.rewound(name, {})[1])[table]!;
  if (t.status !== 'ok') throw new Error(`${table}: ${t.status} ${t.reason}`);
  return new Map(t.value.map((r) => [r.key, r]));
}

function run(playbook: string, sources: readonly [FixtureSource, FixtureSource], target?: { cgroup: string }): Promise<Report> {
  return runPlaybook({ playbook: loaded.playbooks.get(playbook)!, catalogue: cat, collectors: [cgroupCollector], sources: [...sources], windowMs: 1000, ...(target ? { target } : {}) });
}

/** Like judge, for a counter captured at 0: sample 0 is the capture verbatim, sample 1 has the named counters advanced by the stated amounts. */
const judgeForward = (name: string, edits: Edits, playbook: string, target?: { cgroup: string }) => run(playbook, trees.advanced(name, edits), target);

/** Sample 0 has the named counters rewound by the stated amounts, sample 1 is the capture verbatim. */
const judge = (name: string, edits: Edits, playbook: string, target?: { cgroup: string }) => run(playbook, trees.rewound(name, edits), target);

const cgroupFindings = (r: Report) => r.findings.filter((f) => f.scope.startsWith('cgroup:'));
const summary = (fs: Finding[]) => fs.map((f) => `${f.check}@${f.scope} ${f.severity}`).sort();

const SESSION = '/user.slice/user-1000.slice/session-520.scope';
const S = `/sys/fs/cgroup${SESSION}`;

describe('a v2-only Fedora host (systemd session scope, cpu memory pids controllers)', () => {
  it('quiet: the session scope is walked and judged, and raises nothing', async () => {
    // a second of ordinary work: 10 ms of CPU, 1 ms of memory stall
    const r = await judge('fedora-session', { [`${S}/cpu.stat`]: [['usage_usec', 10_000]], [`${S}/memory.pressure`]: [['total', 1000]] }, 'use');
    expect(summary(cgroupFindings(r))).toEqual([]);
    // judged, not skipped: the cgroup checks ran over rows of this tree
    const cells = r.coverage.flatMap((c) => c.checks).filter((c) => c.id.startsWith('cgroup-'));
    expect(cells.filter((c) => c.status !== 'unknown' && c.scopes > 0).length, JSON.stringify(cells)).toBeGreaterThan(0);
  });

  it('positive control on the same tree: 600 ms of 1 s stalled on memory is the session scope\'s memory pressure (container --cgroup)', async () => {
    // (the use sweep judges memory pressure only for cgroups with a limit; this one has none)
    const r = await judge('fedora-session', { [`${S}/memory.pressure`]: [['total', 600_000]] }, 'container', { cgroup: SESSION });
    const psi = cgroupFindings(r).filter((f) => f.check === 'cg-memory-psi');
    expect(summary(psi)).toEqual([`cg-memory-psi@cgroup:${SESSION} critical`]);
    expect(psi[0]!.culprits?.[0]?.entity.id).toBe(`cgroup:${SESSION}`);
  });
});

const DOCKER_ID = '1c8fa019edd4b9d4b2856f4932c55929c5c118c808ed5faee9a135ca6e84b039';
const DOCKER = `/system.slice/docker-${DOCKER_ID}.scope`;
const DS = `/sys/fs/cgroup${DOCKER}`;

describe('a docker container on a v2 host (system.slice/docker-ID.scope)', () => {
  it('the OOM kill and the limit hits its memory.events counted are found under its scope, the container named', async () => {
    // memory.events as captured: max 2, oom 1, oom_kill 1; rewound to 0 before the window
    const r = await judge('docker-scope', { [`${DS}/memory.events`]: [['max', 2], ['oom', 1], ['oom_kill', 1]] }, 'container', { cgroup: DOCKER });
    const oom = cgroupFindings(r).filter((f) => f.check === 'cg-oom-kills');
    expect(summary(oom)).toEqual([`cg-oom-kills@cgroup:${DOCKER} critical`]);
    expect(oom[0]!.evidence.value).toBe(1);
    expect(oom[0]!.culprits?.[0]?.entity).toMatchObject({ kind: 'cgroup', id: `cgroup:${DOCKER}` });
    expect(oom[0]!.culprits?.[0]?.entity.name).toContain(DOCKER_ID.slice(0, 12));
  });

  it('without the rewind (nothing moved in the window) the same tree raises no OOM finding', async () => {
    const r = await judge('docker-scope', {}, 'container', { cgroup: DOCKER });
    expect(summary(cgroupFindings(r).filter((f) => f.check === 'cg-oom-kills'))).toEqual([]);
    expect(r.coverage.flatMap((c) => c.checks).find((c) => c.id === 'cg-oom-kills')).toMatchObject({ status: 'ok' });
  });
});

const KPOD_UID = '8712f785-1a3e-41ec-a00b-e2dcc77431cb';
const KPOD_CT = '73051af271105c07e1f493b34856a77e665e3b0b4fc72f76c807dfbffeb881bd';
const KPOD = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${KPOD_UID.replace(/-/g, '_')}.slice`;
const KCT = `${KPOD}/docker-${KPOD_CT}.scope`;
const KS = `/sys/fs/cgroup${KCT}`;

describe('a Kubernetes pod on a v2 host (systemd driver: kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<UID>.slice/docker-ID.scope)', () => {
  it('the container and its pod are named from the path, and the captured counters reach the tables exactly', () => {
    const inv = rows('kubepods-docker-besteffort', 'cgroups');
    expect(inv.get(KCT)!.labels).toMatchObject({ kind: 'container', name: `docker:${KPOD_CT.slice(0, 12)}`, runtime: 'docker', container_id: KPOD_CT, pod_uid: KPOD_UID, qos: 'besteffort', hierarchies: 'v2' });
    expect(inv.get(KPOD)!.labels).toMatchObject({ kind: 'pod', name: `pod:${KPOD_UID}`, pod_uid: KPOD_UID, qos: 'besteffort' });
    const cpu = rows('kubepods-docker-besteffort', 'cgroup_cpu').get(KCT)!;
    // cpu.stat and cpu.max as captured: 809036 periods, 76 throttled, 363166 us throttled; 10000/100000 = 0.1 core
    expect(cpu.labels).toMatchObject({ display: `docker:${KPOD_CT.slice(0, 12)}`, limited: 'yes' });
    expect(cpu.values).toMatchObject({ nr_periods: 809036, nr_throttled: 76, throttled: 363166, usage: 3795681254, user: 3160014031, system: 635667223, quota_cores: 0.1 });
    const psi = rows('kubepods-docker-besteffort', 'cgroup_psi').get(KCT)!;
    // the *.pressure files as captured: every avg10 0.00, the totals in us
    expect(psi.values).toMatchObject({
      cpu_some_avg10: 0, cpu_some_total: 465907442, cpu_full_total: 463529433,
      memory_some_avg10: 0, memory_some_total: 6937313991, memory_full_total: 6934649214,
      io_some_avg10: 0, io_some_total: 17657662684, io_full_total: 17636951020,
    });
    expect(psi.labels).toMatchObject({ cpu_limited: 'yes', memory_limited: 'no' });
  });

  it('throttled in 6 of 10 periods in the window: cg-cpu-throttled critical under the container, the container named', async () => {
    // sample 0: cpu.stat with nr_periods -10, nr_throttled -6, throttled_usec -300000, usage_usec -95000
    const edits: Edits = { [`${KS}/cpu.stat`]: [['nr_periods', 10], ['nr_throttled', 6], ['throttled_usec', 300_000], ['usage_usec', 95_000]] };
    const r = await judge('kubepods-docker-besteffort', edits, 'container', { cgroup: KCT });
    const thr = cgroupFindings(r).filter((f) => f.check === 'cg-cpu-throttled');
    expect(summary(thr)).toEqual([`cg-cpu-throttled@cgroup:${KCT} critical`]);
    expect(thr[0]!.evidence.value).toBe(60);
    expect(thr[0]!.culprits?.[0]?.entity).toMatchObject({ kind: 'cgroup', id: `cgroup:${KCT}`, name: `docker:${KPOD_CT.slice(0, 12)} (${KCT})` });
    // 95 ms of CPU in 1 s against 0.1 core: 95% of the quota
    const used = cgroupFindings(r).filter((f) => f.check === 'cg-cpu-quota-used');
    expect(summary(used)).toEqual([`cg-cpu-quota-used@cgroup:${KCT} critical`]);
    expect(used[0]!.evidence.value).toBeCloseTo(95, 6);
  });

  it('the cpu playbook\'s host sweep finds the same throttling under the pod\'s container, named in the title', async () => {
    const edits: Edits = { [`${KS}/cpu.stat`]: [['nr_periods', 10], ['nr_throttled', 6], ['throttled_usec', 300_000]] };
    const r = await judge('kubepods-docker-besteffort', edits, 'cpu');
    const thr = cgroupFindings(r).filter((f) => f.check === 'cgroup-cpu-throttled');
    expect(summary(thr)).toEqual([`cgroup-cpu-throttled@cgroup:${KCT} critical`]);
    expect(thr[0]!.evidence.value).toBe(60);
    expect(thr[0]!.title).toContain(`docker:${KPOD_CT.slice(0, 12)}`);
    // 30 ms/s throttled is under the sweep's 50 ms/s floor: not raised
    const short = await judge('kubepods-docker-besteffort', { [`${KS}/cpu.stat`]: [['nr_periods', 10], ['nr_throttled', 6], ['throttled_usec', 30_000]] }, 'cpu');
    expect(summary(cgroupFindings(short))).toEqual([]);
  });

  it('without the rewind (no period elapsed in the window) the same tree raises no throttling and no pressure', async () => {
    const r = await judge('kubepods-docker-besteffort', {}, 'container', { cgroup: KCT });
    expect(summary(cgroupFindings(r))).toEqual([]);
    expect(r.coverage.flatMap((c) => c.checks).find((c) => c.id === 'cg-cpu-throttled')).toMatchObject({ status: 'ok' });
  });

  it('the /proc/PID/cgroup line of a process in that container names the same container and pod', () => {
    const line = captured('kubepods-docker-besteffort')['/proc/400/cgroup']!;
    const c = parsePidCgroup(line);
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    const path = cgroupLabel(c.value)!;
    expect(path).toBe(KCT);
    expect(nameCgroup(path)).toEqual({ kind: 'container', name: `docker:${KPOD_CT.slice(0, 12)}`, containerId: KPOD_CT, podUid: KPOD_UID, runtime: 'docker', qos: 'besteffort' });
  });
});

describe('/proc/PID/cgroup of processes on real v2 hosts (test/fixtures/cgroup/v2-hosts/proc-cgroup): the cgroup diag shows for each, and its name', () => {
  const dir = join(BASE, 'proc-cgroup');
  const cases: Array<[file: string, path: string, name: ReturnType<typeof nameCgroup>]> = [
    ['coroot-400', KCT, { kind: 'container', name: `docker:${KPOD_CT.slice(0, 12)}`, containerId: KPOD_CT, podUid: KPOD_UID, runtime: 'docker', qos: 'besteffort' }],
    ['coroot-500', '/../../../../system.slice/docker-ba7b10d15d16e10e3de7a2dcd408a3d971169ae303f46cfad4c5453c6326fee2.scope',
      { kind: 'container', name: 'docker:ba7b10d15d16', containerId: 'ba7b10d15d16e10e3de7a2dcd408a3d971169ae303f46cfad4c5453c6326fee2', runtime: 'docker' }],
    // name=systemd is mounted too, but holds no controller: the container is the v2 path
    ['coroot-800', '/system.slice/docker-cf87ba651579c9231db817909e7865e5747bd7abcac0c57ce23cf4abbaee046b.scope',
      { kind: 'container', name: 'docker:cf87ba651579', containerId: 'cf87ba651579c9231db817909e7865e5747bd7abcac0c57ce23cf4abbaee046b', runtime: 'docker' }],
    // hybrid: the memory controller's path (the pod's container), not the v2 line
    ['coroot-2000', '/kubepods/burstable/pod8833712d-6e69-4f5c-95f3-aebd020ce2e7/95cbe853416f52d927dec41f1406dd75015ea131244a1ca875a7cd4ebe927ac8',
      { kind: 'container', name: 'kubernetes:95cbe853416f', containerId: '95cbe853416f52d927dec41f1406dd75015ea131244a1ca875a7cd4ebe927ac8', podUid: '8833712d-6e69-4f5c-95f3-aebd020ce2e7', runtime: 'kubernetes', qos: 'burstable' }],
    ['coroot-3000', '/lxc.payload.first/system.slice/systemd-logind.service', { kind: 'service', name: 'systemd-logind.service', containerId: 'first', runtime: 'lxc' }],
    ['otel-cgroupv2kubernetes', '/kubepods/besteffort/poda9c80282-3f6b-4d5b-84d5-a137a6668011/ed89697807a981b82f6245ac3a13be232c1e13435d52bc3f53060d61babe1997',
      { kind: 'container', name: 'kubernetes:ed89697807a9', containerId: 'ed89697807a981b82f6245ac3a13be232c1e13435d52bc3f53060d61babe1997', podUid: 'a9c80282-3f6b-4d5b-84d5-a137a6668011', runtime: 'kubernetes', qos: 'besteffort' }],
    ['otel-cgroupv2altkubernetes', '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod7ee511e9_1393_4000_a524_12b0ad30a6b3.slice/docker-6fb31c47139f555a77f6dea60260eb38006755059cec4dfac8766310306dd3ee.scope',
      { kind: 'container', name: 'docker:6fb31c47139f', containerId: '6fb31c47139f555a77f6dea60260eb38006755059cec4dfac8766310306dd3ee', podUid: '7ee511e9-1393-4000-a524-12b0ad30a6b3', runtime: 'docker', qos: 'besteffort' }],
    // a pod inside a minikube node that is itself a docker container: the innermost container and its pod
    ['otel-cgroupv2minikube-docker', '/system.slice/docker-90b200f66e7a7c6d3ee264d905001c37b7dd9d08e2d35aa669c2a8b092fe1a64.scope/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7099802f_73fa_458a_9941_d3aaae7df23d.slice/docker-b2c7024b6f161fb48efb73804d46c9cd4fa22c09c115976e311b5d3667955819.scope',
      { kind: 'container', name: 'docker:b2c7024b6f16', containerId: 'b2c7024b6f161fb48efb73804d46c9cd4fa22c09c115976e311b5d3667955819', podUid: '7099802f-73fa-458a-9941-d3aaae7df23d', runtime: 'docker', qos: 'burstable' }],
    ['otel-cgroupv2docker', '/system.slice/docker-8ae5d36793164a2374bd9b4ceb81c6ca57a9152bdc69eafa9ce7919d22efff0d.scope',
      { kind: 'container', name: 'docker:8ae5d3679316', containerId: '8ae5d36793164a2374bd9b4ceb81c6ca57a9152bdc69eafa9ce7919d22efff0d', runtime: 'docker' }],
  ];
  it('every file of the set is asserted', () => {
    expect(readdirSync(dir).filter((f) => !f.endsWith('.md')).sort()).toEqual(cases.map((c) => c[0]).sort());
  });
  it.each(cases)('%s', (file, path, name) => {
    const c = parsePidCgroup(readFileSync(join(dir, file), 'utf8'));
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    expect(cgroupLabel(c.value)).toBe(path);
    expect(nameCgroup(path)).toEqual(name);
  });
});

const TG = '/v2';
const TS = `/sys/fs/cgroup${TG}`;

describe('a limited cgroup of a v2 host with pids.events and memory.events (telegraf\'s capture: 48-core quota, 96 GiB, pids.max 629145)', () => {
  it('the captured counters reach the tables exactly', () => {
    expect(rows('telegraf-limited', 'cgroup_cpu').get(TG)!.values).toMatchObject({ nr_periods: 3936904, nr_throttled: 6004, throttled: 19175137007, usage: 98701325189, quota_cores: 48 });
    expect(rows('telegraf-limited', 'cgroup_pids').get(TG)!.values).toMatchObject({ current: 592, max: 629145, fork_fail: 0, fork_fail_total: 0 });
    expect(rows('telegraf-limited', 'cgroup_memory').get(TG)!.values).toMatchObject({ limit: 103079215104, events_max: 0, oom_kill: 0 });
    expect(rows('telegraf-limited', 'cgroup_psi').get(TG)!.values).toMatchObject({
      cpu_some_avg10: 0, cpu_some_total: 293391454, cpu_full_total: 277111656, memory_some_total: 250773, io_some_total: 185162400,
    });
    expect(rows('telegraf-limited', 'cgroup_psi').get(TG)!.labels).toMatchObject({ cpu_limited: 'yes', memory_limited: 'yes' });
  });

  it('3 forks refused at pids.max in the window: cg-fork-failures under the cgroup (container --cgroup) and the use sweep\'s fork-failures', async () => {
    // the capture holds "max 0": it is sample 0, and sample 1 is the same tree with pids.events max 3
    const now = captured('telegraf-limited');
    expect(now[`${TS}/pids.events`]).toBe('max 0\n');
    const r = await judgeForward('telegraf-limited', { [`${TS}/pids.events`]: [['max', 3]] }, 'container', { cgroup: TG });
    const ff = cgroupFindings(r).filter((f) => f.check === 'cg-fork-failures');
    expect(summary(ff)).toEqual([`cg-fork-failures@cgroup:${TG} warning`]);
    expect(ff[0]!.evidence.value).toBe(3);
    const use = await judgeForward('telegraf-limited', { [`${TS}/pids.events`]: [['max', 3]] }, 'use');
    expect(summary(cgroupFindings(use).filter((f) => f.check.includes('fork-failures')))).toEqual([
      `cgroup-fork-failures-total@cgroup:${TG} warning`,
      `fork-failures@cgroup:${TG} warning`,
    ]);
  });

  it('throttled in 2 of 10 periods in the window: cg-cpu-throttled warning; as captured (nothing moved) nothing is raised', async () => {
    const r = await judge('telegraf-limited', { [`${TS}/cpu.stat`]: [['nr_periods', 10], ['nr_throttled', 2]] }, 'container', { cgroup: TG });
    const thr = cgroupFindings(r).filter((f) => f.check === 'cg-cpu-throttled');
    expect(summary(thr)).toEqual([`cg-cpu-throttled@cgroup:${TG} warning`]);
    expect(thr[0]!.evidence.value).toBe(20);
    const quiet = await judge('telegraf-limited', {}, 'container', { cgroup: TG });
    expect(summary(cgroupFindings(quiet))).toEqual([]);
  });
});
