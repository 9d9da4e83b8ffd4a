import type { Row } from '../../../src/core/collector.js';
import { ok, type Outcome } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { mapLimited } from '../limit.js';
import { parseEthtoolRings, parseSysctlNumber, type RingSizes } from './parse.js';

/** Interfaces whose rings are read per collection. */
export const RINGS_MAX = 32;

/** Receive overrun counters of /sys/class/net/IF/statistics: the ring was full (networking/statistics.rst). */
const OVERRUNS = ['rx_fifo_errors', 'rx_missed_errors', 'rx_over_errors'] as const;

/** Interfaces backed by a device (a NIC, a virtio device): virtual ones (veth, bridges, lo) have no ring to size. */
export function deviceInterfaces(src: Source): Outcome<string[]> {
  const dir = src.readDir('/sys/class/net');
  if (dir.status !== 'ok') return dir;
  return ok(dir.value.filter((n) => src.readLink(`/sys/class/net/${n}/device`).status === 'ok').sort().slice(0, RINGS_MAX));
}

/** A row (pure): ring sizes, their maxima, the overruns and transmit drops since the interface came up. */
export function ringRow(iface: string, rings: RingSizes, overruns: number | undefined, dropped: number | undefined, txDropped?: number): Row {
  const headroom = rings.rx !== undefined && rings.rxMax !== undefined ? rings.rxMax - rings.rx : undefined;
  // a driver that reports no TX maximum (ethtool prints n/a) has no TX headroom to judge
  const txHeadroom = rings.tx !== undefined && rings.txMax !== undefined ? rings.txMax - rings.tx : undefined;
  return {
    key: iface,
    values: { rx: rings.rx, rx_max: rings.rxMax, tx: rings.tx, tx_max: rings.txMax, rx_headroom: headroom, rx_overruns: overruns, rx_dropped: dropped, tx_headroom: txHeadroom, tx_dropped: txDropped },
  };
}

function stat(src: Source, iface: string, name: string): number | undefined {
  const r = readParsed(src, `/sys/class/net/${iface}/statistics/${name}`, parseSysctlNumber);
  return r.status === 'ok' ? r.value : undefined;
}

/** `ethtool -g` of every device interface, with its overrun counters since boot. */
export async function ringRows(src: Source): Promise<Outcome<Row[]>> {
  const ifaces = deviceInterfaces(src);
  if (ifaces.status !== 'ok') return ifaces;
  const notes: string[] = [];
  const rows = await mapLimited(ifaces.value, 4, async (iface): Promise<Row | undefined> => {
    const r = await runTool(src, { cmd: 'ethtool', args: ['-g', iface] });
    if (r.status !== 'ok') {
      if (r.code !== 'unsupported') notes.push(`${iface}: ${r.reason}`);
      return undefined;
    }
    const p = parseEthtoolRings(r.value);
    if (!p.ok) {
      notes.push(`${iface}: ${p.error.message}`);
      return undefined;
    }
    const parts = OVERRUNS.map((n) => stat(src, iface, n));
    const overruns = parts.every((v) => v === undefined) ? undefined : parts.reduce<number>((a, v) => a + (v ?? 0), 0);
    return ringRow(iface, p.value, overruns, stat(src, iface, 'rx_dropped'), stat(src, iface, 'tx_dropped'));
  });
  return ok(rows.filter((r): r is Row => r !== undefined), notes.length > 0 ? notes.slice(0, 5) : undefined);
}
