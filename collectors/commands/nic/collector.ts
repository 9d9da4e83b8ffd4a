import type { CollectContext, Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { ok, unavailable, type Outcome } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { mapLimited } from '../limit.js';
import { procNetPath } from '../netns.js';
import { classifyCounter, TROUBLE_CLASSES, type TroubleClass } from './counter-classes.js';
import { parseEthtoolInfo, parseEthtoolRings, parseEthtoolStats, type EthtoolInfo, type EthtoolRings, type EthtoolStat } from './parse.js';

/** Drivers of software devices, which have no ring parameters (`ethtool -g` is not supported). */
const SOFTWARE_DRIVERS: ReadonlySet<string> = new Set(['veth', 'bridge', 'ifb', 'tun', 'dummy', 'vxlan', 'macvlan', 'ipvlan', 'wireguard', 'geneve', 'openvswitch', 'nlmon', 'vrf', 'bonding', 'team', 'gre', 'ipip', 'sit']);

/** Interfaces examined at once (each costs up to three ethtool runs). */
const IFACE_CONCURRENCY = 4;

/** Interface names from /proc/net/dev (or /proc/PID/net/dev for another namespace). */
export function parseNetDevNames(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    if (name.length > 0) out.push(name);
  }
  return out;
}

/** The interfaces of the observed namespace. */
export function listInterfaces(src: Source, ctx: CollectContext): Outcome<string[]> {
  if (ctx.netnsPid === undefined) {
    const d = src.readDir('/sys/class/net');
    if (d.status === 'ok') return ok(d.value.filter((n) => n !== 'bonding_masters').sort());
  }
  const f = src.readFile(procNetPath(ctx, 'dev'));
  return f.status === 'ok' ? ok(parseNetDevNames(f.value).sort()) : f;
}

interface IfaceResult {
  readonly name: string;
  readonly info: Outcome<EthtoolInfo>;
  readonly rings: Outcome<EthtoolRings> | undefined;
  readonly stats: Outcome<EthtoolStat[]> | undefined;
}

async function ethtool<T>(src: Source, mode: string, iface: string, netnsPid: number | undefined, parse: (t: string) => { ok: true; value: T } | { ok: false; error: Error }): Promise<Outcome<T>> {
  // The interface name is one argv element: never part of a command string.
  const out = await runTool(src, { cmd: 'ethtool', args: [mode, iface], netnsPid });
  if (out.status !== 'ok') return out;
  const p = parse(out.value);
  return p.ok ? ok(p.value) : unavailable('parse', `ethtool ${mode}: ${p.error.message}`);
}

async function examine(src: Source, name: string, netnsPid: number | undefined): Promise<IfaceResult> {
  const info = await ethtool(src, '-i', name, netnsPid, parseEthtoolInfo);
  // No driver information (lo, some virtual devices): the other queries fail the same way.
  if (info.status !== 'ok') return { name, info, rings: undefined, stats: undefined };
  // Software devices have no rings: a container host has hundreds of veths, one command saved each.
  const noRings = info.value.driver !== undefined && SOFTWARE_DRIVERS.has(info.value.driver);
  const [rings, stats] = await Promise.all([
    noRings ? Promise.resolve(undefined) : ethtool(src, '-g', name, netnsPid, parseEthtoolRings),
    ethtool(src, '-S', name, netnsPid, parseEthtoolStats),
  ]);
  return { name, info, rings, stats };
}

/**
 * One number per trouble class: per counter name, the total counter or else the sum of its
 * per-queue counters; then the largest of those names. Drivers keep overlapping counters
 * (rx_errors includes rx_crc_errors; i40e has rx_dropped and port.rx_dropped), so a sum would
 * count events twice; the largest is a lower bound and, as a maximum of counters, still a counter.
 */
export function troubleTotals(stats: readonly EthtoolStat[]): Partial<Record<TroubleClass, number>> {
  const byBase = new Map<string, { cls: TroubleClass; total?: number; queues: number }>();
  for (const s of stats) {
    const c = classifyCounter(s.name);
    if (c.cls === 'other') continue;
    const k = `${c.cls}\u0000${c.base}`;
    const e = byBase.get(k) ?? { cls: c.cls, queues: 0 };
    if (c.queue === undefined) e.total = (e.total ?? 0) + s.value;
    else e.queues += s.value;
    byBase.set(k, e);
  }
  const out: Partial<Record<TroubleClass, number>> = {};
  for (const e of byBase.values()) {
    const v = e.total ?? e.queues;
    out[e.cls] = Math.max(out[e.cls] ?? 0, v);
  }
  return out;
}

