import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupCollector } from '../../../collectors/cgroup/collector.js';
import { deriveModel, type ModelRow } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

/**
 * A legacy (v1 only) host as CentOS 7 + docker's cgroupfs driver leave it: cpu and cpuacct
 * co-mounted at /sys/fs/cgroup/cpu,cpuacct, blkio without the _recursive files (3.10), the
 * memory root's "no limit" printed as a huge number. The same cgroup path under several
 * hierarchies must come out as one merged row.
 */
const ID = '9c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d';
const CPU = '/sys/fs/cgroup/cpu,cpuacct';
const mountinfo = readFileSync(new URL('../../fixtures/cgroup/mountinfo-legacy-centos7.txt', import.meta.url), 'utf8');

function legacyHost(t: 0 | 1): Record<string, string> {
  const d = (h: string) => `${h}/docker/${ID}`;
  return {
    '/proc/self/mountinfo': mountinfo,
    [`${CPU}/cgroup.procs`]: '1\n',
    [`${CPU}/cpu.cfs_quota_us`]: '-1\n',
    [`${CPU}/cpu.cfs_period_us`]: '100000\n',
    [`${CPU}/cpu.stat`]: 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
    [`${CPU}/cpuacct.usage`]: t === 0 ? '9000000000\n' : '10000000000\n',
    [`${CPU}/docker/cgroup.procs`]: '',
    [`${d(CPU)}/cgroup.procs`]: '2001\n2002\n',
    [`${d(CPU)}/tasks`]: '2001\n2002\n2003\n',
    [`${d(CPU)}/cpu.shares`]: '1024\n',
    [`${d(CPU)}/cpu.cfs_quota_us`]: '150000\n',
    [`${d(CPU)}/cpu.cfs_period_us`]: '100000\n',
    // 3.10 prints throttled_time in nanoseconds
    [`${d(CPU)}/cpu.stat`]: t === 0 ? 'nr_periods 500\nnr_throttled 20\nthrottled_time 4000000000\n' : 'nr_periods 510\nnr_throttled 25\nthrottled_time 4300000000\n',
    [`${d(CPU)}/cpuacct.usage`]: t === 0 ? '70000000000\n' : '71400000000\n',
    [`${d(CPU)}/cpuacct.stat`]: `user ${t === 0 ? 6000 : 6100}\nsystem 1000\n`,
    '/sys/fs/cgroup/memory/cgroup.procs': '1\n',
    '/sys/fs/cgroup/memory/memory.usage_in_bytes': '1073741824\n',
    '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
    '/sys/fs/cgroup/memory/docker/cgroup.procs': '',
    [`${d('/sys/fs/cgroup/memory')}/cgroup.procs`]: '2001\n2002\n',
    [`${d('/sys/fs/cgroup/memory')}/memory.usage_in_bytes`]: '503316480\n',
    [`${d('/sys/fs/cgroup/memory')}/memory.limit_in_bytes`]: '536870912\n',
    [`${d('/sys/fs/cgroup/memory')}/memory.failcnt`]: t === 0 ? '100\n' : '130\n',
    [`${d('/sys/fs/cgroup/memory')}/memory.max_usage_in_bytes`]: '536870912\n',
    // docker --memory-swap equal to --memory: charges fail on memsw first and count there
    [`${d('/sys/fs/cgroup/memory')}/memory.memsw.limit_in_bytes`]: '536870912\n',
    [`${d('/sys/fs/cgroup/memory')}/memory.memsw.usage_in_bytes`]: '503316480\n',
    [`${d('/sys/fs/cgroup/memory')}/memory.memsw.failcnt`]: t === 0 ? '10\n' : '60\n',
    [`${d('/sys/fs/cgroup/memory')}/memory.oom_control`]: `oom_kill_disable 0\nunder_oom 0\noom_kill ${t === 0 ? 1 : 2}\n`,
    [`${d('/sys/fs/cgroup/memory')}/memory.stat`]:
      'cache 100000000\nrss 300000000\nshmem 0\ndirty 8192\nwriteback 0\npgfault 5000\npgmajfault 3\ntotal_cache 104857600\ntotal_rss 314572800\ntotal_shmem 4096\ntotal_dirty 8192\ntotal_writeback 0\ntotal_pgfault 5000\ntotal_pgmajfault 3\n',
    '/sys/fs/cgroup/pids/cgroup.procs': '1\n',
    [`${d('/sys/fs/cgroup/pids')}/cgroup.procs`]: '2001\n2002\n',
    [`${d('/sys/fs/cgroup/pids')}/pids.current`]: '3\n',
    [`${d('/sys/fs/cgroup/pids')}/pids.max`]: 'max\n',
    [`${d('/sys/fs/cgroup/pids')}/pids.events`]: 'max 0\n',
    '/sys/fs/cgroup/blkio/cgroup.procs': '1\n',
    [`${d('/sys/fs/cgroup/blkio')}/cgroup.procs`]: '2001\n2002\n',
    [`${d('/sys/fs/cgroup/blkio')}/blkio.throttle.io_service_bytes`]: `8:0 Read 4096\n8:0 Write ${t === 0 ? 8192 : 8192 + 65536}\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\nTotal 12288\n`,
    [`${d('/sys/fs/cgroup/blkio')}/blkio.throttle.io_serviced`]: `8:0 Read 1\n8:0 Write ${t === 0 ? 2 : 18}\n8:0 Sync 0\n8:0 Async 3\n8:0 Total 3\nTotal 3\n`,
    // 20 writes/s allowed on 8:0; 16 in the window. No limit in the other three files.
    [`${d('/sys/fs/cgroup/blkio')}/blkio.throttle.write_iops_device`]: '8:0 20\n',
    [`${d('/sys/fs/cgroup/blkio')}/blkio.throttle.read_iops_device`]: '',
    [`${d('/sys/fs/cgroup/blkio')}/blkio.throttle.read_bps_device`]: '',
    [`${d('/sys/fs/cgroup/blkio')}/blkio.throttle.write_bps_device`]: '',
    '/sys/fs/cgroup/systemd/cgroup.procs': '1\n',
    '/sys/fs/cgroup/systemd/system.slice/sshd.service/cgroup.procs': '900\n',
    [`${d('/sys/fs/cgroup/systemd')}/cgroup.procs`]: '2001\n2002\n',
    // not walked: nothing diag reads lives there
    '/sys/fs/cgroup/net_cls,net_prio/cgroup.procs': '1\n',
  };
}

