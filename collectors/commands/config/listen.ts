import type { Row } from '../../../src/core/collector.js';
import { ok, unavailable, type Outcome } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { mapLimited } from '../limit.js';
import { socketTable } from '../sockets/collector.js';
import type { SocketOwners } from '../sockets/owners.js';
import type { SsSocket } from '../sockets/parse.js';
import { parseSysctlNumber, parseTcpListeners } from './parse.js';

/**
 * Listening TCP sockets against the listen backlog limit of their network namespace
 * (net.core.somaxconn is per namespace): the backlog a socket got is min(what listen() asked,
 * somaxconn) at the time of listen(), and ss -l shows it as Send-Q, the accept queue as Recv-Q.
 */

/** The kernel default since Linux 5.4 (include/linux/socket.h SOMAXCONN, commit 19f92a030ca6); 128 before. */
export const SOMAXCONN_DEFAULT = 4096;
/** Other network namespaces entered per collection (those with listening sockets, lowest PID first). */
export const LISTEN_NETNS_MAX = 16;

/** `-l`: listening only; `-e`: the inode (owners are found by it); no -p (see the sockets collector). */
export const SS_LISTEN_ARGS = ['-t', '-l', '-n', '-e', '-H'] as const;

/** One network namespace to look at: diag's own, or another held by a process. */
export interface ListenNs {
  readonly inode: string;
  readonly self: boolean;
  readonly pid: number;
  readonly members: readonly number[];
  readonly display: string;
}

/** Rows of one namespace (pure): per listening socket, its backlog, its queue and the owner. */
export function listenRows(sockets: readonly SsSocket[], owners: SocketOwners): Row[] {
  const seen = new Map<string, number>();
  const rows: Row[] = [];
  for (const s of sockets) {
    if (s.state !== 'LISTEN') continue;
    let key = s.local;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n > 1) key = `${key} (${n})`;
    const users = s.users.length > 0 ? s.users : s.ino ? (owners.get(s.ino) ?? []) : [];
    const labels: Record<string, string> = { local: s.local };
    if (users.length > 0) {
      labels.process = [...new Set(users.map((u) => u.name))].join(', ');
      const pids = [...new Set(users.map((u) => u.pid).filter((p): p is number => p !== undefined))];
      if (pids.length > 0) labels.pid = pids.join(',');
    }
    const backlog = s.sendQ;
    rows.push({
      key,
      labels,
      values: {
        backlog,
        queued: s.recvQ,
        // the queue is full when it holds more than the backlog (sk_acceptq_is_full: >)
        queue_pct: backlog > 0 ? (100 * s.recvQ) / backlog : undefined,
      },
    });
  }
  return rows;
}

/**
 * The namespace's somaxconn on a row (pure): `capped` is 1 when the socket's backlog is the
 * somaxconn cap and that cap is below the kernel's default (the application asked for at least
 * that much and got less than a default kernel would give).
 */
export function withSomaxconn(row: Row, somaxconn: number | undefined): Row {
  const backlog = row.values.backlog;
  const capped = somaxconn === undefined || backlog === undefined ? undefined : backlog >= somaxconn && somaxconn < SOMAXCONN_DEFAULT ? 1 : 0;
  return { ...row, values: { ...row.values, somaxconn, capped } };
}

/** Whether a namespace has listening TCP sockets, from its member's /proc/PID/net/tcp{,6} (no command). */
export function hasListeners(src: Source, pid: number): boolean {
  for (const f of ['tcp', 'tcp6']) {
    const r = readParsed(src, `/proc/${pid}/net/${f}`, parseTcpListeners);
    if (r.status === 'ok' && r.value > 0) return true;
  }
  return false;
}

async function somaxconnIn(src: Source, ns: ListenNs): Promise<Outcome<number>> {
  if (ns.self) return readParsed(src, '/proc/sys/net/core/somaxconn', parseSysctlNumber);
  // /proc/sys/net is the reader's namespace: read it from inside
  const r = await runTool(src, { cmd: 'cat', args: ['/proc/sys/net/core/somaxconn'], netnsPid: ns.pid });
  if (r.status !== 'ok') return r;
  const p = parseSysctlNumber(r.value);
  return p.ok ? ok(p.value) : unavailable('parse', p.error.message);
}

/** The listen rows of one namespace. */
export async function listenOf(src: Source, ns: ListenNs): Promise<Outcome<Row[]>> {
  const [max, table] = await Promise.all([
    somaxconnIn(src, ns),
    socketTable(src, SS_LISTEN_ARGS, ns.self ? {} : { netnsPid: ns.pid, netnsMembers: ns.members }, listenRows),
  ]);
  if (table.status !== 'ok') return table;
  const somaxconn = max.status === 'ok' ? max.value : undefined;
  const rows = table.value.map((r) => withSomaxconn(ns.self ? r : { ...r, labels: { ...r.labels, netns: ns.inode, netns_display: ns.display } }, somaxconn));
  return ok(rows, max.status === 'ok' ? undefined : [`net.core.somaxconn unreadable: ${max.reason}`]);
}

/** Every namespace's rows: diag's own, and up to LISTEN_NETNS_MAX others that have listening sockets. */
export async function listenTables(src: Source, namespaces: readonly ListenNs[]): Promise<{ own: Outcome<Row[]>; others: Outcome<Row[]> }> {
  const self = namespaces.find((n) => n.self);
  const others = namespaces.filter((n) => !n.self && hasListeners(src, n.pid)).slice(0, LISTEN_NETNS_MAX);
  const [own, ...rest] = await mapLimited([...(self ? [self] : []), ...others], 4, (n) => listenOf(src, n));
  const ownOut = self && own ? own : unavailable('not-found', "diag's own network namespace was not found in /proc/self/ns/net");
  const otherRows: Row[] = [];
  const notes: string[] = [];
  (self ? rest : [own, ...rest]).forEach((o, i) => {
    if (o === undefined) return;
    const ns = others[i]!;
    if (o.status === 'ok') for (const r of o.value) otherRows.push({ ...r, key: `${ns.inode}/${r.key}` });
    else notes.push(`${ns.display} (netns ${ns.inode}): ${o.reason}`);
  });
  return { own: ownOut, others: ok(otherRows, notes.length > 0 ? notes.slice(0, 5) : undefined) };
}
