import type { Ok, Outcome } from '../core/outcome.js';
import type { PinnedFiles } from '../core/pinned-files.js';
import type { Clock, CommandResult, CommandSpec, Source, StatFs, StatFsOptions } from '../core/source.js';

/**
 * How long a file of a process is reused, in multiples of maxAgeMs (each spread over 50-100 %
 * by PID): `ran` once the process ran since the file was read (0: read again at once), `idle`
 * while it has not. Only files listed here are ever reused.
 *  - stat, status: memory is reclaimed and a parent dies while a process sleeps: 1 x idle;
 *  - io, fd: only the process itself does I/O or opens files: stale once it ran, else up to 6 x;
 *  - cmdline: only the process itself rewrites its title: 1 x once it ran, else 6 x;
 *  - limits, cgroup: another process can change them (prlimit, a cgroup move): 3 x either way.
 */
const POLICY: Readonly<Record<string, { readonly ran: number; readonly idle: number }>> = {
  stat: { ran: 0, idle: 1 },
  status: { ran: 0, idle: 1 },
  io: { ran: 0, idle: 6 },
  fd: { ran: 0, idle: 6 },
  cmdline: { ran: 1, idle: 6 },
  limits: { ran: 3, idle: 3 },
  cgroup: { ran: 3, idle: 3 },
};

interface Cached<T> {
  readonly o: Ok<T>;
  readonly at: number;
  /** The refresh it was read in (to compare with the last reclaim and re-parenting seen). */
  readonly tick: number;
  /** The process ran since this was read. */
  ran: boolean;
}

interface ProcEntry {
  readonly starttime: string;
  /** Parent PID at the last stat read: a process re-parented by its parent's exit need not run. */
  ppid: string;
  /** The refresh in which its parent was seen gone (its stat and status then hold an old ppid). */
  orphanedTick: number;
  /** Threads in the process at its last stat read: schedstat speaks for the main thread only. */
  threads: number;
  /** Its schedstat could be read (false: not asked again; its stat answers instead). */
  sched: boolean;
  /** /proc/PID/schedstat, made once. */
  schedPath?: string;
  /**
   * schedstat run time (ns) at the last stat read, when the process is single-threaded and has
   * one; undefined otherwise (its stat is read and compared instead).
   */
  runNs?: number;
  tick: number;
  stat: Cached<string>;
  readonly files: Map<string, Cached<string>>;
  fd?: Cached<string[]>;
  /** /proc/PID/ns/<type> link targets (a process changes namespace only by running: setns, unshare). */
  links?: Map<string, Cached<string>>;
}

/**
 * Options of the idle-reuse mode (`diag serve`, scraped every 15-60 s, where every file of every
 * process would otherwise expire between two scrapes).
 */
export interface IdleReuse {
  /**
   * How long the limits and cgroup of a single-threaded process that has not run since they were
   * read are reused, at most (each PID's own point in 50-100 % of it): another process can change
   * them (prlimit, a cgroup move) without its running. Its other files wait longer (IDLE_FACTOR):
   * io, fds and cmdline change only when it runs; its stat and status (RSS, parent) are read again
   * at once after host-wide reclaim (/proc/vmstat pgsteal, pswpout) or its parent's exit, and
   * within 2 x this for what is left (a renice, a truncated mapped file).
   */
  readonly maxAgeMs: number;
}

/** Idle reuse: multiples of IdleReuse.maxAgeMs, by file (see there). */
const IDLE_FACTOR: Readonly<Record<string, number>> = { stat: 2, status: 2, io: 4, fd: 4, cmdline: 4, limits: 1, cgroup: 1 };

/** The /proc/vmstat counters that move when pages leave a process without it running. */
const RECLAIM_COUNTER = /^(pgsteal_\w+|pswpout) (\d+)$/gm;

/** For "/proc/PID/name": the index of the "/" after PID; -1 for any other path. */
function pidPathEnd(path: string): number {
  if (!path.startsWith('/proc/')) return -1;
  let i = 6;
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 48 || c > 57) break;
  }
  return i > 6 && i < path.length - 1 && path.charCodeAt(i) === 47 && path.indexOf('/', i + 1) < 0 ? i : -1;
}

