import type { Outcome } from '../core/outcome.js';
import type { Clock, CommandResult, CommandSpec, Source, StatFs, StatFsOptions } from '../core/source.js';

/** Files of a process that only change when someone changes them (its title, prlimit, a move). */
const SLOW = new Set(['cmdline', 'limits', 'cgroup']);
/** Files of a process that only change while it runs (its fds, I/O counters, context switches). */
const RUN = new Set(['status', 'io']);

interface ProcEntry {
  readonly starttime: string;
  /** schedstat run time (ns) at the last refresh of the RUN files; undefined when unreadable. */
  runNs?: string;
  /** The process ran since the RUN files were read (decided once per tick, at its stat read). */
  ran: boolean;
  tick: number;
  stat?: { o: Outcome<string>; at: number };
  readonly files: Map<string, { o: Outcome<string>; at: number }>;
  fd?: { o: Outcome<string[]>; at: number };
}

/**
 * The dashboard's view of the live host, refreshed every second. With thousands of processes,
 * reading seven files of each one every second is most of what the TUI costs (open/read/close
 * per file). So, for the dashboard only, /proc/PID/schedstat (its run time in ns) is read first:
 *  - a process that did not run since the last refresh cannot have used CPU, opened files, done
 *    I/O or switched context: its stat, status, io and fd listing are the ones read before, for
 *    at most 5-10 s (spread by PID; memory can be reclaimed and a parent can die meanwhile);
 *  - one that ran (or whose schedstat cannot be read) has them all read again;
 *  - its command line, limits and cgroup are re-read every 5-10 s, ran or not.
 * A reused PID is a new process (another start time in stat, another run time): read afresh. A
 * second read of stat within one refresh (the collector asking "is it gone?") always goes to
 * the host. Everything outside /proc/PID is passed through. Playbook runs, probes and
 * snapshots read the host directly, never through this cache.
 */
export class DashboardSource implements Source {
  readonly kind: Source['kind'];
  readonly description: string;
  private readonly procs = new Map<string, ProcEntry>();
  private tick = 0;

  constructor(
    private readonly inner: Source,
    private readonly maxAgeMs = 10_000,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.kind = inner.kind;
    this.description = `${inner.description} (dashboard cache)`;
  }

  /** Call before each sample: forgets processes not seen in the previous one. */
  beginTick(): void {
    this.tick++;
    for (const [pid, e] of this.procs) if (e.tick < this.tick - 1) this.procs.delete(pid);
  }

  /** Processes whose files are remembered (for tests). */
  get size(): number {
    return this.procs.size;
  }

  private maxAge(pid: string): number {
    // 50-100 % of maxAgeMs, fixed per PID: the re-reads of thousands of processes cached at the
    // same moment spread over the following ticks instead of all coming due at once
    return this.maxAgeMs * (0.5 + ((Math.imul(Number(pid), 2654435761) >>> 0) % 1000) / 2000);
  }

  readFile(path: string): Outcome<string> {
    const m = /^\/proc\/(\d+)\/([a-z]+)$/.exec(path);
    if (!m) return this.inner.readFile(path);
    const pid = m[1]!;
    const file = m[2]!;
    if (file === 'stat') return this.readStat(pid, path);
    const slow = SLOW.has(file);
    if (!slow && !RUN.has(file)) return this.inner.readFile(path);
    const e = this.procs.get(pid);
    if (!e || e.tick !== this.tick) return this.inner.readFile(path);
    const now = this.clock();
    const hit = e.files.get(file);
    if (hit && now - hit.at < this.maxAge(pid) && (slow || !e.ran)) return hit.o;
    const o = this.inner.readFile(path);
    if (o.status === 'ok') e.files.set(file, { o, at: now });
    else e.files.delete(file);
    return o;
  }

  private readStat(pid: string, path: string): Outcome<string> {
    let e = this.procs.get(pid);
    // read again in this refresh (gone or not?): the host answers
    if (e && e.tick === this.tick) return this.inner.readFile(path);
    const sched = this.inner.readFile(`/proc/${pid}/schedstat`);
    const runNs = sched.status === 'ok' ? sched.value.split(' ')[0] : undefined;
    const now = this.clock();
    if (e && runNs !== undefined && runNs === e.runNs && e.stat && now - e.stat.at < this.maxAge(pid)) {
      e.tick = this.tick;
      e.ran = false;
      return e.stat.o;
    }
    const o = this.inner.readFile(path);
    if (o.status !== 'ok') {
      this.procs.delete(pid);
      return o;
    }
    // starttime is field 22, the 20th after the ")" that ends comm (comm may hold ")" itself)
    const rest = o.value.slice(o.value.lastIndexOf(')') + 2).split(' ');
    const starttime = rest[19] ?? '';
    if (!e || e.starttime !== starttime) {
      e = { starttime, ran: true, tick: this.tick, files: new Map() };
      this.procs.set(pid, e);
    }
    e.tick = this.tick;
    e.ran = runNs === undefined || e.runNs === undefined || runNs !== e.runNs;
    if (e.ran) {
      // what was read before it ran is stale: read it again now
      for (const f of RUN) e.files.delete(f);
      delete e.fd;
    }
    e.runNs = runNs;
    e.stat = { o, at: now };
    return o;
  }

  readDir(path: string): Outcome<string[]> {
    const m = /^\/proc\/(\d+)\/fd$/.exec(path);
    if (!m) return this.inner.readDir(path);
    const pid = m[1]!;
    const e = this.procs.get(pid);
    if (!e || e.tick !== this.tick) return this.inner.readDir(path);
    const now = this.clock();
    if (e.fd && !e.ran && now - e.fd.at < this.maxAge(pid)) return e.fd.o.status === 'ok' ? { status: 'ok', value: [...e.fd.o.value] } : e.fd.o;
    const o = this.inner.readDir(path);
    if (o.status === 'ok') e.fd = { o: { status: 'ok', value: [...o.value] }, at: now };
    else delete e.fd;
    return o;
  }

  readLink(path: string): Outcome<string> {
    return this.inner.readLink(path);
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