const clock = (ms: number) => ({ 'clock.json': { monoMs: ms, wall: new Date(ms).toISOString() } });
const trees = [fixtureTree(legacyHost(0), clock(0)), fixtureTree(legacyHost(1), clock(1000))];
afterAll(() => trees.forEach((t) => t.cleanup()));

describe('cgroups collector on a legacy (v1) fixture host', async () => {
  const m = deriveModel([cgroupCollector], await collectWindow([cgroupCollector], [trees[0]!.source, trees[1]!.source], 1000));
  const row = (t: string, key: string): ModelRow => {
    const o = m.tables[t]!.rows;
    if (o.status !== 'ok') throw new Error(`${t}: ${o.reason}`);
    const r = o.value.find((x) => x.key === key);
    if (!r) throw new Error(`${t} has no ${key}`);
    return r;
  };
  const C = `/docker/${ID}`;

  it('detects legacy, merges one path across hierarchies, names the docker container', () => {
    expect(row('cgroup_layout', 'host').labels).toMatchObject({ mode: 'legacy', v2_mount: '', walked: 'cpu,cpuacct memory pids blkio name=systemd' });
    expect(row('cgroups', C).labels).toMatchObject({ kind: 'container', runtime: 'docker', container_id: ID, name: `docker:${ID.slice(0, 12)}`, hierarchies: 'cpu,cpuacct memory pids blkio name=systemd', pids: '2001 2002' });
    expect(row('cgroups', '/system.slice/sshd.service').labels).toMatchObject({ kind: 'service', hierarchies: 'name=systemd', pids: '900' });
    expect(row('cgroup_layout', 'host').values.cgroups).toBe(5);
  });

  it('CPU from cpuacct (ns) and cpu.stat throttled_time (ns), limit from cfs_quota/period', () => {
    const c = row('cgroup_cpu', C);
    expect(c.values.quota_cores).toBeCloseTo(1.5);
    expect(c.values.cpu_pct).toBeCloseTo(140);
    expect(c.values.limit_used_pct).toBeCloseTo(93.33, 1);
    expect(c.values.throttled_pct).toBeCloseTo(50);
    expect(c.values.throttled_ms).toBeCloseTo(300);
    expect(c.values.user).toBeCloseTo(1e6); // 100 USER_HZ ticks in 1 s, as us/s
    expect(c.values.system).toBe(0);
    const root = row('cgroup_cpu', '/');
    expect(root.labels.limited).toBe('no');
    expect(root.values.quota_cores).toBeUndefined();
    expect(root.values.cpu_pct).toBeCloseTo(100);
    expect(root.values.throttled_pct).toBe(0); // no period with demand, none throttled
  });

  it('memory: failcnt and oom_control counters, hierarchical memory.stat, huge root limit = no limit', () => {
    const c = row('cgroup_memory', C);
    expect(c.values).toMatchObject({ current: 503316480, limit: 536870912, anon: 314572800, file: 104857600, shmem: 4096, under_oom: 0 });
    expect(c.values.used_pct).toBeCloseTo(93.75);
    expect(c.deltas).toMatchObject({ failcnt: 30, oom_kill: 1, memsw_failcnt: 50 });
    // limit hits on either counter: 30 + 50 in the window
    expect(c.values).toMatchObject({ limit_hits: 80, memsw_limit: 536870912, memsw_current: 503316480, peak: 536870912 });
    expect(c.labels).toMatchObject({ limited: 'yes', display: `docker:${ID.slice(0, 12)}` });
    expect(c.values.high).toBeUndefined();
    const root = row('cgroup_memory', '/');
    expect(root.values.limit).toBeUndefined();
    expect(root.values.used_pct).toBeUndefined();
    expect(root.labels.limited).toBe('no');
    expect(root.values.peak).toBeUndefined();
  });

  it('pids with "max" and blkio falling back to the non-recursive files', () => {
    expect(row('cgroup_pids', C).values).toMatchObject({ current: 3, max: undefined, used_pct: undefined });
    expect(row('cgroup_pids', C).labels.limited).toBe('no');
    const io = row('cgroup_io', C);
    expect(io.values.wbytes).toBe(65536);
    expect(io.values.wios).toBe(16);
    expect(io.labels.devices).toBe('8:0');
    expect(io.labels).toMatchObject({ limited: 'yes', limits: '8:0 wiops=20' });
    expect(io.values).toMatchObject({ wiops_max: 20, limited_wios: 16, limit_used_pct: 80 });
    // the blkio root with nothing to read has no row rather than invented zeros
    const ioRows = m.tables.cgroup_io!.rows;
    expect(ioRows.status).toBe('ok');
    expect(ioRows.status === 'ok' && ioRows.value.map((r) => r.key)).not.toContain('/');
  });
});
