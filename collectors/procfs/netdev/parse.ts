import { fields, int, parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Columns of /proc/net/dev as the kernel names them since 2.4 (dev_seq_printf_stats):
 *   face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed
 * The first eight are receive, the last eight transmit.
 */
export const NETDEV_COLUMNS = [
  'rx_bytes', 'rx_packets', 'rx_errs', 'rx_drop', 'rx_fifo', 'rx_frame', 'rx_compressed', 'rx_multicast',
  'tx_bytes', 'tx_packets', 'tx_errs', 'tx_drop', 'tx_fifo', 'tx_colls', 'tx_carrier', 'tx_compressed',
] as const;
export type NetdevColumn = (typeof NETDEV_COLUMNS)[number];

export interface NetdevInterface {
  /** Interface name exactly as the kernel printed it (untrusted text: sanitise before display). */
  readonly name: string;
  /** Columns the file lacks (2.2 kernels had no byte counts) or that are garbled stay undefined. */
  readonly counters: Partial<Record<NetdevColumn, number>>;
}

const RX_NAMES: Readonly<Record<string, NetdevColumn>> = {
  bytes: 'rx_bytes', packets: 'rx_packets', errs: 'rx_errs', drop: 'rx_drop', fifo: 'rx_fifo', frame: 'rx_frame', compressed: 'rx_compressed', multicast: 'rx_multicast',
};
const TX_NAMES: Readonly<Record<string, NetdevColumn>> = {
  bytes: 'tx_bytes', packets: 'tx_packets', errs: 'tx_errs', drop: 'tx_drop', fifo: 'tx_fifo', colls: 'tx_colls', carrier: 'tx_carrier', compressed: 'tx_compressed',
};

/**
 * Column layout from the second header line ("face |bytes ...|bytes ..."), so kernels with other
 * columns (2.2 had no bytes) are read by name. Undefined when the line is not a header.
 */
function layoutFromHeader(line: string): (NetdevColumn | undefined)[] | undefined {
  const parts = line.split('|');
  if (parts.length !== 3 || !/face/.test(parts[0] ?? '')) return undefined;
  const rx = fields(parts[1] ?? '').map((n) => RX_NAMES[n]);
  const tx = fields(parts[2] ?? '').map((n) => TX_NAMES[n]);
  if (rx.length === 0 || tx.length === 0) return undefined;
  return [...rx, ...tx];
}

/**
 * Parse /proc/net/dev (or /proc/PID/net/dev of another network namespace).
 *
 * Each data line is "%6s: %7llu ..." — the name right-aligned in 6 columns, a colon, then the
 * numbers, with no space after the colon when a name is 6 characters or more and the numbers are
 * wide ("verylongname0:123456789 ..."). Names are at most 15 bytes; current kernels refuse ':',
 * '/' and blanks in them but older ones did not, so the name is everything before the LAST colon
 * (numbers never contain one), without the leading padding.
 */
export function parseNetDev(text: string): ParseResult<NetdevInterface[]> {
  const lines = text.split('\n');
  let layout: (NetdevColumn | undefined)[] = [...NETDEV_COLUMNS];
  const out: NetdevInterface[] = [];
  const seen = new Set<string>();
  let sawHeader = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim().length === 0) continue;
    // Header lines have bars and no colon; every data line has a colon (a name may hold a bar).
    if (line.includes('|') && !line.includes(':')) {
      const l = layoutFromHeader(line);
      if (l) layout = l;
      sawHeader = true;
      continue;
    }
    const colon = line.lastIndexOf(':');
    if (colon < 0) return parseFail('/proc/net/dev', 'expected "name: counters"', i + 1);
    const name = line.slice(0, colon).replace(/^ +/, '');
    if (name.length === 0 || Buffer.byteLength(name, 'utf8') > 64) return parseFail('/proc/net/dev', `bad interface name ${JSON.stringify(name.slice(0, 80))}`, i + 1);
    const nums = fields(line.slice(colon + 1));
    if (nums.length < layout.length) return parseFail('/proc/net/dev', `interface ${JSON.stringify(name)}: expected ${layout.length} numbers, got ${nums.length} (truncated?)`, i + 1);
    const counters: Partial<Record<NetdevColumn, number>> = {};
    let good = 0;
    for (let c = 0; c < layout.length; c++) {
      const col = layout[c];
      const v = uint(nums[c]);
      if (v !== undefined) good++;
      if (col !== undefined && v !== undefined) counters[col] = v;
    }
    if (good === 0) return parseFail('/proc/net/dev', `interface ${JSON.stringify(name)}: no numeric counters`, i + 1);
    if (seen.has(name)) return parseFail('/proc/net/dev', `interface ${JSON.stringify(name)} listed twice`, i + 1);
    seen.add(name);
    out.push({ name, counters });
  }
  if (!sawHeader && out.length === 0) return parseFail('/proc/net/dev', 'empty file');
  return parsed(out);
}

/** ARPHRD_* link types most often met (include/uapi/linux/if_arp.h). */
const ARPHRD: Readonly<Record<number, string>> = {
  1: 'ether', 24: 'ieee1394', 32: 'infiniband', 256: 'slip', 512: 'ppp', 768: 'ipip', 769: 'tunnel6', 772: 'loopback',
  776: 'sit', 778: 'gre', 801: 'ieee80211', 803: 'ieee80211_radiotap', 823: 'ip6gre', 65534: 'none', 65535: 'void',
};

export function linkTypeName(type: number | undefined): string | undefined {
  if (type === undefined) return undefined;
  return ARPHRD[type] ?? `arphrd_${type}`;
}

/**
 * One sysfs attribute such as /sys/class/net/IFACE/speed. Returns undefined for anything that is
 * not one integer; a negative speed (-1: unknown, e.g. virtual or link down) also stays undefined.
 */
export function parseSysfsInt(text: string): number | undefined {
  return int(text.trim());
}

export function parseSpeed(text: string): number | undefined {
  const v = parseSysfsInt(text);
  return v === undefined || v <= 0 || v === 0xffffffff ? undefined : v;
}

/** operstate / duplex words ("up", "down", "unknown", "full"...); anything odd becomes undefined. */
export function parseSysfsWord(text: string): string | undefined {
  const w = text.trim();
  return /^[a-z]{1,16}$/.test(w) ? w : undefined;
}
