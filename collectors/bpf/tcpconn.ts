import { randomBytes } from 'node:crypto';
import type { ProbeDefinition } from './probe.js';
import { isIP } from 'node:net';
import { addressText, TCP_STATES } from './addresses.js';
import { cString } from './cstring.js';
import { structLayout } from './layout.js';
import { ringRecords } from './session.js';
import { RUN_FIELDS, runValues } from './tables.js';
import { endpoint } from './tcpretrans.js';
import { gauge } from '../../src/core/fields.js';

/** native/bpf/tcpconn.h: struct tcp_event (ring-buffer record, one per state change). */
export const TCP_EVENT = structLayout('tcpconn', 'tcp_event', 112, {
  ts_ns: [0, 8],
  skaddr: [8, 8],
  latency_ns: [16, 8],
  lifetime_ns: [24, 8],
  tgid: [32, 4],
  pid: [36, 4],
  netns: [40, 4],
  error: [44, 4],
  family: [48, 2],
  sport: [50, 2],
  dport: [52, 2],
  oldstate: [54, 1],
  newstate: [55, 1],
  saddr: [56, 16],
  daddr: [72, 16],
  comm: [88, 16],
  flags: [104, 4],
});

/** native/bpf/tcpconn.h: struct tcp_sk_info (value of the `socks` map; read by no decoder, its layout kept honest). */
export const TCP_SK_INFO = structLayout('tcpconn', 'tcp_sk_info', 40, { birth_ns: [0, 8], syn_ns: [8, 8], tgid: [16, 4], pid: [20, 4], comm: [24, 16] });

const FLAG_LATENCY = 1;
const FLAG_LIFETIME = 2;

