import { whyMissing } from '../frame.js';
import { pct, sparkline } from '../text.js';
import { toneOf } from '../tones.js';
import { CpuHistory, type CpuRowVM } from '../view-models/cpu.js';
import type { CellEnv, TablePanel } from './types.js';

const busyTone = (r: CpuRowVM, env: CellEnv) => toneOf(env.tones, env.frame, 'cpu.busy_pct', r.cpu) ?? 'dim';
/** Without a history (a test, the first frame) the rows still show the last window. */
const NO_HISTORY = new CpuHistory(0);

/** Busy % per CPU with its recent history as a sparkline. */
export const cpuPanel: TablePanel<CpuRowVM> = {
  kind: 'table',
  id: 'cpu',
  title: 'CPU',
  selectable: false,
  header: 'with-rows',
  columns: [
    { id: 'cpu', title: 'cpu', width: 4, value: (r) => r.cpu, sort: { key: (r) => r.cpu, ascending: true } },
    { id: 'busy', title: 'busy', width: 6, align: 'right', value: (r) => (r.busy === undefined ? '…' : pct(r.busy)), tone: busyTone, sort: { key: (r) => r.busy } },
    { id: 'usr', title: 'usr', width: 5, align: 'right', value: (r) => pct(r.usr), sort: { key: (r) => r.usr } },
    { id: 'sys', title: 'sys', width: 5, align: 'right', value: (r) => pct(r.sys), sort: { key: (r) => r.sys } },
    { id: 'iowait', title: 'iow', width: 5, align: 'right', value: (r) => pct(r.iowait), sort: { key: (r) => r.iowait } },
    { id: 'steal', title: 'stl', width: 5, align: 'right', value: (r) => pct(r.steal), sort: { key: (r) => r.steal } },
    { id: 'history', title: 'history', width: (w) => Math.max(0, w - 36), value: (r, env) => sparkline(r.history.slice(-env.width), 100, env.unicode), tone: busyTone },
  ],
  rows: (frame, _view, env) => (env.history ?? NO_HISTORY).rows(frame.model),
  rowId: (r) => r.cpu,
  scope: 'cpu',
  empty: (frame) => ({ text: whyMissing(frame.model, 'cpu') ?? 'no CPU data', tone: 'unknown' }),
};
