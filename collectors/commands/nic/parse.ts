import { parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** `ethtool -i IFACE`: driver identity. Empty fields (virtual devices) stay undefined. */
export interface EthtoolInfo {
  readonly driver: string | undefined;
  readonly version: string | undefined;
  readonly firmware: string | undefined;
  readonly bus: string | undefined;
}

export function parseEthtoolInfo(text: string): ParseResult<EthtoolInfo> {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if (/^[a-z-]{1,40}$/.test(k) && !kv.has(k)) kv.set(k, v.slice(0, 200));
  }
  const get = (k: string) => {
    const v = kv.get(k);
    return v === undefined || v.length === 0 ? undefined : v;
  };
  if (!kv.has('driver')) return parseFail('ethtool -i', 'no "driver:" line');
  return parsed({ driver: get('driver'), version: get('version'), firmware: get('firmware-version'), bus: get('bus-info') });
}

/** `ethtool -g IFACE`: ring sizes. "n/a" stays undefined. */
export interface EthtoolRings {
  readonly rxMax: number | undefined;
  readonly txMax: number | undefined;
  readonly rx: number | undefined;
  readonly tx: number | undefined;
}

export function parseEthtoolRings(text: string): ParseResult<EthtoolRings> {
  let section: 'max' | 'cur' | undefined;
  const out: { -readonly [K in keyof EthtoolRings]: EthtoolRings[K] } = { rxMax: undefined, txMax: undefined, rx: undefined, tx: undefined };
  let seen = 0;
  for (const line of text.split('\n')) {
    if (/^Pre-set maximums:/.test(line)) {
      section = 'max';
      seen++;
      continue;
    }
    if (/^Current hardware settings:/.test(line)) {
      section = 'cur';
      seen++;
      continue;
    }
    const m = /^(RX|TX):\s+(\S+)\s*$/.exec(line);
    if (!m || section === undefined) continue;
    const v = uint(m[2]);
    if (section === 'max') {
      if (m[1] === 'RX') out.rxMax = v;
      else out.txMax = v;
    } else if (m[1] === 'RX') out.rx = v;
    else out.tx = v;
  }
  if (seen === 0) return parseFail('ethtool -g', 'no "Pre-set maximums:" or "Current hardware settings:" section');
  return parsed(out);
}

export interface EthtoolStat {
  readonly name: string;
  readonly value: number;
}

/**
 * `ethtool -S IFACE`: "NIC statistics:" then "     name: value". Names may hold colons and
 * blanks (bnxt_en prints "[0]: rx_ucast_packets"), so the value is what follows the last ": ".
 * A line whose value is not an unsigned integer is skipped (never read as zero).
 */
export function parseEthtoolStats(text: string): ParseResult<EthtoolStat[]> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^NIC statistics:\s*$/.test(l));
  if (start === -1) return parseFail('ethtool -S', 'no "NIC statistics:" header');
  const out: EthtoolStat[] = [];
  const seen = new Set<string>();
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^\s+(.+):\s+(\S+)\s*$/.exec(lines[i]!);
    if (!m) continue;
    const name = m[1]!.trim();
    const value = uint(m[2]);
    if (value === undefined || name.length === 0 || name.length > 128 || seen.has(name)) continue;
    seen.add(name);
    out.push({ name, value });
  }
  return parsed(out);
}
