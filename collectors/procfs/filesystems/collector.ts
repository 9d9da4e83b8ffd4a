import type { Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';
import { ok, type Outcome } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source, StatFs } from '../../../src/core/source.js';
import { parseMountinfo, parseProcFilesystems, type MountInfo } from './parse.js';

/**
 * Filesystem capacity and inodes of every real mount, as `df` reports them.
 *
 * Which mounts (the rule, in order):
 * 1. Types in PSEUDO_TYPES are skipped (kernel interfaces, not storage).
 * 2. Types the kernel lists as "nodev" in /proc/filesystems (no block device behind them) are
 *    skipped too, except those in NODEV_STORAGE: memory filesystems that can fill up (tmpfs,
 *    devtmpfs), network and cluster filesystems, FUSE filesystems (fuse.<name>, except the pseudo
 *    ones in PSEUDO_TYPES) and ZFS.
 * 3. overlay is kept only when mounted at "/" (a container's root, where it is the only view of
 *    the capacity); the overlay mounts of containers seen from the host report the upper layer's
 *    filesystem, which is listed itself.
 * 4. A mount point mounted over several times shows only the top mount (the one statfs sees).
 * 5. Bind mounts of one device are one row (root "/" first, then the shortest mount point) with
 *    the number of mount points in `mount_points`, as df shows one line per device: capacity
 *    and inodes belong to the filesystem, not to the mount. A bind mount of another root whose
 *    statfs answer differs (an XFS project quota) gets its own row.
 * 6. Like df without -a, a filesystem whose statfs reports 0 blocks (ramfs, unlimited tmpfs) has
 *    no capacity to watch and is skipped.
 *
 * statfs(2) is synchronous in Node and, on a hard-mounted NFS/CIFS filesystem whose server is
 * gone or a FUSE filesystem whose daemon is stuck, blocks until they answer: for the types in
 * MAY_HANG_TYPES (and every fuse.*) the statfs is bounded (Source.statfs mayHang: a child
 * process killed after 2 s) and a mount that does not answer is reported with its reason.
 */

export const PSEUDO_TYPES: ReadonlySet<string> = new Set([
  'proc', 'sysfs', 'cgroup', 'cgroup2', 'cpuset', 'debugfs', 'tracefs', 'securityfs', 'pstore', 'bpf',
  'mqueue', 'devpts', 'hugetlbfs', 'configfs', 'fusectl', 'autofs', 'binfmt_misc', 'nsfs', 'efivarfs',
  'selinuxfs', 'smackfs', 'apparmorfs', 'rpc_pipefs', 'nfsd', 'sockfs', 'pipefs', 'ramfs', 'rootfs',
  'xenfs', 'usbfs', 'devfs', 'resctrl', 'sunrpc', 'fuse.lxcfs', 'fuse.gvfsd-fuse', 'fuse.portal',
  'fuse.xdg-document-portal',
]);

export const NODEV_STORAGE: ReadonlySet<string> = new Set([
  'tmpfs', 'devtmpfs', 'shm', 'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', '9p', 'virtiofs', 'ceph', 'glusterfs',
  'lustre', 'gpfs', 'beegfs', 'afs', 'ocfs2', 'gfs2', 'fuse', 'zfs', 'overlay', 'aufs', 'vboxsf',
]);

/** Filesystems whose statfs waits on a server or a user-space daemon. */
export const MAY_HANG_TYPES: ReadonlySet<string> = new Set([
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', '9p', 'ceph', 'glusterfs', 'lustre', 'gpfs', 'beegfs', 'afs', 'ocfs2', 'gfs2', 'fuse', 'fuseblk', 'vboxsf',
]);

export const mayHang = (fsType: string): boolean => MAY_HANG_TYPES.has(fsType) || fsType.startsWith('fuse.');

/** Which of these mounts is storage worth watching (rules 1-3 above). */
export function isStorageMount(m: MountInfo, nodevTypes: ReadonlySet<string>): boolean {
  const t = m.fsType;
  if (PSEUDO_TYPES.has(t)) return false;
  const base = t.startsWith('fuse.') ? 'fuse' : t;
  if (nodevTypes.has(base) && !NODEV_STORAGE.has(base)) return false;
  if ((t === 'overlay' || t === 'aufs') && m.mountPoint !== '/') return false;
  return true;
}

/**
 * Rules 4 and 5: the visible mounts grouped by device, each group ordered with the best
 * representative first (root "/" first, then the shortest mount point).
 */
export function mountsByDevice(mounts: readonly MountInfo[]): MountInfo[][] {
  // 4: later mounts on the same point stack on top of earlier ones.
  const top = new Map<string, MountInfo>();
  for (const m of mounts) top.set(m.mountPoint, m);
  const byDev = new Map<string, MountInfo[]>();
  for (const m of top.values()) {
    const k = `${m.major}:${m.minor}`;
    const g = byDev.get(k);
    if (g === undefined) byDev.set(k, [m]);
    else g.push(m);
  }
  const rank = (m: MountInfo) => (m.root === '/' ? 0 : 1);
  return [...byDev.values()].map((g) => g.sort((a, b) => rank(a) - rank(b) || a.mountPoint.length - b.mountPoint.length || (a.mountPoint < b.mountPoint ? -1 : 1)));
}

