import type { ProbeDefinition } from './probe.js';
import type { MapDump } from './addon.js';
import { addressText, TCP_STATES } from './addresses.js';
import { structLayout } from './layout.js';

/** native/bpf/tcpretrans.h: struct retrans_key (key of the `retrans` map; value: u64 count). */
export const RETRANS_KEY = structLayout('tcpretrans', 'retrans_key', 48, {
  netns: [0, 4],
  family: [4, 2],
  sport: [6, 2],
  dport: [8, 2],
  state: [10, 1],
  saddr: [16, 16],
  daddr: [32, 16],
});

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

/** Decode the `retrans` map (key RETRANS_KEY, value u64). */
export function decodeRetrans(d: MapDump): Retransmission[] {
  const out: Retransmission[] = [];
  const m = RETRANS_KEY.members;
  const bytes = (k: Buffer, f: { offset: number; size: number }) => k.subarray(f.offset, f.offset + f.size);
  for (let i = 0; i < d.count; i++) {
    const k = d.keys.subarray(i * d.keySize, (i + 1) * d.keySize);
    if (k.length < RETRANS_KEY.size) continue;
    const familyNum = k.readUInt16LE(m.family.offset);
    const stateNum = k.readUInt8(m.state.offset);
    out.push({
      netns: k.readUInt32LE(m.netns.offset),
      family: familyNum === 10 ? 'ipv6' : 'ipv4',
      sport: k.readUInt16LE(m.sport.offset),
      dport: k.readUInt16BE(m.dport.offset),
      state: TCP_STATES[stateNum] ?? `state ${stateNum}`,
      saddr: addressText(bytes(k, m.saddr), familyNum),
      daddr: addressText(bytes(k, m.daddr), familyNum),
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
  layouts: [RETRANS_KEY],
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
