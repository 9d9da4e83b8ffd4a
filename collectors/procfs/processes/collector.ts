import type { Collector, Row, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { ok, unavailable, type Failed, type Outcome, type Unavailable } from '../../../src/core/outcome.js';
import type { ParseResult } from '../../../src/core/parse-result.js';
import type { Source } from '../../../src/core/source.js';
import { cgroupLabel, cmdlineText, parseOpenFilesLimit, parsePidCgroup, parsePidIo, parsePidStat, parsePidStatus, type PidStat } from './parse.js';
import { parsePasswd } from './passwd.js';
import { isPidName } from './pids.js';
import { processStatesRow, processStatesTable } from './states.js';

/**
 * USER_HZ: the unit of every tick count in /proc/PID/stat. The kernel fixes it at 100 on every
 * architecture Linux exposes to user space through /proc (sysconf(_SC_CLK_TCK)), so one tick per
 * second is exactly 1 % of one CPU.
 */
export const USER_HZ = 100;

function processDerive(w: RowWindow): Record<string, number | undefined> {
  const u = w.rate('utime');
  const s = w.rate('stime');
  const fds = w.value('fds');
  const limit = w.value('fd_limit');
  const pct = (ticksPerSecond: number | undefined) => (ticksPerSecond === undefined ? undefined : (100 * ticksPerSecond) / USER_HZ);
  return {
    // % of one CPU, like top and pidstat (a process using two CPUs fully shows 200).
    cpu_pct: u === undefined || s === undefined ? undefined : pct(u + s),
    usr_pct: pct(u),
    sys_pct: pct(s),
    fd_pct: fds !== undefined && limit ? (100 * fds) / limit : undefined,
    io_bytes: sum(w.rate('read_bytes'), w.rate('write_bytes')),
  };
}

function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

/** What one scan could not read although the process was there (not root, hidepid...). */
export interface ScanGaps {
  io: number;
  fd: number;
  other: number;
  garbled: number;
  /** Files of live processes that were read but did not parse (their fields stay missing). */
  unparsed: number;
  /** The first reason seen for each kind of gap (with its hint), for the table's note. */
  first: { io?: string; fd?: string; other?: string; unparsed?: string };
}

function because(o: Unavailable | Failed): string {
  return o.status === 'unavailable' && o.hint ? `${o.reason}; ${o.hint}` : o.reason;
}

function unparsedGap(gaps: ScanGaps, r: ParseResult<unknown> | undefined): void {
  if (r === undefined || r.ok) return;
  gaps.unparsed++;
  gaps.first.unparsed ??= r.error.message;
}

/** True when /proc/PID no longer holds the process that had this start time (it exited). */
function vanished(src: Source, pid: string, starttime: number): boolean {
  const again = src.readFile(`/proc/${pid}/stat`);
  if (again.status !== 'ok') return true;
  const p = parsePidStat(again.value);
  return !p.ok || p.value.starttime !== starttime;
}

/** The files of a process a row is read from (besides its fd listing), by name. */
type PidFiles = Readonly<Record<'stat' | 'status' | 'limits' | 'cgroup' | 'cmdline' | 'io', string>>;

/** The texts a row was built from, kept to give the same Row back while they do not change. */
interface MemoEntry extends PidFiles {
  readonly fds: number;
  readonly row: Row;
}

/** The paths of one process's files, made once per PID instead of once per read. */
interface PidPaths extends PidFiles {
  readonly fd: string;
}

function pidPaths(pid: string): PidPaths {
  const base = `/proc/${pid}/`;
  return { stat: base + 'stat', status: base + 'status', limits: base + 'limits', cgroup: base + 'cgroup', cmdline: base + 'cmdline', io: base + 'io', fd: base + 'fd' };
}

interface MemoSlot {
  readonly paths: PidPaths;
  entry: MemoEntry | undefined;
  /** The last scan that saw this PID. */
  seen: number;
}

/**
 * Rows of the last scan by PID, for a consumer that scans again and again (the TUI, through
 * CollectContext.memo): a process whose seven inputs are the same text as last time gets the
 * same Row object back, neither parsed nor allocated again. Only rows read whole and cleanly are
 * kept (no gap, nothing unparsed), so a memoised row never hides a note. Pure: the same inputs
 * give the same row whatever the source.
 */
export class ProcessMemo {
  private readonly slots = new Map<string, MemoSlot>();
  private scan = 0;
  private passwd: { text: string; users: ReadonlyMap<number, string> } | undefined;
  /** /etc/passwd parsed once while its text stays the same; a change forgets the rows (their user labels). */
  users(text: string): ReadonlyMap<number, string> {
    if (this.passwd?.text === text) return this.passwd.users;
    if (this.passwd) this.slots.forEach((s) => (s.entry = undefined));
    const r = parsePasswd(text);
    const users = r.ok ? r.value : new Map<number, string>();
    this.passwd = { text, users };
    return users;
  }
  /** This PID's slot, marked as seen by the current scan. */
  slot(pid: string): MemoSlot {
    let s = this.slots.get(pid);
    if (!s) {
      s = { paths: pidPaths(pid), entry: undefined, seen: this.scan };
      this.slots.set(pid, s);
    }
    s.seen = this.scan;
    return s;
  }
  /** End of a scan: PIDs it did not see are forgotten. */
  endScan(): void {
    const scan = this.scan++;
    // forEach, not for-of over entries: no [key, value] array per PID
    this.slots.forEach((s, pid) => {
      if (s.seen !== scan) this.slots.delete(pid);
    });
  }
}

/**
 * Read one process. Returns undefined when it vanished mid-scan (ENOENT/ESRCH, or the PID now
 * belongs to a younger process): its numbers are dropped whole. The identity (PID + start time)
 * is read first; on the first failed read after it, /proc/PID/stat is read again to tell "gone"
 * from "not allowed" (once per process: a non-root scan pays one extra read per other user's
 * process, not one per denied file). A PID cannot be reused within one process's reads: the
 * kernel hands PIDs out cyclically, so reuse needs pid_max forks in between.
 */
export function readProcess(src: Source, pid: string, gaps: ScanGaps, memo?: ProcessMemo, users?: ReadonlyMap<number, string>): Row | undefined {
  const slot = memo?.slot(pid);
  const path = slot ? slot.paths : pidPaths(pid);
  const statText = src.readFile(path.stat);
  if (statText.status !== 'ok') {
    if (slot) slot.entry = undefined;
    return undefined;
  }
  const before = slot?.entry;
  // The same stat text as the memoised row's: it parsed then, and has the same start time.
  const known = before !== undefined && before.stat === statText.value ? before : undefined;
  let parsed: PidStat | undefined;
  if (!known) {
    const stat = parsePidStat(statText.value);
    if (!stat.ok) {
      gaps.garbled++;
      return undefined;
    }
    parsed = stat.value;
  }
  const start = parsed ? parsed.starttime : Number(known!.row.labels!.starttime);
  const state = parsed ? parsed.state : known!.row.labels!.state;
  let alive = false;
  /** After a failed read: false when the process is gone (drop it), true when it is still there. */
  const stillThere = (): boolean => alive || (alive = !vanished(src, pid, start));

  const statusText = src.readFile(path.status);
  if (statusText.status !== 'ok' && !stillThere()) return undefined;
  const limitsText = src.readFile(path.limits);
  if (limitsText.status !== 'ok' && !stillThere()) return undefined;
  const cgText = src.readFile(path.cgroup);
  if (cgText.status !== 'ok' && !stillThere()) return undefined;
  const cmdText = src.readFile(path.cmdline);
  if (cmdText.status !== 'ok' && !stillThere()) return undefined;

  // io and fd need ptrace-read access: root, or the same user as the process.
  // A zombie (or a process being torn down) has no files and may refuse io: not a gap to report.
  const dead = state === 'Z' || state === 'X' || state === 'x';
  const ioText = src.readFile(path.io);
  if (ioText.status !== 'ok') {
    if (!stillThere()) return undefined;
    if (!dead) {
      gaps.io++;
      gaps.first.io ??= because(ioText);
    }
  }
  const fdDir = src.readDir(path.fd);
  if (fdDir.status !== 'ok') {
    if (!stillThere()) return undefined;
    if (!dead) {
      gaps.fd++;
      gaps.first.fd ??= because(fdDir);
    }
  }
  const whole = statusText.status === 'ok' && limitsText.status === 'ok' && cgText.status === 'ok' && cmdText.status === 'ok' && ioText.status === 'ok' && fdDir.status === 'ok';
  if (
    known &&
    whole &&
    known.status === statusText.value &&
    known.limits === limitsText.value &&
    known.cgroup === cgText.value &&
    known.cmdline === cmdText.value &&
    known.io === ioText.value &&
    known.fds === fdDir.value.length
  ) {
    return known.row;
  }
  const otherMiss =
    statusText.status !== 'ok' ? statusText : limitsText.status !== 'ok' ? limitsText : cgText.status !== 'ok' ? cgText : cmdText.status !== 'ok' ? cmdText : undefined;
  if (otherMiss !== undefined && !dead) {
    gaps.other++;
    gaps.first.other ??= because(otherMiss);
  }

  const st = parsed ?? (parsePidStat(statText.value) as { ok: true; value: PidStat }).value;
  const status = statusText.status === 'ok' ? parsePidStatus(statusText.value) : undefined;
  const limit = limitsText.status === 'ok' ? parseOpenFilesLimit(limitsText.value) : undefined;
  const cg = cgText.status === 'ok' ? parsePidCgroup(cgText.value) : undefined;
  const io = ioText.status === 'ok' ? parsePidIo(ioText.value) : undefined;
  const unparsedBefore = gaps.unparsed;
  unparsedGap(gaps, status);
  unparsedGap(gaps, limit);
  unparsedGap(gaps, cg);
  unparsedGap(gaps, io);
  const sv = status?.ok ? status.value : undefined;
  const lim = limit?.ok ? limit.value : undefined;
  const iov = io?.ok ? io.value : undefined;
  // Kernel threads have no VmRSS line; their stat rss is 0, which is the truth for them.
  const rss = sv?.rssBytes ?? (st.rssPages === 0 ? 0 : undefined);

  const labels: Record<string, string> = { comm: st.comm, state: st.state, starttime: String(st.starttime) };
  if (st.kthread) labels.kernel_thread = 'yes';
  if (sv?.uid !== undefined) {
    labels.uid = String(sv.uid);
    const user = users?.get(sv.uid);
    if (user !== undefined) labels.user = user;
  }
  const cgPath = cg?.ok ? cgroupLabel(cg.value) : undefined;
  if (cgPath !== undefined) labels.cgroup = cgPath;
  // v1 and hybrid: a process sits in one cgroup per controller (cpu in /a, memory in /b); a
  // throttled cpu cgroup must find its processes by that path too
  if (cg?.ok && cg.value.others !== undefined) labels.cgroups = cg.value.others.join(',');
  if (cmdText.status === 'ok' && cmdText.value.length > 0) labels.cmdline = cmdlineText(cmdText.value);

  const row: Row = {
    key: pid,
    labels,
    values: {
      ppid: st.ppid,
      utime: st.utime,
      stime: st.stime,
      minflt: st.minflt,
      majflt: st.majflt,
      nice: st.nice,
      threads: st.numThreads,
      rss,
      // kernel threads have no address space of their own (no VmSize line): 0, as ps and htop show
      vsize: sv?.vmSizeBytes ?? (st.kthread ? 0 : undefined),
      swap: sv?.swapBytes,
      vol_ctxsw: sv?.voluntaryCtxt,
      nonvol_ctxsw: sv?.nonvoluntaryCtxt,
      fds: fdDir.status === 'ok' ? fdDir.value.length : undefined,
      fd_limit: lim?.soft,
      fd_limit_hard: lim?.hard,
      rchar: iov?.rchar,
      wchar: iov?.wchar,
      read_bytes: iov?.readBytes,
      write_bytes: iov?.writeBytes,
    },
  };
  if (slot) {
    slot.entry =
      whole && gaps.unparsed === unparsedBefore
        ? { stat: statText.value, status: statusText.value, limits: limitsText.value, cgroup: cgText.value, cmdline: cmdText.value, io: ioText.value, fds: fdDir.value.length, row }
        : undefined;
  }
  return row;
}

/** Scan every process under /proc. */
export function scanProcesses(src: Source, memo?: ProcessMemo): Outcome<{ rows: Row[]; gaps: ScanGaps }> {
  const dir = src.readDir('/proc');
  if (dir.status !== 'ok') return dir;
  const gaps: ScanGaps = { io: 0, fd: 0, other: 0, garbled: 0, unparsed: 0, first: {} };
  const rows: Row[] = [];
  // user names for the uids (USER): without /etc/passwd the uid is the name shown
  const passwd = src.readFile('/etc/passwd');
  const users = passwd.status !== 'ok' ? undefined : memo ? memo.users(passwd.value) : (() => {
    const r = parsePasswd(passwd.value);
    return r.ok ? r.value : undefined;
  })();
  for (const name of dir.value) {
    if (!isPidName(name)) continue;
    const row = readProcess(src, name, gaps, memo, users);
    if (row) rows.push(row);
  }
  memo?.endScan();
  return ok({ rows, gaps });
}

/** One line per kind of gap, said once per table rather than once per process. */
export function gapNotes(g: ScanGaps): string[] {
  const notes: string[] = [];
  if (g.io > 0) notes.push(`I/O bytes unreadable for ${g.io} processes (first: ${g.first.io ?? '?'})`);
  if (g.fd > 0) notes.push(`open file descriptors unreadable for ${g.fd} processes (first: ${g.first.fd ?? '?'})`);
  if (g.other > 0) notes.push(`status, limits, cgroup or cmdline unreadable for ${g.other} processes (first: ${g.first.other ?? '?'})`);
  if (g.unparsed > 0) notes.push(`${g.unparsed} per-process files did not parse; their fields are missing (first: ${g.first.unparsed ?? '?'})`);
  if (g.garbled > 0) notes.push(`${g.garbled} processes skipped: /proc/PID/stat did not parse`);
  return notes;
}

export const processesCollector: Collector = {
  id: 'processes',
  title: 'Every process (state, CPU, memory, threads, open files vs limit, I/O, cgroup, command line) and counts by state',
  origin: 'procfs',
  resources: ['cpu', 'memory', 'tasks', 'fds'],
  inputs: ['/etc/passwd', '/proc/PID/stat', '/proc/PID/status', '/proc/PID/limits', '/proc/PID/cgroup', '/proc/PID/cmdline', '/proc/PID/io', '/proc/PID/fd/'],
  tables: {
    processes: {
      title: 'Processes (key: PID; a PID reused by a new process is a new row)',
      scope: 'process',
      identity: ['starttime'],
      relations: { cgroup: ['cgroups', 'cgroup'] },
      fields: {
        ppid: gauge('parent PID'),
        utime: counter('user CPU time', 'ticks'),
        stime: counter('system CPU time', 'ticks'),
        minflt: counter('minor page faults'),
        majflt: counter('major page faults (needed I/O)'),
        nice: gauge('nice value'),
        threads: gauge('threads'),
        rss: gauge('resident set size', 'bytes'),
        vsize: gauge('virtual memory size (VmSize)', 'bytes'),
        swap: gauge('swapped out', 'bytes'),
        vol_ctxsw: counter('voluntary context switches (waits)'),
        nonvol_ctxsw: counter('involuntary context switches (preempted: CPU contention)'),
        fds: gauge('open file descriptors'),
        fd_limit: gauge('RLIMIT_NOFILE soft limit'),
        fd_limit_hard: gauge('RLIMIT_NOFILE hard limit'),
        rchar: counter('bytes read through syscalls (incl. page cache)', 'bytes'),
        wchar: counter('bytes written through syscalls', 'bytes'),
        read_bytes: counter('bytes read from storage', 'bytes'),
        write_bytes: counter('bytes written to storage', 'bytes'),
      },
      derived: {
        cpu_pct: derived('CPU % of one CPU (user + system, like top/pidstat)', 'percent'),
        usr_pct: derived('user CPU % of one CPU', 'percent'),
        sys_pct: derived('system CPU % of one CPU', 'percent'),
        fd_pct: derived('open fds % of the soft RLIMIT_NOFILE', 'percent'),
        io_bytes: derived('bytes read and written from storage per second', 'bytes/s'),
      },
      derive: processDerive,
    },
    process_states: processStatesTable,
  },
  collect(src, ctx) {
    const out: TableOutcomes = {};
    const scanned = scanProcesses(src, ctx?.memo?.for('processes', () => new ProcessMemo()));
    if (scanned.status !== 'ok') {
      // A recorded tree says why it holds no process table; a live host's /proc should list.
      out.processes =
        scanned.code === 'not-captured' ? unavailable(scanned.code, scanned.reason) : unavailable(scanned.code, '/proc cannot be listed', 'is procfs mounted (or --root pointing at a host root)?');
      out.process_states = out.processes;
      return out;
    }
    const scan = scanned.value;
    out.processes = ok(scan.rows, gapNotes(scan.gaps));
    out.process_states = ok([processStatesRow(scan.rows)], scan.gaps.garbled > 0 ? [`${scan.gaps.garbled} processes not counted: /proc/PID/stat did not parse`] : undefined);
    return out;
  },
};
