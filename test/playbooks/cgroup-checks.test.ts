import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupCollector } from '../../collectors/cgroup/collector.js';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import type { Finding, Report } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { fixtureTree } from '../helpers/fixture-host.js';
import { DOCKER_ID, v2Host } from '../collectors/cgroup/v2-files.js';

/**
 * The default `use` sweep judges every cgroup as its own scope, without a --cgroup target:
 * two samples one second apart of a hybrid 6.18 host (v1 controllers, cgroup2 for PSI) and of
 * a unified one, with cgroups that are in trouble and cgroups that are not. Only the cgroups in
 * trouble may be reported, each under its exact scope, with its name and limit in the title.
 */
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

const mountinfo = readFileSync(new URL('../fixtures/cgroup/mountinfo-hybrid-6.18.txt', import.meta.url), 'utf8');
const ID = DOCKER_ID;
const DOCKER = `/system.slice/docker-${ID}.scope`;
const BATCH = '/system.slice/batch.service';
const MB = 1024 * 1024;

const cpuStat = (periods: number, throttled: number, throttledNs: number) => `nr_periods ${periods}\nnr_throttled ${throttled}\nthrottled_time ${throttledNs}\nnr_bursts 0\nburst_time 0\n`;
const psi = (some: number) => `some avg10=0.00 avg60=0.00 avg300=0.00 total=${some}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`;
const blkio = (dev: string, read: number) => `${dev} Read ${read}\n${dev} Write 0\n${dev} Sync ${read}\n${dev} Async 0\n${dev} Discard 0\n${dev} Total ${read}\nTotal ${read}\n`;