/**
 * The dashboard's view of the live host, refreshed every second. With thousands of processes,
 * reading seven files of each one every second is most of what the TUI costs (an open, reads
 * and a close per file, ~10 us each in the kernel). So, for the dashboard only, whether a process
 * ran since the last refresh is asked first, as cheaply as procfs allows:
 *  - a single-threaded process: /proc/PID/schedstat (its run time in ns; a small file);
 *  - a multi-threaded one: /proc/PID/stat itself, compared with the last one read (schedstat is
 *    the main thread's alone, and a JVM's main thread sleeps while its others burn CPU). Its
 *    CPU time, faults, RSS or thread count moved: it ran. A run too short to move any of them
 *    is caught at the next expiry (at most maxAgeMs);
 * then each file is reused or read again by POLICY. A process that did not run cannot have used
 * CPU, opened files, done I/O or switched context, so reused files hold what the host would say.
 * A reused PID is a new process (another start time): read afresh. A second read of stat within
 * one refresh (the collector asking "is it gone?") always goes to the host. Reused files are the
 * same Outcome objects as before, so a consumer can tell "unchanged" by identity. Everything
 * outside /proc/PID is passed through. Playbook runs, probes and snapshots read the host
 * directly, never through this cache.
 */
export class DashboardSource implements Source {
  readonly kind: Source['kind'];
  readonly replay: boolean;
  readonly description: string;
  private readonly procs = new Map<string, ProcEntry>();
  /** Texts of limits and cgroup files, one copy each (shared()). */
  private readonly texts = new Map<string, Ok<string>>();
  private tick = 0;
  private now_ = 0;
  /** Idle reuse: the last refresh in which reclaim was seen (files read before it may be stale). */
  private reclaimTick = 0;
  private reclaimCount: string | undefined;

  constructor(
    private readonly inner: Source,
    private readonly maxAgeMs = 10_000,
    private readonly clock: () => number = () => performance.now(),
    /** Where schedstat is re-read through a descriptor kept open (live hosts): one pread per refresh. */
    private readonly pinned?: PinnedFiles,
    /** Reuse the files of processes that did not run for much longer (see IdleReuse). */
    private readonly idle?: IdleReuse,
  ) {
    this.kind = inner.kind;
    this.replay = inner.replay;
    this.description = `${inner.description} (dashboard cache)`;
  }

  /** Call before each sample: forgets processes not seen in the previous one. */
  beginTick(): void {
    this.tick++;
    // one clock reading per refresh: ages are whole refreshes anyway
    this.now_ = this.clock();
    if (this.tick % 600 === 0) this.texts.clear();
    if (this.idle) this.noteReclaim();
    // forEach, not for-of over entries: no [key, value] array per process
    this.procs.forEach((e, pid) => {
      if (e.tick < this.tick - 1) this.forget(pid);
    });
  }

  /** Idle reuse: did the host reclaim pages since the last refresh? (one small read) */
  private noteReclaim(): void {
    const o = this.inner.readFile('/proc/vmstat');
    let sum = 0n;
    let seen = false;
    if (o.status === 'ok') {
      for (const m of o.value.matchAll(RECLAIM_COUNTER)) {
        sum += BigInt(m[2]!);
        seen = true;
      }
    }
    // unreadable or without the counters: as if pages were reclaimed every time (the short ages)
    const count = seen ? String(sum) : undefined;
    if (count === undefined || count !== this.reclaimCount) this.reclaimTick = this.tick;
    this.reclaimCount = count;
  }

  private forget(pid: string): void {
    this.procs.delete(pid);
    this.pinned?.close(`/proc/${pid}/schedstat`);
  }

  /** Closes what is held open. */
  close(): void {
    this.pinned?.closeAll();
  }

  /** Processes whose files are remembered (for tests). */
  get size(): number {
    return this.procs.size;
  }

  private spread(pid: string): number {
    // 50-100 % of maxAgeMs, fixed per PID: the re-reads of thousands of processes cached at the
    // same moment spread over the following ticks instead of all coming due at once
    return this.maxAgeMs * (0.5 + ((Math.imul(Number(pid), 2654435761) >>> 0) % 1000) / 2000);
  }

