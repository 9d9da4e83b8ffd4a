import type { Collector, Row, RowWindow, TableOutcomes, TableSpec } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { map } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { linkTypeName, NETDEV_COLUMNS, parseNetDev, parseSpeed, parseSysfsInt, parseSysfsWord, type NetdevColumn } from './parse.js';

const NETDEV_TITLES: Readonly<Record<NetdevColumn, [string, 'bytes' | 'count']>> = {
  rx_bytes: ['received bytes', 'bytes'],
  rx_packets: ['received packets (sar rxpck/s)', 'count'],
  rx_errs: ['receive errors (sar rxerr/s)', 'count'],
  rx_drop: ['received packets dropped (sar rxdrop/s)', 'count'],
  rx_fifo: ['receive FIFO overruns (sar rxfifo/s)', 'count'],
  rx_frame: ['receive frame alignment errors (sar rxfram/s)', 'count'],
  rx_compressed: ['compressed packets received (sar rxcmp/s)', 'count'],
  rx_multicast: ['multicast packets received (sar rxmcst/s)', 'count'],
  tx_bytes: ['transmitted bytes', 'bytes'],
  tx_packets: ['transmitted packets (sar txpck/s)', 'count'],
  tx_errs: ['transmit errors (sar txerr/s)', 'count'],
  tx_drop: ['transmitted packets dropped (sar txdrop/s)', 'count'],
  tx_fifo: ['transmit FIFO underruns (sar txfifo/s)', 'count'],
  tx_colls: ['collisions (sar coll/s)', 'count'],
  tx_carrier: ['carrier errors (sar txcarr/s)', 'count'],
  tx_compressed: ['compressed packets transmitted (sar txcmp/s)', 'count'],
};

/**
 * %ifutil exactly as sysstat's compute_ifutil: with rx and tx in bytes/s and the speed in Mb/s,
 * full duplex uses the busier direction, anything else (half, unknown) the sum. Undefined
 * without a known speed (sar prints 0.00 there; "unknown" is the honest answer).
 */
export function ifutilPercent(rxBytesPerSec: number, txBytesPerSec: number, speedMbps: number | undefined, duplex: string | undefined): number | undefined {
  if (speedMbps === undefined || speedMbps <= 0) return undefined;
  const bytes = duplex === 'full' ? Math.max(rxBytesPerSec, txBytesPerSec) : rxBytesPerSec + txBytesPerSec;
  return (bytes * 800) / (speedMbps * 1e6);
}

function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

function netdevDerive(w: RowWindow): Record<string, number | undefined> {
  const rx = w.rate('rx_bytes');
  const tx = w.rate('tx_bytes');
  return {
    rxkB_s: rx === undefined ? undefined : rx / 1024,
    txkB_s: tx === undefined ? undefined : tx / 1024,
    ifutil_pct: rx === undefined || tx === undefined ? undefined : ifutilPercent(rx, tx, w.value('speed'), w.cur.labels?.duplex),
    errors_s: sum(w.rate('rx_errs'), w.rate('tx_errs')),
    drops_s: sum(w.rate('rx_drop'), w.rate('tx_drop')),
  };
}

/**
 * Table spec of `netdev`, exported so the namespaces collector can produce the same rows for
 * each network namespace (with its own table id).
 */
export const NETDEV_TABLE: TableSpec = {
  title: 'Network interfaces (/proc/net/dev + /sys/class/net), as sar -n DEV / EDEV',
  scope: 'interface',
  // A deleted and re-created interface with the same name is another interface.
  identity: ['ifindex'],
  fields: {
    ...Object.fromEntries(NETDEV_COLUMNS.map((c) => [c, counter(NETDEV_TITLES[c][0], NETDEV_TITLES[c][1])])),
    speed: gauge('link speed (undefined when the driver reports none, e.g. veth down, virtio)', 'Mb/s'),
    mtu: gauge('MTU', 'bytes'),
    carrier: gauge('carrier present', 'boolean'),
    carrier_changes: counter('carrier up/down changes'),
    tx_queue_len: gauge('transmit queue length', 'count'),
  },
  derived: {
    rxkB_s: derived('received kB/s (sar rxkB/s, kB = 1024 bytes)', 'kB/s'),
    txkB_s: derived('transmitted kB/s (sar txkB/s)', 'kB/s'),
    ifutil_pct: derived('%ifutil as sar: full duplex max(rx,tx), else rx+tx, over the link speed', 'percent'),
    errors_s: derived('receive + transmit errors per second', 'count/s'),
    drops_s: derived('receive + transmit drops per second', 'count/s'),
  },
  derive: netdevDerive,
};

