import type { Collector, Row, TableOutcomes, TableSpec } from '../../../src/core/collector.js';
import { counter, derived, gauge, type FieldSpec } from '../../../src/core/fields.js';
import { map, ok, unavailable, type Outcome, type OutcomeCode } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { parseSnmp, parseSnmp6, parseSockstat, parseSoftnetStat, parseSysctlInts, parseSysctlOutput, type SnmpTables, type SockStat } from './parse.js';

/*
 * Field names are the kernel's own (Tcp.RetransSegs is metric tcp.RetransSegs, nstat's
 * TcpRetransSegs), so they can be looked up in the kernel's documentation and in nstat output.
 * Counters are 64-bit on 64-bit kernels; on 32-bit kernels a wrap reads as a reset (missing).
 */
const c = (title: string, extra: Partial<FieldSpec> = {}) => counter(title, 'count', extra);

const TCP_FIELDS: Record<string, FieldSpec> = {
  RtoMin: gauge('minimum retransmission timeout', 'ms'),
  RtoMax: gauge('maximum retransmission timeout', 'ms'),
  MaxConn: gauge('connection limit (-1: none)'),
  ActiveOpens: c('connections opened actively (connect)'),
  PassiveOpens: c('connections accepted (passive opens)'),
  AttemptFails: c('connection attempts failed (SYN-SENT/SYN-RECV -> CLOSED/LISTEN)'),
  EstabResets: c('established connections reset'),
  CurrEstab: gauge('connections ESTABLISHED or CLOSE-WAIT now'),
  InSegs: c('segments received'),
  OutSegs: c('segments sent (including retransmissions)'),
  RetransSegs: c('segments retransmitted'),
  InErrs: c('segments received in error'),
  OutRsts: c('resets sent'),
  InCsumErrors: c('segments with a bad checksum'),
};

const UDP_FIELDS: Record<string, FieldSpec> = {
  InDatagrams: c('datagrams delivered'),
  NoPorts: c('datagrams to a port nobody listens on'),
  InErrors: c('datagrams not delivered (buffer full, checksum...)'),
  OutDatagrams: c('datagrams sent'),
  RcvbufErrors: c('datagrams dropped: receive buffer full'),
  SndbufErrors: c('datagrams dropped: send buffer full'),
  InCsumErrors: c('datagrams with a bad checksum'),
  IgnoredMulti: c('broadcast/multicast datagrams nobody wanted'),
  MemErrors: c('datagrams dropped: socket memory limit'),
};

const IP_FIELDS: Record<string, FieldSpec> = {
  Forwarding: gauge('forwarding (1 on, 2 off)'),
  DefaultTTL: gauge('default TTL'),
  InReceives: c('IPv4 packets received'),
  InHdrErrors: c('dropped: header errors'),
  InAddrErrors: c('dropped: bad destination address'),
  ForwDatagrams: c('packets forwarded'),
  InUnknownProtos: c('dropped: unknown protocol'),
  InDiscards: c('received packets discarded (no buffer...)'),
  InDelivers: c('packets delivered to protocols'),
  OutRequests: c('packets sent by local protocols'),
  OutDiscards: c('outgoing packets discarded'),
  OutNoRoutes: c('outgoing packets without a route'),
  ReasmTimeout: c('reassembly timeouts'),
  ReasmReqds: c('fragments needing reassembly'),
  ReasmOKs: c('packets reassembled'),
  ReasmFails: c('reassembly failures'),
  FragOKs: c('packets fragmented'),
  FragFails: c('packets that needed fragmenting but could not (DF set)'),
  FragCreates: c('fragments created'),
};

