import { parsed, parseFail, pidValue, PID_MAX_LIMIT, uint, type ParseResult } from '../../../src/core/parse-result.js';

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
  /** A kernel thread (PF_KTHREAD in the flags field): kworkers, kswapd, jbd2... */
  readonly kthread?: boolean;
}

/** PF_KTHREAD, include/linux/sched.h: "I am a kernel thread". */
const PF_KTHREAD = 0x00200000;

// Positions of the fields we keep, counted from the state letter (field 3 in proc(5)) as 0.
const F_PPID = 1;
const F_FLAGS = 6;
const F_MINFLT = 7;
const F_MAJFLT = 9;
const F_UTIME = 11;
const F_STIME = 12;
const F_NICE = 16;
const F_THREADS = 17;
const F_START = 19;
const F_RSS = 21;

/** End of the number parsed by numberAt (index of the first character after it). */
let numberEnd = 0;

/**
 * The decimal integer starting at text[i] and ending at a blank, newline or the end; undefined
 * (and numberEnd at that end) for anything else. Parsed in place: no substring per field.
 */
function numberAt(text: string, i: number, signed: boolean): number | undefined {
  const n = text.length;
  let j = i;
  let neg = false;
  if (signed && j < n && text.charCodeAt(j) === 45) {
    neg = true;
    j++;
  }
  const first = j;
  let v = 0;
  let bad = false;
  for (; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c === 32 || c === 10 || c === 9) break;
    if (c < 48 || c > 57) bad = true;
    else v = v * 10 + (c - 48);
  }
  numberEnd = j;
  const digits = j - first;
  if (bad || digits === 0 || digits > 20) return undefined;
  // Beyond 2^53 the running sum may round differently from Number(): use the exact conversion;
  // a value a double cannot hold exactly is missing, not rounded (parse-result.ts).
  if (digits > 15) v = Number(text.slice(first, j));
  if (v > Number.MAX_SAFE_INTEGER) return undefined;
  return neg ? -v : v;
}

/**
 * Parse /proc/PID/stat. The command name sits between the FIRST "(" and the LAST ")" and may
 * itself hold spaces, parentheses and newlines ("a b) (c\nd"), so it is cut out by position,
 * never by splitting on blanks.
 */
export function parsePidStat(text: string): ParseResult<PidStat> {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return parseFail('/proc/PID/stat', 'no "(comm)" in the line');
  const pid = pidValue(text.slice(0, open).trim());
  if (pid === undefined) return parseFail('/proc/PID/stat', `bad pid ${JSON.stringify(text.slice(0, Math.min(open, 24)))}`);
  // Fields after ") " are separated by single spaces; the line ends with "\n".
  const n = text.length;
  const s = close + 2;
  const stateEnd = s + 1;
  if (text.charCodeAt(close + 1) !== 32 || s >= n || (stateEnd < n && text.charCodeAt(stateEnd) !== 32) || text.charCodeAt(s) === 32 || text.charCodeAt(s) === 10) {
    return parseFail('/proc/PID/stat', `no state letter after the command name (pid ${pid})`);
  }
  let ppid: number | undefined;
  let minflt: number | undefined;
  let majflt: number | undefined;
  let utime: number | undefined;
  let stime: number | undefined;
  let nice: number | undefined;
  let numThreads: number | undefined;
  let starttime: number | undefined;
  let rssPages: number | undefined;
  let flags: number | undefined;
  let i = stateEnd + 1;
  for (let idx = 1; idx <= F_RSS && i <= n && stateEnd < n; idx++) {
    let v: number | undefined;
    switch (idx) {
      case F_PPID: case F_FLAGS: case F_MINFLT: case F_MAJFLT: case F_UTIME: case F_STIME: case F_THREADS: case F_START: case F_RSS:
        v = numberAt(text, i, false);
        break;
      case F_NICE:
        v = numberAt(text, i, true);
        break;
      default: {
        // a field we do not keep: skip it
        let j = i;
        while (j < n && text.charCodeAt(j) !== 32 && text.charCodeAt(j) !== 10) j++;
        numberEnd = j;
      }
    }
    if (idx === F_PPID) ppid = v;
    else if (idx === F_FLAGS) flags = v;
    else if (idx === F_MINFLT) minflt = v;
    else if (idx === F_MAJFLT) majflt = v;
    else if (idx === F_UTIME) utime = v;
    else if (idx === F_STIME) stime = v;
    else if (idx === F_NICE) nice = v;
    else if (idx === F_THREADS) numThreads = v;
    else if (idx === F_START) starttime = v;
    else if (idx === F_RSS) rssPages = v;
    if (numberEnd >= n || text.charCodeAt(numberEnd) !== 32) break;
    i = numberEnd + 1;
  }
  if (starttime === undefined) return parseFail('/proc/PID/stat', `truncated or garbled fields after the command name (pid ${pid})`);
  if (ppid !== undefined && ppid > PID_MAX_LIMIT) ppid = undefined; // not a PID: missing, like a garbled field
  if (nice !== undefined && (nice < -20 || nice > 19)) nice = undefined; // not a nice value
  const r: PidStat = { pid, comm: text.slice(open + 1, close), state: text[s]!, ppid, minflt, majflt, utime, stime, nice, numThreads, starttime, rssPages };
  // flags is an unsigned int: a number, so the bit test is exact
  return parsed(flags !== undefined && Math.floor(flags / PF_KTHREAD) % 2 === 1 ? { ...r, kthread: true } : r);
}