/** A hybrid host as this test machine is (6.18, v1 cpu/cpuacct/memory/pids/blkio, cgroup2 at /sys/fs/cgroup/unified). */
function hybridHost(t: 0 | 1): Record<string, string> {
  const cpu = (p: string) => `/sys/fs/cgroup/cpu${p}`;
  const mem = (p: string) => `/sys/fs/cgroup/memory${p}`;
  const pids = (p: string) => `/sys/fs/cgroup/pids${p}`;
  const io = (p: string) => `/sys/fs/cgroup/blkio${p}`;
  const v2 = (p: string) => `/sys/fs/cgroup/unified${p}`;
  const files: Record<string, string> = { '/proc/self/mountinfo': mountinfo };
  const quota = (p: string, q: number, s0: string, s1: string) => {
    files[`${cpu(p)}/cgroup.procs`] = '';
    files[`${cpu(p)}/cpu.cfs_quota_us`] = `${q}\n`;
    files[`${cpu(p)}/cpu.cfs_period_us`] = '100000\n';
    files[`${cpu(p)}/cpu.stat`] = t === 0 ? s0 : s1;
  };
  files[`${cpu('')}/cgroup.procs`] = '1\n';
  files[`${cpu('')}/cpu.cfs_quota_us`] = '-1\n';
  files[`${cpu('')}/cpu.stat`] = cpuStat(0, 0, 0);
  // 0.2 CPU, a busy loop: every period throttled, 800 ms/s
  quota(DOCKER, 20000, cpuStat(100, 98, 70e9), cpuStat(110, 108, 70.8e9));
  // one burst a second at a 1-CPU quota: 1 of 2 periods throttled, but for 20 ms only
  quota('/noisy/little', 100000, cpuStat(50, 10, 1e9), cpuStat(52, 11, 1.02e9));
  // 2 of 10 periods throttled, 60 ms/s: below the 25 % a finding needs
  quota('/noisy/mild', 50000, cpuStat(500, 40, 3e9), cpuStat(510, 42, 3.06e9));
  // no quota: periods do not even count
  quota('/system.slice/web.service', -1, cpuStat(0, 0, 0), cpuStat(0, 0, 0));

  const memcg = (p: string, limit: number | 'none', usage: number, failcnt: [number, number], refaults: [number, number] = [0, 0], memsw = false) => {
    const lim = `${limit === 'none' ? '9223372036854771712' : limit}\n`;
    files[`${mem(p)}/cgroup.procs`] = '';
    files[`${mem(p)}/memory.usage_in_bytes`] = `${usage}\n`;
    files[`${mem(p)}/memory.limit_in_bytes`] = lim;
    files[`${mem(p)}/memory.max_usage_in_bytes`] = `${usage}\n`;
    files[`${mem(p)}/memory.failcnt`] = `${failcnt[t]}\n`;
    files[`${mem(p)}/memory.memsw.limit_in_bytes`] = memsw ? lim : '9223372036854771712\n';
    files[`${mem(p)}/memory.memsw.usage_in_bytes`] = `${usage}\n`;
    files[`${mem(p)}/memory.memsw.failcnt`] = '0\n';
    files[`${mem(p)}/memory.oom_control`] = 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n';
    files[`${mem(p)}/memory.stat`] = `cache ${usage}\nrss 0\ntotal_cache ${usage}\ntotal_rss 0\ntotal_workingset_refault_anon 0\ntotal_workingset_refault_file ${refaults[t]}\n`;
  };
  memcg('', 'none', 900 * MB, [0, 0], [5000, 9000]);
  // reading a file larger than its 32 MiB limit: 4,000 limit hits and 6,000 refaults in the second, no OOM
  memcg(BATCH, 32 * MB, 31.5 * MB, [120_000, 124_000], [50_000, 56_000]);
  // the same with memory+swap limited too (docker --memory-swap = --memory): Linux 6.18 counts no
  // failcnt on either counter; the refaults still tell
  memcg('/noisy/memsw', 64 * MB, 63.5 * MB, [0, 0], [10_000, 13_000], true);
  // at its limit, reading new data once (a backup): a few limit hits and refaults, not thrashing
  memcg('/noisy/stream', 64 * MB, 63.9 * MB, [700, 705], [100, 150]);
  // a limit, old hits long ago, nothing now
  memcg('/noisy/memquiet', 256 * MB, 10 * MB, [12, 12]);
  // no limit of its own: failcnt never moves there (and its refaults are its children's)
  memcg('/noisy', 'none', 300 * MB, [0, 0], [10_000, 13_000]);

  const pidcg = (p: string, max: number | 'max', current: number, refused: number) => {
    files[`${pids(p)}/cgroup.procs`] = '';
    files[`${pids(p)}/pids.max`] = `${max}\n`;
    files[`${pids(p)}/pids.current`] = `${current}\n`;
    files[`${pids(p)}/pids.peak`] = `${max === 'max' ? current : max}\n`;
    files[`${pids(p)}/pids.events`] = `max ${refused}\n`;
  };
  files[`${pids('')}/cgroup.procs`] = '1\n';
  // refused 17 forks seconds before the window, none during it
  pidcg('/noisy/forks', 8, 3, 17);
  pidcg('/noisy/pidsquiet', 100, 2, 0);

  const blk = (p: string, dev: string, bps: number, read: [number, number]) => {
    files[`${io(p)}/cgroup.procs`] = '';
    files[`${io(p)}/blkio.throttle.io_service_bytes_recursive`] = blkio(dev, read[t]);
    files[`${io(p)}/blkio.throttle.io_serviced_recursive`] = blkio(dev, Math.round(read[t] / 65536));
    files[`${io(p)}/blkio.throttle.read_bps_device`] = `${dev} ${bps}\n`;
    files[`${io(p)}/blkio.throttle.write_bps_device`] = '';
    files[`${io(p)}/blkio.throttle.read_iops_device`] = '';
    files[`${io(p)}/blkio.throttle.write_iops_device`] = '';
  };
  files[`${io('')}/cgroup.procs`] = '1\n';
  files[`${io('')}/blkio.throttle.io_service_bytes_recursive`] = 'Total 0\n';
  // dd iflag=direct under a 2 MiB/s read limit on a loop device
  blk('/noisy/io', '7:0', 2 * MB, [10 * MB, 12 * MB]);
  blk('/noisy/ioquiet', '7:0', 2 * MB, [4 * MB, 4 * MB]);

  // cgroup2 of the same paths: PSI only (hybrid)
  files[`${v2('')}/cgroup.procs`] = '1\n';
  files[`${v2('')}/memory.pressure`] = psi(t === 0 ? 1000 : 900_000); // the host's own: never judged per cgroup
  files[`${v2(BATCH)}/cgroup.procs`] = '';
  files[`${v2(BATCH)}/memory.pressure`] = psi(t === 0 ? 1_000_000 : 1_500_000);
  files[`${v2('/noisy/memquiet')}/cgroup.procs`] = '';
  files[`${v2('/noisy/memquiet')}/memory.pressure`] = psi(5000);
  // pressure without a memory limit of its own: the host's problem, judged host-wide
  files[`${v2('/noisy')}/cgroup.procs`] = '';
  files[`${v2('/noisy')}/memory.pressure`] = psi(t === 0 ? 0 : 800_000);
  return files;
}

async function sweep(files: (t: 0 | 1) => Record<string, string>, playbook = 'use'): Promise<Report> {
  const clock = (ms: number) => ({ 'clock.json': { monoMs: ms, wall: new Date(1_700_000_000_000 + ms).toISOString() } });
  const a = fixtureTree(files(0), clock(0));
  const b = fixtureTree(files(1), clock(1000));
  cleanups.push(a.cleanup, b.cleanup);
  const pb = loaded.playbooks.get(playbook);
  if (!pb) throw new Error(`no playbook ${playbook}: ${loaded.errors.join('; ')}`);
  return runPlaybook({ playbook: pb, catalogue: cat, collectors: [cgroupCollector], sources: [a.source, b.source], windowMs: 1000 });
}

