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

/** Time one sample may spend mapping sockets to processes (synchronous reads block the loop). */
export const OWNER_SCAN_BUDGET_MS = 1_500;

/**
 * Who holds which socket, from /proc/PID/fd/* links ("socket:[INODE]"), scanned incrementally in
 * PID order: `resolve(wanted)` reads processes until every wanted inode has an owner, the
 * processes run out, or the time budget is spent. A socket shared by several processes (a
 * listener inherited by pre-forked workers) is named by the holders read by then: the lowest
 * PID, usually the parent, comes first. This is what `ss -p` does on every run; one scanner per
 * sample, shared by every namespace (socket inodes are host-wide), turns 2 x N full scans into at
 * most one.
 */
export class SocketOwnerScan {
  private readonly owners = new Map<number, SocketOwner[]>();
  private pids: number[] | undefined;
  private next = 0;
  private spentMs = 0;
  /** True when the budget ran out before the processes did. */
  truncated = false;

  constructor(private readonly src: Source, private readonly budgetMs = OWNER_SCAN_BUDGET_MS) {}

  /** What was found so far, without reading more. */
  resolveKnown(): SocketOwners {
    return this.owners;
  }

  get done(): boolean {
    return this.pids !== undefined && this.next >= this.pids.length;
  }

  resolve(wanted: Iterable<number>): SocketOwners {
    const missing = new Set<number>();
    for (const w of wanted) if (!this.owners.has(w)) missing.add(w);
    if (missing.size === 0 || this.done || this.truncated) return this.owners;
    if (this.pids === undefined) {
      const dir = this.src.readDir('/proc');
      this.pids = dir.status === 'ok' ? dir.value.filter((e) => /^\d{1,7}$/.test(e)).map(Number).sort((a, b) => a - b) : [];
    }
    const t0 = performance.now();
    while (this.next < this.pids.length && missing.size > 0) {
      if (performance.now() - t0 + this.spentMs > this.budgetMs) {
        this.truncated = true;
        break;
      }
      for (const inode of this.scanProcess(this.pids[this.next++]!)) missing.delete(inode);
    }
    this.spentMs += performance.now() - t0;
    return this.owners;
  }

  /** Socket inodes held by one process; a process that exited or is not readable gives none. */
  scanProcess(pid: number): number[] {
    const fds = this.src.readDir(`/proc/${pid}/fd`);
    if (fds.status !== 'ok') return [];
    const found: number[] = [];
    let name: string | undefined;
    for (const fdName of fds.value) {
      if (!/^\d{1,10}$/.test(fdName)) continue;
      const link = this.src.readLink(`/proc/${pid}/fd/${fdName}`);
      if (link.status !== 'ok') continue;
      const m = SOCKET_LINK.exec(link.value);
      if (!m) continue;
      if (name === undefined) {
        const comm = this.src.readFile(`/proc/${pid}/comm`);
        name = comm.status === 'ok' ? comm.value.replace(/\n$/, '') : '';
      }
      const inode = Number(m[1]);
      const owner = { pid, fd: Number(fdName), name };
      const list = this.owners.get(inode);
      if (list) list.push(owner);
      else this.owners.set(inode, [owner]);
      found.push(inode);
    }
    return found;
  }
}

const cache = new WeakMap<Source, { atMs: number; scan: SocketOwnerScan }>();

/**
 * Owners of the wanted socket inodes through this source's scanner for the current sample: a
 * scanner lives at most `maxAgeMs` of the source's clock, so the namespaces of one sample
 * (`--netns all` passes them one source) share it and the next sample starts afresh.
 */
export function socketOwners(src: Source, wanted: Iterable<number>, maxAgeMs = 1_000): { owners: SocketOwners; truncated: boolean } {
  const now = src.now().monoMs;
  let hit = cache.get(src);
  if (!hit || now - hit.atMs > maxAgeMs || now < hit.atMs) {
    hit = { atMs: now, scan: new SocketOwnerScan(src) };
    cache.set(src, hit);
  }
  const owners = hit.scan.resolve(wanted);
  return { owners, truncated: hit.scan.truncated };
}

/** Processes of a namespace whose fds are read for its socket owners (the lowest PIDs). */
export const MEMBER_OWNER_SCAN_MAX = 256;

/**
 * Owners of the wanted socket inodes among the given processes only (the members of one network
 * namespace, lowest PIDs first, at most MEMBER_OWNER_SCAN_MAX): a namespace's sockets are nearly
 * always held by its own processes, and reading their fds costs a handful of reads where the
 * host-wide scan could read thousands. Stops when every wanted inode has an owner.
 */
export function socketOwnersAmong(src: Source, wanted: Iterable<number>, pids: readonly number[]): SocketOwners {
  const missing = new Set(wanted);
  const scan = new SocketOwnerScan(src);
  for (const pid of pids.slice(0, MEMBER_OWNER_SCAN_MAX)) {
    if (missing.size === 0) break;
    for (const inode of scan.scanProcess(pid)) missing.delete(inode);
  }
  return scan.resolveKnown();
}