const TCPEXT_FIELDS: Record<string, FieldSpec> = {
  ListenOverflows: c('accept queue full: connection dropped (listen overflow)'),
  ListenDrops: c('SYNs or ACKs dropped at a listener (includes overflows)'),
  TCPBacklogDrop: c('segments dropped: socket backlog full'),
  TCPTimeouts: c('retransmission timeouts'),
  TCPLossProbes: c('tail loss probes sent'),
  TCPRetransFail: c('retransmissions that failed to send'),
  TCPSynRetrans: c('SYN and SYN-ACK retransmissions'),
  TCPFastRetrans: c('fast retransmits'),
  TCPLostRetransmit: c('retransmissions lost again'),
  TCPSpuriousRTOs: c('spurious retransmission timeouts'),
  TCPAbortOnMemory: c('connections aborted: out of memory'),
  TCPAbortOnTimeout: c('connections aborted: too many retransmissions'),
  TCPAbortOnData: c('connections reset: unexpected data'),
  TCPAbortOnClose: c('connections reset: closed with unread data'),
  TCPAbortOnLinger: c('connections reset: linger timeout'),
  PruneCalled: c('receive queue pruned (memory pressure)'),
  RcvPruned: c('packets dropped from receive queue (prune)'),
  OfoPruned: c('out-of-order queue pruned'),
  TCPOFODrop: c('out-of-order segments dropped (no memory)'),
  TCPRcvQDrop: c('segments dropped: receive queue full'),
  TCPZeroWindowDrop: c('segments dropped: zero receive window'),
  TCPMemoryPressures: c('entries into TCP memory pressure'),
  TCPMemoryPressuresChrono: counter('time under TCP memory pressure', 'ms'),
  TCPWqueueTooBig: c('sends refused: write queue too big'),
  SyncookiesSent: c('SYN cookies sent (SYN queue full)'),
  SyncookiesRecv: c('SYN cookies received'),
  SyncookiesFailed: c('invalid SYN cookies received'),
  TCPReqQFullDrop: c('SYNs dropped: request queue full, no cookies'),
  TCPReqQFullDoCookies: c('SYN cookies used: request queue full'),
  TCPTimeWaitOverflow: c('TIME-WAIT sockets not created: tcp_max_tw_buckets reached'),
  TW: c('sockets finished TIME-WAIT'),
  PAWSEstab: c('segments dropped: PAWS timestamp check'),
  TCPMinTTLDrop: c('segments dropped: below minimum TTL'),
  PFMemallocDrop: c('segments dropped: pfmemalloc'),
  TCPDeferAcceptDrop: c('connections dropped: defer-accept without data'),
  OutOfWindowIcmps: c('ICMP dropped: out of window'),
  LockDroppedIcmps: c('ICMP dropped: socket locked'),
};

const IPEXT_FIELDS: Record<string, FieldSpec> = {
  InNoRoutes: c('received packets without a route'),
  InTruncatedPkts: c('truncated packets received'),
  InCsumErrors: c('packets with a bad header checksum'),
  InOctets: counter('IP bytes received', 'bytes'),
  OutOctets: counter('IP bytes sent', 'bytes'),
  InMcastPkts: c('multicast packets received'),
  OutMcastPkts: c('multicast packets sent'),
  InBcastPkts: c('broadcast packets received'),
  OutBcastPkts: c('broadcast packets sent'),
  InCEPkts: c('packets with ECN congestion experienced'),
  ReasmOverlaps: c('overlapping fragments dropped'),
};

const IP6_FIELDS: Record<string, FieldSpec> = {
  InReceives: c('IPv6 packets received'),
  InHdrErrors: c('dropped: header errors'),
  InTooBigErrors: c('dropped: bigger than the MTU of the next hop'),
  InNoRoutes: c('dropped: no route'),
  InAddrErrors: c('dropped: bad destination address'),
  InUnknownProtos: c('dropped: unknown protocol'),
  InTruncatedPkts: c('truncated packets received'),
  InDiscards: c('received packets discarded (no buffer...)'),
  InDelivers: c('packets delivered to protocols'),
  OutForwDatagrams: c('packets forwarded'),
  OutRequests: c('packets sent by local protocols'),
  OutDiscards: c('outgoing packets discarded'),
  OutNoRoutes: c('outgoing packets without a route'),
  ReasmFails: c('reassembly failures'),
  FragFails: c('fragmentation failures'),
  InOctets: counter('IPv6 bytes received', 'bytes'),
  OutOctets: counter('IPv6 bytes sent', 'bytes'),
};

/** Table id -> the protocol line it comes from and which file holds it. */
const PROTOCOL_TABLES: Readonly<Record<string, { proto: string; file: 'snmp' | 'netstat' | 'snmp6'; spec: TableSpec }>> = {
  tcp: {
    proto: 'Tcp',
    file: 'snmp',
    spec: {
      title: 'TCP (/proc/net/snmp Tcp, IPv4 and IPv6)',
      scope: 'host',
      fields: TCP_FIELDS,
      derived: { retrans_pct: derived('retransmitted segments, % of segments sent', 'percent') },
      derive: (w) => {
        const r = w.delta('RetransSegs');
        const o = w.delta('OutSegs');
        return { retrans_pct: r === undefined || o === undefined || o === 0 ? undefined : (100 * r) / o };
      },
    },
  },
  udp: { proto: 'Udp', file: 'snmp', spec: { title: 'UDP over IPv4 (/proc/net/snmp Udp)', scope: 'host', fields: UDP_FIELDS } },
  ip: { proto: 'Ip', file: 'snmp', spec: { title: 'IPv4 (/proc/net/snmp Ip)', scope: 'host', fields: IP_FIELDS } },
  tcpext: { proto: 'TcpExt', file: 'netstat', spec: { title: 'TCP extended counters (/proc/net/netstat TcpExt)', scope: 'host', fields: TCPEXT_FIELDS } },
  ipext: { proto: 'IpExt', file: 'netstat', spec: { title: 'IP extended counters (/proc/net/netstat IpExt)', scope: 'host', fields: IPEXT_FIELDS } },
  udp6: { proto: 'Udp6', file: 'snmp6', spec: { title: 'UDP over IPv6 (/proc/net/snmp6 Udp6*)', scope: 'host', fields: UDP_FIELDS } },
  ip6: { proto: 'Ip6', file: 'snmp6', spec: { title: 'IPv6 (/proc/net/snmp6 Ip6*)', scope: 'host', fields: IP6_FIELDS } },
};