const cgroupFindings = (r: Report) => r.findings.filter((f) => f.scope.startsWith('cgroup:'));
const summary = (fs: Finding[]) => fs.map((f) => `${f.check}@${f.scope} ${f.severity}`).sort();

describe('use sweep: every cgroup judged as its own scope (hybrid v1 host)', async () => {
  const r = await sweep(hybridHost);
  const find = (check: string) => r.findings.find((f) => f.check === check);

  it('reports exactly the cgroups in trouble, each under its own scope', () => {
    expect(summary(cgroupFindings(r))).toEqual(
      [
        `cgroup-cpu-throttled@cgroup:${DOCKER} critical`,
        `cgroup-memory-limit-hits@cgroup:${BATCH} warning`,
        `cgroup-memory-thrashing@cgroup:${BATCH} warning`,
        'cgroup-memory-thrashing@cgroup:/noisy/memsw warning',
        `cgroup-memory-psi@cgroup:${BATCH} critical`,
        'cgroup-fork-failures-total@cgroup:/noisy/forks warning',
        'cgroup-io-throttled@cgroup:/noisy/io warning',
      ].sort(),
    );
  });

  it('CPU throttling names the container and its quota', () => {
    const f = find('cgroup-cpu-throttled')!;
    expect(f.title).toBe(`cgroup docker:${ID.slice(0, 12)} was CPU-throttled in 100% of periods, 800 ms/s, at its quota of 0.20 CPUs`);
    expect(f.evidence.fields).toMatchObject({ throttled_pct: 100, throttled_ms: 800, quota_cores: 0.2 });
  });

  it('memory reclaimed at the limit without an OOM kill: limit hits per second and the share of the limit', () => {
    const f = find('cgroup-memory-limit-hits')!;
    expect(f.evidence.value).toBe(4000);
    expect(f.title).toBe('cgroup batch.service reclaims at its memory limit: 4000 limit hits/s, 98.4% of the limit in use');
    expect(find('cgroup-memory-psi')!.evidence.value).toBe(50);
  });

  it('a working set larger than the limit: evicted pages read back, also with memory+swap limited (no failcnt at all)', () => {
    const f = r.findings.find((x) => x.check === 'cgroup-memory-thrashing' && x.scope === 'cgroup:/noisy/memsw')!;
    expect(f.evidence.value).toBe(3000);
    expect(f.title).toBe('cgroup /noisy/memsw thrashes at its memory limit: 3000 evicted pages/s read back, 99.2% of the limit in use');
  });

  it('forks refused before the window: counted since creation, not as refusals in the window', () => {
    const f = find('cgroup-fork-failures-total')!;
    expect(f.title).toBe('cgroup /noisy/forks: 17 forks refused at pids.max since the cgroup was created');
    expect(r.findings.some((x) => x.check === 'fork-failures')).toBe(false);
  });

  it('I/O at its throttle limit names the limit', () => {
    const f = find('cgroup-io-throttled')!;
    expect(f.title).toBe('cgroup /noisy/io does I/O at its throttle limit: 100% of 7:0 rbps=2097152');
  });

  it('says why the other cgroups are fine', () => {
    const checks = new Map(r.coverage.flatMap((c) => c.checks).map((c) => [c.id, c]));
    expect(checks.get('cgroup-cpu-throttled')).toMatchObject({ status: 'finding', scopes: 2 }); // the docker scope and /noisy/mild passed the 50 ms/s gate
    expect(checks.get('cgroup-memory-high')).toMatchObject({ status: 'ok', reason: 'no cgroup has memory.high set' });
  });
});

describe('use sweep on a unified (v2) host', async () => {
  const r = await sweep(v2Host);

  it('judges the docker scope, not its ancestors whose subtree counters include it', () => {
    const D = `/system.slice/docker-${DOCKER_ID}.scope`;
    expect(summary(cgroupFindings(r))).toEqual([`cgroup-cpu-throttled@cgroup:${D} critical`, `cgroup-fork-failures-total@cgroup:${D} warning`, `fork-failures@cgroup:${D} warning`]);
    expect(r.findings.find((f) => f.check === 'fork-failures')!.title).toBe(`cgroup docker:${DOCKER_ID.slice(0, 12)}: 7 forks refused at pids.max during the window`);
  });
});

describe('the cpu, memory and disk playbooks judge cgroups too', async () => {
  it('memory: the cgroup reclaiming at its limit', async () => {
    const r = await sweep(hybridHost, 'memory');
    expect(summary(cgroupFindings(r))).toEqual(
      [`cgroup-memory-limit-hits@cgroup:${BATCH} warning`, `cgroup-memory-thrashing@cgroup:${BATCH} warning`, 'cgroup-memory-thrashing@cgroup:/noisy/memsw warning', `cgroup-memory-psi@cgroup:${BATCH} critical`].sort(),
    );
  });
});
