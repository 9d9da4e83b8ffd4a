import { int, parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Parsers of the per-process files /proc/PID/{stat,status,io,limits,cgroup,cmdline}.
 * They run once per process per sample (2,000+ processes), so they avoid regular expressions
 * and line splitting where a few indexOf calls do, and return only what the collector uses.
 */

export interface PidStat {
  readonly pid: number;
  /** Command name, up to 15 bytes for tasks (longer for some kernel threads). Untrusted text. */
  readonly comm: string;
  /** One letter: R S D Z T t X I P W K x... */
  readonly state: string;
  readonly ppid?: number;
  readonly minflt?: number;
  readonly majflt?: number;
  /** User and system CPU time in USER_HZ ticks. */
  readonly utime?: number;
  readonly stime?: number;
  readonly nice?: number;
  readonly numThreads?: number;
  /** Start time after boot in ticks: with the PID, the identity of a process. */
  readonly starttime: number;
  readonly rssPages?: number;
}

// Positions of the fields we keep, counted from the state letter (field 3 in proc(5)) as 0.
const F_STATE = 0;
const F_PPID = 1;
const F_MINFLT = 7;
const F_MAJFLT = 9;
const F_UTIME = 11;
const F_STIME = 12;
const F_NICE = 16;
const F_THREADS = 17;
const F_START = 19;
const F_RSS = 21;
const LAST_WANTED = F_RSS;

/**
 * Parse /proc/PID/stat. The command name sits between the FIRST "(" and the LAST ")" and may
 * itself hold spaces, parentheses and newlines ("a b) (c\nd"), so it is cut out by position,
 * never by splitting on blanks.
 */
export function parsePidStat(text: string): ParseResult<PidStat> {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return parseFail('/proc/PID/stat', 'no "(comm)" in the line');
  const pid = uint(text.slice(0, open).trim());
  if (pid === undefined) return parseFail('/proc/PID/stat', `bad pid ${JSON.stringify(text.slice(0, Math.min(open, 24)))}`);
  const tok: Array<string | undefined> = new Array<string | undefined>(LAST_WANTED + 1);
  // Fields after ") " are separated by single spaces; the line ends with "\n".
  let idx = 0;
  let start = close + 2;
  const n = text.length;
  if (text.charCodeAt(close + 1) !== 32) return parseFail('/proc/PID/stat', 'expected a space after the command name');
  for (let i = start; i <= n && idx <= LAST_WANTED; i++) {
    const c = i === n ? 10 : text.charCodeAt(i);
    if (c === 32 || c === 10) {
      tok[idx++] = text.slice(start, i);
      start = i + 1;
      if (c === 10) break;
    }
  }
  const state = tok[F_STATE];
  const starttime = uint(tok[F_START]);
  if (state === undefined || state.length !== 1 || starttime === undefined) {
    return parseFail('/proc/PID/stat', `truncated or garbled fields after the command name (pid ${pid})`);
  }
  return parsed({
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: uint(tok[F_PPID]),
    minflt: uint(tok[F_MINFLT]),
    majflt: uint(tok[F_MAJFLT]),
    utime: uint(tok[F_UTIME]),
    stime: uint(tok[F_STIME]),
    nice: int(tok[F_NICE]),
    numThreads: uint(tok[F_THREADS]),
    starttime,
    rssPages: uint(tok[F_RSS]),
  });
}

export interface PidStatus {
  /** Real user id. */
  readonly uid?: number;
  /** Resident set size in bytes (absent for kernel threads). */
  readonly rssBytes?: number;
  /** Swapped-out anonymous memory in bytes (absent for kernel threads). */
  readonly swapBytes?: number;
  readonly voluntaryCtxt?: number;
  readonly nonvoluntaryCtxt?: number;
}

/** The first number after "\nKey:" (blanks skipped), or undefined. */
function numberAfter(text: string, key: string): number | undefined {
  const at = text.indexOf(key);
  if (at < 0) return undefined;
  let i = at + key.length;
  const n = text.length;
  while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  let j = i;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) break;
    j++;
  }
  return uint(text.slice(i, j));
}

/**
 * Parse the few /proc/PID/status lines we use. The Name line escapes newlines in the command
 * name, so "\nKey:" cannot be forged by a process name.
 */
export function parsePidStatus(text: string): ParseResult<PidStatus> {
  // "Name:" is the first line of every kernel's status file; without it this is not a status file.
  if (!text.startsWith('Name:')) return parseFail('/proc/PID/status', 'does not start with "Name:"');
  const kb = (key: string) => {
    const v = numberAfter(text, key);
    return v === undefined ? undefined : v * 1024;
  };
  return parsed({
    uid: numberAfter(text, '\nUid:'),
    rssBytes: kb('\nVmRSS:'),
    swapBytes: kb('\nVmSwap:'),
    voluntaryCtxt: numberAfter(text, '\nvoluntary_ctxt_switches:'),
    nonvoluntaryCtxt: numberAfter(text, '\nnonvoluntary_ctxt_switches:'),
  });
}

