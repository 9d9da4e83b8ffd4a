import { fields, int, parsed, parseFail, uint, uintLimit, type ParseResult } from '../../src/core/parse-result.js';

/**
 * Pure parsers for cgroup interface files. The file formats follow the kernel's
 * Documentation/admin-guide/cgroup-v2.rst ("Interface Files: Conventions"): single value,
 * flat keyed ("KEY VALUE" lines), nested keyed ("KEY SUB=VAL SUB=VAL" lines); and the v1
 * formats of Documentation/admin-guide/cgroup-v1/*.rst.
 */

const KEY = /^[A-Za-z][A-Za-z0-9_.]*$/;

/**
 * Flat-keyed file: cpu.stat, memory.events, memory.stat, pids.events, v1 memory.oom_control,
 * cpuacct.stat. A value that is not a non-negative integer stays missing; a line that is not
 * "KEY VALUE" fails the parse (the file is not what we think it is).
 */
export function parseFlatKeyed(text: string, input = 'flat-keyed file'): ParseResult<Record<string, number | undefined>> {
  const out: Record<string, number | undefined> = {};
  const lines = text.split('\n');
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    if (f.length !== 2 || !KEY.test(f[0]!)) return parseFail(input, `expected "KEY VALUE", got ${JSON.stringify((lines[i] ?? '').slice(0, 80))}`, i + 1);
    out[f[0]!] = uint(f[1]);
    n++;
  }
  if (n === 0) return parseFail(input, 'empty');
  return parsed(out);
}

/** A limit file's value: a number, or null for "max" / no limit. */
export type Limit = number | null;

/**
 * Single-value limit file: v2 memory.max, memory.high, memory.swap.max, pids.max ("max" or a
 * number), and the v1 equivalents. v1 memory.limit_in_bytes prints a huge number for "no limit"
 * (PAGE_COUNTER_MAX pages, 9223372036854771712 on 4 KiB pages): anything >= 2^62 is no limit.
 */
export function parseLimit(text: string, input = 'limit file'): ParseResult<Limit> {
  const t = text.trim();
  if (t === 'max') return parsed(null);
  const v = uintLimit(t);
  if (v === undefined) return parseFail(input, `expected a number or "max", got ${JSON.stringify(t.slice(0, 40))}`);
  // past 2^53 (8 PiB; no machine has it) is "no limit" too, kept exact below it
  return parsed(v > Number.MAX_SAFE_INTEGER ? null : v);
}

/** Single unsigned value file: memory.current, pids.current, cpuacct.usage, memory.failcnt... */
export function parseUintFile(text: string, input = 'value file'): ParseResult<number> {
  const t = text.trim();
  const v = uint(t);
  return v === undefined ? parseFail(input, `expected a non-negative integer, got ${JSON.stringify(t.slice(0, 40))}`) : parsed(v);
}

/** Single signed value file: v1 cpu.cfs_quota_us ("-1" = no quota). */
export function parseIntFile(text: string, input = 'value file'): ParseResult<number> {
  const t = text.trim();
  const v = int(t);
  return v === undefined ? parseFail(input, `expected an integer, got ${JSON.stringify(t.slice(0, 40))}`) : parsed(v);
}

export interface CpuMax {
  /** Microseconds of CPU per period; null for "max" (no limit). */
  readonly quotaUs: number | null;
  readonly periodUs: number;
}

/** v2 cpu.max: "$MAX $PERIOD", e.g. "max 100000" or "50000 100000". */
export function parseCpuMax(text: string): ParseResult<CpuMax> {
  const f = fields(text.trim());
  const period = uint(f[1]);
  const quota = f[0] === 'max' ? null : uint(f[0]);
  if (f.length !== 2 || period === undefined || period === 0 || quota === undefined) return parseFail('cpu.max', `expected "$MAX $PERIOD", got ${JSON.stringify(text.trim().slice(0, 40))}`);
  return parsed({ quotaUs: quota, periodUs: period });
}

export interface DeviceIo {
  /** "major:minor". */
  readonly dev: string;
  readonly values: Readonly<Record<string, number | undefined>>;
}

/**
 * v2 io.stat (nested keyed), one line per device:
 *   8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
 * Keys besides these (cost.* with io.cost enabled, decimals) are kept when they are integers.
 * An empty file is normal: no I/O yet.
 */