  private fresh(pid: string, e: ProcEntry, file: string, c: Cached<unknown>, now: number): boolean {
    const p = POLICY[file]!;
    // a multi-threaded process's "did not run" is only as good as its stat: 1 x at most
    const factor = c.ran ? p.ran : e.threads > 1 ? Math.min(1, p.idle) : p.idle;
    if (now - c.at < factor * this.spread(pid)) return true;
    // idle reuse: a single-threaded process that has not run, judged by its schedstat
    if (!this.idle || c.ran || e.threads > 1 || e.runNs === undefined) return false;
    if ((file === 'stat' || file === 'status') && (this.reclaimTick > c.tick || e.orphanedTick > c.tick)) return false;
    return now - c.at < (IDLE_FACTOR[file]! * this.idle.maxAgeMs * this.spread(pid)) / this.maxAgeMs;
  }

  readFile(path: string): Outcome<string> {
    // no regex: this runs seven times per process per refresh
    const cut = pidPathEnd(path);
    if (cut < 0) return this.inner.readFile(path);
    const file = path.slice(cut + 1);
    if (file === 'fd' || !Object.hasOwn(POLICY, file)) return this.inner.readFile(path);
    const pid = path.slice(6, cut);
    if (file === 'stat') return this.readStat(pid, path);
    const e = this.procs.get(pid);
    if (!e || e.tick !== this.tick) return this.inner.readFile(path);
    const now = this.now_;
    const hit = e.files.get(file);
    if (hit && this.fresh(pid, e, file, hit, now)) return hit.o;
    const read = this.inner.readFile(path);
    if (read.status !== 'ok') {
      e.files.delete(file);
      return read;
    }
    const o = file === 'limits' || file === 'cgroup' ? this.shared(read) : read;
    e.files.set(file, { o, at: now, tick: this.tick, ran: false });
    return o;
  }

  /**
   * One kept copy of a text many processes share (the same limits, the same cgroup): with
   * thousands of processes that is megabytes not held twice. Bounded; forgotten every 10 min.
   */
  private shared(o: Ok<string>): Ok<string> {
    const hit = this.texts.get(o.value);
    if (hit) return hit;
    if (this.texts.size >= 4096) this.texts.clear();
    this.texts.set(o.value, o);
    return o;
  }

  private readStat(pid: string, path: string): Outcome<string> {
    const e = this.procs.get(pid);
    // read again in this refresh (gone or not?): the host answers
    if (e && e.tick === this.tick) return this.inner.readFile(path);
    const now = this.now_;
    if (e?.runNs !== undefined) {
      // single-threaded, with a schedstat: the cheap question first
      const runNs = this.runNsOf(pid, e);
      if (runNs === e.runNs && this.fresh(pid, e, 'stat', e.stat, now)) {
        e.tick = this.tick;
        return e.stat.o;
      }
      return this.remember(pid, e, this.inner.readFile(path), now, runNs !== e.runNs, runNs);
    }
    const o = this.inner.readFile(path);
    if (!e || o.status !== 'ok') return this.remember(pid, e, o, now, true, undefined);
    const changed = o.value !== e.stat.o.value;
    if (!changed && this.fresh(pid, e, 'stat', e.stat, now)) {
      e.tick = this.tick;
      return e.stat.o;
    }
    return this.remember(pid, e, o, now, changed, undefined);
  }

  /** A stat freshly read: a new process, one that ran, or one whose stat expired. */
  private remember(pid: string, prev: ProcEntry | undefined, o: Outcome<string>, now: number, ran: boolean, runNs: number | undefined): Outcome<string> {
    if (o.status !== 'ok') {
      this.forget(pid);
      return o;
    }
    // starttime is field 22, num_threads field 20: the 20th and 18th after the ")" that ends
    // comm (comm may hold ")" itself)
    const rest = o.value.slice(o.value.lastIndexOf(')') + 2).split(' ', 20);
    const starttime = rest[19] ?? '';
    const ppid = rest[1] ?? '';
    const threads = Number(rest[17]);
    let e: ProcEntry;
    if (!prev || prev.starttime !== starttime) {
      // a descriptor held for the PID's previous process answers for that one: so does the run
      // time read through it
      if (prev) this.pinned?.close(`/proc/${pid}/schedstat`);
      runNs = undefined;
      e = { starttime, ppid, orphanedTick: 0, threads, sched: true, tick: this.tick, stat: { o, at: now, tick: this.tick, ran: false }, files: new Map() };
      this.procs.set(pid, e);
    } else {
      e = prev;
      if (ran) {
        for (const c of e.files.values()) c.ran = true;
        if (e.fd) e.fd.ran = true;
        if (e.links) for (const c of e.links.values()) c.ran = true;
      }
      // an unchanged text keeps its object: consumers see "unchanged" by identity
      e.stat = { o: o.value === e.stat.o.value ? e.stat.o : o, at: now, tick: this.tick, ran: false };
      e.threads = threads;
      e.ppid = ppid;
    }
    e.tick = this.tick;
    // the cheap question only speaks for a process that is single-threaded now
    if (threads <= 1) e.runNs = runNs ?? this.runNsOf(pid, e);
    else {
      e.runNs = undefined;
      this.pinned?.close(`/proc/${pid}/schedstat`);
    }
    return e.stat.o;
  }

