import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesystemCollector } from '../../../collectors/procfs/filesystems/collector.js';
import type { Row } from '../../../src/core/collector.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { collectSample } from '../../../src/core/sample.js';
import { liveRequirement } from '../../helpers/capabilities.js';

/*
 * Live: a 16 MiB ext4 filesystem on a loop device of our own, mounted at a path with a space and
 * a newline in it (mountinfo escapes both) and bind-mounted a second time; diag's numbers are
 * compared with df -B1 and df's inode columns (as df -i) of the same mount, fresh and once
 * filled to ENOSPC.
 */
const need = liveRequirement('root', 'cmd:losetup', 'cmd:mkfs.ext4', 'cmd:mount', 'cmd:umount', 'cmd:df', 'cmd:fallocate', 'cmd:dd', 'cmd:timeout', 'cmd:sync');

let dir = '';
let dev = '';
const mounted: string[] = [];

function df(args: string[], path: string): number[] {
  const out = execFileSync('df', [...args, '--', path], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const line = out.trimEnd().split('\n').at(-1) ?? '';
  return line.trim().split(/\s+/).map((x) => Number(x.replace('%', '')));
}

async function diagRow(mountPoint: string): Promise<Row> {
  const s = await collectSample([filesystemCollector], new LiveSource());
  const c = s.collectors.filesystem!;
  if (c.status !== 'ok') throw new Error(c.reason);
  const t = c.value.tables.filesystem!;
  if (t.status !== 'ok') throw new Error(t.reason);
  const row = t.value.find((r) => r.key === mountPoint);
  if (!row) throw new Error(`no row for ${JSON.stringify(mountPoint)} among ${JSON.stringify(t.value.map((r) => r.key))}`);
  // exactly one row for this device (the bind mount is folded into it)
  expect(t.value.filter((r) => r.labels?.dev === row.labels?.dev)).toHaveLength(1);
  return row;
}

function expectSameAsDf(row: Row, mountPoint: string): void {
  execFileSync('sync', ['-f', mountPoint]);
  const [size, used, avail, pcent] = df(['-B1', '--output=size,used,avail,pcent'], mountPoint);
  const [itotal, iused, iavail, ipcent] = df(['--output=itotal,iused,iavail,ipcent'], mountPoint);
  expect(row.values).toMatchObject({ size_bytes: size, used_bytes: used, avail_bytes: avail, used_pct: pcent });
  expect(row.values).toMatchObject({ inodes_total: itotal, inodes_used: iused, inodes_free: iavail, inodes_used_pct: ipcent });
}

describe.skipIf(need.skip)('filesystem collector, live on a loop-mounted ext4', () => {
  // A space and a newline: the kernel writes them as \040 and \012 in mountinfo.
  let mnt = '';
  let bind = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `diagt-fs-${process.pid}-`));
    const img = join(dir, 'fs.img');
    execFileSync('fallocate', ['-l', '16M', img]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-N', '512', '-m', '5', img], { stdio: 'ignore' });
    dev = execFileSync('losetup', ['--find', '--show', img], { encoding: 'utf8' }).trim();
    if (!/^\/dev\/loop\d+$/.test(dev)) throw new Error(`losetup printed ${JSON.stringify(dev)}`);
    mnt = join(dir, 'mnt point\nwith newline');
    bind = join(dir, 'a-longer-bind-mount-of-the-same-filesystem');
    mkdirSync(mnt);
    mkdirSync(bind);
    execFileSync('mount', ['-t', 'ext4', dev, mnt]);
    mounted.push(mnt);
    execFileSync('mount', ['--bind', mnt, bind]);
    mounted.push(bind);
  });

  afterAll(() => {
    for (const m of mounted.reverse()) {
      try {
        execFileSync('umount', [m], { stdio: 'ignore' });
      } catch {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      }
    }
    if (dev) {
      try {
        execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
      } catch {
        // already detached
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the fresh filesystem exactly as df -B1 and df -i, under its real (escaped) path', async () => {
    const row = await diagRow(mnt);
    expect(row.labels).toMatchObject({ fstype: 'ext4', source: dev });
    expect(row.values).toMatchObject({ mount_points: 2, readonly: 0, block_size: 1024 });
    expectSameAsDf(row, mnt);
    expect(row.values.used_pct).toBeLessThan(50);
  });

  it('follows the filesystem to 100 % when it is filled up', async () => {
    // 200 files use inodes, then one file takes every block left (root may use the reserve).
    for (let i = 0; i < 200; i++) writeFileSync(join(mnt, `f${i}`), '');
    try {
      execFileSync('timeout', ['20', 'dd', 'if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=64k', 'status=none'], { stdio: 'ignore' });
    } catch {
      // dd ends with ENOSPC: expected
    }
    const row = await diagRow(mnt);
    expectSameAsDf(row, mnt);
    expect(row.values.used_pct).toBe(100);
    expect(row.values.avail_bytes).toBe(0);
    expect(row.values.inodes_used).toBeGreaterThanOrEqual(211); // 11 reserved + 200 + fill
  });
});