const SOCKSTAT_TABLE: TableSpec = {
  title: 'Sockets (/proc/net/sockstat, sockstat6)',
  scope: 'host',
  fields: {
    sockets_used: gauge('sockets allocated (all families)'),
    tcp_inuse: gauge('TCP sockets in use (IPv4)'),
    tcp_orphan: gauge('orphaned TCP sockets (closed, not yet gone)'),
    tcp_tw: gauge('TCP sockets in TIME-WAIT'),
    tcp_alloc: gauge('TCP sockets allocated (IPv4 and IPv6)'),
    tcp_mem: gauge('TCP memory in use (compare with tcp_mem limits)', 'pages'),
    udp_inuse: gauge('UDP sockets in use (IPv4)'),
    udp_mem: gauge('UDP memory in use', 'pages'),
    raw_inuse: gauge('raw sockets in use (IPv4)'),
    frag_inuse: gauge('IPv4 fragment queues'),
    frag_memory: gauge('IPv4 fragment memory', 'bytes'),
    tcp6_inuse: gauge('TCP sockets in use (IPv6)'),
    udp6_inuse: gauge('UDP sockets in use (IPv6)'),
  },
};

const SOFTNET_TABLE: TableSpec = {
  title: 'Receive processing per CPU (/proc/net/softnet_stat)',
  scope: 'cpu',
  fields: {
    processed: counter('packets processed by the receive softirq', 'count', { bits: 32 }),
    dropped: counter('packets dropped: input backlog full (netdev_max_backlog)', 'count', { bits: 32 }),
    time_squeeze: counter('softirq ran out of budget or time with work left', 'count', { bits: 32 }),
    received_rps: counter('RPS/RFS inter-CPU wakeups received', 'count', { bits: 32 }),
    flow_limit_count: counter('packets dropped by the flow limit', 'count', { bits: 32 }),
    backlog_len: gauge('packets waiting in the backlog now (5.10+)'),
  },
};

const SYSCTL_FILES: Readonly<Record<string, string>> = {
  netdev_max_backlog: 'core/netdev_max_backlog',
  netdev_budget: 'core/netdev_budget',
  somaxconn: 'core/somaxconn',
  tcp_max_syn_backlog: 'ipv4/tcp_max_syn_backlog',
  tcp_syncookies: 'ipv4/tcp_syncookies',
  tcp_max_orphans: 'ipv4/tcp_max_orphans',
  tcp_max_tw_buckets: 'ipv4/tcp_max_tw_buckets',
};

const NETSYSCTL_TABLE: TableSpec = {
  title: 'Network stack limits (/proc/sys/net)',
  scope: 'host',
  fields: {
    netdev_max_backlog: gauge('per-CPU input backlog limit (softnet dropped beyond it)', 'count'),
    netdev_budget: gauge('packets per receive softirq run (time_squeeze beyond it)', 'count'),
    somaxconn: gauge('accept queue limit (listen backlog cap)', 'count'),
    tcp_max_syn_backlog: gauge('SYN queue limit', 'count'),
    tcp_syncookies: gauge('SYN cookies (0 off, 1 when needed, 2 always)', 'count'),
    tcp_max_orphans: gauge('orphaned TCP socket limit', 'count'),
    tcp_max_tw_buckets: gauge('TIME-WAIT socket limit', 'count'),
    tcp_mem_min: gauge('tcp_mem: below this no pressure', 'pages'),
    tcp_mem_pressure: gauge('tcp_mem: memory pressure starts', 'pages'),
    tcp_mem_max: gauge('tcp_mem: hard limit', 'pages'),
    udp_mem_min: gauge('udp_mem: below this no pressure', 'pages'),
    udp_mem_pressure: gauge('udp_mem: memory pressure starts', 'pages'),
    udp_mem_max: gauge('udp_mem: hard limit', 'pages'),
  },
};

