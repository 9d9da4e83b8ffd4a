import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/report-schema.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { cgroupDir } from '../helpers/cgroup-fs.js';
import { expectFinding, runDiag, sh, shQuiet, sleep, until, Workloads, type DiagRun } from './helpers.js';

/**
 * cgroups as their own scopes in the default sweep: `diag run playbook use --json`, with no
 * --cgroup target, must find each cgroup in trouble under its exact scope and leave a quiet one
 * with limits alone. Planted at once on this hybrid host's v1 controllers, then one run:
 *
 * - mem: a 16 MiB memory limit and `cat` reading a 24 MiB file over and over, so the page cache
 *   is reclaimed at the limit all the time; nothing is OOM-killed (file pages can always go);
 * - memsw: the same with memory+swap limited to 16 MiB too (docker's --memory-swap equal to
 *   --memory), where Linux 6.18 counts no failcnt at all: the refaults must tell;
 * - pids: pids.max 4, a perl process that forks 12 children at once and is refused the rest,
 *   then everything exits; the run starts 2 s after the last task left: no refusal in the window;
 * - cpu: a 0.2-CPU quota and a busy loop;
 * - io: a 1 MiB/s read limit on a loop device of ours and `dd iflag=direct` reading it;
 * - quiet: a CPU quota of one CPU, a 256 MiB memory limit, pids.max 100 and a read limit, and
 *   a sleeping process.
 *
 * Every workload is bounded by timeout(1) and killed by its process group; the cgroups, the
 * loop device and the files are removed in afterAll, whatever happened.
 */
// v1 knobs (memory.memsw.*, blkio.throttle.*, failcnt): the hierarchies must be v1, found in
// /proc/self/mountinfo; on a v2-only host this fails (CI) or skips naming the missing hierarchy.
const req = liveRequirement('root', 'cmd:timeout', 'cmd:perl', 'cmd:losetup', 'cmd:dd', 'cmd:cat', 'cgroup-v1:cpu', 'cgroup-v1:memory', 'cgroup-v1:pids', 'cgroup-v1:blkio');
const work = new Workloads();
const P = `dcg-scen-${process.pid}`;
const NAME = { mem: `${P}-mem`, memsw: `${P}-memsw`, pids: `${P}-pids`, cpu: `${P}-cpu`, io: `${P}-io`, quiet: `${P}-quiet` };
const V1 = (ctrl: 'cpu' | 'memory' | 'pids' | 'blkio', name: string) => (req.skip ? '' : cgroupDir(ctrl, name));
const DIRS = [
  V1('memory', NAME.mem),
  V1('memory', NAME.memsw),
  V1('pids', NAME.pids),
  V1('cpu', NAME.cpu),
  V1('blkio', NAME.io),
  ...(['cpu', 'memory', 'pids', 'blkio'] as const).map((c) => V1(c, NAME.quiet)),
];
const FILE = `/var/tmp/${P}-file.bin`;
// one file per reader: a page cached by one cgroup would be a free hit for the other
const FILE_SW = `/var/tmp/${P}-file-sw.bin`;
const IMAGE = `/var/tmp/${P}-loop.img`;
let loop = '';

const num = (path: string, key?: string): number => {
  const t = readFileSync(path, 'utf8');
  if (key === undefined) return Number(t.trim());
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(t);
  return m ? Number(m[1]) : NaN;
};
/**
 * What a run of this file that was killed before its afterAll left behind (its PID is in the
 * names and no longer alive): empty cgroups and the files in /var/tmp. Its loop device detached
 * itself (autoclear, see below) when its reader died.
 */