function nicRow(r: IfaceResult): Row {
  if (r.info.status !== 'ok') {
    return { key: r.name, labels: { interface: r.name, status: r.info.status, reason: r.info.reason }, values: {} };
  }
  const i = r.info.value;
  const rings = r.rings?.status === 'ok' ? r.rings.value : undefined;
  const stats = r.stats?.status === 'ok' ? r.stats.value : undefined;
  const totals = stats ? troubleTotals(stats) : {};
  const values: Record<string, number | undefined> = { ring_rx: rings?.rx, ring_rx_max: rings?.rxMax, ring_tx: rings?.tx, ring_tx_max: rings?.txMax, counters: stats?.length };
  // A class the driver has no counter for stays missing: never an invented zero.
  for (const c of TROUBLE_CLASSES) values[c] = totals[c];
  const notes = [r.rings, r.stats].filter((o): o is Exclude<typeof o, undefined> => o !== undefined && o.status !== 'ok').map((o) => (o.status === 'ok' ? '' : o.reason));
  return {
    key: r.name,
    labels: {
      interface: r.name,
      status: 'ok',
      ...(i.driver ? { driver: i.driver } : {}),
      ...(i.version ? { version: i.version } : {}),
      ...(i.firmware ? { firmware: i.firmware } : {}),
      ...(i.bus ? { bus: i.bus } : {}),
      ...(notes.length > 0 ? { reason: notes.join('; ').slice(0, 300) } : {}),
    },
    values,
  };
}

function counterRows(r: IfaceResult): Row[] {
  if (r.stats?.status !== 'ok') return [];
  return r.stats.value.map((s) => {
    const c = classifyCounter(s.name);
    return {
      key: `${r.name}/${s.name}`,
      labels: { interface: r.name, counter: s.name, class: c.cls, ...(c.queue !== undefined ? { queue: String(c.queue) } : {}) },
      values: { value: s.value },
    };
  });
}

const troubleFields = Object.fromEntries(
  TROUBLE_CLASSES.map((c) => [c, counter(`driver counters of class ${c} (largest; see nic_counters)`)]),
);

export const nicCollector: Collector = {
  id: 'nic',
  title: 'NIC driver, firmware, ring sizes and driver counters that mean trouble (ethtool)',
  origin: 'commands',
  resources: ['network'],
  inputs: ['/sys/class/net', '/proc/PID/net/dev (other namespace)', 'ethtool -i IFACE', 'ethtool -g IFACE', 'ethtool -S IFACE'],
  netns: true,
  tables: {
    nic: {
      title: 'Interfaces: driver, rings, trouble counters by class (status unavailable: no ethtool support)',
      scope: 'interface',
      identity: ['driver'],
      fields: {
        ring_rx: gauge('RX ring size'),
        ring_rx_max: gauge('RX ring maximum'),
        ring_tx: gauge('TX ring size'),
        ring_tx_max: gauge('TX ring maximum'),
        counters: gauge('driver counters reported'),
        ...troubleFields,
      },
      derived: { ring_rx_pct: derived('RX ring size / maximum', 'percent') },
      derive: (w) => {
        const r = w.value('ring_rx');
        const m = w.value('ring_rx_max');
        return { ring_rx_pct: r !== undefined && m !== undefined && m > 0 ? (100 * r) / m : undefined };
      },
    },
    nic_counters: {
      title: 'Every driver counter (ethtool -S) with its trouble class',
      scope: 'nic_counter',
      identity: ['class'],
      fields: { value: counter('driver counter') },
    },
  },
  async collect(src: Source, ctx: CollectContext): Promise<TableOutcomes> {
    const names = listInterfaces(src, ctx);
    if (names.status !== 'ok') return { nic: names, nic_counters: names };
    const results = await mapLimited(names.value, IFACE_CONCURRENCY, (n) => examine(src, n, ctx.netnsPid));
    // ethtool itself missing (or not root inside another namespace): say so for the table.
    const missing = results.find((r) => r.info.status !== 'ok' && (r.info.code === 'tool-missing' || r.info.code === 'permission'));
    if (missing && missing.info.status !== 'ok' && results.every((r) => r.info.status !== 'ok')) return { nic: missing.info, nic_counters: missing.info };
    // No ethtool answer for any interface (a --root tree of copied files, a recording without
    // them): the table was not captured, said once rather than per interface.
    const first = results[0]?.info;
    if (first !== undefined && first.status !== 'ok' && results.every((r) => r.info.status !== 'ok' && r.info.code === 'not-captured')) return { nic: first, nic_counters: first };
    return { nic: ok(results.map(nicRow)), nic_counters: ok(results.flatMap(counterRows)) };
  },
};
