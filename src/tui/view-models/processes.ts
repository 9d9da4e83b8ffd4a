import type { Model, ModelRow } from '../../core/derive.js';
import { rowsOf } from '../frame.js';

export interface ProcessRowVM {
  readonly pid: number;
  readonly ppid?: number;
  readonly comm: string;
  /** Start time (ticks since boot): with the PID, which process this is. */
  readonly starttime?: string;
  readonly cmdline: string;
  readonly state: string;
  /** USER: the name /etc/passwd gives the uid, else the uid as a number ('' when unknown). */
  readonly user: string;
  readonly nice?: number;
  /** VIRT: the virtual memory size in bytes. */
  readonly virt?: number;
  /** TIME+: user + system CPU time in ticks (hundredths of a second). */
  readonly time?: number;
  readonly cpu?: number;
  readonly rss?: number;
  readonly io?: number;
  readonly threads?: number;
  readonly fds?: number;
  readonly fdPct?: number;
  readonly cgroup: string;
  /** Depth in tree view (0 otherwise). */
  readonly depth: number;
}

export interface ProcessQuery {
  /** Case-insensitive substring of comm or command line (or "pid:123"). */
  readonly filter?: string;
  /** Only processes in this cgroup or below. */
  readonly cgroup?: string;
  readonly tree: boolean;
}

/** A model row unchanged since the last refresh (an idle process) keeps its view-model. */
const vms = new WeakMap<ModelRow, ProcessRowVM>();

function toVM(r: ModelRow): ProcessRowVM {
  let vm = vms.get(r);
  if (!vm) {
    vm = makeVM(r);
    vms.set(r, vm);
  }
  return vm;
}

function makeVM(r: ModelRow): ProcessRowVM {
  const io = (r.values.read_bytes ?? 0) + (r.values.write_bytes ?? 0);
  const hasIo = r.values.read_bytes !== undefined || r.values.write_bytes !== undefined;
  return {
    pid: Number(r.key),
    ppid: r.values.ppid,
    comm: r.labels.comm ?? '',
    ...(r.labels.starttime !== undefined ? { starttime: r.labels.starttime } : {}),
    cmdline: r.labels.cmdline || `[${r.labels.comm ?? ''}]`,
    state: r.labels.state ?? '?',
    user: r.labels.user ?? r.labels.uid ?? '',
    nice: r.values.nice,
    virt: r.values.vsize,
    time: r.values.utime !== undefined && r.values.stime !== undefined ? r.values.utime + r.values.stime : undefined,
    cpu: r.values.cpu_pct,
    rss: r.values.rss,
    io: hasIo ? io : undefined,
    threads: r.values.threads,
    fds: r.values.fds,
    fdPct: r.values.fd_pct,
    cgroup: r.labels.cgroup ?? '',
    depth: 0,
  };
}

/** Busiest first, then by PID: the order before the user picks a column. */
export const byCpu = (a: ProcessRowVM, b: ProcessRowVM): number => (b.cpu ?? -1) - (a.cpu ?? -1) || a.pid - b.pid;

export function inCgroup(path: string, cgroup: string): boolean {
  if (cgroup === '/' || cgroup === '') return true;
  return path === cgroup || path.startsWith(cgroup.endsWith('/') ? cgroup : cgroup + '/');
}

/** Processes filtered, in `order`, optionally as a tree (children under their parent, in order within). */
export function processesVM(m: Model, q: ProcessQuery, order: (a: ProcessRowVM, b: ProcessRowVM) => number = byCpu): ProcessRowVM[] {
  let rows = rowsOf(m, 'processes').map(toVM);
  if (q.cgroup !== undefined) rows = rows.filter((p) => inCgroup(p.cgroup, q.cgroup!));
  const f = q.filter?.trim().toLowerCase();
  if (f) {
    // pid:N, or pid:N,M,... (a namespace's member processes)
    const pidMatch = /^pid:(\d+(?:,\d+)*)$/.exec(f);
    const pids = pidMatch ? new Set(pidMatch[1]!.split(',').map(Number)) : undefined;
    rows = pids ? rows.filter((p) => pids.has(p.pid)) : rows.filter((p) => p.comm.toLowerCase().includes(f) || p.cmdline.toLowerCase().includes(f));
  }
  if (!q.tree) return rows.sort(order);
  const byPid = new Map(rows.map((p) => [p.pid, p]));
  const children = new Map<number, ProcessRowVM[]>();
  const roots: ProcessRowVM[] = [];
  for (const p of rows) {
    if (p.ppid !== undefined && p.ppid !== p.pid && byPid.has(p.ppid)) {
      const list = children.get(p.ppid) ?? [];
      list.push(p);
      children.set(p.ppid, list);
    } else roots.push(p);
  }
  const out: ProcessRowVM[] = [];
  const seen = new Set<number>();
  const walk = (p: ProcessRowVM, depth: number) => {
    if (seen.has(p.pid)) return; // a PID cycle cannot loop
    seen.add(p.pid);
    out.push({ ...p, depth });
    for (const c of (children.get(p.pid) ?? []).sort(order)) walk(c, depth + 1);
  };
  for (const r of roots.sort(order)) walk(r, 0);
  // Processes in a parent cycle (A's parent is B, B's is A: a PID reused between reads) have no
  // root above them: shown at the top level rather than lost.
  if (out.length < rows.length) for (const p of rows.filter((x) => !seen.has(x.pid)).sort(order)) walk(p, 0);
  return out;
}

/** The detail of a process: its identity, then every value of its row in the window. */
export function processDetail(p: ProcessRowVM, m: Model): string[] {
  const row = rowsOf(m, 'processes').find((r) => r.key === String(p.pid));
  return [
    `PID ${p.pid}  PPID ${p.ppid ?? '-'}  state ${p.state}`,
    `command: ${p.cmdline}`,
    `cgroup: ${p.cgroup}`,
    ...Object.entries(row?.values ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`),
  ];
}

/**
 * htop's TIME+ from ticks (hundredths of a second): m:ss.cc under an hour, then NhMM:SS, Nh from
 * 100 hours, Nd from 100 days, NyNd from a year.
 */
export function cpuTime(ticks: number | undefined): string {
  if (ticks === undefined || !Number.isFinite(ticks) || ticks < 0) return '-';
  const t = Math.floor(ticks);
  const secs = Math.floor(t / 100);
  const hours = Math.floor(secs / 3600);
  const days = Math.floor(secs / 86400);
  const mm = Math.floor(secs / 60) % 60;
  const ss = String(secs % 60).padStart(2, '0');
  if (days >= 365) return `${Math.floor(days / 365)}y${days % 365}d`;
  if (days >= 100) return `${days}d`;
  if (hours >= 100) return `${hours}h`;
  if (hours > 0) return `${hours}h${String(mm).padStart(2, '0')}:${ss}`;
  return `${mm}:${ss}.${String(t % 100).padStart(2, '0')}`;
}
