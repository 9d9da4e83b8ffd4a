import { fields, parsed, parseFail, pidValue, udecimal, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** Time columns of a "cpu" line of /proc/stat, in USER_HZ ticks, in kernel order. */
export const CPU_TIME_COLUMNS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'] as const;
export type CpuTimeColumn = (typeof CPU_TIME_COLUMNS)[number];

export interface CpuTimes {
  /** "all" for the aggregate line, else the CPU number as text. */
  readonly cpu: string;
  /** Columns an older kernel lacks (steal < 2.6.11, guest < 2.6.24, guest_nice < 2.6.33) stay undefined. */
  readonly times: Partial<Record<CpuTimeColumn, number>>;
}

export interface ProcStat {
  readonly cpus: CpuTimes[];
  readonly ctxt?: number;
  readonly btime?: number;
  readonly processes?: number;
  readonly procsRunning?: number;
  readonly procsBlocked?: number;
}

/** Parse /proc/stat. Unknown lines are ignored; the aggregate "cpu" line is required. */
export function parseProcStat(text: string): ParseResult<ProcStat> {
  const cpus: CpuTimes[] = [];
  const scalars: Record<string, number | undefined> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    const name = f[0];
    if (name === undefined) continue;
    if (name.startsWith('cpu')) {
      const id = name === 'cpu' ? 'all' : name.slice(3);
      if (id !== 'all' && uint(id) === undefined) continue;
      const times: Partial<Record<CpuTimeColumn, number>> = {};
      for (let c = 0; c < CPU_TIME_COLUMNS.length; c++) {
        const v = uint(f[c + 1]);
        if (v !== undefined) times[CPU_TIME_COLUMNS[c]!] = v;
      }
      // user, nice, system and idle exist on every kernel: without them the line is garbage.
      if (times.user === undefined || times.nice === undefined || times.system === undefined || times.idle === undefined) {
        return parseFail('/proc/stat', `malformed ${name} line`, i + 1);
      }
      cpus.push({ cpu: id, times });
    } else if (name === 'ctxt' || name === 'btime' || name === 'processes' || name === 'procs_running' || name === 'procs_blocked') {
      scalars[name] = uint(f[1]);
    }
  }
  if (!cpus.some((c) => c.cpu === 'all')) return parseFail('/proc/stat', 'no aggregate "cpu" line');
  const out: { -readonly [K in keyof ProcStat]: ProcStat[K] } = { cpus };
  if (scalars.ctxt !== undefined) out.ctxt = scalars.ctxt;
  if (scalars.btime !== undefined) out.btime = scalars.btime;
  if (scalars.processes !== undefined) out.processes = scalars.processes;
  if (scalars.procs_running !== undefined) out.procsRunning = scalars.procs_running;
  if (scalars.procs_blocked !== undefined) out.procsBlocked = scalars.procs_blocked;
  return parsed(out);
}

export interface LoadAvg {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
  readonly runnable: number;
  readonly threads: number;
  readonly lastPid: number;
}

/** Parse /proc/loadavg: "0.52 0.58 0.59 3/612 12345". */
export function parseLoadAvg(text: string): ParseResult<LoadAvg> {
  const f = fields(text.trim());
  const [r, t] = (f[3] ?? '').split('/');
  // load averages cannot be negative, the last PID is at most PID_MAX_LIMIT
  const v = { load1: udecimal(f[0]), load5: udecimal(f[1]), load15: udecimal(f[2]), runnable: uint(r), threads: uint(t), lastPid: pidValue(f[4]) };
  if (Object.values(v).some((x) => x === undefined)) return parseFail('/proc/loadavg', `expected "l1 l5 l15 r/t pid", got ${JSON.stringify(text.slice(0, 80))}`);
  return parsed(v as LoadAvg);
}

export interface PressureLine {
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  /** Total stall time in microseconds (a counter). */
  readonly total: number;
}

export interface Pressure {
  readonly some?: PressureLine;
  readonly full?: PressureLine;
}

/**
 * Parse a PSI file (/proc/pressure/{cpu,memory,io} or a cgroup's *.pressure):
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 * ("full" is absent for cpu before 5.13.)
 */
export function parsePressure(text: string, input = 'pressure'): ParseResult<Pressure> {
  const out: { some?: PressureLine; full?: PressureLine } = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    const kind = f[0];
    if (kind !== 'some' && kind !== 'full') return parseFail(input, `unexpected line start ${JSON.stringify(kind)}`, i + 1);
    const kv: Record<string, string> = {};
    for (const p of f.slice(1)) {
      const eq = p.indexOf('=');
      if (eq > 0) kv[p.slice(0, eq)] = p.slice(eq + 1);
    }
    const line = { avg10: udecimal(kv.avg10), avg60: udecimal(kv.avg60), avg300: udecimal(kv.avg300), total: uint(kv.total) };
    if (Object.values(line).some((x) => x === undefined)) return parseFail(input, `malformed ${kind} line`, i + 1);
    out[kind] = line as PressureLine;
  }
  if (!out.some && !out.full) return parseFail(input, 'empty pressure file');
  return parsed(out);
}
