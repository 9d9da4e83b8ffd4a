import type { Source } from '../../../src/core/source.js';

/** A process holding a socket open. */
export interface SocketOwner {
  readonly pid: number;
  readonly fd: number;
  /** /proc/PID/comm (untrusted: any bytes but "/" and NUL; sanitise before display). */
  readonly name: string;
}

/** Socket inode -> the processes holding it. */
export type SocketOwners = ReadonlyMap<number, readonly SocketOwner[]>;

const SOCKET_LINK = /^socket:\[(\d{1,20})\]$/;

/**
 * Who holds which socket, from /proc/PID/fd/* links ("socket:[INODE]"). This is what `ss -p`
 * does on every run; doing it once per sample and sharing it between namespaces (socket inodes
 * are unique across the host) turns 2 x N full scans into one when every namespace is observed.
 * A process that exits mid-scan is skipped; fds we may not read (not root) are skipped.
 */
export function scanSocketOwners(src: Source): SocketOwners {
  const out = new Map<number, SocketOwner[]>();
  const dir = src.readDir('/proc');
  if (dir.status !== 'ok') return out;
  for (const entry of dir.value) {
    if (!/^\d{1,7}$/.test(entry)) continue;
    const pid = Number(entry);
    const fds = src.readDir(`/proc/${pid}/fd`);
    if (fds.status !== 'ok') continue;
    let name: string | undefined;
    for (const fdName of fds.value) {
      if (!/^\d{1,10}$/.test(fdName)) continue;
      const link = src.readLink(`/proc/${pid}/fd/${fdName}`);
      if (link.status !== 'ok') continue;
      const m = SOCKET_LINK.exec(link.value);
      if (!m) continue;
      if (name === undefined) {
        const comm = src.readFile(`/proc/${pid}/comm`);
        name = comm.status === 'ok' ? comm.value.replace(/\n$/, '') : '';
      }
      const inode = Number(m[1]);
      const list = out.get(inode);
      const owner = { pid, fd: Number(fdName), name };
      if (list) list.push(owner);
      else out.set(inode, [owner]);
    }
  }
  return out;
}

const cache = new WeakMap<Source, { atMs: number; owners: SocketOwners }>();

/**
 * The owners map for this source, built at most once per `maxAgeMs` of the source's clock: the
 * namespaces of one sample (`--netns all` passes them one source) share one scan.
 */
export function socketOwners(src: Source, maxAgeMs = 1_000): SocketOwners {
  const now = src.now().monoMs;
  const hit = cache.get(src);
  if (hit && now - hit.atMs <= maxAgeMs && now >= hit.atMs) return hit.owners;
  const owners = scanSocketOwners(src);
  cache.set(src, { atMs: now, owners });
  return owners;
}
