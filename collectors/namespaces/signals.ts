import type { Row } from '../../src/core/collector.js';

/**
 * Does a network namespace show trouble in its own counters? (pure) The counters are cumulative
 * since the namespace was created, so this is read from one sample: it decides which namespaces
 * the sweep enters with tc, nft and ss (commands cost a process each; counters cost file reads).
 *
 * Each signal is a drop or error counter of the drop path, or a gap no counter explains:
 * IPv4 packets received but neither delivered, forwarded nor counted as dropped are what
 * netfilter (or routing) dropped on input, which no SNMP counter counts (measured on 6.18: 500
 * UDP datagrams dropped by an nft input rule leave InReceives 500, InDelivers 0 and nothing else).
 * Drops at a qdisc show as UDP SndbufErrors (ENOBUFS from the send), IP OutDiscards (raw and
 * ping) or TCP retransmits.
 */
export interface Trouble {
  /** Sum of the signals: the namespaces with most trouble are entered first. */
  readonly score: number;
  /** "udp.RcvbufErrors 140000", ... largest first. */
  readonly signals: readonly string[];
  /** Its TCP (listen queue, receive queue, backlog) or UDP (receive buffer) counters show drops: its sockets can say whose. */
  readonly tcpSockets: boolean;
  readonly udpSockets: boolean;
}

type Tables = Readonly<Record<string, readonly Row[] | undefined>>;

/** Counters that only move when something was dropped or failed, per table. */
const SIGNALS: Readonly<Record<string, readonly string[]>> = {
  netdev: ['rx_errs', 'rx_drop', 'rx_fifo', 'tx_errs', 'tx_drop', 'tx_fifo'],
  // InErrors counts RcvbufErrors and the rest again: not summed twice
  udp: ['RcvbufErrors', 'SndbufErrors', 'InCsumErrors', 'MemErrors'],
  udp6: ['RcvbufErrors', 'SndbufErrors', 'InCsumErrors', 'MemErrors'],
  tcp: ['RetransSegs', 'InErrs'],
  tcpext: ['ListenOverflows', 'ListenDrops', 'TCPBacklogDrop', 'TCPRcvQDrop', 'TCPZeroWindowDrop', 'TCPOFODrop', 'TCPAbortOnMemory', 'TCPMemoryPressures', 'TCPReqQFullDrop'],
  ip: ['InDiscards', 'OutDiscards', 'InHdrErrors', 'InAddrErrors', 'OutNoRoutes'],
  ip6: ['InDiscards', 'OutDiscards', 'InHdrErrors', 'InAddrErrors', 'InNoRoutes', 'OutNoRoutes'],
};

const num = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : 0);

/** IPv4 packets received that no counter accounts for: dropped by netfilter (or routing) on input. */
export function unaccountedInput(ip: Row | undefined, ipext: Row | undefined): number {
  const v = ip?.values;
  if (!v || v.InReceives === undefined || v.InDelivers === undefined) return 0;
  const explained =
    num(v.InHdrErrors) + num(v.InAddrErrors) + num(v.InUnknownProtos) + num(v.InDiscards) + num(v.InDelivers) + num(v.ForwDatagrams) +
    // fragments are received one by one and delivered once reassembled
    Math.max(0, num(v.ReasmReqds) - num(v.ReasmOKs)) +
    num(ipext?.values.InNoRoutes) + num(ipext?.values.InTruncatedPkts) + num(ipext?.values.InCsumErrors);
  return Math.max(0, num(v.InReceives) - explained);
}

export function troubleOf(tables: Tables): Trouble {
  const found: [string, number][] = [];
  for (const [table, fields] of Object.entries(SIGNALS)) {
    const rows = tables[table] ?? [];
    for (const f of fields) {
      const total = rows.reduce((a, r) => a + num(r.values[f]), 0);
      if (total > 0) found.push([`${table}.${f}`, total]);
    }
  }
  const gap = unaccountedInput(tables.ip?.[0], tables.ipext?.[0]);
  if (gap > 0) found.push(['ip input dropped uncounted (netfilter?)', gap]);
  found.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const has = (names: readonly string[]) => found.some(([s]) => names.includes(s));
  return {
    score: found.reduce((a, [, n]) => a + n, 0),
    signals: found.map(([s, n]) => `${s} ${n}`),
    tcpSockets: has(['tcpext.ListenOverflows', 'tcpext.ListenDrops', 'tcpext.TCPBacklogDrop', 'tcpext.TCPRcvQDrop', 'tcpext.TCPZeroWindowDrop', 'tcpext.TCPOFODrop']),
    udpSockets: has(['udp.RcvbufErrors', 'udp.MemErrors', 'udp6.RcvbufErrors', 'udp6.MemErrors']),
  };
}