/**
 * The tables that exist once per network namespace, exported so the namespaces collector can
 * produce the same rows for each one.
 */
export const NETSTACK_NETNS_TABLES: Readonly<Record<string, TableSpec>> = {
  ...Object.fromEntries(Object.entries(PROTOCOL_TABLES).map(([id, t]) => [id, t.spec])),
  sockstat: SOCKSTAT_TABLE,
};

/** No /proc/net/snmp6 means IPv6 is off (ipv6.disable=1 or no IPv6 module): say so. */
function ipv6Missing<T>(o: Outcome<T>): Outcome<T> {
  return o.status === 'unavailable' && o.code === 'not-found' ? unavailable(o.code, `${o.reason} (IPv6 disabled on this host or namespace)`, o.hint) : o;
}

function protocolRow(tables: SnmpTables, proto: string, spec: TableSpec, path: string): Outcome<Row[]> {
  const t = tables.get(proto);
  if (t === undefined) return unavailable('unsupported', `${path} has no ${proto} lines (older kernel?)`);
  const values: Record<string, number | undefined> = {};
  for (const f of Object.keys(spec.fields)) values[f] = t.get(f);
  return ok([{ key: 'host', values }]);
}

function sockstatRow(v4: SockStat, v6: SockStat | undefined): Row {
  const g = (s: SockStat | undefined, sec: string, key: string) => s?.sections.get(sec)?.get(key);
  return {
    key: 'host',
    values: {
      sockets_used: g(v4, 'sockets', 'used'),
      tcp_inuse: g(v4, 'TCP', 'inuse'),
      tcp_orphan: g(v4, 'TCP', 'orphan'),
      tcp_tw: g(v4, 'TCP', 'tw'),
      tcp_alloc: g(v4, 'TCP', 'alloc'),
      tcp_mem: g(v4, 'TCP', 'mem'),
      udp_inuse: g(v4, 'UDP', 'inuse'),
      udp_mem: g(v4, 'UDP', 'mem'),
      raw_inuse: g(v4, 'RAW', 'inuse'),
      frag_inuse: g(v4, 'FRAG', 'inuse'),
      frag_memory: g(v4, 'FRAG', 'memory'),
      tcp6_inuse: g(v6, 'TCP6', 'inuse'),
      udp6_inuse: g(v6, 'UDP6', 'inuse'),
    },
  };
}

/**
 * The per-namespace tables (tcp, udp, ip, tcpext, ipext, udp6, ip6, sockstat) from
 * `<procNetDir>/{snmp,netstat,snmp6,sockstat,sockstat6}`. Host: collectNetstack(src). Another network namespace:
 * collectNetstack(src, `/proc/${pid}/net`).
 */
export function collectNetstack(src: Source, procNetDir = '/proc/net'): TableOutcomes {
  const out: TableOutcomes = {};
  const files = {
    snmp: readParsed(src, `${procNetDir}/snmp`, (t) => parseSnmp(t, `${procNetDir}/snmp`)),
    netstat: readParsed(src, `${procNetDir}/netstat`, (t) => parseSnmp(t, `${procNetDir}/netstat`)),
    snmp6: ipv6Missing(readParsed(src, `${procNetDir}/snmp6`, (t) => parseSnmp6(t, `${procNetDir}/snmp6`))),
  };
  for (const [id, t] of Object.entries(PROTOCOL_TABLES)) {
    const f = files[t.file];
    out[id] = f.status === 'ok' ? protocolRow(f.value, t.proto, t.spec, `${procNetDir}/${t.file}`) : f;
  }
  const v4 = readParsed(src, `${procNetDir}/sockstat`, (t) => parseSockstat(t, `${procNetDir}/sockstat`));
  const v6 = readParsed(src, `${procNetDir}/sockstat6`, (t) => parseSockstat(t, `${procNetDir}/sockstat6`));
  out.sockstat = map(v4, (s) => [sockstatRow(s, v6.status === 'ok' ? v6.value : undefined)]);
  return out;
}