/** Same totals: the same filesystem view (free counts are not compared: they move between two calls). */
const sameStatfs = (a: StatFs, b: StatFs) => a.blocks === b.blocks && a.files === b.files && a.bsize === b.bsize;

/** ceil(part * 100 / whole) in integers, as df prints Use% and IUse%; undefined when whole is 0. */
export function dfPercent(part: number, whole: number): number | undefined {
  if (!(whole > 0) || part < 0) return undefined;
  const p100 = part * 100;
  const q = Math.floor(p100 / whole);
  return p100 - q * whole > 0 ? q + 1 : q;
}

/** The df numbers of one statfs answer (coreutils df: used = blocks - bfree, Use% = used / (used + avail)). */
export function dfValues(s: StatFs): Record<string, number | undefined> {
  const bs = s.bsize;
  const usedBlocks = s.blocks >= s.bfree ? s.blocks - s.bfree : undefined;
  const inodesUsed = s.files >= s.ffree ? s.files - s.ffree : undefined;
  return {
    size_bytes: s.blocks * bs,
    used_bytes: usedBlocks === undefined ? undefined : usedBlocks * bs,
    free_bytes: s.bfree * bs,
    avail_bytes: s.bavail * bs,
    used_pct: usedBlocks === undefined ? undefined : dfPercent(usedBlocks, usedBlocks + s.bavail),
    inodes_total: s.files,
    inodes_used: inodesUsed,
    inodes_free: s.ffree,
    // btrfs, vfat and others report 0 inodes: no inode limit to show (df prints "-").
    inodes_used_pct: inodesUsed === undefined || s.files === 0 ? undefined : dfPercent(inodesUsed, s.files),
    block_size: bs,
  };
}

function collectFilesystems(src: Source): TableOutcomes[string] {
  const mi = readParsed(src, '/proc/self/mountinfo', parseMountinfo);
  if (mi.status !== 'ok') return mi;
  const fsTypes = readParsed(src, '/proc/filesystems', parseProcFilesystems);
  const nodev = new Set(fsTypes.status === 'ok' ? fsTypes.value.filter((t) => t.nodev).map((t) => t.name) : []);
  const rows: Row[] = [];
  for (const group of mountsByDevice(mi.value.mounts.filter((m) => isStorageMount(m, nodev)))) {
    // One row per device, plus one per bind mount of another root whose statfs differs (an XFS
    // project quota, for example); the others only add to mount_points.
    const shown: Array<{ mount: MountInfo; st: Outcome<StatFs>; mountPoints: number }> = [];
    for (const m of group) {
      const sameRoot = shown.find((e) => e.mount.root === m.root);
      if (sameRoot) {
        sameRoot.mountPoints++;
        continue;
      }
      const st = src.statfs(m.mountPoint, mayHang(m.fsType) ? { mayHang: true } : undefined);
      const sameNumbers = st.status === 'ok' ? shown.find((e) => e.st.status === 'ok' && sameStatfs(e.st.value, st.value)) : undefined;
      if (sameNumbers) sameNumbers.mountPoints++;
      else shown.push({ mount: m, st, mountPoints: 1 });
    }
    for (const { mount: m, st, mountPoints } of shown) {
      const labels: Record<string, string> = { fstype: m.fsType, source: m.source, dev: `${m.major}:${m.minor}` };
      if (m.root !== '/') labels.root = m.root;
      const readonly = m.mountOptions.split(',').includes('ro') ? 1 : 0;
      if (st.status !== 'ok') {
        // Kept with its numbers missing (a FUSE mount of another user, a vanished mount...).
        rows.push({ key: m.mountPoint, labels: { ...labels, statfs: st.reason }, values: { readonly, mount_points: mountPoints } });
        continue;
      }
      if (st.value.blocks === 0) continue;
      rows.push({ key: m.mountPoint, labels, values: { ...dfValues(st.value), readonly, mount_points: mountPoints } });
    }
  }
  return ok(rows);
}

export const filesystemCollector: Collector = {
  id: 'filesystem',
  title: 'Filesystem capacity and inodes of every real mount (as df)',
  origin: 'procfs',
  resources: ['filesystem'],
  inputs: ['/proc/self/mountinfo', '/proc/filesystems', 'statfs(2) of each mount point'],
  tables: {
    filesystem: {
      title: 'Mounted filesystems (bytes and inodes as df -B1 and df -i)',
      scope: 'mount',
      identity: ['dev'],
      fields: {
        size_bytes: gauge('size', 'bytes'),
        used_bytes: gauge('used (size - free)', 'bytes'),
        free_bytes: gauge('free, including blocks reserved for root', 'bytes'),
        avail_bytes: gauge('available to unprivileged users', 'bytes'),
        used_pct: gauge('Use% as df: used / (used + avail), rounded up', 'percent'),
        inodes_total: gauge('inodes'),
        inodes_used: gauge('inodes used'),
        inodes_free: gauge('inodes free'),
        inodes_used_pct: gauge('IUse% as df -i, rounded up', 'percent'),
        block_size: gauge('block size (f_bsize)', 'bytes'),
        readonly: gauge('mounted read-only', 'boolean'),
        mount_points: gauge('mount points showing this device and root (bind mounts)'),
      },
    },
  },
  collect(src) {
    return { filesystem: collectFilesystems(src) };
  },
};
