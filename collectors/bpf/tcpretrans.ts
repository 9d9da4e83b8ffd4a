import type { ProbeDefinition } from './probe.js';
import { addressText, TCP_STATES } from './addresses.js';
import { expectDump, u64Exact } from './dump.js';
import { structLayout } from './layout.js';
import { RUN_FIELDS, runValues } from './tables.js';
import type { BpfMapDump } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';

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
export function decodeRetrans(d: BpfMapDump): Retransmission[] {
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
      count: u64Exact(d.values, i * d.valueStride),
    });
  }
  return out.sort((a, b) => b.count - a.count);
}

/** "addr:port", IPv6 in brackets. */
export const endpoint = (addr: string, port: number, family: string): string => (family === 'ipv6' ? `[${addr}]:${port}` : `${addr}:${port}`);

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
  maps: ['retrans'],
  carries: ['addresses'],
  decode(cap) {
    const connections = decodeRetrans(expectDump(cap.maps, 'retrans', { keySize: RETRANS_KEY.size, valueStride: 8 }));
    return { total: connections.reduce((a, c) => a + c.count, 0), connections };
  },
  collector: {
    resources: ['network'],
    tables: {
      tcpretrans: {
        title: 'TCP retransmissions per flow over the probe\'s run (local > remote, state, network namespace)',
        scope: 'flow',
        fields: { retransmits: gauge('segments retransmitted') },
      },
      tcpretrans_summary: { title: 'TCP retransmission probe: segments, flows, duration and lost events', scope: 'host', fields: { retransmits: gauge('segments retransmitted'), flows: gauge('flows that retransmitted'), ...RUN_FIELDS } },
    },
    rows: (r, cap) => ({
      tcpretrans: r.connections.map((c) => ({
        key: `${endpoint(c.saddr, c.sport, c.family)}>${endpoint(c.daddr, c.dport, c.family)}@${c.netns}`,
        labels: { state: c.state, family: c.family, local: endpoint(c.saddr, c.sport, c.family), remote: endpoint(c.daddr, c.dport, c.family), netns: String(c.netns) },
        values: { retransmits: c.count },
      })),
      tcpretrans_summary: [{ key: 'host', values: { retransmits: r.total, flows: r.connections.length, ...runValues(cap) } }],
    }),
  },
};
