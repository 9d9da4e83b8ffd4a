import type { Model } from '../../core/derive.js';
import { rowsOf } from '../frame.js';

export interface CpuRowVM {
  readonly cpu: string;
  readonly busy?: number;
  readonly usr?: number;
  readonly sys?: number;
  readonly iowait?: number;
  readonly steal?: number;
  readonly history: readonly (number | undefined)[];
}

/** Busy % per CPU over the last `size` refreshes (the aggregate first, as "all"). */
export class CpuHistory {
  private readonly hist = new Map<string, Array<number | undefined>>();
  constructor(private readonly size = 60) {}

  push(model: Model): void {
    const seen = new Set<string>();
    for (const r of rowsOf(model, 'cpu')) {
      seen.add(r.key);
      const h = this.hist.get(r.key) ?? [];
      h.push(r.values.busy_pct);
      if (h.length > this.size) h.shift();
      this.hist.set(r.key, h);
    }
    for (const k of [...this.hist.keys()]) if (!seen.has(k)) this.hist.delete(k);
  }

  rows(model: Model): CpuRowVM[] {
    return rowsOf(model, 'cpu').map((r) => ({
      cpu: r.key,
      busy: r.values.busy_pct,
      usr: r.values.usr_pct,
      sys: r.values.sys_pct,
      iowait: r.values.iowait_pct,
      steal: r.values.steal_pct,
      history: this.hist.get(r.key) ?? [],
    }));
  }
}
