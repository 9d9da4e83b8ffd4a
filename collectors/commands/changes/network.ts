import { parsed, parseFail, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Interfaces and routes as changes. The kernel keeps no creation time for an interface or a
 * route (a /sys/class/net entry's times are those of its first lookup, not of the device), so
 * diag says only what it can time honestly:
 *  - kernel log lines that name an interface (link up, renamed, promiscuous mode, bridge port
 *    states) carry the kernel's own time;
 *  - between two reads of one running diag (the TUI every 5 minutes, diag record every 10), an
 *    interface or route that was not there at the first read and is at the second appeared in
 *    between: reported at the second read's time with the first read's time as its bound, never
 *    a time in between that nothing measured.
 */

/** Interface names of /proc/net/dev (the reader's network namespace). */
export function parseNetDevNames(text: string): ParseResult<string[]> {
  const lines = text.split('\n');
  if (!/\|\s*bytes/.test(lines[1] ?? '')) return parseFail('/proc/net/dev', `expected the two header lines, got "${(lines[0] ?? '').slice(0, 40)}"`);
  const out: string[] = [];
  for (const l of lines.slice(2)) {
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const name = l.slice(0, c).trim();
    if (name.length > 0 && name.length <= 15 && !/\s/.test(name)) out.push(name);
  }
  return parsed(out);
}

function hexV4(h: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(h)) return undefined;
  const n = parseInt(h, 16);
  // /proc/net/route prints the address as the host's (little-endian) 32-bit word
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function maskBits(mask: string): number {
  let n = 0;
  for (const p of mask.split('.')) n += Number(p).toString(2).replace(/0/g, '').length;
  return n;
}

/** One route as diag names it: "DEST/LEN via GW dev IF" (no "via" for a connected route). */
export interface RouteLine {
  readonly key: string;
  readonly dev: string;
}

/** /proc/net/route (IPv4 main table): Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
export function parseIpv4Routes(text: string): ParseResult<RouteLine[]> {
  const lines = text.split('\n');
  if (!/^Iface\s+Destination\s+Gateway/.test(lines[0] ?? '')) return parseFail('/proc/net/route', `expected the header "Iface Destination Gateway ...", got "${(lines[0] ?? '').slice(0, 40)}"`);
  const out: RouteLine[] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = hexV4(f[1]!);
    const gw = hexV4(f[2]!);
    const mask = hexV4(f[7]!);
    if (dest === undefined || gw === undefined || mask === undefined || !/^\d+$/.test(f[6]!)) continue;
    const via = gw === '0.0.0.0' ? '' : ` via ${gw}`;
    out.push({ key: `${dest}/${maskBits(mask)}${via} dev ${f[0]} metric ${f[6]}`, dev: f[0]! });
  }
  return parsed(out);
}

function hexV6(h: string): string {
  const groups = h.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  const s = groups.join(':');
  // the longest run of zero groups as "::"
  const runs = [...s.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((a, b) => b[0].length - a[0].length);
  const r = runs[0];
  if (!r) return s.toLowerCase();
  return `${s.slice(0, r.index)}::${s.slice(r.index + r[0].length)}`.toLowerCase();
}

/** RTF_CACHE: a cloned route of the IPv6 route cache, not one anybody configured. */
const RTF_CACHE = 0x01000000;

/** /proc/net/ipv6_route: dest plen src splen nexthop metric refcnt use flags iface (hex fields). */
export function parseIpv6Routes(text: string): ParseResult<RouteLine[]> {
  const out: RouteLine[] = [];
  for (const l of text.split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [dest, plen, , , hop, metric, , , flags, dev] = f as [string, string, string, string, string, string, string, string, string, string];
    if (!/^[0-9a-f]{32}$/i.test(dest) || !/^[0-9a-f]{32}$/i.test(hop) || !/^[0-9a-f]{2}$/i.test(plen) || !/^[0-9a-f]{8}$/i.test(metric) || !/^[0-9a-f]{8}$/i.test(flags)) continue;
    if ((parseInt(flags, 16) & RTF_CACHE) !== 0 || dev === 'lo') continue;
    const gw = /^0+$/.test(hop) ? '' : ` via ${hexV6(hop)}`;
    out.push({ key: `${hexV6(dest)}/${parseInt(plen, 16)}${gw} dev ${dev} metric ${parseInt(metric, 16)}`, dev });
  }
  return parsed(out);
}

/** What a kernel log line says happened to an interface, if anything. */
export interface InterfaceEvent {
  readonly iface: string;
  readonly action: string;
}

const IFACE_PATTERNS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => InterfaceEvent]> = [
  [/(?:^|\s)([^\s:()]{1,15}): (?:\S+: )?(?:\S+ )?(?:NIC )?Link is Up\b/, (m) => ({ iface: m[1]!, action: 'link up' })],
  [/(?:^|\s)([^\s:()]{1,15}): renamed from ([^\s:()]{1,15})/, (m) => ({ iface: m[1]!, action: `renamed from ${m[2]!}` })],
  [/(?:^|\s)(?:device )?([^\s:()]{1,15}):? (entered|left) promiscuous mode/, (m) => ({ iface: m[1]!, action: m[2] === 'entered' ? 'promiscuous on' : 'promiscuous off' })],
  [/port \d+\(([^\s:()]{1,15})\) entered (\w+) state/, (m) => ({ iface: m[1]!, action: `bridge port ${m[2]!}` })],
];

/** A word every IFACE_PATTERNS line holds (one test before the patterns). */
export const INTERFACE_WORDS = /link is up|renamed from|promiscuous mode| state$/i;

export function interfaceEventOf(msg: string): InterfaceEvent | undefined {
  for (const [re, f] of IFACE_PATTERNS) {
    const m = re.exec(msg);
    if (m) return f(m);
  }
  return undefined;
}
