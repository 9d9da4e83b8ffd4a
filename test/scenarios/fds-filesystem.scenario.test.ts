import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { expectFinding, PREFIX, runDiag, sh, shQuiet, until, Workloads } from './helpers.js';

/**
 * A process at its file-descriptor limit (prlimit --nofile), a loop device kept busy by direct
 * writes, and filesystems on loop devices filled to the last block and to the last inode. Loop devices, mounts and image files are
 * removed in afterAll.
 */
const req = liveRequirement('root', 'cmd:prlimit', 'cmd:losetup', 'cmd:mkfs.ext4', 'cmd:timeout');
const work = new Workloads();
const BASE = `/tmp/${PREFIX}-fs`;
let busyDev = '';
const FS = { space: { img: `${BASE}/space.img`, mnt: `${BASE}/space`, dev: '' }, inodes: { img: `${BASE}/inodes.img`, mnt: `${BASE}/inodes`, dev: '' } };

/** Opens /dev/null until EMFILE, then holds the descriptors. */
const FD_HOG = `
const fs = require('fs');
const held = [];
try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch { /* EMFILE: at the limit */ }
setInterval(() => {}, 1000);`;

describe.skipIf(req.skip)('scenario: file descriptors and filesystems', () => {
  beforeAll(() => {
    mkdirSync(BASE, { recursive: true });
    for (const [kind, f] of Object.entries(FS)) {
      sh('truncate', ['-s', '16M', f.img]);
      sh('mkfs.ext4', ['-q', '-F', ...(kind === 'inodes' ? ['-N', '64'] : []), f.img]);
      f.dev = sh('losetup', ['--find', '--show', f.img]).trim();
      mkdirSync(f.mnt);
      sh('mount', [f.dev, f.mnt]);
    }
  });

  afterAll(async () => {
    await work.stop();
    for (const f of Object.values(FS)) {
      shQuiet('umount', [f.mnt]);
      if (f.dev) shQuiet('losetup', ['-d', f.dev]);
    }
    if (busyDev) shQuiet('losetup', ['-d', busyDev]);
    if (existsSync(BASE)) rmSync(BASE, { recursive: true, force: true });
  });

  it('finds a process at its RLIMIT_NOFILE (prlimit --nofile=64), critical', async () => {
    const hog = work.start('prlimit', ['--nofile=64:64', 'timeout', '-s', 'KILL', '30', process.execPath, '-e', FD_HOG]);
    // prlimit execs timeout, which forks node: wait for node's fds to reach the limit.
    let nodePid = 0;
    await until(() => {
      const kids = sh('ps', ['-o', 'pid=', '--ppid', String(hog.pid)]).trim();
      nodePid = Number(kids.split('\n')[0]);
      return nodePid > 0 && existsSync(`/proc/${nodePid}/fd/60`);
    });
    expect(nodePid).toBeGreaterThan(0);
    const r = await runDiag('use');
    await work.stop();
    const hits = expectFinding(r, { resource: 'fds', kind: 'saturation', check: 'process-fd-limit', scope: `process:${nodePid}`, min: 'critical' });
    expect(hits[0]!.evidence.fields).toMatchObject({ fd_limit: 64 });
    expect(hits[0]!.evidence.inputs.some((i) => i.includes(`/proc/${nodePid}/`))).toBe(true);
  });

  it('finds a loop device kept busy by direct writes (disk playbook): utilisation', async () => {
    const img = `${BASE}/busy.img`;
    sh('truncate', ['-s', '256M', img]);
    const dev = sh('losetup', ['--find', '--show', img]).trim();
    busyDev = dev;
    // Synchronous 4 KiB direct writes, one after another: the device always has an I/O in flight.
    // Each dd writes the whole device (seconds), so one dd is nearly always the writer in diag's window.
    const name = dev.replace('/dev/', '');
    // io_ticks (ms the device had I/O in flight, field 13 of /proc/diskstats), read without diag's parser
    const ioTicks = () => Number(readFileSync('/proc/diskstats', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[2] === name)?.[12] ?? NaN);
    const t0 = ioTicks();
    work.start('timeout', ['-s', 'KILL', '30', 'sh', '-c', `while :; do dd if=/dev/zero of=${dev} bs=4k count=65536 oflag=direct,dsync status=none; done`]);
    // under way: the device has been busy for 300 ms
    await until(() => ioTicks() - t0 >= 300, 10_000, `io_ticks of ${name} moving`);
    const a = { ticks: ioTicks(), at: process.hrtime.bigint() };
    const r = await runDiag('disk');
    const busyPct = (100 * (ioTicks() - a.ticks)) / (Number(process.hrtime.bigint() - a.at) / 1e6);
    await work.stop();
    const check = readFileSync(`/sys/block/${name}/queue/rotational`, 'utf8').trim() === '1' ? 'disk-util-rotational' : 'disk-util-ssd';
    const hits = expectFinding(r, { resource: 'disk', kind: 'utilization', check, scope: `device:${name}` });
    // diag's window lies inside ours, under the same steady load: the kernel's own busy share agrees
    expect(Math.abs(hits[0]!.evidence.value - busyPct), `diag ${hits[0]!.evidence.value}% vs io_ticks ${busyPct.toFixed(1)}%`).toBeLessThan(25);
    // The writer named: a dd, or the loop's shell when the window falls between two dd runs (a
    // parent's /proc/PID/io counts the I/O of the children it reaped): both write to this device.
    const writer = hits[0]!.culprits?.find((c) => c.entity.kind === 'process');
    expect(['dd', 'sh'], JSON.stringify(writer)).toContain(writer?.entity.name);
    expect(writer?.identity.cmdline).toContain(`of=${dev}`);
  });

  it('finds a full filesystem on a loop device (disk playbook), critical, and one out of inodes', async () => {
    shQuiet('dd', ['if=/dev/zero', `of=${FS.space.mnt}/fill`, 'bs=1M', 'count=64']);
    for (let i = 0; i < 200; i++) {
      // Until ENOSPC: 64 inodes, a handful used by the root directory and lost+found.
      const r = sh('sh', ['-c', `touch "${FS.inodes.mnt}/f${i}" 2>/dev/null && echo ok || echo full`]).trim();
      if (r === 'full') break;
    }
    const r = await runDiag('disk');
    const space = expectFinding(r, { resource: 'filesystem', kind: 'utilization', check: 'filesystem-capacity', scope: `mount:${FS.space.mnt}`, min: 'critical' });
    expect(space[0]!.evidence.value).toBe(100);
    expectFinding(r, { resource: 'filesystem', kind: 'utilization', check: 'filesystem-inodes', scope: `mount:${FS.inodes.mnt}`, min: 'critical' });
    expect(r.report.status).toBe('critical');
  });
});