/** A name that is safe to put into a sysfs path (the kernel forbids '/', but input is untrusted). */
function safeIfaceName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

function readInt(src: Source, path: string, parse: (t: string) => number | undefined): number | undefined {
  const t = src.readFile(path);
  return t.status === 'ok' ? parse(t.value) : undefined;
}

/**
 * sysfs attributes of one interface. Unreadable attributes (speed and carrier give EINVAL while
 * the link is down) stay undefined. The MAC address is deliberately not collected: it identifies
 * hardware and people, and nothing diag judges needs it.
 */
function sysfsAttributes(src: Source, dir: string): { values: Record<string, number | undefined>; labels: Record<string, string> } {
  const labels: Record<string, string> = {};
  const word = (f: string) => {
    const t = src.readFile(`${dir}/${f}`);
    return t.status === 'ok' ? parseSysfsWord(t.value) : undefined;
  };
  const operstate = word('operstate');
  if (operstate !== undefined) labels.operstate = operstate;
  const duplex = word('duplex');
  if (duplex !== undefined) labels.duplex = duplex;
  const ifindex = readInt(src, `${dir}/ifindex`, parseSysfsInt);
  if (ifindex !== undefined) labels.ifindex = String(ifindex);
  const type = readInt(src, `${dir}/type`, parseSysfsInt);
  const typeName = linkTypeName(type);
  if (typeName !== undefined) labels.link_type = typeName;
  // /sys/class/net/X is a link into /sys/devices/...; virtual devices live under devices/virtual.
  const link = src.readLink(dir);
  if (link.status === 'ok') labels.virtual = link.value.includes('/virtual/') ? 'yes' : 'no';
  const values = {
    speed: readInt(src, `${dir}/speed`, parseSpeed),
    mtu: readInt(src, `${dir}/mtu`, parseSysfsInt),
    carrier: readInt(src, `${dir}/carrier`, parseSysfsInt),
    carrier_changes: readInt(src, `${dir}/carrier_changes`, parseSysfsInt),
    tx_queue_len: readInt(src, `${dir}/tx_queue_len`, parseSysfsInt),
  };
  return { values, labels };
}

/**
 * Rows of the `netdev` table from `<procNetDir>/dev`. For the host: collectNetdev(src). For
 * another network namespace: collectNetdev(src, `/proc/${pid}/net`) — /sys/class/net shows the
 * namespace that mounted sysfs, not the target one, so the sysfs attributes are skipped unless a
 * sysfs directory of that namespace is given (same-named interfaces would otherwise borrow the
 * host's speed and state).
 */
export function collectNetdev(src: Source, procNetDir = '/proc/net', sysClassNetDir: string | null = procNetDir === '/proc/net' ? '/sys/class/net' : null): TableOutcomes[string] {
  const devs = readParsed(src, `${procNetDir}/dev`, parseNetDev);
  return map(devs, (list) =>
    list.map((d): Row => {
      if (sysClassNetDir === null || !safeIfaceName(d.name)) return { key: d.name, values: { ...d.counters } };
      const a = sysfsAttributes(src, `${sysClassNetDir}/${d.name}`);
      return { key: d.name, labels: a.labels, values: { ...d.counters, ...a.values } };
    }),
  );
}

export const netdevCollector: Collector = {
  id: 'netdev',
  title: 'Network interfaces: packets, bytes, errors, drops per second, link state and %ifutil',
  origin: 'procfs',
  resources: ['network'],
  inputs: ['/proc/net/dev', '/sys/class/net/*/{operstate,speed,duplex,mtu,carrier,carrier_changes,tx_queue_len,type,ifindex}'],
  tables: { netdev: NETDEV_TABLE },
  netns: true,
  collect(src, ctx) {
    return { netdev: ctx.netnsPid === undefined ? collectNetdev(src) : collectNetdev(src, `/proc/${ctx.netnsPid}/net`) };
  },
};