export interface PidIo {
  /** Bytes passed to read()/write() and friends (includes the page cache). */
  readonly rchar?: number;
  readonly wchar?: number;
  /** Bytes this process caused to be fetched from / sent to storage. */
  readonly readBytes?: number;
  readonly writeBytes?: number;
  readonly cancelledWriteBytes?: number;
}

/** Parse /proc/PID/io ("rchar: 123" lines). */
export function parsePidIo(text: string): ParseResult<PidIo> {
  const out = {
    rchar: numberAfter(text, 'rchar:'),
    wchar: numberAfter(text, 'wchar:'),
    readBytes: numberAfter(text, '\nread_bytes:'),
    writeBytes: numberAfter(text, '\nwrite_bytes:'),
    cancelledWriteBytes: numberAfter(text, '\ncancelled_write_bytes:'),
  };
  if (out.rchar === undefined && out.readBytes === undefined) return parseFail('/proc/PID/io', 'neither rchar nor read_bytes found');
  return parsed(out);
}

export interface Limit {
  /** undefined for "unlimited". */
  readonly soft?: number;
  readonly hard?: number;
}

/**
 * The "Max open files" line of /proc/PID/limits (RLIMIT_NOFILE):
 *   Limit                     Soft Limit           Hard Limit           Units
 *   Max open files            1024                 1048576              files
 */
export function parseOpenFilesLimit(text: string): ParseResult<Limit> {
  const at = text.indexOf('\nMax open files');
  if (at < 0) return parseFail('/proc/PID/limits', 'no "Max open files" line');
  let end = text.indexOf('\n', at + 1);
  if (end < 0) end = text.length;
  const rest = text.slice(at + '\nMax open files'.length, end);
  const f = rest.split(' ').filter((s) => s.length > 0);
  const val = (s: string | undefined): number | undefined | null => (s === 'unlimited' ? undefined : (uint(s) ?? null));
  const soft = val(f[0]);
  const hard = val(f[1]);
  if (soft === null || hard === null) return parseFail('/proc/PID/limits', `garbled "Max open files" line: ${JSON.stringify(rest.slice(0, 80))}`);
  return parsed(soft === undefined ? (hard === undefined ? {} : { hard }) : hard === undefined ? { soft } : { soft, hard });
}

export interface PidCgroup {
  /** cgroup v2 path (the "0::" line), when present. */
  readonly unified?: string;
  /** cgroup v1 path of the memory controller, when mounted. */
  readonly memory?: string;
  /** cgroup v1 path of the first hierarchy listed, when any. */
  readonly firstV1?: string;
}

/**
 * Parse /proc/PID/cgroup ("hierarchy-ID:controller-list:path" lines; the path may contain ':').
 */
export function parsePidCgroup(text: string): ParseResult<PidCgroup> {
  let unified: string | undefined;
  let memory: string | undefined;
  let firstV1: string | undefined;
  let start = 0;
  let lines = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    if (end > start) {
      const line = text.slice(start, end);
      const c1 = line.indexOf(':');
      const c2 = c1 < 0 ? -1 : line.indexOf(':', c1 + 1);
      if (c2 < 0 || uint(line.slice(0, c1)) === undefined) return parseFail('/proc/PID/cgroup', `expected "id:controllers:path", got ${JSON.stringify(line.slice(0, 80))}`, lines + 1);
      const path = line.slice(c2 + 1);
      const controllers = line.slice(c1 + 1, c2);
      if (c1 === 1 && line.charCodeAt(0) === 48 && controllers === '') unified = path;
      else {
        firstV1 ??= path;
        if (memory === undefined && (controllers === 'memory' || controllers.split(',').includes('memory'))) memory = path;
      }
      lines++;
    }
    start = end + 1;
  }
  if (lines === 0) return parseFail('/proc/PID/cgroup', 'empty');
  const out: { unified?: string; memory?: string; firstV1?: string } = {};
  if (unified !== undefined) out.unified = unified;
  if (memory !== undefined) out.memory = memory;
  if (firstV1 !== undefined) out.firstV1 = firstV1;
  return parsed(out);
}

/**
 * The cgroup path shown for a process: the v2 path on a pure cgroup v2 host; on a v1 or hybrid
 * host the memory controller's path (where limits that hurt usually live), else the first v1
 * hierarchy's, else the v2 path.
 */
export function cgroupLabel(c: PidCgroup): string | undefined {
  if (c.firstV1 === undefined) return c.unified;
  return c.memory ?? c.firstV1;
}

/** Longest command line kept as a label; longer ones are cut and marked with "…". */
export const CMDLINE_MAX = 4096;

/**
 * /proc/PID/cmdline as one line: arguments are NUL-separated (a trailing NUL ends the last);
 * NULs become spaces. Empty for kernel threads and zombies. Never throws; content is untrusted.
 */
export function cmdlineText(raw: string): string {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0) end--;
  let s = end === raw.length ? raw : raw.slice(0, end);
  if (s.length > CMDLINE_MAX) s = s.slice(0, CMDLINE_MAX) + '…';
  return s.indexOf('\u0000') < 0 ? s : s.replaceAll('\u0000', ' ');
}

/** cmdlineText as a ParseResult, for symmetry with the other parsers (and the fuzzer). */
export function parseCmdline(raw: string): ParseResult<string> {
  return parsed(cmdlineText(raw));
}