export function parseIoStat(text: string, input = 'io.stat'): ParseResult<DeviceIo[]> {
  const out: DeviceIo[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    if (!/^\d+:\d+$/.test(f[0]!)) return parseFail(input, 'expected "MAJ:MIN KEY=VALUE ..."', i + 1);
    const values: Record<string, number | undefined> = {};
    for (const kv of f.slice(1)) {
      const eq = kv.indexOf('=');
      if (eq <= 0) return parseFail(input, `expected KEY=VALUE, got ${JSON.stringify(kv.slice(0, 40))}`, i + 1);
      values[kv.slice(0, eq)] = uint(kv.slice(eq + 1));
    }
    out.push({ dev: f[0]!, values });
  }
  return parsed(out);
}

/**
 * v2 io.max (nested keyed, the same shape as io.stat), one line per device with a limit:
 *   8:16 rbps=2097152 wbps=max riops=max wiops=120
 * "max" (no limit in that direction) stays undefined. A device without any limit is not listed.
 */
export function parseIoMax(text: string): ParseResult<DeviceIo[]> {
  return parseIoStat(text, 'io.max');
}

/**
 * v1 blkio.throttle.read_bps_device / write_bps_device / read_iops_device / write_iops_device:
 * one "MAJ:MIN VALUE" line per device with a limit; empty when none is set.
 */
export function parseDeviceLimits(text: string, input = 'blkio.throttle.*_device'): ParseResult<Array<{ readonly dev: string; readonly value: number }>> {
  const out: Array<{ dev: string; value: number }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    const v = uint(f[1]);
    if (f.length !== 2 || !/^\d+:\d+$/.test(f[0]!) || v === undefined) return parseFail(input, `expected "MAJ:MIN VALUE", got ${JSON.stringify((lines[i] ?? '').slice(0, 60))}`, i + 1);
    out.push({ dev: f[0]!, value: v });
  }
  return parsed(out);
}

const BLKIO_OPS: Record<string, string> = { Read: 'read', Write: 'write', Sync: 'sync', Async: 'async', Discard: 'discard', Total: 'total' };

export interface Blkio {
  readonly devices: DeviceIo[];
  /** The trailing "Total N" line, when present. */
  readonly total?: number;
}

/**
 * v1 blkio.throttle.io_service_bytes(_recursive) / io_serviced(_recursive):
 *   8:0 Read 1462272
 *   8:0 Write 0
 *   8:0 Sync 1462272 ... 8:0 Total 1462272
 *   Total 1462272
 * Values per device become {read, write, sync, async, discard, total}.
 */
export function parseBlkio(text: string, input = 'blkio file'): ParseResult<Blkio> {
  const byDev = new Map<string, Record<string, number | undefined>>();
  let total: number | undefined;
  const lines = text.split('\n');
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    n++;
    if (f[0] === 'Total' && f.length === 2) {
      total = uint(f[1]);
      continue;
    }
    const op = BLKIO_OPS[f[1] ?? ''];
    if (f.length !== 3 || !/^\d+:\d+$/.test(f[0]!) || op === undefined) return parseFail(input, 'expected "MAJ:MIN Read|Write|Sync|Async|Discard|Total VALUE"', i + 1);
    let d = byDev.get(f[0]!);
    if (!d) byDev.set(f[0]!, (d = {}));
    d[op] = uint(f[2]);
  }
  if (n === 0) return parseFail(input, 'empty');
  const devices = [...byDev].map(([dev, values]) => ({ dev, values }));
  return parsed(total === undefined ? { devices } : { devices, total });
}

/** cgroup.procs / tasks: one PID per line (unordered, may repeat); empty when no process. */
export function parsePidList(text: string, input = 'cgroup.procs'): ParseResult<number[]> {
  // By character, not split/trim: the root cgroup lists every process, every second in the TUI.
  const out: number[] = [];
  const seen = new Set<number>();
  let line = 1;
  for (let i = 0; i <= text.length; line++) {
    let end = text.indexOf('\n', i);
    if (end < 0) end = text.length;
    let a = i;
    let b = end;
    while (a < b && isBlank(text.charCodeAt(a))) a++;
    while (b > a && isBlank(text.charCodeAt(b - 1))) b--;
    if (a < b) {
      let v = 0;
      for (let k = a; k < b; k++) {
        const c = text.charCodeAt(k);
        if (c < 48 || c > 57 || b - a > 20) return parseFail(input, `expected a PID, got ${JSON.stringify(text.slice(a, Math.min(b, a + 20)))}`, line);
        v = v * 10 + (c - 48);
      }
      if (!Number.isSafeInteger(v)) return parseFail(input, `expected a PID, got ${JSON.stringify(text.slice(a, Math.min(b, a + 20)))}`, line);
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
    i = end + 1;
  }
  return parsed(out);
}

/** Space, tab, CR and the other characters String.prototype.trim removes that a procfs list can hold. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff;
}
