import { whyMissing } from '../frame.js';
import { num } from '../text.js';
import { toneOf } from '../tones.js';
import type { NetRowVM } from '../view-models/resources.js';
import { networkVM } from '../view-models/resources.js';
import type { Column, TablePanel } from './types.js';

/** A per-second column; `metric` colours it by the playbooks' thresholds on that metric. */
const rate = (id: string, title: string, width: number, get: (r: NetRowVM) => number | undefined, metric?: string): Column<NetRowVM> => ({
  id,
  title,
  width,
  align: 'right',
  value: (r) => num(get(r)),
  tone: metric ? (r, env) => toneOf(env.tones, env.frame, metric, r.iface) ?? 'dim' : undefined,
  sort: { key: get },
});

/** Interfaces: throughput, packets, drops and errors per second. */
export const networkPanel: TablePanel<NetRowVM> = {
  kind: 'table',
  id: 'network',
  title: 'Network',
  selectable: true,
  columns: [
    { id: 'iface', title: 'iface', width: 12, min: 8, value: (r) => r.iface, sort: { key: (r) => r.iface, ascending: true } },
    rate('rxkB', 'rxkB/s', 8, (r) => r.rxkBps),
    rate('txkB', 'txkB/s', 8, (r) => r.txkBps),
    rate('rxpk', 'rxpk/s', 7, (r) => r.rxpps),
    rate('txpk', 'txpk/s', 7, (r) => r.txpps),
    rate('drops', 'drop/s', 6, (r) => r.drops, 'netdev.drops_s'),
    rate('errors', 'err/s', 6, (r) => r.errors, 'netdev.errors_s'),
  ],
  rows: (frame) => networkVM(frame.model),
  rowId: (r) => r.iface,
  scope: 'interface',
  empty: (frame) => ({ text: whyMissing(frame.model, 'netdev') ?? 'no interfaces', tone: 'unknown' }),
};
