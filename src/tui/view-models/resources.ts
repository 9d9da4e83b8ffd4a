import type { Model, ModelRow } from '../../core/derive.js';
import { hostRow, rowsOf } from '../frame.js';

export interface MemoryVM {
  readonly total?: number;
  readonly used?: number;
  readonly available?: number;
  /** `available` is diag's estimate (kernel < 3.14 has no MemAvailable), not the kernel's number. */
  readonly availableEstimated?: boolean;
  readonly buffCache?: number;
  readonly usedPct?: number;
  readonly swapTotal?: number;
  readonly swapUsed?: number;
  readonly swapPct?: number;
  readonly swapIo?: number;
  readonly majorFaults?: number;
  readonly scan?: number;
  readonly oomKills?: number;
  readonly psiSome?: number;
  readonly psiFull?: number;
}

export function memoryVM(m: Model): MemoryVM {
  const mi = hostRow(m, 'meminfo')?.values ?? {};
  const vm = hostRow(m, 'vmstat');
  const psi = rowsOf(m, 'psi').find((r) => r.key === 'memory');
  return {
    total: mi.total,
    used: mi.used,
    available: mi.available ?? mi.available_est,
    availableEstimated: mi.available === undefined && mi.available_est !== undefined,
    buffCache: mi.buff_cache,
    usedPct: mi.used_pct,
    swapTotal: mi.swap_total,
    swapUsed: mi.swap_used,
    swapPct: mi.swap_used_pct,
    swapIo: vm?.values.swap_io_pages,
    majorFaults: vm?.values.pgmajfault,
    scan: vm?.values.pgscan,
    oomKills: vm?.deltas.oom_kill,
    psiSome: psi?.values.some_pct ?? psi?.values.some_avg10,
    psiFull: psi?.values.full_pct ?? psi?.values.full_avg10,
  };
}

export interface DiskRowVM {
  readonly device: string;
  readonly rps?: number;
  readonly wps?: number;
  readonly rkBps?: number;
  readonly wkBps?: number;
  readonly await?: number;
  readonly aqu?: number;
  readonly util?: number;
}

/** Whole disks first, busiest first; partitions only when they do I/O. */
export function disksVM(m: Model): DiskRowVM[] {
  return rowsOf(m, 'disk')
    .filter((r) => r.labels.kind !== 'partition' || (r.values.reads ?? 0) + (r.values.writes ?? 0) > 0)
    .map((r) => ({
      device: r.key,
      rps: r.values.reads,
      wps: r.values.writes,
      rkBps: r.values.rkB_s,
      wkBps: r.values.wkB_s,
      await: r.values.await,
      aqu: r.values.aqu_sz,
      util: r.values.util_pct,
    }))
    .sort((a, b) => (b.util ?? -1) - (a.util ?? -1));
}

export interface NetRowVM {
  readonly iface: string;
  readonly oper: string;
  readonly rxkBps?: number;
  readonly txkBps?: number;
  readonly rxpps?: number;
  readonly txpps?: number;
  readonly drops?: number;
  readonly errors?: number;
  readonly util?: number;
}

export function networkVM(m: Model): NetRowVM[] {
  return rowsOf(m, 'netdev').map((r) => ({
    iface: r.key,
    oper: r.labels.operstate ?? '',
    rxkBps: r.values.rxkB_s,
    txkBps: r.values.txkB_s,
    rxpps: r.values.rx_packets,
    txpps: r.values.tx_packets,
    drops: r.values.drops_s,
    errors: r.values.errors_s,
    util: r.values.ifutil_pct,
  }));
}

export interface FilesystemRowVM {
  readonly mount: string;
  readonly fstype: string;
  readonly size?: number;
  readonly usedPct?: number;
  readonly inodesPct?: number;
}

export function filesystemsVM(m: Model): FilesystemRowVM[] {
  return rowsOf(m, 'filesystem')
    .map((r: ModelRow) => ({ mount: r.key, fstype: r.labels.fstype ?? '', size: r.values.size_bytes, usedPct: r.values.used_pct, inodesPct: r.values.inodes_used_pct }))
    .sort((a, b) => (b.usedPct ?? -1) - (a.usedPct ?? -1));
}