/** The errno values a TCP socket closes with (include/uapi/asm-generic/errno.h). */
export const SOCKET_ERRORS: Readonly<Record<number, string>> = { 104: 'ECONNRESET', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH', 101: 'ENETUNREACH', 32: 'EPIPE' };

export interface TcpStateChange {
  readonly tsNs: number;
  /** The socket within this run (its kernel address XOR a random per-run salt, hex). */
  readonly socket: string;
  readonly tgid: number;
  readonly pid: number;
  readonly comm: string;
  readonly netns: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly local: string;
  readonly remote: string;
  /** Ports as numbers (0: not bound yet, or released at CLOSE). */
  readonly sport: number;
  readonly dport: number;
  readonly from: string;
  readonly to: string;
  /** sk_err at the change, named (ECONNREFUSED) or a number; undefined when 0. */
  readonly error: string | undefined;
  /** SYN_SENT -> ESTABLISHED (ns), on that change only. */
  readonly connectNs: number | undefined;
  /** Birth -> CLOSE (ns), on the CLOSE of a socket born in the window. */
  readonly lifetimeNs: number | undefined;
}

function exact(rec: Buffer, at: number): number | undefined {
  const v = rec.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
}

const state = (n: number): string => TCP_STATES[n] ?? `state ${n}`;

/** One record, or undefined when it is short or holds values no kernel writes. */
export function decodeTcpEvent(rec: Buffer): TcpStateChange | undefined {
  if (rec.length < TCP_EVENT.size) return undefined;
  const m = TCP_EVENT.members;
  const ts = exact(rec, m.ts_ns.offset);
  const lat = exact(rec, m.latency_ns.offset);
  const life = exact(rec, m.lifetime_ns.offset);
  if (ts === undefined || lat === undefined || life === undefined) return undefined;
  const familyNum = rec.readUInt16LE(m.family.offset);
  if (familyNum !== 2 && familyNum !== 10) return undefined;
  const family = familyNum === 10 ? 'ipv6' : 'ipv4';
  const flags = rec.readUInt32LE(m.flags.offset);
  const err = rec.readInt32LE(m.error.offset);
  const addr = (f: { offset: number; size: number }): string => addressText(rec.subarray(f.offset, f.offset + f.size), familyNum);
  const sport = rec.readUInt16LE(m.sport.offset);
  const dport = rec.readUInt16LE(m.dport.offset);
  return {
    tsNs: ts,
    socket: rec.readBigUInt64LE(m.skaddr.offset).toString(16),
    tgid: rec.readUInt32LE(m.tgid.offset),
    pid: rec.readUInt32LE(m.pid.offset),
    comm: cString(rec, m.comm.offset, m.comm.size),
    netns: rec.readUInt32LE(m.netns.offset),
    family,
    local: endpoint(addr(m.saddr), sport, family),
    remote: endpoint(addr(m.daddr), dport, family),
    sport,
    dport,
    from: state(rec.readUInt8(m.oldstate.offset)),
    to: state(rec.readUInt8(m.newstate.offset)),
    error: err === 0 ? undefined : (SOCKET_ERRORS[Math.abs(err)] ?? `errno ${Math.abs(err)}`),
    connectNs: (flags & FLAG_LATENCY) !== 0 ? lat : undefined,
    lifetimeNs: (flags & FLAG_LIFETIME) !== 0 ? life : undefined,
  };
}

export interface TcpConnection {
  readonly socket: string;
  readonly tgid: number;
  readonly comm: string;
  readonly netns: number;
  readonly local: string;
  readonly remote: string;
  /** active: this host connected; passive: accepted; listen: a listener; unknown: born before the window. */
  readonly direction: 'active' | 'passive' | 'listen' | 'unknown';
  /** States in order, the first being the one it left at its first change seen. */
  readonly states: readonly string[];
  readonly connectNs: number | undefined;
  readonly lifetimeNs: number | undefined;
  /** How it ended: closed (no error), refused, reset, timed out; open when not closed in the window. */
  readonly outcome: 'open' | 'closed' | 'refused' | 'reset' | 'timed-out' | 'error';
  readonly error: string | undefined;
}

export interface RemoteSummary {
  readonly remote: string;
  readonly netns: number;
  readonly attempts: number;
  readonly established: number;
  readonly refused: number;
  readonly reset: number;
  readonly timedOut: number;
  /** Connect latencies (ns) of the connections to it that were established: exact. */
  readonly connectMinNs: number | undefined;
  readonly connectAvgNs: number | undefined;
  readonly connectMaxNs: number | undefined;
}

export interface TcpconnResult {
  readonly changes: readonly TcpStateChange[];
  readonly dropped: number;
  readonly connections: readonly TcpConnection[];
  /** Per remote endpoint of active connections: attempts, outcomes, connect latency. */
  readonly remotes: readonly RemoteSummary[];
}

function outcomeOf(last: TcpStateChange | undefined): { outcome: TcpConnection['outcome']; error: string | undefined } {
  if (last?.to !== 'CLOSE') return { outcome: 'open', error: undefined };
  switch (last.error) {
    case undefined:
      return { outcome: 'closed', error: undefined };
    case 'ECONNREFUSED':
      return { outcome: 'refused', error: last.error };
    case 'ECONNRESET':
    case 'EPIPE':
      return { outcome: 'reset', error: last.error };
    case 'ETIMEDOUT':
      return { outcome: 'timed-out', error: last.error };
    default:
      return { outcome: 'error', error: last.error };
  }
}

/** Connections (one per socket life: a socket address reused after CLOSE starts a new one) and per-remote summaries. */
export function summariseTcp(changes: readonly TcpStateChange[], dropped = 0): TcpconnResult {
  const lives: TcpStateChange[][] = [];
  const open = new Map<string, TcpStateChange[]>();
  for (const c of changes) {
    let life = open.get(c.socket);
    if (!life) {
      life = [];
      lives.push(life);
      open.set(c.socket, life);
    }
    life.push(c);
    if (c.to === 'CLOSE') open.delete(c.socket);
  }
  const connections: TcpConnection[] = lives.map((life) => {
    const first = life[0]!;
    const last = life[life.length - 1];
    const owner = life.find((c) => c.tgid !== 0);
    const direction = first.to === 'SYN_SENT' ? 'active' : first.to === 'SYN_RECV' ? 'passive' : first.to === 'LISTEN' ? 'listen' : 'unknown';
    // a connect binds the local port after SYN_SENT; CLOSE has released it: the last change that has each
    const withLocal = [...life].reverse().find((c) => c.sport !== 0) ?? last;
    const withRemote = [...life].reverse().find((c) => c.dport !== 0) ?? last;
    return {
      socket: first.socket,
      tgid: owner?.tgid ?? 0,
      comm: owner?.comm ?? '',
      netns: first.netns,
      local: withLocal?.local ?? first.local,
      remote: withRemote?.remote ?? first.remote,
      direction,
      states: [first.from, ...life.map((c) => c.to)],
      connectNs: life.find((c) => c.connectNs !== undefined)?.connectNs,
      lifetimeNs: last?.lifetimeNs,
      ...outcomeOf(last),
    };
  });
  const byRemote = new Map<string, TcpConnection[]>();
  for (const c of connections) {
    if (c.direction !== 'active') continue;
    const k = `${c.remote}@${c.netns}`;
    byRemote.set(k, [...(byRemote.get(k) ?? []), c]);
  }
  const remotes: RemoteSummary[] = [...byRemote.values()]
    .map((list) => {
      const lat = list.map((c) => c.connectNs).filter((x): x is number => x !== undefined);
      return {
        remote: list[0]!.remote,
        netns: list[0]!.netns,
        attempts: list.length,
        established: lat.length,
        refused: list.filter((c) => c.outcome === 'refused').length,
        reset: list.filter((c) => c.outcome === 'reset').length,
        timedOut: list.filter((c) => c.outcome === 'timed-out').length,
        connectMinNs: lat.length === 0 ? undefined : Math.min(...lat),
        connectAvgNs: lat.length === 0 ? undefined : lat.reduce((a, b) => a + b, 0) / lat.length,
        connectMaxNs: lat.length === 0 ? undefined : Math.max(...lat),
      };
    })
    .sort((a, b) => b.attempts - a.attempts);
  return { changes, dropped, connections, remotes };
}

/** A --remote filter: the peer's address (and port; 0: any). */
export interface RemoteFilter {
  readonly family: 'ipv4' | 'ipv6';
  /** Network order, 4 bytes (IPv4) or 16 (IPv6). */
  readonly addr: Buffer;
  readonly port: number;
}

/** `ADDR[:PORT]`: 10.0.0.5, 10.0.0.5:443, ::1, [::1]:443, [2001:db8::1]. Pure; undefined with why when invalid. */
export function parseRemote(text: string): { ok: true; value: RemoteFilter } | { ok: false; error: string } {
  const t = text.trim();
  let host = t;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (isIP(t) === 0) {
    const m = /^([^:]+):(\d+)$/.exec(t);
    if (m) {
      host = m[1]!;
      portText = m[2];
    }
  }
  const kind = isIP(host);
  if (kind === 0) return { ok: false, error: `expected ADDR[:PORT] (an IPv4 or IPv6 address, IPv6 with a port in brackets: [::1]:443), got ${JSON.stringify(text.slice(0, 80))}` };
  if (bracket && kind !== 6) return { ok: false, error: `brackets are for IPv6 addresses, got ${JSON.stringify(text.slice(0, 80))}` };
  const port = portText === undefined ? 0 : Number(portText);
  if (portText !== undefined && (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)) return { ok: false, error: `port must be 1 to 65535, got ${JSON.stringify(portText)}` };
  const addr = kind === 4 ? Buffer.from(host.split('.').map(Number)) : ipv6Bytes(host);
  return { ok: true, value: { family: kind === 4 ? 'ipv4' : 'ipv6', addr, port } };
}

/** The 16 bytes of a valid IPv6 address (net.isIP said so), an embedded IPv4 tail included. */
function ipv6Bytes(host: string): Buffer {
  let h = host.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    h = h.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = h.split('::');
  const words = (x: string) => (x === '' ? [] : x.split(':').map((w) => parseInt(w, 16)));
  const hw = words(head);
  const tw = tail === undefined ? [] : words(tail);
  const all = [...hw, ...new Array<number>(8 - hw.length - tw.length).fill(0), ...tw];
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

/** TCP connections: connect latency per remote, lifetimes, state changes (text: src/report/probe-text.ts). */
export function tcpconnProbe(opts: { remote?: RemoteFilter } = {}): ProbeDefinition<TcpconnResult> {
  const remote = opts.remote;
  return {
    id: 'tcpconn',
    title: 'TCP connections: connect latency per remote, lifetimes, state changes, refused/reset',
    object: 'tcpconn',
    layouts: [TCP_EVENT, TCP_SK_INFO],
    variants: [
      { hook: 'tp_btf', programs: ['state_btf'] },
      { hook: 'raw_tp', programs: ['state_raw'] },
    ],
    filter: true,
    settings: ['remote'],
    configure(obj) {
      obj.setGlobal('sk_salt', randomBytes(8));
      if (remote) {
        const u16 = (n: number) => {
          const b = Buffer.alloc(2);
          b.writeUInt16LE(n);
          return b;
        };
        obj.setGlobal('remote_family', u16(remote.family === 'ipv4' ? 2 : 10));
        obj.setGlobal('remote_port', u16(remote.port));
        const a = Buffer.alloc(16);
        remote.addr.copy(a);
        obj.setGlobal('remote_addr', a);
      }
    },
    maps: [],
    rings: ['events'],
    ringLimit: 200_000,
    carries: ['addresses'],
    decode(cap) {
      const ring = cap.rings.events;
      const changes: TcpStateChange[] = [];
      for (const rec of ringRecords(ring?.batch ?? Buffer.alloc(0))) {
        const e = decodeTcpEvent(rec);
        if (e) changes.push(e);
      }
      return summariseTcp(changes, ring?.dropped ?? 0);
    },
    collector: {
      resources: ['network'],
      tables: {
        tcpconn_remote: {
          title: 'TCP connects per remote endpoint over the probe\'s run: attempts, outcomes, connect latency (SYN sent to established)',
          scope: 'flow',
          fields: {
            attempts: gauge('connections attempted'),
            established: gauge('connections established'),
            refused: gauge('connections refused (RST to the SYN)'),
            reset: gauge('connections reset'),
            timed_out: gauge('connections timed out'),
            connect_avg_ms: gauge('connect latency, mean', 'ms'),
            connect_max_ms: gauge('connect latency, longest', 'ms'),
          },
        },
        tcpconn_summary: { title: 'TCP connection probe: state changes, connections, duration and lost events', scope: 'host', fields: { changes: gauge('state changes'), connections: gauge('connections seen'), ...RUN_FIELDS } },
      },
      rows: (r, cap) => {
        const ms = (ns: number | undefined): number | undefined => (ns === undefined ? undefined : Math.round(ns / 1e3) / 1e3);
        return {
          tcpconn_remote: r.remotes.map((x) => ({
            key: `${x.remote}@${x.netns}`,
            labels: { remote: x.remote, netns: String(x.netns) },
            values: { attempts: x.attempts, established: x.established, refused: x.refused, reset: x.reset, timed_out: x.timedOut, connect_avg_ms: ms(x.connectAvgNs), connect_max_ms: ms(x.connectMaxNs) },
          })),
          tcpconn_summary: [{ key: 'host', values: { changes: r.changes.length, connections: r.connections.length, ...runValues(cap) } }],
        };
      },
    },
  };
}