  /** The main thread's run time in ns; undefined (and not asked again for it) when unreadable. */
  private runNsOf(pid: string, e: ProcEntry): number | undefined {
    if (!e.sched) return undefined;
    const path = (e.schedPath ??= `/proc/${pid}/schedstat`);
    if (this.pinned) {
      const n = this.pinned.readLeadingNumber(path);
      if (n.status === 'ok') return n.value;
    } else {
      const o = this.inner.readFile(path);
      const ns = o.status === 'ok' ? parseInt(o.value, 10) : NaN;
      if (Number.isFinite(ns)) return ns;
    }
    e.sched = false;
    return undefined;
  }

  readDir(path: string): Outcome<string[]> {
    if (path === '/proc' && this.idle) return this.listProc();
    const cut = pidPathEnd(path);
    if (cut < 0 || path.length !== cut + 3 || !path.endsWith('/fd')) return this.inner.readDir(path);
    const pid = path.slice(6, cut);
    const e = this.procs.get(pid);
    if (!e || e.tick !== this.tick) return this.inner.readDir(path);
    const now = this.now_;
    // the same frozen list each time: a caller that tried to change it would fail loudly
    if (e.fd && this.fresh(pid, e, 'fd', e.fd, now)) return e.fd.o;
    const o = this.inner.readDir(path);
    if (o.status !== 'ok') {
      delete e.fd;
      return o;
    }
    const kept: Ok<string[]> = { status: 'ok', value: Object.freeze(o.value) as string[] };
    e.fd = { o: kept, at: now, tick: this.tick, ran: false };
    return kept;
  }

  /**
   * Idle reuse: the listing of /proc, and the processes whose parent is no longer in it (the
   * kernel re-parents them without their running: their stat and status are read again).
   */
  private listProc(): Outcome<string[]> {
    const o = this.inner.readDir('/proc');
    if (o.status !== 'ok' || this.procs.size === 0) return o;
    const listed = new Set(o.value);
    let gone: Set<string> | undefined;
    this.procs.forEach((_, pid) => {
      if (!listed.has(pid)) (gone ??= new Set()).add(pid);
    });
    if (gone) {
      const g = gone;
      this.procs.forEach((e) => {
        if (g.has(e.ppid)) e.orphanedTick = this.tick;
      });
    }
    return o;
  }

  /**
   * /proc/PID/ns/<type> of a single-threaded process known to this refresh or the one before:
   * reused while it has not run (only the process itself moves to another namespace), for at
   * most the idle ages of its io and fds. The namespace sweep reads three links of every process.
   */
  readLink(path: string): Outcome<string> {
    const m = /^\/proc\/(\d+)\/ns\/(net|pid|mnt|uts|ipc|user|cgroup)$/.exec(path);
    const e = m ? this.procs.get(m[1]!) : undefined;
    if (!m || !e || e.tick < this.tick - 1 || e.runNs === undefined) return this.inner.readLink(path);
    const type = m[2]!;
    const hit = e.links?.get(type);
    const maxAge = this.idle ? IDLE_FACTOR.io! * this.idle.maxAgeMs : POLICY.io!.idle * this.maxAgeMs;
    if (hit && !hit.ran && this.now_ - hit.at < maxAge) return hit.o;
    const o = this.inner.readLink(path);
    if (o.status === 'ok') (e.links ??= new Map()).set(type, { o, at: this.now_, tick: this.tick, ran: false });
    else e.links?.delete(type);
    return o;
  }

  statfs(path: string, opts?: StatFsOptions): Outcome<StatFs> {
    return this.inner.statfs(path, opts);
  }

  run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    return this.inner.run(spec);
  }

  now(label?: string): Clock {
    return this.inner.now(label);
  }
}
