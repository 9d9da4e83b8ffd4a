import { parsed, parseFail, uint, uintLimit, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Pure parsers of the inputs the known-risky-settings collector reads: ethtool ring sizes,
 * sysctl values, /proc/sys/fs/file-nr, the transparent hugepage mode, the task count of
 * /proc/loadavg, listening sockets in /proc/net/tcp, and a process's THP and swap lines.
 */

export interface RingSizes {
  readonly rxMax: number | undefined;
  readonly txMax: number | undefined;
  readonly rx: number | undefined;
  readonly tx: number | undefined;
}

/**
 * `ethtool -g IFACE`: a "Pre-set maximums:" block then a "Current hardware settings:" block,
 * each with `RX:`, `TX:` lines (numbers or n/a). A device without ring parameters makes ethtool
 * fail (Operation not supported), which the collector reads as unsupported, never here.
 */
export function parseEthtoolRings(text: string): ParseResult<RingSizes> {
  let block: 'max' | 'cur' | undefined;
  const out: { rxMax?: number; txMax?: number; rx?: number; tx?: number } = {};
  let seenMax = false;
  let seenCur = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^Pre-set maximums:/i.test(line)) {
      block = 'max';
      seenMax = true;
      continue;
    }
    if (/^Current hardware settings:/i.test(line)) {
      block = 'cur';
      seenCur = true;
      continue;
    }
    const m = /^(RX|TX):\s+(\S+)$/.exec(line);
    if (!m || block === undefined) continue;
    const v = uint(m[2]);
    if (v === undefined) continue;
    if (block === 'max') out[m[1] === 'RX' ? 'rxMax' : 'txMax'] = v;
    else out[m[1] === 'RX' ? 'rx' : 'tx'] = v;
  }
  if (!seenMax || !seenCur) return parseFail(text, 'expected "Pre-set maximums:" and "Current hardware settings:" blocks');
  return parsed({ rxMax: out.rxMax, txMax: out.txMax, rx: out.rx, tx: out.tx });
}

/** One number of a /proc/sys file (somaxconn, swappiness, pid_max...): a limit may be huge (file-max is LONG_MAX on 64-bit). */
export function parseSysctlNumber(text: string): ParseResult<number> {
  const v = uintLimit(text.trim());
  return v === undefined ? parseFail(text, 'expected one non-negative integer') : parsed(v);
}

export interface FileNr {
  readonly allocated: number;
  readonly max: number;
}

/** /proc/sys/fs/file-nr: "allocated  free(always 0 since 2.6)  max". */
export function parseFileNr(text: string): ParseResult<FileNr> {
  const f = text.trim().split(/\s+/);
  const allocated = uint(f[0]);
  const max = uintLimit(f[2]);
  if (f.length !== 3 || allocated === undefined || max === undefined) return parseFail(text, 'expected "allocated free max"');
  return parsed({ allocated, max });
}

/** /sys/kernel/mm/transparent_hugepage/enabled (or defrag): "always [madvise] never" -> "madvise". */
export function parseThpMode(text: string): ParseResult<string> {
  const m = /\[([a-z+_-]{1,32})\]/.exec(text);
  return m ? parsed(m[1]!) : parseFail(text, 'expected the selected mode in [brackets]');
}

/** /proc/loadavg: "0.10 0.20 0.30 2/345 6789" -> 345, the kernel's scheduling entities (threads). */
export function parseLoadavgTasks(text: string): ParseResult<number> {
  const m = /^\S+ \S+ \S+ \d+\/(\d+) \d+\s*$/.exec(text);
  const v = m ? uint(m[1]) : undefined;
  return v === undefined ? parseFail(text, 'expected "l1 l5 l15 running/total lastpid"') : parsed(v);
}

/** Listening sockets in /proc/net/tcp or tcp6 (state 0A): whether a namespace has any, before entering it. */
export function parseTcpListeners(text: string): ParseResult<number> {
  const lines = text.split('\n');
  if (!/^\s*sl\s+local_address\s+rem_address\s+st\b/.test(lines[0] ?? '')) return parseFail(text, 'expected the "sl local_address rem_address st" header');
  let n = 0;
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 4 && f[3] === '0A') n++;
  }
  return parsed(n);
}

export interface ProcessMemoryFacts {
  /** THP_enabled (5.0+): 0 when the process disabled THP for itself (prctl PR_SET_THP_DISABLE). */
  readonly thpEnabled: number | undefined;
  /** VmSwap in kB. */
  readonly swapKb: number | undefined;
}

/** The two lines of /proc/PID/status the database checks read. */
export function parseProcessMemoryFacts(text: string): ParseResult<ProcessMemoryFacts> {
  if (!/^Name:/m.test(text)) return parseFail(text, 'expected a /proc/PID/status text (a Name: line)');
  const thp = /^THP_enabled:\s*(\d{1,2})\s*$/m.exec(text);
  const swap = /^VmSwap:\s*(\d{1,20}) kB\s*$/m.exec(text);
  return parsed({ thpEnabled: thp ? uint(thp[1]) : undefined, swapKb: swap ? uint(swap[1]) : undefined });
}
