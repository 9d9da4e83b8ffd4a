import { join } from 'node:path';
import type { Collector, Row, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { ok, unavailable } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { readLayout } from '../../cgroup/collector.js';
import { parseMountinfo } from '../../cgroup/mountinfo.js';
import { parseCpuMax, parseFlatKeyed, parseIntFile } from '../../cgroup/parse.js';
import { isPidName } from '../processes/pids.js';
import { syscallName } from '../../bpf/syscall-names.js';
import { commonWchan, cpuCgroupOf, mostFrequent, parseSchedstat, parseTaskStat, parseTaskSyscall } from './parse.js';

/** Clock ticks per second of /proc stat fields (USER_HZ: 100 on every Linux architecture diag runs on). */
const USER_HZ = 100;

export const DELAYACCT_HINT = 'enable delay accounting: sysctl -w kernel.task_delayacct=1 (Linux >= 5.14), or boot with the delayacct kernel parameter';

/** Shares of a thread's (or a process's threads') time over the window, in % of `threads` x window. */
function shares(w: RowWindow, threads: number | undefined): Record<string, number | undefined> {
  const n = threads === undefined || threads <= 0 ? undefined : threads;
  const pct = (perSecond: number | undefined) => (perSecond === undefined || n === undefined ? undefined : (perSecond / n) * 100);
  const running = pct(w.rate('on_cpu_us') === undefined ? undefined : (w.rate('on_cpu_us') ?? 0) / 1e6);
  const runq = pct(w.rate('runq_us') === undefined ? undefined : (w.rate('runq_us') ?? 0) / 1e6);
  const io = pct(w.rate('blkio') === undefined ? undefined : (w.rate('blkio') ?? 0) / USER_HZ);
  const other = running === undefined || runq === undefined ? undefined : Math.max(0, 100 - running - runq - (io ?? 0));
  return { running_pct: running, runq_pct: runq, io_pct: io, other_pct: other };
}

const TIME_FIELDS = {
  on_cpu_us: counter('time running on a CPU (schedstat)', 'us'),
  runq_us: counter('time runnable, waiting on a run queue (schedstat; includes time throttled by a CPU quota)', 'us'),
  blkio: counter('time blocked on block I/O (delay accounting, stat field 42); missing while delay accounting is off', 'ticks'),
};
const SHARE_FIELDS = {
  running_pct: derived('% of the time on a CPU', 'percent'),
  runq_pct: derived('% of the time waiting on a run queue (CPU contention or a CPU quota)', 'percent'),
  io_pct: derived('% of the time blocked on block I/O (delay accounting)', 'percent'),
  other_pct: derived('% of the time sleeping or waiting for something else (locks, network, timers, pipes)', 'percent'),
};

interface CpuCgroup {
  readonly path: string;
  readonly values: Record<string, number | undefined>;
}

/** The cpu controller's quota and throttling counters of one cgroup (v1 or v2 files). */
function readCpuCgroup(src: Source, dir: string, version: 1 | 2): Record<string, number | undefined> {
  const text = (f: string) => {
    const r = src.readFile(join(dir, f));
    return r.status === 'ok' ? r.value : undefined;
  };
  const statText = text('cpu.stat');
  const st = statText === undefined ? undefined : parseFlatKeyed(statText, 'cpu.stat');
  const s = st?.ok ? st.value : {};
  let quota: number | undefined;
  if (version === 1) {
    const q = text('cpu.cfs_quota_us');
    const p = text('cpu.cfs_period_us');
    const qv = q === undefined ? undefined : parseIntFile(q);
    const pv = p === undefined ? undefined : parseIntFile(p);
    if (qv?.ok && pv?.ok && qv.value > 0 && pv.value > 0) quota = qv.value / pv.value;
  } else {
    const m = text('cpu.max');
    const mv = m === undefined ? undefined : parseCpuMax(m);
    if (mv?.ok && mv.value.quotaUs !== null && mv.value.periodUs > 0) quota = mv.value.quotaUs / mv.value.periodUs;
  }
  const throttledUs = s.throttled_usec ?? (s.throttled_time === undefined ? undefined : s.throttled_time / 1000);
  return { quota_cores: quota, cg_periods: s.nr_periods, cg_throttled: s.nr_throttled, cg_throttled_us: throttledUs };
}

const MAX_FDS = 256;

/**
 * Block devices a process does I/O to, as far as its open files tell: block devices it opened
 * (/dev/loop0) and the devices holding its open regular files (the mount source of the longest
 * mount point above the file, from its own mountinfo). At most MAX_FDS descriptors are looked at.
 */
export function ioDevices(src: Source, pid: string): string[] {
  const fds = src.readDir(`/proc/${pid}/fd`);
  if (fds.status !== 'ok') return [];
  const mi = src.readFile(`/proc/${pid}/mountinfo`);
  const mounts = mi.status === 'ok' ? parseMountinfo(mi.value) : undefined;
  const list = mounts?.ok ? [...mounts.value].sort((a, b) => b.mountPoint.length - a.mountPoint.length) : [];
  const out = new Set<string>();
  for (const fd of fds.value.slice(0, MAX_FDS)) {
    const l = src.readLink(`/proc/${pid}/fd/${fd}`);
    if (l.status !== 'ok' || !l.value.startsWith('/')) continue;
    const dev = /^\/dev\/([A-Za-z0-9_.-]+)$/.exec(l.value)?.[1];
    if (dev !== undefined) {
      if (src.readLink(`/sys/class/block/${dev}`).status === 'ok') out.add(dev);
      continue;
    }
    const m = list.find((x) => l.value === x.mountPoint || l.value.startsWith(x.mountPoint === '/' ? '/' : `${x.mountPoint}/`));
    if (m && m.source.startsWith('/dev/')) out.add(m.source.slice(5));
  }
  return [...out].sort();
}

/**
 * How long the targeted processes' threads are re-read for one in state D, for all of them
 * together in one collection (see collectThreads; a --cgroup target can hold hundreds): on a busy
 * host a reader between two I/Os waits for a CPU in state R, sometimes for milliseconds.
 */
const BLOCKED_CALL_LOOK_MS = 25;

/** The system calls threads of `pid` are blocked in (state D), looking until `deadline` (performance.now()). */
function blockedCalls(src: Source, pid: string, tids: readonly string[], deadline: number): string[] {
  while (performance.now() < deadline) {
    const calls: string[] = [];
    for (const tid of tids.slice(0, 64)) {
      const base = `/proc/${pid}/task/${tid}`;
      const t = src.readFile(`${base}/stat`);
      const st = t.status === 'ok' ? parseTaskStat(t.value) : undefined;
      if (!st?.ok || st.value.state !== 'D') continue;
      const sc = src.readFile(`${base}/syscall`);
      const nr = sc.status === 'ok' ? parseTaskSyscall(sc.value) : undefined;
      if (nr?.ok && nr.value !== undefined) calls.push(syscallName(nr.value));
    }
    if (calls.length > 0) return calls;
  }
  return [];
}

/**
 * The threads of these processes (every process when not given: tests, `diag collect threads
 * --pid`): each thread's schedstat, stat and wait channel, and per process their sums with its
 * cpu cgroup's quota and throttling.
 */
export function collectThreads(src: Source, only?: readonly number[]): TableOutcomes {
  const procs = only === undefined ? src.readDir('/proc') : ok(only.map(String));
  if (procs.status !== 'ok') {
    const u = unavailable(procs.status === 'unavailable' ? procs.code : 'not-found', '/proc cannot be listed', 'is procfs mounted?');
    return { thread_time: u, process_time: u };
  }
  const da = src.readFile('/proc/sys/kernel/task_delayacct');
  const delayacct = da.status !== 'ok' || da.value.trim() !== '0';
  const layout = readLayout(src);
  const cpuMount = (version: 1 | 2): string | undefined => {
    if (layout.status !== 'ok') return undefined;
    if (version === 2) return layout.value.v2?.mountPoint;
    return layout.value.v1.find((h) => h.controllers.includes('cpu'))?.mountPoint;
  };
  const cgroups = new Map<string, CpuCgroup | undefined>();
  const threadRows: Row[] = [];
  const processRows: Row[] = [];
  let noSchedstat = 0;
  /** When the look for blocked calls ends, shared by every targeted process (set at its first use). */
  let lookUntil: number | undefined;
  for (const pid of procs.value.filter(isPidName)) {
    const tasks = src.readDir(`/proc/${pid}/task`);
    if (tasks.status !== 'ok') continue;
    const cgText = src.readFile(`/proc/${pid}/cgroup`);
    const cg = cgText.status === 'ok' ? cpuCgroupOf(cgText.value) : undefined;
    let cgroup: CpuCgroup | undefined;
    if (cg) {
      const id = `${cg.version}:${cg.path}`;
      if (!cgroups.has(id)) {
        const mount = cpuMount(cg.version);
        cgroups.set(id, mount === undefined ? undefined : { path: cg.path, values: readCpuCgroup(src, join(mount, cg.path), cg.version) });
      }
      cgroup = cgroups.get(id);
    }
    const sum = { on_cpu_us: 0, runq_us: 0, blkio: 0 };
    const wchans: string[] = [];
    const ioCalls: string[] = [];
    const states = new Map<string, number>();
    let comm = '';
    let starttime: number | undefined;
    let threads = 0;
    for (const tid of tasks.value.filter(isPidName)) {
      const base = `/proc/${pid}/task/${tid}`;
      const statText = src.readFile(`${base}/stat`);
      const st = statText.status === 'ok' ? parseTaskStat(statText.value) : undefined;
      if (!st?.ok) continue;
      const ssText = src.readFile(`${base}/schedstat`);
      const ss = ssText.status === 'ok' ? parseSchedstat(ssText.value) : undefined;
      if (!ss?.ok) noSchedstat++;
      const wc = st.value.state === 'R' ? undefined : src.readFile(`${base}/wchan`);
      const wchan = wc?.status === 'ok' ? wc.value.trim() : '';
      // The system call a thread blocked on I/O (state D) is in: "from pread64()". Unreadable
      // without ptrace access to the process (then not named).
      if (st.value.state === 'D') {
        const sc = src.readFile(`${base}/syscall`);
        const nr = sc.status === 'ok' ? parseTaskSyscall(sc.value) : undefined;
        if (nr?.ok && nr.value !== undefined) ioCalls.push(syscallName(nr.value));
      }
      if (statText.status === 'ok') {
        const open = statText.value.indexOf('(');
        const close = statText.value.lastIndexOf(')');
        const threadComm = open >= 0 && close > open ? statText.value.slice(open + 1, close) : '';
        if (tid === pid) comm = threadComm;
        const values = {
          on_cpu_us: ss?.ok ? ss.value.onCpuNs / 1000 : undefined,
          runq_us: ss?.ok ? ss.value.runqNs / 1000 : undefined,
          blkio: delayacct ? st.value.blkioTicks : undefined,
        };
        threadRows.push({ key: tid, labels: { pid, tid, comm: threadComm, state: st.value.state, wchan, starttime: String(st.value.starttime) }, values });
      }
      if (tid === pid) starttime = st.value.starttime;
      threads++;
      sum.on_cpu_us += ss?.ok ? ss.value.onCpuNs / 1000 : 0;
      sum.runq_us += ss?.ok ? ss.value.runqNs / 1000 : 0;
      sum.blkio += st.value.blkioTicks ?? 0;
      states.set(st.value.state, (states.get(st.value.state) ?? 0) + 1);
      wchans.push(wchan);
    }
    if (threads === 0) continue;
    // A thread that waits on I/O half the time is in state D at one instant only half the time:
    // for the processes asked for by name (the latency playbook's target), on a live host, look
    // again for a few milliseconds so the call it blocks in is named rather than left out by chance.
    if (ioCalls.length === 0 && only !== undefined && !src.replay && (sum.blkio > 0 || states.has('D'))) {
      lookUntil ??= performance.now() + BLOCKED_CALL_LOOK_MS;
      ioCalls.push(...blockedCalls(src, pid, tasks.value.filter(isPidName), lookUntil));
    }
    const wchan = commonWchan(wchans);
    // Devices only for processes that wait on I/O (a file descriptor walk per process is not free).
    const devices = sum.blkio > 0 || states.has('D') ? ioDevices(src, pid) : [];
    const ioCall = mostFrequent(ioCalls);
    // "to loop0 from pread64()": the devices of its open files, the call its blocked threads are in
    const ioWhere = `to ${devices.length > 0 ? devices.join(', ') : 'a device not among its open files'}${ioCall === undefined ? '' : ` from ${ioCall}()`}`;
    processRows.push({
      key: pid,
      labels: {
        pid,
        comm,
        states: [...states.entries()].map(([s, n]) => `${s}${n}`).join(' '),
        ...(starttime === undefined ? {} : { starttime: String(starttime) }),
        ...(wchan === undefined ? {} : { wchan }),
        ...(cgroup ? { cpu_cgroup: cgroup.path } : {}),
        ...(devices.length > 0 ? { io_devices: devices.join(',') } : {}),
        ...(ioCall === undefined ? {} : { io_syscall: ioCall }),
        ...(sum.blkio > 0 || states.has('D') ? { io_where: ioWhere } : {}),
        delayacct: delayacct ? 'on' : 'off',
      },
      values: { threads, on_cpu_us: sum.on_cpu_us, runq_us: sum.runq_us, blkio: delayacct ? sum.blkio : undefined, ...(cgroup?.values ?? {}) },
    });
  }
  const notes: string[] = [];
  if (!delayacct) notes.push(`time blocked on I/O is unknown: delay accounting is off (${DELAYACCT_HINT})`);
  if (noSchedstat > 0) notes.push(`${noSchedstat} threads without /proc/.../schedstat (kernel without CONFIG_SCHED_INFO?): their on-CPU and run-queue times are missing`);
  return { thread_time: ok(threadRows, notes), process_time: ok(processRows, notes) };
}

const div = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined || b <= 0 ? undefined : a / b);

