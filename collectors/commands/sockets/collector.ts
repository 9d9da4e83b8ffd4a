import type { CollectContext, Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { failed, ok, type Outcome } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { netnsEntry } from '../netns.js';
import { OWNER_SCAN_BUDGET_MS, socketOwners, socketOwnersAmong, type SocketOwners } from './owners.js';
import { parseSsSockets, parseSsSummary, type SsSocket } from './parse.js';

/** ss output for tens of thousands of sockets with -i is large; beyond this we say so. */
const SS_MAX_BYTES = 64 * 1024 * 1024;

/**
 * -t/-u: protocol; -a: listening and unconnected too; -n: numeric; -i: TCP internals; -e: uid,
 * inode, cgroup; -m: socket memory incl. drops; -O: one line per socket; -H: no header.
 * TIME-WAIT sockets have no owner and no queues: counted by `ss -s`. No -p: it makes ss scan
 * every /proc/PID/fd on each run (~20x the cost of the rest here); diag maps inodes to owners
 * with one scan per sample shared by all namespaces (owners.ts).
 */
export const SS_TCP_ARGS = ['-t', '-a', '-n', '-i', '-e', '-m', '-O', '-H', 'exclude', 'time-wait'] as const;
export const SS_UDP_ARGS = ['-u', '-a', '-n', '-e', '-m', '-O', '-H'] as const;

/** iproute2 older than 4.19 has no -O, older than 4.13 no -H: the parser reads both layouts. */
const stripNewFlags = (args: readonly string[]) => args.filter((a) => a !== '-O' && a !== '-H');

type Entry = ReturnType<typeof netnsEntry>;

async function runSs(src: Source, args: readonly string[], ns: Entry): Promise<Outcome<string>> {
  const r = await runTool(src, { cmd: 'ss', args, ...ns, maxBytes: SS_MAX_BYTES });
  if (r.status !== 'ok' && r.code === 'bad-option') {
    return runTool(src, { cmd: 'ss', args: stripNewFlags(args), ...ns, maxBytes: SS_MAX_BYTES });
  }
  return r;
}

function processLabels(s: SsSocket, owners: SocketOwners | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  // ss -p output (older captures) names the owners itself; otherwise the inode tells.
  const users = s.users.length > 0 ? s.users : s.ino !== undefined && s.ino !== 0 ? (owners?.get(s.ino) ?? []) : [];
  if (users.length > 0) {
    out.process = [...new Set(users.map((u) => u.name))].join(', ');
    const pids = [...new Set(users.map((u) => u.pid).filter((p): p is number => p !== undefined))];
    if (pids.length > 0) out.pid = pids.join(',');
  }
  if (s.cgroup !== undefined) out.cgroup = s.cgroup;
  if (s.uid !== undefined) out.uid = String(s.uid);
  return out;
}

/** Stable key of a socket: its address pair, plus the inode for listening/unconnected ones
 * (SO_REUSEPORT lets several share one address). Duplicates get a suffix. */
function keyer(): (s: SsSocket) => string {
  const seen = new Map<string, number>();
  return (s) => {
    const unconnected = s.state === 'LISTEN' || s.state === 'UNCONN';
    let k = `${s.local} ${s.peer}${unconnected && s.ino !== undefined && s.ino !== 0 ? ` #${s.ino}` : ''}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n > 1) k = `${k} (${n})`;
    return k;
  };
}

export function tcpRows(sockets: readonly SsSocket[], owners?: SocketOwners): Row[] {
  const key = keyer();
  return sockets.map((s) => {
    const listen = s.state === 'LISTEN';
    const i = s.info;
    return {
      key: key(s),
      labels: { state: s.state, local: s.local, peer: s.peer, ...(s.cc ? { cc: s.cc } : {}), ...processLabels(s, owners) },
      values: {
        recv_q: listen ? undefined : s.recvQ,
        send_q: listen ? undefined : s.sendQ,
        accept_queue: listen ? s.recvQ : undefined,
        accept_limit: listen ? s.sendQ : undefined,
        rtt: i.rtt,
        rttvar: i.rttvar,
        rto: i.rto,
        cwnd: i.cwnd,
        ssthresh: i.ssthresh,
        unacked: i.unacked,
        lost: i.lost,
        retrans: i.retrans,
        retrans_total: i.retrans_total,
        bytes_retrans: i.bytes_retrans,
        segs_out: i.segs_out,
        bytes_sent: i.bytes_sent,
        bytes_received: i.bytes_received,
        delivery_rate: i.delivery_rate === undefined ? undefined : i.delivery_rate / 1e6,
        drops: s.skmem?.d,
      },
    };
  });
}

export function udpRows(sockets: readonly SsSocket[], owners?: SocketOwners): Row[] {
  const key = keyer();
  return sockets.map((s) => ({
    key: key(s),
    labels: { state: s.state, local: s.local, peer: s.peer, ...processLabels(s, owners) },
    values: { recv_q: s.recvQ, send_q: s.sendQ, rmem: s.skmem?.r, rcvbuf: s.skmem?.rb, drops: s.skmem?.d },
  }));
}

/**
 * One socket table (`ss` with SS_TCP_ARGS or SS_UDP_ARGS) in the namespace the context observes,
 * with the owners of its sockets: among `ctx.netnsMembers` when the caller knows who lives there
 * (the namespaces sweep), else from the host-wide /proc/PID/fd scan.
 */
export async function socketTable(src: Source, args: readonly string[], ctx: Pick<CollectContext, 'netnsPid' | 'netnsPath' | 'netnsMembers'>, toRows: (s: readonly SsSocket[], owners: SocketOwners) => Row[]): Promise<Outcome<Row[]>> {
  const out = await runSs(src, args, netnsEntry(ctx));
  if (out.status !== 'ok') return out;
  const p = parseSsSockets(out.value);
  if (!p.ok) return failed('parse', p.error.message, p.error);
  // After ss answered, so the map is at least as new as the sockets it names.
  const wanted = p.value.sockets.filter((s) => s.users.length === 0 && s.ino !== undefined && s.ino !== 0).map((s) => s.ino!);
  if (wanted.length === 0) return ok(toRows(p.value.sockets, new Map()));
  if (ctx.netnsMembers !== undefined) return ok(toRows(p.value.sockets, socketOwnersAmong(src, wanted, ctx.netnsMembers)));
  const { owners, truncated } = socketOwners(src, wanted);
  return ok(toRows(p.value.sockets, owners), truncated ? [`socket owners: the /proc/PID/fd scan stopped after its ${OWNER_SCAN_BUDGET_MS} ms budget; some sockets have no process`] : undefined);
}

export const socketsCollector: Collector = {
  id: 'sockets',
  title: 'TCP and UDP sockets: queues, listen backlog, retransmits, RTT, drops and owners (ss)',
  origin: 'commands',
  resources: ['network'],
  inputs: [`ss ${SS_TCP_ARGS.join(' ')}`, `ss ${SS_UDP_ARGS.join(' ')}`, 'ss -s', '/proc/PID/fd/* (socket owners, one scan per sample)', '/proc/PID/comm'],
  netns: true,
  tables: {
    tcp_sockets: {
      title: 'TCP sockets (not TIME-WAIT); LISTEN rows show the accept queue against its limit',
      scope: 'socket',
      relations: { process: 'pid', cgroup: 'cgroup' },
      identityFields: ['accept_limit'],
      fields: {
        recv_q: gauge('bytes received, not read by the application', 'bytes'),
        send_q: gauge('bytes sent, not acknowledged', 'bytes'),
        accept_queue: gauge('LISTEN: connections waiting for accept()'),
        accept_limit: gauge('LISTEN: accept queue limit (backlog)'),
        rtt: gauge('smoothed round-trip time', 'ms'),
        rttvar: gauge('round-trip time variation', 'ms'),
        rto: gauge('retransmission timeout', 'ms'),
        cwnd: gauge('congestion window (segments)'),
        ssthresh: gauge('slow start threshold (segments)'),
        unacked: gauge('segments in flight'),
        lost: gauge('segments considered lost'),
        retrans: gauge('segments being retransmitted now'),
        retrans_total: counter('retransmitted segments', 'count', { bits: 32 }),
        bytes_retrans: counter('retransmitted bytes', 'bytes'),
        segs_out: counter('segments sent', 'count', { bits: 32 }),
        bytes_sent: counter('bytes sent', 'bytes'),
        bytes_received: counter('bytes received', 'bytes'),
        delivery_rate: gauge('delivery rate', 'Mb/s'),
        drops: counter('packets dropped at this socket (sk_drops)', 'count', { bits: 32 }),
      },
      derived: {
        accept_queue_pct: derived('LISTEN: accept queue fill', 'percent'),
        retrans_pct: derived('retransmitted / sent segments over the window', 'percent'),
      },
      derive: (w) => {
        const q = w.value('accept_queue');
        const lim = w.value('accept_limit');
        const r = w.delta('retrans_total');
        const s = w.delta('segs_out');
        return {
          accept_queue_pct: q !== undefined && lim !== undefined && lim > 0 ? (100 * q) / lim : undefined,
          retrans_pct: r !== undefined && s !== undefined && s > 0 ? (100 * r) / s : undefined,
        };
      },
    },
    udp_sockets: {
      title: 'UDP sockets: queues, receive buffer use and drops',
      scope: 'socket',
      relations: { process: 'pid', cgroup: 'cgroup' },
      identityFields: ['rcvbuf'],
      fields: {
        recv_q: gauge('bytes queued for the application', 'bytes'),
        send_q: gauge('bytes queued for sending', 'bytes'),
        rmem: gauge('receive memory in use', 'bytes'),
        rcvbuf: gauge('receive buffer size (SO_RCVBUF)', 'bytes'),
        drops: counter('datagrams dropped (receive buffer full, checksum...)', 'count', { bits: 32 }),
      },
      derived: { rcvbuf_pct: derived('receive buffer fill', 'percent') },
      derive: (w) => {
        const r = w.value('rmem');
        const b = w.value('rcvbuf');
        return { rcvbuf_pct: r !== undefined && b !== undefined && b > 0 ? (100 * r) / b : undefined };
      },
    },
    socket_summary: {
      title: 'Socket totals (ss -s)',
      scope: 'host',
      fields: {
        total: gauge('sockets of all kinds'),
        tcp: gauge('TCP sockets'),
        tcp_estab: gauge('TCP established'),
        tcp_closed: gauge('TCP closed'),
        tcp_orphaned: gauge('TCP orphaned (no owning process)'),
        tcp_timewait: gauge('TCP TIME-WAIT'),
        udp: gauge('UDP sockets'),
        raw: gauge('raw sockets'),
        frag: gauge('IP fragments queued'),
      },
    },
  },
  async collect(src: Source, ctx: CollectContext): Promise<TableOutcomes> {
    const [tcp, udp, summary] = await Promise.all([
      socketTable(src, SS_TCP_ARGS, ctx, tcpRows),
      socketTable(src, SS_UDP_ARGS, ctx, udpRows),
      (async (): Promise<Outcome<Row[]>> => {
        const out = await runSs(src, ['-s'], netnsEntry(ctx));
        if (out.status !== 'ok') return out;
        const p = parseSsSummary(out.value);
        if (!p.ok) return failed('parse', p.error.message, p.error);
        const s = p.value;
        const tr = s.transports;
        return ok([{
          key: 'host',
          values: {
            total: s.total, tcp: s.tcp.total, tcp_estab: s.tcp.estab, tcp_closed: s.tcp.closed, tcp_orphaned: s.tcp.orphaned, tcp_timewait: s.tcp.timewait,
            udp: tr.udp?.total, raw: tr.raw?.total, frag: tr.frag?.total,
          },
        }]);
      })(),
    ]);
    return { tcp_sockets: tcp, udp_sockets: udp, socket_summary: summary };
  },
};
