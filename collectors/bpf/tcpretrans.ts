import type { ProbeDefinition } from './probe.js';
import type { MapDump } from './addon.js';
import { addressText, TCP_STATES } from './addresses.js';

export interface Retransmission {
  readonly netns: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly saddr: string;
  readonly sport: number;
  readonly daddr: string;
  readonly dport: number;
  readonly state: string;
  readonly count: number;
}

export interface TcpretransResult {
  readonly total: number;
  readonly connections: readonly Retransmission[];
}

/** Decode the `retrans` map (native/bpf/tcpretrans.h, 48-byte key, u64 value). */
export function decodeRetrans(d: MapDump): Retransmission[] {
  const out: Retransmission[] = [];
  for (let i = 0; i < d.count; i++) {
    const k = d.keys.subarray(i * d.keySize, (i + 1) * d.keySize);
    if (k.length < 48) continue;
    const familyNum = k.readUInt16LE(4);
    const stateNum = k.readUInt8(10);
    out.push({
      netns: k.readUInt32LE(0),
      family: familyNum === 10 ? 'ipv6' : 'ipv4',
      sport: k.readUInt16LE(6),
      dport: k.readUInt16BE(8),
      state: TCP_STATES[stateNum] ?? `state ${stateNum}`,
      saddr: addressText(k.subarray(16, 32), familyNum),
      daddr: addressText(k.subarray(32, 48), familyNum),
      count: Number(d.values.readBigUInt64LE(i * d.valueStride)),
    });
  }
  return out.sort((a, b) => b.count - a.count);
}

const endpoint = (addr: string, port: number, family: string): string => (family === 'ipv6' ? `[${addr}]:${port}` : `${addr}:${port}`);

export const tcpretransProbe: ProbeDefinition<TcpretransResult> = {
  id: 'tcpretrans',
  title: 'TCP retransmissions per connection, with state and network namespace',
  object: 'tcpretrans',
  variants: [
    { hook: 'tp_btf', programs: ['retransmit_btf'] },
    { hook: 'raw_tp', programs: ['retransmit_raw'] },
  ],
  filter: false,
  finish(s) {
    const connections = decodeRetrans(s.obj.dump('retrans'));
    return { total: connections.reduce((a, c) => a + c.count, 0), connections };
  },
  render(r) {
    const lines = [`${r.total} retransmitted segments`];
    if (r.connections.length > 0) lines.push(`${'COUNT'.padStart(7)}  ${'STATE'.padEnd(12)} ${'LOCAL'.padEnd(28)} ${'REMOTE'.padEnd(28)} NETNS`);
    for (const c of r.connections.slice(0, 50))
      lines.push(`${String(c.count).padStart(7)}  ${c.state.padEnd(12)} ${endpoint(c.saddr, c.sport, c.family).padEnd(28)} ${endpoint(c.daddr, c.dport, c.family).padEnd(28)} ${c.netns}`);
    return lines.join('\n') + '\n';
  },
};
