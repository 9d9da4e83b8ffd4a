import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dfPercent, dfValues, filesystemCollector, isStorageMount, mountsByDevice } from '../../../collectors/procfs/filesystems/collector.js';
import { parseMountinfo, parseProcFilesystems, unescapeMountField } from '../../../collectors/procfs/filesystems/parse.js';
import { collectSample } from '../../../src/core/sample.js';
import type { StatFs } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/procfs/${name}`, import.meta.url), 'utf8');
const mountinfo618 = fixture('mountinfo-6.18.txt');
const filesystems618 = fixture('filesystems-6.18.txt');

/** A host with every kind of mount the rules have to sort out. */
const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw',
  '25 22 0:5 / /dev rw,nosuid,relatime shared:3 - devtmpfs udev rw,size=4010892k,nr_inodes=1002723,mode=755',
  '26 25 0:23 / /dev/pts rw,nosuid,noexec,relatime shared:4 - devpts devpts rw,gid=5,mode=620,ptmxmode=000',
  '27 22 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=806068k,mode=755',
  '29 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '30 22 8:2 / /home rw,relatime shared:30 - xfs /dev/sda2 rw,attr2,inode64,prjquota',
  '31 22 8:2 /projects/a /srv/project\\040a rw,relatime shared:30 - xfs /dev/sda2 rw,prjquota',
  '32 22 8:1 /var/lib/docker /mnt/docker\\011tab rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '33 22 8:1 / /mnt/root-again rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '34 22 7:0 / /snap/core/123 ro,nodev,relatime shared:40 - squashfs /dev/loop0 ro',
  '35 22 0:40 / /mnt/nfs rw,relatime shared:50 - nfs4 server:/export rw,vers=4.2',
  '36 22 0:41 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/a:/b',
  '37 22 0:42 / /mnt/with\\040space\\012and\\134backslash rw,relatime - tmpfs tmpfs rw,size=1024k',
  '38 27 0:43 / /run/user/1000/doc rw,nosuid,nodev,relatime - fuse.portal portal rw,user_id=1000',
  '39 22 0:44 / /mnt/sshfs rw,nosuid,nodev,relatime - fuse.sshfs user@host:/ rw,user_id=0',
  '40 27 0:45 / /run rw,relatime - tmpfs tmpfs rw,size=1000k',
  '41 22 0:46 / /mnt/ramfs rw,relatime - ramfs ramfs rw',
  '42 22 0:47 / /mnt/unlimited rw,relatime - tmpfs tmpfs rw',
  '43 22 0:48 / /mnt/gone rw,relatime - tmpfs tmpfs rw',
  '44 23 0:49 / /proc/sys/fs/binfmt_misc rw,relatime - binfmt_misc binfmt_misc rw',
  '45 22 0:50 / /mnt/newfs rw,relatime - someday somewhere rw',
  '',
].join('\n');

const FILESYSTEMS = ['nodev\tsysfs', 'nodev\ttmpfs', 'nodev\tproc', 'nodev\tcgroup2', 'nodev\tdevtmpfs', 'nodev\tdevpts', 'nodev\tramfs', 'nodev\tbinfmt_misc', 'nodev\tnfs4', 'nodev\toverlay', 'nodev\tfuse', '\text4', '\txfs', '\tsquashfs', '\tsomeday', ''].join('\n');

const fs = (blocks: number, bfree: number, bavail: number, files: number, ffree: number, bsize = 4096): StatFs => ({ type: 0, bsize, blocks, bfree, bavail, files, ffree });

const STATFS: Record<string, StatFs> = {
  '/': fs(1000, 300, 250, 1000, 999),
  '/dev': fs(100, 100, 100, 500, 400),
  '/run': fs(250, 200, 200, 1000, 990),
  '/home': fs(5000, 1000, 1000, 0, 0),
  '/srv/project a': fs(100, 10, 10, 0, 0),
  '/mnt/docker\ttab': fs(1000, 299, 249, 1000, 998),
  '/snap/core/123': fs(500, 0, 0, 100, 0, 131072),
  '/mnt/nfs': fs(10000, 5000, 5000, 2000, 1000, 1048576),
  '/mnt/with space\nand\\backslash': fs(256, 256, 256, 100, 99),
  '/mnt/sshfs': fs(300, 30, 30, 10, 5),
  '/mnt/unlimited': fs(0, 0, 0, 0, 0),
  '/mnt/newfs': fs(10, 5, 5, 10, 5),
};

describe('parseMountinfo', () => {
  it('parses a real 6.18 mount table', () => {
    const r = parseMountinfo(mountinfo618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.skippedLines).toEqual([]);
    expect(r.value.mounts.find((m) => m.mountPoint === '/')).toMatchObject({ fsType: 'ext4', source: '/dev/vda', root: '/' });
  });
  it('unescapes spaces, tabs, newlines and backslashes, and reads optional fields', () => {
    const r = parseMountinfo(MOUNTINFO);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.mounts.map((m) => m.mountPoint)).toContain('/mnt/with space\nand\\backslash');
    expect(r.value.mounts.find((m) => m.id === 31)).toMatchObject({ root: '/projects/a', mountPoint: '/srv/project a', optional: ['shared:30'], major: 8, minor: 2 });
    expect(r.value.mounts.find((m) => m.id === 36)).toMatchObject({ optional: [], fsType: 'overlay', superOptions: 'rw,lowerdir=/a:/b' });
  });
  it('handles several optional fields and none', () => {
    const r = parseMountinfo('61 22 0:5 / /a rw shared:2 master:1 propagate_from:1 unbindable - tmpfs t rw\n62 22 0:6 / /b rw - tmpfs t rw\n');
    expect(r.ok && r.value.mounts.map((m) => m.optional.length)).toEqual([4, 0]);
  });
  it('skips truncated and garbled lines, fails on empty or all-garbage input', () => {
    const r = parseMountinfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n23 22 0:21 / /proc rw shared:1\nxx 22 0:21 / /x rw - proc proc rw\n24 22 8 / /y rw - ext4 /dev/sdb rw\n');
    expect(r.ok && r.value.mounts.length).toBe(1);
    expect(r.ok && r.value.skippedLines).toEqual([2, 3, 4]);
    expect(parseMountinfo('').ok).toBe(false);
    expect(parseMountinfo('not a mount table\n').ok).toBe(false);
  });
  it('keeps a lone backslash and decodes any octal escape', () => {
    expect(unescapeMountField('/a\\b')).toBe('/a\\b');
    expect(unescapeMountField('/a\\0401')).toBe('/a 1');
    expect(unescapeMountField('/caf\\303\\251')).toBe('/caf\u00c3\u00a9');
  });
  it('survives fuzzing', () => fuzzParser(parseMountinfo, [mountinfo618, MOUNTINFO]));
});

describe('parseProcFilesystems', () => {
  it('tells nodev filesystems from block-device ones', () => {
    const r = parseProcFilesystems(filesystems618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.find((t) => t.name === 'ext4')).toEqual({ name: 'ext4', nodev: false });
    expect(r.value.find((t) => t.name === 'tmpfs')).toEqual({ name: 'tmpfs', nodev: true });
  });
  it('rejects empty and garbled input', () => {
    expect(parseProcFilesystems('').ok).toBe(false);
    expect(parseProcFilesystems('nodev a b\n').ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parseProcFilesystems, [filesystems618]));
});

describe('df arithmetic', () => {
  it('rounds Use% up like df', () => {
    expect(dfPercent(700, 950)).toBe(74); // 73.68
    expect(dfPercent(50, 100)).toBe(50);
    expect(dfPercent(1, 1000)).toBe(1);
    expect(dfPercent(0, 1000)).toBe(0);
    expect(dfPercent(100, 100)).toBe(100);
    expect(dfPercent(0, 0)).toBeUndefined();
  });
  it('computes bytes and inodes as df -B1 and df -i', () => {
    expect(dfValues(fs(1000, 300, 250, 1000, 999))).toEqual({
      size_bytes: 4096000, used_bytes: 2867200, free_bytes: 1228800, avail_bytes: 1024000, used_pct: 74,
      inodes_total: 1000, inodes_used: 1, inodes_free: 999, inodes_used_pct: 1, block_size: 4096,
    });
    // No inode limit (btrfs, vfat): IUse% is "-", not 0.
    expect(dfValues(fs(10, 5, 5, 0, 0)).inodes_used_pct).toBeUndefined();
  });
});

describe('filesystem collector', () => {
  it('keeps real mounts, skips pseudo ones, merges bind mounts and shows the top of an over-mount', async () => {
    const t = fixtureTree({ '/proc/self/mountinfo': MOUNTINFO, '/proc/filesystems': FILESYSTEMS }, { 'statfs.json': STATFS });
    try {
      const s = await collectSample([filesystemCollector], t.source);
      const c = s.collectors.filesystem!;
      const rows = c.status === 'ok' ? c.value.tables.filesystem : undefined;
      expect(rows?.status).toBe('ok');
      if (rows?.status !== 'ok') return;
      const byKey = new Map(rows.value.map((r) => [r.key, r]));
      expect([...byKey.keys()].sort()).toEqual(
        ['/', '/dev', '/run', '/home', '/srv/project a', '/snap/core/123', '/mnt/nfs', '/mnt/with space\nand\\backslash', '/mnt/sshfs', '/mnt/gone', '/mnt/newfs'].sort(),
      );
      // "/" stands for /mnt/root-again (same root) and /mnt/docker<TAB>tab (same statfs totals).
      expect(byKey.get('/')!.values).toMatchObject({ mount_points: 3, used_pct: 74, size_bytes: 4096000 });
      expect(byKey.get('/')!.labels).toEqual({ fstype: 'ext4', source: '/dev/sda1', dev: '8:1' });
      // An XFS project-quota bind mount reports its own limits: its own row.
      expect(byKey.get('/srv/project a')!.labels).toMatchObject({ root: '/projects/a', fstype: 'xfs' });
      expect(byKey.get('/srv/project a')!.values).toMatchObject({ used_pct: 90, mount_points: 1 });
      // /run was mounted over: the values are the top mount's (0:45).
      expect(byKey.get('/run')!.labels!.dev).toBe('0:45');
      expect(byKey.get('/snap/core/123')!.values).toMatchObject({ readonly: 1, used_pct: 100 });
      // A mount whose statfs failed keeps its row, with the reason and no invented numbers.
      expect(byKey.get('/mnt/gone')!.labels!.statfs).toMatch(/was not captured in this fixture/);
      expect(byKey.get('/mnt/gone')!.values.used_pct).toBeUndefined();
    } finally {
      t.cleanup();
    }
  });

  it('decides storage mounts by type', () => {
    const nodev = new Set(['tmpfs', 'proc', 'fuse', 'nfs', 'overlay', 'mystery']);
    const m = (fsType: string, mountPoint = '/x') => ({ id: 1, parentId: 0, major: 0, minor: 1, root: '/', mountPoint, mountOptions: 'rw', optional: [], fsType, source: 's', superOptions: 'rw' });
    expect(isStorageMount(m('tmpfs'), nodev)).toBe(true);
    expect(isStorageMount(m('nfs'), nodev)).toBe(true);
    expect(isStorageMount(m('fuse.sshfs'), nodev)).toBe(true);
    expect(isStorageMount(m('fuse.lxcfs'), nodev)).toBe(false);
    expect(isStorageMount(m('proc'), nodev)).toBe(false);
    expect(isStorageMount(m('mystery'), nodev)).toBe(false);
    expect(isStorageMount(m('ext4'), nodev)).toBe(true);
    expect(isStorageMount(m('overlay'), nodev)).toBe(false);
    expect(isStorageMount(m('overlay', '/'), nodev)).toBe(true);
    // Without /proc/filesystems only the named pseudo types are skipped.
    expect(isStorageMount(m('mystery'), new Set())).toBe(true);
    expect(isStorageMount(m('cgroup2'), new Set())).toBe(false);
  });

  it('orders a device group root first, then by mount point length', () => {
    const mk = (id: number, root: string, mountPoint: string) => ({ id, parentId: 1, major: 8, minor: 1, root, mountPoint, mountOptions: 'rw', optional: [], fsType: 'ext4', source: '/dev/sda1', superOptions: 'rw' });
    const groups = mountsByDevice([mk(1, '/sub', '/a'), mk(2, '/', '/long/path'), mk(3, '/', '/b')]);
    expect(groups.map((g) => g.map((m) => m.id))).toEqual([[3, 2, 1]]);
  });

  it('is unavailable when the mount table cannot be read', async () => {
    const t = fixtureTree({ '/proc/filesystems': FILESYSTEMS });
    try {
      const s = await collectSample([filesystemCollector], t.source);
      const c = s.collectors.filesystem!;
      expect(c.status === 'ok' && c.value.tables.filesystem!.status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });
});
