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
 * A Kubernetes pod run by containerd's CRI plugin on a real EKS node (Amazon Linux 2, cgroup v1,
 * kubelet's systemd driver: kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<UID>.slice/
 * cri-containerd-<ID>.scope), captured by Elastic (test/fixtures/cgroup/v1-hosts/eks-cri-containerd/
 * PROVENANCE.md). No real cgroup v2 tree of a containerd (or CRI-O, or podman) container was found
 * in public fixture sets (see test/fixtures/cgroup/v2-hosts/README.md); the path layout is the
 * same on v2, so this tree is where the real cri-containerd layout runs through the playbooks.
 * The capture is one moment with its OOM and limit counters at 0: sample 0 is the capture
 * verbatim, sample 1 the same files with the counters advanced as each test says.
 */
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const trees = capturedTrees(new URL('../fixtures/cgroup/v1-hosts/', import.meta.url).pathname);
afterAll(() => trees.cleanup());

const TREE = 'eks-cri-containerd';
const POD_UID = '7a96c459-d529-44ae-9f99-90d3798d6426';
const CT_ID = '1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496';
const POD = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replace(/-/g, '_')}.slice`;
const CT = `${POD}/cri-containerd-${CT_ID}.scope`;
const NAME = `containerd:${CT_ID.slice(0, 12)}`;
const MEM = `/sys/fs/cgroup/memory${CT}`;

const cgroupFindings = (r: Report) => r.findings.filter((f) => f.scope.startsWith('cgroup:'));
const summary = (fs: Finding[]) => fs.map((f) => `${f.check}@${f.scope} ${f.severity}`).sort();

let tables: ReturnType<typeof collectCgroups> | undefined;
/** The cgroup collector's rows of one table read from the capture verbatim, by cgroup path (collected once). */
function rows(table: string): Map<string, Row> {
  tables ??= collectCgroups(trees.advanced(TREE, {})[0]);
  const t = tables[table]!;
  if (t.status !== 'ok') throw new Error(`${table}: ${t.status} ${t.reason}`);
  return new Map(t.value.map((r) => [r.key, r]));
}

function run(playbook: string, sources: readonly [FixtureSource, FixtureSource], target?: { cgroup: string }): Promise<Report> {
  return runPlaybook({ playbook: loaded.playbooks.get(playbook)!, catalogue: cat, collectors: [cgroupCollector], sources: [...sources], windowMs: 1000, ...(target ? { target } : {}) });
}

// one OOM kill (memory.oom_control oom_kill) and 50 charges that hit the 2 GiB limit (memory.failcnt)
const OOM: Edits = { [`${MEM}/memory.oom_control`]: [['oom_kill', 1]], [`${MEM}/memory.failcnt`]: [['', 50]] };

describe('a containerd pod on a real EKS node (v1, systemd driver: kubepods-burstable-pod<UID>.slice/cri-containerd-ID.scope)', () => {
  it('the container and its pod are named from the path, and the captured counters reach the tables exactly', () => {
    const inv = rows('cgroups');
    expect(inv.get(CT)!.labels).toMatchObject({ kind: 'container', name: NAME, runtime: 'containerd', container_id: CT_ID, pod_uid: POD_UID, qos: 'burstable' });
    expect(inv.get(CT)!.values).toMatchObject({ procs: 12, depth: 4 });
    expect(inv.get(POD)!.labels).toMatchObject({ kind: 'pod', name: `pod:${POD_UID}`, pod_uid: POD_UID, qos: 'burstable' });
    // memory.usage_in_bytes, limit_in_bytes (2 GiB), max_usage_in_bytes, failcnt and oom_control as captured
    expect(rows('cgroup_memory').get(CT)!.values).toMatchObject({ current: 1215860736, limit: 2147483648, peak: 1532657664, failcnt: 0, memsw_failcnt: 0, under_oom: 0, oom_kill: 0 });
    // cpuacct.usage 124659500367000 ns; cfs_quota_us -1: no CPU limit, never a period
    expect(rows('cgroup_cpu').get(CT)!.values).toMatchObject({ usage: 124659500367, nr_periods: 0, nr_throttled: 0 });
    expect(rows('cgroup_cpu').get(CT)!.labels).toMatchObject({ display: NAME, limited: 'no' });
    // pids.current 177 tasks (threads), pids.max max, pids.events max 0
    expect(rows('cgroup_pids').get(CT)!.values).toMatchObject({ current: 177, fork_fail: 0 });
  });

  it('the /proc/PID/cgroup of a process in the container (PID 493239) names the same container and pod', () => {
    const c = parsePidCgroup(trees.files(TREE)['/proc/493239/cgroup']!);
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    expect(cgroupLabel(c.value)).toBe(CT);
    expect(nameCgroup(CT)).toEqual({ kind: 'container', name: NAME, containerId: CT_ID, podUid: POD_UID, runtime: 'containerd', qos: 'burstable' });
  });

  it('an OOM kill and 50 limit hits in the window: cg-oom-kills and cg-memory-limit-hits under the container (container --cgroup), the container named first', async () => {
    const r = await run('container', trees.advanced(TREE, OOM), { cgroup: CT });
    expect(summary(cgroupFindings(r))).toEqual([`cg-memory-limit-hits@cgroup:${CT} warning`, `cg-oom-kills@cgroup:${CT} critical`]);
    const oom = cgroupFindings(r).find((f) => f.check === 'cg-oom-kills')!;
    expect(oom.evidence.value).toBe(1);
    expect(oom.culprits?.[0]?.entity).toMatchObject({ kind: 'cgroup', id: `cgroup:${CT}` });
    expect(oom.culprits?.[0]?.entity.name).toContain(NAME);
    expect(cgroupFindings(r).find((f) => f.check === 'cg-memory-limit-hits')!.evidence.value).toBe(50);
  });

  it('the memory playbook\'s host sweep finds the limit hits under the pod\'s container, named in the title', async () => {
    const r = await run('memory', trees.advanced(TREE, OOM));
    const hits = cgroupFindings(r).filter((f) => f.check === 'cgroup-memory-limit-hits');
    expect(summary(hits)).toEqual([`cgroup-memory-limit-hits@cgroup:${CT} warning`]);
    expect(hits[0]!.evidence.value).toBe(50);
    expect(hits[0]!.title).toContain(NAME);
    // 5 hits a second is under the sweep's 10/s floor
    const few = await run('memory', trees.advanced(TREE, { [`${MEM}/memory.failcnt`]: [['', 5]] }));
    expect(summary(cgroupFindings(few))).toEqual([]);
  });

  it('as captured (nothing moved in the window) the container, memory, cpu and use playbooks raise nothing for any cgroup', async () => {
    const quiet = trees.advanced(TREE, {});
    expect(summary(cgroupFindings(await run('container', quiet, { cgroup: CT })))).toEqual([]);
    for (const pb of ['memory', 'cpu', 'use']) expect(summary(cgroupFindings(await run(pb, quiet))), pb).toEqual([]);
    const r = await run('container', quiet, { cgroup: CT });
    expect(r.coverage.flatMap((c) => c.checks).find((c) => c.id === 'cg-oom-kills')).toMatchObject({ status: 'ok' });
  });
});
