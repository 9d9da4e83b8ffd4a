import type { ProbeDefinition } from './probe.js';
import type { NativeAddon } from './addon.js';
import { ETH_PROTOCOLS } from './addresses.js';
import { expectDump, u64Exact } from './dump.js';
import { kernelSymbol, type KernelSymbols } from './kallsyms.js';
import { structLayout } from './layout.js';
import { RUN_FIELDS, runValues } from './tables.js';
import type { BpfMapDump } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';

/** native/bpf/drops.h: struct drop_key (key of the `drops` map; value: u64 count). */
export const DROP_KEY = structLayout('drops', 'drop_key', 24, { location: [0, 8], reason: [8, 4], netns: [12, 4], protocol: [16, 2] });

export interface Drop {
  readonly reason: string;
  readonly reasonCode: number;
  readonly location: string;
  readonly netns: number;
  readonly protocol: string;
  readonly count: number;
}

export interface DropsResult {
  readonly total: number;
  readonly drops: readonly Drop[];
  /** Why locations are addresses, when they are. */
  readonly note?: string;
}

/** enum skb_drop_reason value -> name without the SKB_DROP_REASON_ prefix. */
export function reasonNames(entries: ReadonlyArray<{ name: string; value: number }>): Map<number, string> {
  return new Map(entries.map((e) => [e.value, e.name.replace(/^SKB_DROP_REASON_/, '')]));
}

/** Names kernel addresses: from kallsyms (live), or the names a capture kept. */
export type SymbolNames = KernelSymbols | Readonly<Record<string, string>>;

function nameOf(syms: SymbolNames | undefined, addr: bigint): string | undefined {
  if (syms === undefined) return undefined;
  if ('addrs' in syms && Array.isArray(syms.addrs)) return kernelSymbol(syms as KernelSymbols, addr);
  const byHex = syms as Readonly<Record<string, string>>;
  return Object.hasOwn(byHex, addr.toString(16)) ? byHex[addr.toString(16)] : undefined;
}

/** Decode the `drops` map (key DROP_KEY, value u64). */
export function decodeDrops(d: BpfMapDump, reasons: Map<number, string>, syms: SymbolNames | undefined): Drop[] {
  const out: Drop[] = [];
  const m = DROP_KEY.members;
  for (let i = 0; i < d.count; i++) {
    const k = d.keys.subarray(i * d.keySize, (i + 1) * d.keySize);
    if (k.length < DROP_KEY.size) continue;
    const location = k.readBigUInt64LE(m.location.offset);
    const reasonCode = k.readUInt32LE(m.reason.offset);
    const proto = k.readUInt16BE(m.protocol.offset);
    out.push({
      reasonCode,
      reason: reasons.get(reasonCode) ?? `reason ${reasonCode}`,
      location: nameOf(syms, location) ?? `0x${location.toString(16)}`,
      netns: k.readUInt32LE(m.netns.offset),
      protocol: ETH_PROTOCOLS[proto] ?? `0x${proto.toString(16).padStart(4, '0')}`,
      count: u64Exact(d.values, i * d.valueStride),
    });
  }
  return out.sort((a, b) => b.count - a.count);
}

/** The kernel's drop reasons, read once per process from its BTF. */
let reasonCache: Array<{ name: string; value: number }> | undefined;
function dropReasons(addon: NativeAddon): Array<{ name: string; value: number }> {
  reasonCache ??= addon.btfEnum('skb_drop_reason') ?? [];
  return reasonCache;
}

const dropsOf = (maps: Readonly<Record<string, BpfMapDump>>) => expectDump(maps, 'drops', { keySize: DROP_KEY.size, valueStride: 8 });

export const dropsProbe: ProbeDefinition<DropsResult> = {
  id: 'drops',
  title: 'packets dropped by the kernel, by drop reason, kernel location and network namespace',
  object: 'drops',
  layouts: [DROP_KEY],
  variants: [
    { hook: 'tp_btf', programs: ['kfree_skb_btf'] },
    { hook: 'raw_tp', programs: ['kfree_skb_raw'] },
    { hook: 'tp', programs: ['kfree_skb_tp'] },
  ],
  filter: false,
  configure(obj, ctx) {
    const consumed = dropReasons(ctx.addon).find((e) => e.name === 'SKB_CONSUMED');
    if (consumed !== undefined) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(consumed.value);
      obj.setGlobal('consumed_reason', b);
    }
  },
  maps: ['drops'],
  enums: ['skb_drop_reason'],
  kernelAddresses(maps) {
    const d = dropsOf(maps);
    const out: bigint[] = [];
    for (let i = 0; i < d.count; i++) out.push(d.keys.readBigUInt64LE(i * d.keySize + DROP_KEY.members.location.offset));
    return out;
  },
  decode(cap) {
    const drops = decodeDrops(dropsOf(cap.maps), reasonNames(cap.enums.skb_drop_reason ?? []), cap.symbols);
    const note = cap.notes.length > 0 ? cap.notes.join('; ') : undefined;
    return { total: drops.reduce((a, d) => a + d.count, 0), drops, ...(note ? { note } : {}) };
  },
  collector: {
    resources: ['network'],
    tables: {
      drops: {
        title: 'Packets the kernel dropped over the probe\'s run, by reason, kernel location, network namespace and protocol',
        scope: 'drop',
        fields: { packets: gauge('packets dropped') },
      },
      drops_summary: { title: 'Packet drop probe: packets, duration and lost events', scope: 'host', fields: { packets: gauge('packets dropped'), ...RUN_FIELDS } },
    },
    rows: (r, cap) => ({
      drops: r.drops.map((d) => ({
        key: `${d.reason}@${d.location}@${d.netns}/${d.protocol}`,
        labels: { reason: d.reason, location: d.location, netns: String(d.netns), protocol: d.protocol },
        values: { packets: d.count },
      })),
      drops_summary: [{ key: 'host', values: { packets: r.total, ...runValues(cap) } }],
    }),
  },
};