function removeStale(): void {
  const dead = (name: string) => {
    const pid = /^dcg-scen-(\d+)-/.exec(name)?.[1];
    return pid !== undefined && pid !== String(process.pid) && !existsSync(`/proc/${pid}`);
  };
  for (const ctrl of ['cpu', 'memory', 'pids', 'blkio'] as const) {
    for (const d of readdirSync(V1(ctrl, ''))) {
      if (!dead(d)) continue;
      try {
        rmdirSync(V1(ctrl, d));
      } catch {
        /* still has a task: leave it */
      }
    }
  }
  for (const f of readdirSync('/var/tmp')) if (dead(f)) rmSync(`/var/tmp/${f}`, { force: true });
}

/** A gated workload put into the given cgroup directories, then released. */
function planted(dirs: readonly string[], script: string): void {
  const c = work.gated(script);
  for (const d of dirs) writeFileSync(`${d}/cgroup.procs`, String(c.pid));
  c.stdin?.end('go\n');
}
const scopeOf = (name: string) => `cgroup:/${name}`;

let run: DiagRun;
let refusedBefore = 0;

describe.skipIf(req.skip)('scenario: cgroups judged as their own scopes in the default sweep', () => {
  beforeAll(async () => {
    removeStale();
    for (const d of DIRS) mkdirSync(d);
    // mem: a file larger than the limit, not in the page cache (charged to whoever reads it
    // next): written through to disk first, since dirty pages cannot be dropped
    for (const f of [FILE, FILE_SW]) {
      sh('dd', ['if=/dev/urandom', `of=${f}`, 'bs=1M', 'count=24', 'conv=fsync', 'status=none']);
      sh('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
    }
    writeFileSync(`${V1('memory', NAME.mem)}/memory.limit_in_bytes`, String(16 * 1024 * 1024));
    planted([V1('memory', NAME.mem)], `exec timeout -s KILL 60 sh -c 'while :; do cat ${FILE} > /dev/null; sleep 0.5; done'`);
    writeFileSync(`${V1('memory', NAME.memsw)}/memory.limit_in_bytes`, String(16 * 1024 * 1024));
    writeFileSync(`${V1('memory', NAME.memsw)}/memory.memsw.limit_in_bytes`, String(16 * 1024 * 1024));
    planted([V1('memory', NAME.memsw)], `exec timeout -s KILL 60 sh -c 'while :; do cat ${FILE_SW} > /dev/null; sleep 0.5; done'`);

    // pids: refusals now, none later
    writeFileSync(`${V1('pids', NAME.pids)}/pids.max`, '4');
    planted([V1('pids', NAME.pids)], `exec timeout -s KILL 20 perl -e 'for (1..12) { my $p = fork(); if (defined $p && $p == 0) { sleep 1; exit 0 } } 1 while wait() != -1'`);

    // cpu: 20 ms of CPU per 100 ms period
    writeFileSync(`${V1('cpu', NAME.cpu)}/cpu.cfs_period_us`, '100000');
    writeFileSync(`${V1('cpu', NAME.cpu)}/cpu.cfs_quota_us`, '20000');
    planted([V1('cpu', NAME.cpu)], 'exec timeout -s KILL 60 sh -c "while :; do :; done"');

    // io: a loop device of ours, read with O_DIRECT under a 1 MiB/s limit
    sh('dd', ['if=/dev/zero', `of=${IMAGE}`, 'bs=1M', 'count=64', 'status=none']);
    loop = sh('losetup', ['-f', '--show', IMAGE]).trim();
    const dev = sh('lsblk', ['-dno', 'MAJ:MIN', loop]).trim();
    writeFileSync(`${V1('blkio', NAME.io)}/blkio.throttle.read_bps_device`, `${dev} ${1024 * 1024}`);
    planted([V1('blkio', NAME.io)], `exec timeout -s KILL 60 dd if=${loop} of=/dev/null bs=16k iflag=direct status=none`);

    // quiet: limits everywhere, no pressure
    writeFileSync(`${V1('cpu', NAME.quiet)}/cpu.cfs_period_us`, '100000');
    writeFileSync(`${V1('cpu', NAME.quiet)}/cpu.cfs_quota_us`, '100000');
    writeFileSync(`${V1('memory', NAME.quiet)}/memory.limit_in_bytes`, String(256 * 1024 * 1024));
    writeFileSync(`${V1('pids', NAME.quiet)}/pids.max`, '100');
    writeFileSync(`${V1('blkio', NAME.quiet)}/blkio.throttle.read_bps_device`, `${dev} ${1024 * 1024}`);
    planted((['cpu', 'memory', 'pids', 'blkio'] as const).map((c) => V1(c, NAME.quiet)), 'exec timeout -s KILL 60 sleep 60');

    // Wait for each fault to be under way (not a fixed time): limit hits moving, forks refused and
    // every task gone, periods throttled, reads counted at the throttle. A plant that does not
    // take fails here, saying which.
    const underWay = (what: string, cond: () => boolean) => until(cond, 10_000, `the ${what} fault to take`);
    const failcnt0 = num(`${V1('memory', NAME.mem)}/memory.failcnt`);
    await underWay('memory (failcnt moving)', () => num(`${V1('memory', NAME.mem)}/memory.failcnt`) > failcnt0 + 100);
    await underWay('memory+swap (refaults)', () => num(`${V1('memory', NAME.memsw)}/memory.stat`, 'total_workingset_refault_file') > 2000);
    await underWay('pids (forks refused, every task gone)', () => num(`${V1('pids', NAME.pids)}/pids.events`, 'max') > 0 && num(`${V1('pids', NAME.pids)}/pids.current`) === 0);
    const gone = Date.now();
    await underWay('cpu (periods throttled)', () => num(`${V1('cpu', NAME.cpu)}/cpu.stat`, 'nr_throttled') > 5);
    await underWay('io (reads at the throttle)', () => readFileSync(`${V1('blkio', NAME.io)}/blkio.throttle.io_service_bytes`, 'utf8').includes(`${dev} Read`));
    // dd holds the loop device open: detaching now only marks it autoclear, so it goes away when
    // dd ends, even if this run is killed before afterAll; its backing file can go at once.
    shQuiet('losetup', ['-d', loop]);
    rmSync(IMAGE, { force: true });
    // "seconds before the window": the last refusal is at least 2 s old when diag starts
    await until(() => Date.now() - gone >= 2000, 5000);
    refusedBefore = num(`${V1('pids', NAME.pids)}/pids.events`, 'max');
    run = await runDiag('use');
  }, 90_000);

  afterAll(async () => {
    await work.stop();
    for (const d of DIRS) {
      for (let i = 0; i < 50 && existsSync(d); i++) {
        try {
          rmdirSync(d);
        } catch {
          await sleep(100); // the last tasks are still exiting
        }
      }
    }
    // normally detached already (autoclear); this covers a failure before that point
    if (loop && existsSync(`/sys/block/${loop.slice(5)}/loop/backing_file`) && readFileSync(`/sys/block/${loop.slice(5)}/loop/backing_file`, 'utf8').includes(P)) shQuiet('losetup', ['-d', loop]);
    rmSync(FILE, { force: true });
    rmSync(FILE_SW, { force: true });
    rmSync(IMAGE, { force: true });
  });

  const ofScope = (name: string): Finding[] => run.report.findings.filter((f) => f.scope === scopeOf(name));

  it('a memory cgroup reclaiming at its limit without an OOM kill: found under its own scope', () => {
    const f = expectFinding(run, { resource: 'memory', kind: 'saturation', check: 'cgroup-memory-limit-hits', scope: scopeOf(NAME.mem) })[0]!;
    expect(f.evidence.value).toBeGreaterThanOrEqual(10);
    expect(f.evidence.fields.used_pct).toBeGreaterThanOrEqual(80); // reclaim frees pages in batches: usage swings below the limit
    expect(f.title).toContain(`cgroup /${NAME.mem} reclaims at its memory limit`);
    expect(num(`${V1('memory', NAME.mem)}/memory.oom_control`, 'oom_kill')).toBe(0);
  });

  it('the same with memory+swap limited (no failcnt counts there): found as thrashing at the limit', () => {
    const f = expectFinding(run, { resource: 'memory', kind: 'saturation', check: 'cgroup-memory-thrashing', scope: scopeOf(NAME.memsw) })[0]!;
    expect(f.evidence.value).toBeGreaterThanOrEqual(1000);
    expect(f.evidence.fields.used_pct).toBeGreaterThanOrEqual(80); // reclaim frees pages in batches: usage swings below the limit
    expect(num(`${V1('memory', NAME.memsw)}/memory.oom_control`, 'oom_kill')).toBe(0);
  });

  it('forks refused at pids.max seconds before the window: found as refusals since creation, none in the window', () => {
    expect(refusedBefore).toBeGreaterThan(0);
    const f = expectFinding(run, { resource: 'tasks', kind: 'errors', check: 'cgroup-fork-failures-total', scope: scopeOf(NAME.pids) })[0]!;
    expect(f.evidence.value).toBe(refusedBefore);
    expect(f.title).toBe(`cgroup /${NAME.pids}: ${refusedBefore} forks refused at pids.max since the cgroup was created`);
    expect(ofScope(NAME.pids).filter((x) => x.check === 'fork-failures')).toEqual([]);
  });

  it('a cgroup throttled at a 0.2-CPU quota: found with its quota in the evidence and the title', () => {
    const f = expectFinding(run, { resource: 'cpu', kind: 'saturation', check: 'cgroup-cpu-throttled', scope: scopeOf(NAME.cpu) })[0]!;
    expect(f.evidence.fields.quota_cores).toBe(0.2);
    expect(f.evidence.value).toBeGreaterThan(50);
    expect(f.evidence.fields.throttled_ms).toBeGreaterThanOrEqual(50);
    expect(f.title).toMatch(new RegExp(`^cgroup /${NAME.cpu} was CPU-throttled in \\d+(\\.\\d)?% of periods, .* at its quota of 0\\.20 CPUs$`));
  });

  it('a cgroup reading at its blkio throttle limit: found with the limit in the title', () => {
    const f = expectFinding(run, { resource: 'disk', kind: 'saturation', check: 'cgroup-io-throttled', scope: scopeOf(NAME.io) })[0]!;
    expect(f.evidence.value).toBeGreaterThanOrEqual(80);
    expect(f.title).toContain(`rbps=${1024 * 1024}`);
  });

  it('a quiet cgroup with limits and no pressure is not reported', () => {
    expect(ofScope(NAME.quiet).map((f) => `${f.check}: ${f.title}`)).toEqual([]);
    // ...though it was judged: it has a row in each table the checks read
    const checks = new Map(run.report.coverage.flatMap((c) => c.checks).map((c) => [c.id, c]));
    for (const id of ['cgroup-cpu-throttled', 'cgroup-memory-limit-hits', 'cgroup-io-throttled', 'cgroup-pids-capacity', 'cgroup-fork-failures-total']) expect(checks.get(id)?.status, id).not.toBe('unknown');
  });

  it('each finding names exactly its own cgroup: no ancestor, no other cgroup of ours', () => {
    const ours = run.report.findings.filter((f) => f.scope.startsWith(`cgroup:/${P}`)).map((f) => `${f.check}@${f.scope}`);
    expect(ours.sort()).toEqual(
      [
        `cgroup-memory-limit-hits@${scopeOf(NAME.mem)}`,
        `cgroup-memory-thrashing@${scopeOf(NAME.mem)}`,
        `cgroup-memory-thrashing@${scopeOf(NAME.memsw)}`,
        `cgroup-fork-failures-total@${scopeOf(NAME.pids)}`, `cgroup-cpu-throttled@${scopeOf(NAME.cpu)}`, `cgroup-io-throttled@${scopeOf(NAME.io)}`].sort(),
    );
  });
});
