import type { Collector } from '../src/core/collector.js';
import { cpuCollector } from './procfs/cpu/collector.js';
import { netdevCollector } from './procfs/netdev/collector.js';
import { netstackCollector } from './procfs/netstack/collector.js';

/**
 * The registry: every collector, in the order `diag collectors` lists them. Explicit on purpose
 * (no import side effects): adding a collector is one line here.
 */
export const COLLECTORS: readonly Collector[] = [
  cpuCollector,
  netdevCollector,
  netstackCollector,
];

export function findCollector(id: string): Collector | undefined {
  return COLLECTORS.find((c) => c.id === id);
}
