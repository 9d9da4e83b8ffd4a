import { createHash } from 'node:crypto';

/**
 * --obfuscate: IPv4/IPv6 addresses, MAC addresses and host names are replaced consistently
 * across the whole bundle (the same input always maps to the same output), keeping what analysis
 * needs: an address keeps its class (loopback, private, link-local, multicast, public) and its
 * text length, so columns in `ss` or `ip` output stay aligned; a host name keeps its length.
 */

type V4Class = 'loopback' | 'private10' | 'private172' | 'private192' | 'linklocal' | 'cgnat' | 'multicast' | 'unspecified' | 'broadcast' | 'public';

export function ipv4Class(octets: readonly number[]): V4Class {
  const [a = 0, b = 0] = octets;
  if (octets.every((o) => o === 0)) return 'unspecified';
  if (octets.every((o) => o === 255)) return 'broadcast';
  if (a === 127) return 'loopback';
  if (a === 10) return 'private10';
  if (a === 172 && b >= 16 && b <= 31) return 'private172';
  if (a === 192 && b === 168) return 'private192';
  if (a === 169 && b === 254) return 'linklocal';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if (a >= 224 && a <= 239) return 'multicast';
  return 'public';
}

const V4_RE = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/g;
const MAC_RE = /(?<![0-9A-Fa-f:])([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?![0-9A-Fa-f:])/g;
// Candidate IPv6: hex groups with at least two colons; validated by isIpv6 before replacing.
const V6_RE = /(?<![0-9A-Fa-f:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Fa-f:.])/g;

export class Obfuscator {
  private readonly map = new Map<string, string>();
  private readonly used = new Set<string>();
  readonly counts = { ipv4: 0, ipv6: 0, mac: 0, hostname: 0 };
  private readonly hostnames: string[];

  constructor(
    private readonly secret: string,
    hostnames: readonly string[] = [],
  ) {
    // Longest first, so "db1.example.com" is replaced before "db1".
    this.hostnames = [...new Set(hostnames.filter((h) => h.length >= 2))].sort((a, b) => b.length - a.length);
  }

  private rand(input: string, attempt: number): number[] {
    const h = createHash('sha256').update(`${this.secret}\u0000${input}\u0000${attempt}`).digest();
    return [...h];
  }

  private remember(kind: keyof Obfuscator['counts'], input: string, make: (attempt: number) => string | undefined): string {
    const known = this.map.get(input);
    if (known !== undefined) return known;
    for (let attempt = 0; attempt < 64; attempt++) {
      const out = make(attempt);
      if (out !== undefined && out !== input && !this.used.has(out)) {
        this.map.set(input, out);
        this.used.add(out);
        this.counts[kind]++;
        return out;
      }
    }
    return input;
  }

  /** An octet whose decimal text has exactly `digits` digits, within [lo, hi]. */
  private static octet(r: number, digits: number, lo = 0, hi = 255): number | undefined {
    const min = Math.max(lo, digits === 1 ? 0 : digits === 2 ? 10 : 100);
    const max = Math.min(hi, digits === 1 ? 9 : digits === 2 ? 99 : 255);
    if (min > max) return undefined;
    return min + (r % (max - min + 1));
  }

  ipv4(addr: string): string {
    const parts = addr.split('.');
    const o = parts.map(Number);
    const cls = ipv4Class(o);
    if (cls === 'unspecified' || cls === 'broadcast' || (cls === 'loopback' && addr === '127.0.0.1')) return addr;
    return this.remember('ipv4', addr, (attempt) => {
      const r = this.rand(addr, attempt);
      const d = parts.map((p) => p.length);
      // Keep the octets that carry the class; draw the rest with the same number of digits.
      const keep = cls === 'public' || cls === 'multicast' ? 0 : cls === 'loopback' || cls === 'private10' ? 1 : 2;
      const out: number[] = [];
      for (let i = 0; i < 4; i++) {
        if (i < keep && !(cls === 'private172' && i === 1)) {
          out.push(o[i]!);
          continue;
        }
        let v: number | undefined;
        if (cls === 'private172' && i === 1) v = Obfuscator.octet(r[i]!, d[i]!, 16, 31);
        else if (cls === 'public' && i === 0) {
          // a public first octet of the same length that is not special
          for (let k = 0; k < 8 && v === undefined; k++) {
            const c = Obfuscator.octet(r[i + 8 + k]!, d[i]!, 1, 223);
            if (c !== undefined && ![10, 100, 127, 169, 172, 192].includes(c)) v = c;
          }
        } else if (cls === 'multicast' && i === 0) v = Obfuscator.octet(r[i]!, d[i]!, 224, 239);
        else v = Obfuscator.octet(r[i]!, d[i]!, i === 3 ? 1 : 0, i === 3 ? 254 : 255);
        if (v === undefined) return undefined;
        out.push(v);
      }
      const s = out.join('.');
      return ipv4Class(out) === cls ? s : undefined;
    });
  }

  ipv6(addr: string): string {
    const lower = addr.toLowerCase();
    if (lower === '::' || lower === '::1') return addr;
    // Keep the prefix that says the class: fe80 (link-local), fc/fd (ULA), ff (multicast), 2000::/3.
    const firstGroup = lower.startsWith('::') ? '' : (lower.split(':')[0] ?? '');
    return this.remember('ipv6', addr, (attempt) => {
      const r = this.rand(addr, attempt);
      let i = 0;
      const out = addr.replace(/[0-9A-Fa-f]/g, (c, idx: number) => {
        if (idx < firstGroup.length) return c; // the class-bearing first group stays
        const v = r[i++ % r.length]! % 16;
        const hex = v.toString(16);
        return c === c.toUpperCase() && /[A-F]/.test(c) ? hex.toUpperCase() : hex;
      });
      return out;
    });
  }

  mac(addr: string): string {
    const lower = addr.toLowerCase();
    if (lower === '00:00:00:00:00:00' || lower === 'ff:ff:ff:ff:ff:ff') return addr;
    return this.remember('mac', lower, (attempt) => {
      const r = this.rand(lower, attempt);
      const first = Number.parseInt(lower.slice(0, 2), 16);
      // keep the multicast bit; set the locally-administered bit so it is never a real vendor's
      const b0 = (first & 0x01) | 0x02 | (r[0]! & 0xfc);
      const bytes = [b0, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!];
      return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
    });
  }

  hostname(name: string): string {
    return this.remember('hostname', name, (attempt) => {
      const r = this.rand(name, attempt);
      const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
      let k = 0;
      // keep dots and dashes where they were (length and shape), letters first
      return name.replace(/[A-Za-z0-9]/g, (_c, idx: number) => (idx === 0 ? 'h' : alphabet[r[k++ % r.length]! % alphabet.length]!));
    });
  }

  text(input: string): string {
    let out = input;
    for (const h of this.hostnames) {
      if (!out.includes(h)) continue;
      // Whole names only: a host called "vm" must not turn /proc/vmstat into /proc/h7stat.
      const re = new RegExp(`(?<![A-Za-z0-9_.-])${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9_-])`, 'g');
      out = out.replace(re, () => this.hostname(h));
    }
    out = out.replace(V4_RE, (m: string, a: string, b: string, c: string, d: string) => ([a, b, c, d].every((x) => Number(x) <= 255) ? this.ipv4(m) : m));
    out = out.replace(MAC_RE, (m: string) => this.mac(m));
    out = out.replace(V6_RE, (m: string) => (isIpv6(m) ? this.ipv6(m) : m));
    return out;
  }
}

/** A strict enough IPv6 check to tell addresses from times ("12:30:45") and MAC-like text. */
export function isIpv6(s: string): boolean {
  if (!s.includes(':')) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = s.split(':').filter((g) => g.length > 0);
  if (groups.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  if (dbl.length === 1) return groups.length === 8;
  return groups.length <= 7 && (groups.length >= 1 || s === '::');
}