export interface PidStatus {
  /** Real user id. */
  readonly uid?: number;
  /** Virtual memory size (VmSize) in bytes (absent for kernel threads). */
  readonly vmSizeBytes?: number;
  /** Resident set size in bytes (absent for kernel threads). */
  readonly rssBytes?: number;
  /** Swapped-out anonymous memory in bytes (absent for kernel threads). */
  readonly swapBytes?: number;
  readonly voluntaryCtxt?: number;
  readonly nonvoluntaryCtxt?: number;
}

/** Where numberAfter found its key; lets the next search start there (keys come in kernel order). */
let keyPos = 0;

/**
 * The first number after "\nKey:" (blanks skipped), or undefined. Searches from `from` first
 * and, if the key is not there, from the start, so a kernel that orders lines differently
 * costs a second search but never a wrong value.
 */
function numberAfter(text: string, key: string, from = 0): number | undefined {
  let at = text.indexOf(key, from);
  if (at < 0 && from > 0) at = text.indexOf(key);
  if (at < 0) return undefined;
  keyPos = at;
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
  keyPos = 0;
  const uid = numberAfter(text, '\nUid:');
  const vmSize = numberAfter(text, '\nVmSize:', keyPos);
  const rss = numberAfter(text, '\nVmRSS:', keyPos);
  const swap = numberAfter(text, '\nVmSwap:', keyPos);
  const vol = numberAfter(text, '\nvoluntary_ctxt_switches:', keyPos);
  const nonvol = numberAfter(text, '\nnonvoluntary_ctxt_switches:', keyPos);
  return parsed({
    uid,
    vmSizeBytes: vmSize === undefined ? undefined : vmSize * 1024,
    rssBytes: rss === undefined ? undefined : rss * 1024,
    swapBytes: swap === undefined ? undefined : swap * 1024,
    voluntaryCtxt: vol,
    nonvoluntaryCtxt: nonvol,
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
  const key = '\nMax open files';
  const at = text.indexOf(key);
  if (at < 0) return parseFail('/proc/PID/limits', 'no "Max open files" line');
  const n = text.length;
  let i = at + key.length;
  const out: { soft?: number; hard?: number } = {};
  for (const which of ['soft', 'hard'] as const) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    if (text.startsWith('unlimited', i) && (i + 9 >= n || text.charCodeAt(i + 9) === 32 || text.charCodeAt(i + 9) === 10)) {
      i += 9;
      continue;
    }
    const v = numberAt(text, i, false);
    if (v === undefined) {
      const end = text.indexOf('\n', at + 1);
      return parseFail('/proc/PID/limits', `garbled "Max open files" line: ${JSON.stringify(text.slice(at + 1, end < 0 ? n : end).slice(0, 80))}`);
    }
    out[which] = v;
    i = numberEnd;
  }
  return parsed(out);
}

export interface PidCgroup {
  /** cgroup v2 path (the "0::" line), when present. */
  readonly unified?: string;
  /** cgroup v1 path of the memory controller, when mounted. */
  readonly memory?: string;
  /**
   * cgroup v1 path of the first controller hierarchy listed; a named hierarchy ("name=systemd")
   * only when the file has no controller hierarchy and no v2 line (it holds no controller: on a
   * v2 host that also mounts name=systemd, the v2 path is where the process's limits are).
   */
  readonly firstV1?: string;
  /** Every distinct path when the process sits at more than one (v1 controllers, hybrid). */
  readonly others?: readonly string[];
}

/**
 * Parse /proc/PID/cgroup ("hierarchy-ID:controller-list:path" lines; the path may contain ':').
 */
export function parsePidCgroup(text: string): ParseResult<PidCgroup> {
  let unified: string | undefined;
  let memory: string | undefined;
  let firstV1: string | undefined;
  let firstNamed: string | undefined;
  let paths: string[] | undefined;
  let start = 0;
  let lines = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    if (end > start) {
      const c1 = text.indexOf(':', start);
      const c2 = c1 < 0 || c1 >= end ? -1 : text.indexOf(':', c1 + 1);
      if (c2 < 0 || c2 >= end || c1 === start || numberAt(text.slice(start, c1), 0, false) === undefined) {
        return parseFail('/proc/PID/cgroup', `expected "id:controllers:path", got ${JSON.stringify(text.slice(start, Math.min(end, start + 80)))}`, lines + 1);
      }
      const path = text.slice(c2 + 1, end);
      const named = text.startsWith('name=', c1 + 1);
      if (!named) {
        if (paths === undefined) paths = [path];
        else if (!paths.includes(path)) paths.push(path);
      }
      if (c2 === c1 + 1 && c1 === start + 1 && text.charCodeAt(start) === 48) unified = path;
      else if (named) firstNamed ??= path;
      else {
        firstV1 ??= path;
        if (memory === undefined && hasController(text, c1 + 1, c2, 'memory')) memory = text.slice(c2 + 1, end);
      }
      lines++;
    }
    start = end + 1;
  }
  if (lines === 0) return parseFail('/proc/PID/cgroup', 'empty');
  if (firstV1 === undefined && unified === undefined) firstV1 = firstNamed;
  const out: { unified?: string; memory?: string; firstV1?: string; others?: readonly string[] } = {};
  if (paths !== undefined && paths.length > 1) out.others = paths;
  if (unified !== undefined) out.unified = unified;
  if (memory !== undefined) out.memory = memory;
  if (firstV1 !== undefined) out.firstV1 = firstV1;
  return parsed(out);
}

/** Whether the comma-separated list text[from, to) names the controller. */
function hasController(text: string, from: number, to: number, name: string): boolean {
  let at = text.indexOf(name, from);
  while (at >= 0 && at + name.length <= to) {
    const before = at === from || text.charCodeAt(at - 1) === 44;
    const after = at + name.length === to || text.charCodeAt(at + name.length) === 44;
    if (before && after) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
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
