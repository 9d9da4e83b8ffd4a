import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { compileC } from '../helpers/bpf.js';
import { cgroupDir, cpuQuotaFiles, enableV2Controllers } from '../helpers/cgroup-fs.js';
import { expectFinding, runDiag, sh, shQuiet, until, Workloads } from './helpers.js';

/**
 * The latency playbook on three planted slow processes, one at a time, each judged with
 * `diag run playbook latency --pid PID --json`:
 *
 * - throttled: a busy loop in a cpu cgroup of ours with a 0.2-CPU quota (where /proc/self/mountinfo
 *   puts the cpu controller, v1 or v2): run-queue wait, and the quota named;
 * - competing: three busy loops pinned to one CPU (taskset): run-queue wait, no quota;
 * - direct I/O: a C program reading a loop device of ours with O_DIRECT, with delay accounting
 *   switched on for the test (and back as it was): blocked on I/O, the loop device and the call
 *   (pread64) named in the title.
 *
 * Every workload is bounded in time (perl's own deadline, the C program's) and killed by its
 * process group after each case; the cgroup, the loop device and its file go in afterAll.
 */
const req = liveRequirement('root', 'cmd:perl', 'cmd:taskset', 'cmd:losetup', 'cmd:cc');
const P = `diagt-lat-${process.pid}`;
const CG = `${P}-cpu`;
const IMAGE = `/var/tmp/${P}.img`;
const BUSY = (seconds: number) => `exec perl -e '$e = time + ${seconds}; 1 while time < $e'`;
const work = new Workloads();

const stat = (path: string, key: string): number => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(path, 'utf8'))?.[1] ?? NaN);