/** % of the cgroup's periods throttled; 0 without a quota (it cannot be throttled). */
function throttledPct(w: RowWindow): number | undefined {
  if (w.value('quota_cores') === undefined) return 0;
  const t = div(w.delta('cg_throttled'), w.delta('cg_periods'));
  return t === undefined ? undefined : t * 100;
}

export const threadsCollector: Collector = {
  id: 'threads',
  title: 'Where each thread\'s time goes: on CPU, run-queue wait, blocked on I/O, sleeping (schedstat, delay accounting, wait channel)',
  origin: 'procfs',
  resources: ['cpu', 'disk'],
  inputs: ['/proc/PID/task/TID/{schedstat,stat,wchan,syscall}', '/proc/PID/{fd,mountinfo}', '/proc/PID/cgroup', '/proc/sys/kernel/task_delayacct', '/sys/fs/cgroup/**/{cpu.stat,cpu.max,cpu.cfs_quota_us,cpu.cfs_period_us}'],
  tables: {
    thread_time: {
      title: 'Threads: time on CPU, waiting on a run queue, blocked on I/O (key: thread id)',
      scope: 'thread',
      identity: ['starttime'],
      relations: { process: 'pid' },
      fields: TIME_FIELDS,
      derived: SHARE_FIELDS,
      derive: (w) => shares(w, 1),
    },
    process_time: {
      title: 'Processes: their threads\' time summed, with the cpu cgroup\'s quota and throttling (key: PID)',
      scope: 'process',
      identity: ['starttime'],
      relations: { cgroup: 'cpu_cgroup' },
      identityFields: ['quota_cores'],
      fields: {
        threads: gauge('threads'),
        ...TIME_FIELDS,
        quota_cores: gauge('CPU quota of its cpu cgroup in cores (quota / period); missing = no limit'),
        cg_periods: counter('its cpu cgroup: enforcement periods elapsed'),
        cg_throttled: counter('its cpu cgroup: periods in which it was throttled'),
        cg_throttled_us: counter('its cpu cgroup: time throttled', 'us'),
      },
      derived: {
        ...SHARE_FIELDS,
        throttled_pct: derived('its cpu cgroup: % of periods throttled', 'percent'),
      },
      derive: (w) => ({ ...shares(w, w.value('threads')), throttled_pct: throttledPct(w) }),
    },
  },
  // Per-thread detail costs as much as the process table: read for a run's target only.
  collect: (src, ctx) => {
    if (ctx?.processes === undefined) {
      const u = unavailable('not-run', 'per-thread times are read for a target only', 'diag run playbook latency --pid PID (or --cgroup PATH)');
      return { thread_time: u, process_time: u };
    }
    return collectThreads(src, ctx.processes);
  },
};
