import { whyMissing } from '../frame.js';
import { bytes, num, safe } from '../text.js';
import { alarm, toneOf } from '../tones.js';
import { cpuTime, processDetail, processesVM, type ProcessRowVM } from '../view-models/processes.js';
import type { TablePanel } from './types.js';

const key = (p: ProcessRowVM) => String(p.pid);

/**
 * The columns always shown take 42 of the inner width (46 with the slack they always had); the
 * htop columns USER, TIME+, NI, VIRT come in that order as the width allows while COMMAND keeps
 * at least MIN_COMMAND: never a column cut, never a command narrower than before.
 */
const FIXED = 46;
const MIN_COMMAND = 20;
const OPTIONAL = [
  ['user', 8],
  ['time', 9],
  ['nice', 3],
  ['virt', 6],
] as const;
type Optional = (typeof OPTIONAL)[number][0];

/** The optional columns shown at an inner width, and the columns they take with their gaps. */
export function optionalColumns(inner: number): { shown: ReadonlySet<Optional>; used: number } {
  const shown = new Set<Optional>();
  let used = 0;
  for (const [id, w] of OPTIONAL) {
    if (inner - FIXED - used - (w + 1) < MIN_COMMAND) break;
    shown.add(id);
    used += w + 1;
  }
  return { shown, used };
}
const widthOf = (id: Optional, w: number) => (inner: number) => (optionalColumns(inner).shown.has(id) ? w : 0);

/** Processes (thousands: only the rows on screen are formatted), sortable by every column, as a tree with t. */
export const processesPanel: TablePanel<ProcessRowVM> = {
  kind: 'table',
  id: 'processes',
  title: 'Processes',
  selectable: true,
  defaultSort: 'cpu',
  columns: [
    { id: 'pid', title: 'PID', width: 7, align: 'right', value: (p) => String(p.pid), sort: { key: (p) => p.pid, ascending: true } },
    { id: 'user', title: 'USER', width: widthOf('user', 8), value: (p) => p.user || '-', sort: { key: (p) => p.user || undefined, ascending: true } },
    { id: 'nice', title: 'NI', width: widthOf('nice', 3), align: 'right', value: (p) => (p.nice === undefined ? '-' : String(p.nice)), sort: { key: (p) => p.nice } },
    { id: 'state', title: 'S', width: 1, value: (p) => p.state.slice(0, 1), tone: (p) => (p.state === 'D' ? 'warning' : p.state === 'Z' ? 'critical' : undefined), sort: { key: (p) => p.state, ascending: true } },
    { id: 'cpu', title: 'CPU%', width: 6, align: 'right', value: (p) => (p.cpu === undefined ? '-' : p.cpu.toFixed(1)), tone: (p, env) => toneOf(env.tones, env.frame, 'processes.cpu_pct', key(p)), sort: { key: (p) => p.cpu } },
    { id: 'virt', title: 'VIRT', width: widthOf('virt', 6), align: 'right', value: (p) => bytes(p.virt), sort: { key: (p) => p.virt } },
    { id: 'mem', title: 'RSS', width: 6, align: 'right', value: (p) => bytes(p.rss), sort: { key: (p) => p.rss } },
    { id: 'io', title: 'IO/s', width: 6, align: 'right', value: (p) => (p.io === undefined ? '-' : bytes(p.io)), sort: { key: (p) => p.io } },
    { id: 'threads', title: 'THR', width: 4, align: 'right', value: (p) => num(p.threads), sort: { key: (p) => p.threads } },
    { id: 'fds', title: 'FD', width: 5, align: 'right', value: (p) => num(p.fds), tone: (p, env) => alarm(toneOf(env.tones, env.frame, 'processes.fd_pct', key(p))), sort: { key: (p) => p.fds } },
    { id: 'time', title: 'TIME+', width: widthOf('time', 9), align: 'right', value: (p) => cpuTime(p.time), sort: { key: (p) => p.time } },
    {
      id: 'command',
      title: 'COMMAND',
      width: (w) => Math.max(8, w - FIXED - optionalColumns(w).used),
      value: (p, env) => (env.view.tree ? '  '.repeat(Math.min(p.depth, 8)) + (p.depth > 0 ? (env.unicode ? '└ ' : '`-') : '') : '') + (p.cmdline || p.comm),
      sort: { key: (p) => p.cmdline || p.comm, ascending: true },
    },
  ],
  ordersRows: true,
  rows: (frame, view, _env, compare) => processesVM(frame.model, view, compare),
  rowId: key,
  scope: 'process',
  tiebreak: (a, b) => a.pid - b.pid,
  matches: (p, needle) => p.comm.toLowerCase().includes(needle) || p.cmdline.toLowerCase().includes(needle),
  describe: (view) => `${view.tree ? ' tree' : ''}${view.filter ? ` /${safe(view.filter, 20)}` : ''}${view.cgroup ? ` in ${safe(view.cgroup, 30)}` : ''}`,
  empty(f, view) {
    const why = f.source === 'live' && f.tick === 0 && !f.model.tables.processes ? undefined : whyMissing(f.model, 'processes');
    if (why === undefined && !f.model.tables.processes) return { text: 'reading processes…' };
    return why ? { text: why, tone: 'unknown' } : { text: view.filter ? `no process matches ${JSON.stringify(view.filter)}` : 'no processes' };
  },
  onEnter: (p, frame) => ({ kind: 'overlay', content: { title: `Process ${p.pid} ${p.comm}`, lines: processDetail(p, frame.model).map((l) => safe(l)), selectable: 0 }, target: { pid: p.pid } }),
};