// Reads 4 KiB blocks at O_DIRECT from the device in argv[1] over and over, for argv[2] seconds.
const DIRECT_READER_C = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int fd = open(argv[1], O_RDONLY | O_DIRECT);
  if (fd < 0) return 1;
  void *buf;
  if (posix_memalign(&buf, 4096, 4096)) return 1;
  time_t end = time(NULL) + atoi(argv[2]);
  off_t off = 0;
  while (time(NULL) < end) {
    if (pread(fd, buf, 4096, off) != 4096) off = 0; else off += 4096;
  }
  return 0;
}
`;

describe.skipIf(req.skip)('scenario: latency, where one process\'s time goes', () => {
  const cleanups: Array<() => void> = [];
  beforeAll(() => {
    enableV2Controllers(['cpu']);
  });
  afterEach(async () => {
    await work.stop();
  });
  afterAll(async () => {
    await work.stop();
    for (const c of cleanups.reverse()) c();
  });

  it('a process throttled by its cgroup\'s CPU quota: run-queue wait, and the quota named', async () => {
    const dir = cgroupDir('cpu', CG);
    mkdirSync(dir);
    cleanups.push(() => {
      if (existsSync(dir)) rmdirSync(dir);
    });
    for (const [f, v] of cpuQuotaFiles('cpu', 20_000, 100_000)) writeFileSync(`${dir}/${f}`, v);
    const c = work.gated(BUSY(30));
    writeFileSync(`${dir}/cgroup.procs`, String(c.pid));
    c.stdin?.end('go\n');
    await until(() => stat(`${dir}/cpu.stat`, 'nr_throttled') > 3, 10_000, 'the cgroup to be throttled');
    const r = await runDiag('latency', ['--pid', String(c.pid)]);
    const f = expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'lat-runq-throttled', scope: `process:${c.pid}` })[0]!;
    // Running 0.2 CPU of the time it wants 1: about 80 % waiting.
    expect(f.title).toMatch(new RegExp(`^(\\d+(\\.\\d)?)% of PID ${c.pid}'s time is run-queue wait; its cgroup /${CG} is throttled by a 0\\.20-CPU quota \\(\\d+(\\.\\d)?% of periods\\)$`));
    expect(Number(/^(\d+(\.\d)?)%/.exec(f.title)?.[1])).toBeGreaterThan(50);
    expect(r.report.findings.map((x) => x.check)).not.toContain('lat-runq');
    // The drill-downs traced this process only, within the budget.
    const dd = (f.evidence as { drilldown?: Array<{ name: string; status: string; data?: Array<{ scope: string }> }> }).drilldown ?? [];
    expect(dd.map((d) => `${d.name}:${d.status}`)).toEqual(['runqlat/runqlat_summary:ok', 'offcpu:ok']);
    const offcpu = dd.find((d) => d.name === 'offcpu')?.data ?? [];
    expect(offcpu.length).toBeGreaterThan(0);
    expect(offcpu.every((row) => row.scope.startsWith(`process:${c.pid}/`))).toBe(true);
  });

  it('a process competing with busy loops pinned on the same CPU: run-queue wait without a quota', async () => {
    const cpu = '1';
    const loops = [0, 1, 2].map(() => work.start('taskset', ['-c', cpu, 'sh', '-c', BUSY(30)]));
    const target = loops[0]!.pid!;
    await until(() => readFileSync(`/proc/${target}/stat`, 'utf8').includes(') R '), 5000, 'the loops to run');
    const r = await runDiag('latency', ['--pid', String(target)]);
    const f = expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'lat-runq', scope: `process:${target}` })[0]!;
    // Three loops on one CPU: each runs about a third of the time and waits the rest.
    expect(f.title).toMatch(new RegExp(`^(\\d+(\\.\\d)?)% of PID ${target}'s time is run-queue wait: its runnable threads wait for CPUs that other tasks use \\(no quota throttling\\)$`));
    expect(Number(/^(\d+(\.\d)?)%/.exec(f.title)?.[1])).toBeGreaterThan(40);
    expect(r.report.findings.map((x) => x.check)).not.toContain('lat-runq-throttled');
  });

  it('a process doing direct I/O on a loop device: blocked on I/O, the device named', async () => {
    const before = readFileSync('/proc/sys/kernel/task_delayacct', 'utf8').trim();
    writeFileSync('/proc/sys/kernel/task_delayacct', '1');
    cleanups.push(() => writeFileSync('/proc/sys/kernel/task_delayacct', before));
    sh('dd', ['if=/dev/zero', `of=${IMAGE}`, 'bs=1M', 'count=16', 'status=none']);
    cleanups.push(() => rmSync(IMAGE, { force: true }));
    const loop = sh('losetup', ['--find', '--show', IMAGE]).trim();
    cleanups.push(() => shQuiet('losetup', ['-d', loop]));
    const bin = compileC(`${P}-dio`, DIRECT_READER_C);
    cleanups.push(bin.remove);
    const c = work.start(bin.path, [loop, '30']);
    const pid = c.pid!;
    await until(() => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ')[39]) > 0, 10_000, 'the reader to wait on I/O');
    const r = await runDiag('latency', ['--pid', String(pid)]);
    const f = expectFinding(r, { resource: 'disk', kind: 'saturation', check: 'lat-io', scope: `process:${pid}` })[0]!;
    const dev = loop.replace('/dev/', '');
    // the device from its open files, the call from its blocked thread (/proc/PID/task/TID/syscall)
    expect(f.title).toMatch(new RegExp(`^\\d+(\\.\\d)?% of PID ${pid}'s time is blocked on I/O to ${dev} from pread64\\(\\)$`));
    // biosnoop, run for this process only, names the device and its slow I/Os in the evidence
    const dd = (f.evidence as { drilldown?: Array<{ name: string; status: string; data?: Array<{ scope: string; labels?: Record<string, string>; values?: Record<string, number | null> }> }> }).drilldown ?? [];
    const devices = dd.find((d) => d.name === 'biosnoop/biosnoop_device');
    expect(devices?.status).toBe('ok');
    expect(devices?.data?.map((row) => row.scope)).toEqual([`device:${dev}`]);
    expect(devices?.data?.[0]?.values?.ios).toBeGreaterThan(0);
    const slowest = dd.find((d) => d.name === 'biosnoop/biosnoop_slowest');
    expect(slowest?.status).toBe('ok');
    expect(slowest?.data?.length).toBeGreaterThan(0);
    expect(slowest?.data?.every((row) => row.labels?.device === dev && row.labels.pid === String(pid) && row.labels.op === 'read' && row.scope.startsWith(`event:${dev} read sector `))).toBe(true);
    const lat = slowest?.data?.map((row) => Number(row.values?.latency_ms));
    expect(lat).toEqual([...(lat ?? [])].sort((a, b) => b - a));
  });
});
