import { parsed, parseFail, type ParseResult } from '../../../src/core/parse-result.js';

/** /proc/PID/task/TID/schedstat: "on-CPU ns  run-queue wait ns  timeslices" (CONFIG_SCHED_INFO). */
export interface Schedstat {
  readonly onCpuNs: number;
  readonly runqNs: number;
  readonly timeslices: number;
}

export function parseSchedstat(text: string): ParseResult<Schedstat> {
  const f = text.trim().split(/\s+/);
  if (f.length < 3 || !f.slice(0, 3).every((x) => /^\d+$/.test(x))) return parseFail('schedstat', `expected three numbers, got ${JSON.stringify(text.slice(0, 80))}`);
  return parsed({ onCpuNs: Number(f[0]), runqNs: Number(f[1]), timeslices: Number(f[2]) });
}

/** The fields of /proc/PID/task/TID/stat a latency analysis reads. */
export interface TaskStat {
  readonly state: string;
  readonly utime: number;
  readonly stime: number;
  readonly starttime: number;
  /** Field 42, delayacct_blkio_ticks: clock ticks waiting for block I/O (0 while delay accounting is off). */
  readonly blkioTicks: number | undefined;
}

/** Fields after "pid (comm) ", counted from field 3 (state); comm may hold spaces and parentheses. */
export function parseTaskStat(text: string): ParseResult<TaskStat> {
  const close = text.lastIndexOf(')');
  if (close < 0) return parseFail('task stat', 'no ")" closing the command name');
  const f = text.slice(close + 2).trim().split(/\s+/);
  const at = (field: number): number | undefined => {
    const v = f[field - 3];
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
  };
  const state = f[0];
  const utime = at(14);
  const stime = at(15);
  const starttime = at(22);
  if (state === undefined || !/^[A-Za-z]$/.test(state) || utime === undefined || stime === undefined || starttime === undefined)
    return parseFail('task stat', `expected state, utime, stime and starttime after the command name, got ${JSON.stringify(text.slice(close + 1, close + 80))}`);
  return parsed({ state, utime, stime, starttime, blkioTicks: at(42) });
}

/** The cpu controller's path of a task from /proc/PID/cgroup: v1 "N:cpu,cpuacct:/p" (or "N:cpu:/p"), else v2 "0::/p". */
export function cpuCgroupOf(text: string): { version: 1 | 2; path: string } | undefined {
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line);
    if (!m) continue;
    const ctl = (m[2] ?? '').split(',');
    if (ctl.includes('cpu')) return { version: 1, path: m[3] ?? '/' };
    if (m[1] === '0' && m[2] === '') v2 = m[3];
  }
  return v2 === undefined ? undefined : { version: 2, path: v2 };
}

/** The most frequent wait channel among threads that are not running ("0" and "" mean none). */
export function commonWchan(wchans: readonly string[]): string | undefined {
  const n = new Map<string, number>();
  for (const w of wchans) if (w !== '' && w !== '0') n.set(w, (n.get(w) ?? 0) + 1);
  let best: string | undefined;
  let max = 0;
  for (const [w, c] of n) if (c > max) [best, max] = [w, c];
  return best;
}

/**
 * The system call a blocked task is in, from /proc/PID/task/TID/syscall: "NR ARG1..ARG6 SP PC"
 * while in a call, "-1 SP PC" when blocked outside one (a page fault), "running" for a task on a
 * CPU. Only the number is kept; undefined when the task is in no call.
 */
export function parseTaskSyscall(text: string): ParseResult<number | undefined> {
  const t = text.trim();
  if (t === 'running') return parsed(undefined);
  const m = /^(-?\d+)(?:\s+0x[0-9a-f]+){2,8}$/.exec(t);
  if (!m) return parseFail('task syscall', `expected "NR args... sp pc" or "running", got ${JSON.stringify(t.slice(0, 80))}`);
  const nr = Number(m[1]);
  return parsed(nr >= 0 && nr < 4096 ? nr : undefined);
}

/** The most frequent of these names (ties: the first in sort order). */
export function mostFrequent(names: readonly string[]): string | undefined {
  const n = new Map<string, number>();
  for (const w of names) n.set(w, (n.get(w) ?? 0) + 1);
  let best: string | undefined;
  let max = 0;
  for (const [w, c] of [...n].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (c > max) [best, max] = [w, c];
  return best;
}