/** softnet_stat is global (per CPU, not per namespace). */
export function collectSoftnet(src: Source): Outcome<Row[]> {
  return map(readParsed(src, '/proc/net/softnet_stat', (t) => parseSoftnetStat(t)), (cpus) =>
    cpus.map((s): Row => {
      const { processed, dropped, time_squeeze, received_rps, flow_limit_count, backlog_len } = s.values;
      return {
        key: String(s.cpu),
        ...(s.cpuFromPosition ? { labels: { cpu_numbering: 'line position (CPU number not printed by this kernel)' } } : {}),
        values: { processed, dropped, time_squeeze, received_rps, flow_limit_count, backlog_len },
      };
    }),
  );
}

const SYSCTL_VECTORS = ['tcp_mem', 'udp_mem'] as const;

/** Spread the sysctl values (one number, or tcp_mem/udp_mem's three) into the table's fields. */
function sysctlRow(get: (rel: string) => number[] | undefined): Row {
  const values: Record<string, number | undefined> = {};
  for (const [field, rel] of Object.entries(SYSCTL_FILES)) values[field] = get(rel)?.[0];
  for (const name of SYSCTL_VECTORS) {
    const v = get(`ipv4/${name}`);
    values[`${name}_min`] = v?.[0];
    values[`${name}_pressure`] = v?.[1];
    values[`${name}_max`] = v?.[2];
  }
  return { key: 'host', values };
}

const SYSCTL_RELS = [...Object.values(SYSCTL_FILES), ...SYSCTL_VECTORS.map((n) => `ipv4/${n}`)];

function readSysctl(src: Source, path: string, misses?: OutcomeCode[]): number[] | undefined {
  const r = readParsed(src, path, parseSysctlInts);
  if (r.status === 'ok') return r.value;
  misses?.push(r.code);
  return undefined;
}

/** Limits from /proc/sys/net of the namespace diag runs in. */
export function collectNetSysctl(src: Source, procSysNet = '/proc/sys/net'): Outcome<Row[]> {
  let found = 0;
  const misses: OutcomeCode[] = [];
  const row = sysctlRow((rel) => {
    const v = readSysctl(src, `${procSysNet}/${rel}`, misses);
    if (v !== undefined) found++;
    return v;
  });
  if (found === 0) return unavailable(misses[0] ?? 'not-found', `${procSysNet} is not readable`, 'mount /proc, or run diag on the host rather than in a restricted container');
  return ok([row]);
}

/**
 * The same limits in another network namespace. /proc/sys/net shows the namespace of the process
 * reading it, so diag cannot read another one's through files: `sysctl` runs inside it (nsenter).
 * Per-namespace (6.18): somaxconn, tcp_max_syn_backlog, tcp_syncookies, tcp_max_tw_buckets; the
 * others do not exist inside a child namespace because they are global: read from the host's files.
 */
export async function collectNetSysctlInNetns(src: Source, netnsPid: number): Promise<Outcome<Row[]>> {
  const keys = SYSCTL_RELS.map((rel) => `net.${rel.replace(/\//g, '.')}`);
  const r = await src.run({ cmd: 'sysctl', args: keys, netnsPid, timeoutMs: 3_000 });
  if (r.status !== 'ok') return r;
  const p = parseSysctlOutput(r.value.stdout);
  if (!p.ok) return unavailable('tool-failed', `sysctl in the network namespace of PID ${netnsPid} printed no values (exit ${r.value.exitCode})`, 'run diag as root');
  const values = p.value;
  // A key the namespace does not have is not per-namespace: the host's value is the one in force.
  return ok([sysctlRow((rel) => values.get(`net.${rel.replace(/\//g, '.')}`) ?? readSysctl(src, `/proc/sys/net/${rel}`))]);
}

export const netstackCollector: Collector = {
  id: 'netstack',
  title: 'Network stack: TCP/UDP/IP counters, retransmits, listen drops, sockets, softnet backlog drops',
  origin: 'procfs',
  resources: ['network'],
  inputs: ['/proc/net/snmp', '/proc/net/netstat', '/proc/net/snmp6', '/proc/net/sockstat', '/proc/net/sockstat6', '/proc/net/softnet_stat', '/proc/sys/net/{core,ipv4}/*'],
  tables: { ...NETSTACK_NETNS_TABLES, softnet: SOFTNET_TABLE, netsysctl: NETSYSCTL_TABLE },
  netns: true,
  async collect(src, ctx) {
    // softnet_stat is per CPU and global: the same in every namespace.
    if (ctx.netnsPid !== undefined) {
      return { ...collectNetstack(src, `/proc/${ctx.netnsPid}/net`), softnet: collectSoftnet(src), netsysctl: await collectNetSysctlInNetns(src, ctx.netnsPid) };
    }
    return { ...collectNetstack(src), softnet: collectSoftnet(src), netsysctl: collectNetSysctl(src) };
  },
};
