import { parseScope } from '../../core/entity.js';
import type { Culprit } from '../../engine/report-schema.js';
import { culpritText } from '../../report/culprit-text.js';
import { rowsOf, type Frame } from '../frame.js';
import type { Action } from '../state.js';
import { safe } from '../text.js';
import { panelForScope } from './index.js';

/**
 * Where a culprit can be seen on the dashboard, and culprits as rows of an overlay that go
 * there on Enter. A process, a cgroup, a device or an interface has a row of its own; a socket
 * is shown by its owner process; a network namespace (and a qdisc, an interface, a socket seen
 * inside one) by its member processes; an event (an OOM kill) by the cgroup it happened in.
 */
export interface CulpritView {
  readonly action: Action;
  /** What Enter shows, for a hint: "Processes 941", "processes of netns blue". */
  readonly label: string;
}

const firstPid = (list: string | undefined): number | undefined => {
  const m = /^\s*(\d+)/.exec(list ?? '');
  return m ? Number(m[1]) : undefined;
};

/** Member PIDs of a network namespace the frame knows (the namespaces table lists them). */
function netnsMembers(frame: Frame | undefined, inode: string): number[] {
  if (!frame) return [];
  const row = rowsOf(frame.model, 'namespaces').find((r) => r.key === `net:${inode}`);
  return (row?.labels.pids ?? '')
    .split(' ')
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

const hasProcess = (frame: Frame | undefined, pid: number): boolean => frame !== undefined && rowsOf(frame.model, 'processes').some((r) => r.key === String(pid));

function jump(panel: 'processes' | 'cgroups', id: string, title: string): CulpritView {
  return { action: { type: 'jump', panel, id }, label: `${title} ${id}` };
}

export function culpritView(c: Culprit, frame: Frame | undefined): CulpritView | undefined {
  const own = panelForScope(c.entity.id);
  if (own) return { action: { type: 'jump', panel: own.panel, id: own.id }, label: `${own.title} ${own.id}` };
  const e = parseScope(c.entity.id);
  const ns = e.kind === 'netns' && e.within === undefined ? e : e.within?.kind === 'netns' ? e.within : undefined;
  if (e.kind === 'socket' || e.kind === 'event') {
    const pid = firstPid(c.identity.pid);
    // an event's process (an OOM victim) is gone: its cgroup is what is left to look at
    if (pid !== undefined && (e.kind === 'socket' || hasProcess(frame, pid))) return jump('processes', String(pid), 'Processes');
  }
  if (ns) {
    const name = c.identity.netns_name ?? (e.kind === 'netns' ? c.identity.names : undefined);
    const what = `netns ${name ?? ns.key}`;
    const pids = netnsMembers(frame, ns.key);
    if (pids.length > 0) return { action: { type: 'show-processes', filter: `pid:${pids.join(',')}`, what }, label: `processes of ${what}` };
    const cg = (c.identity.cgroups ?? '').split(' ')[0];
    if (cg?.startsWith('/')) return { action: { type: 'show-processes', cgroup: cg, what: `${what} (cgroup ${cg})` }, label: `processes of ${what}` };
    return undefined;
  }
  const cg = c.identity.cgroup;
  return cg?.startsWith('/') ? jump('cgroups', cg, 'Cgroups') : undefined;
}

/** Culprits as selectable overlay rows: the head line, its identity under it, Enter going to its view. */
export interface CulpritRows {
  readonly lines: string[];
  readonly details: (string | undefined)[];
  readonly actions: (Action | undefined)[];
  /** How many of them Enter can go to. */
  readonly jumps: number;
}

export function culpritRows(culprits: readonly Culprit[], frame: Frame | undefined): CulpritRows {
  const lines: string[] = [];
  const details: (string | undefined)[] = [];
  const actions: (Action | undefined)[] = [];
  let jumps = 0;
  for (const c of culprits) {
    const t = culpritText(c);
    const v = culpritView(c, frame);
    lines.push(safe(t.head));
    details.push(t.detail ? safe(t.detail) : undefined);
    actions.push(v?.action);
    if (v) jumps++;
  }
  return { lines, details, actions, jumps };
}
