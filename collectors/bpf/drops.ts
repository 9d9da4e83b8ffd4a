import type { ProbeDefinition } from './probe.js';
import type { MapDump, NativeAddon } from './addon.js';
import { ETH_PROTOCOLS } from './addresses.js';
import { kernelSymbol, parseKallsyms, type KernelSymbols } from './kallsyms.js';
import { structLayout } from './layout.js';

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

/** Decode the `drops` map (key DROP_KEY, value u64). */
export function decodeDrops(d: MapDump, reasons: Map<number, string>, syms: KernelSymbols | undefined): Drop[] {
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
      location: (syms && kernelSymbol(syms, location)) ?? `0x${location.toString(16)}`,
      netns: k.readUInt32LE(m.netns.offset),
      protocol: ETH_PROTOCOLS[proto] ?? `0x${proto.toString(16).padStart(4, '0')}`,
      count: Number(d.values.readBigUInt64LE(i * d.valueStride)),
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
  finish(s) {
    const reasons = reasonNames(dropReasons(s.ctx.addon));
    const k = s.ctx.src.readFile('/proc/kallsyms');
    const p = k.status === 'ok' ? parseKallsyms(k.value) : undefined;
    const syms = p?.ok ? p.value : undefined;
    const drops = decodeDrops(s.obj.dump('drops'), reasons, syms);
    const note = syms === undefined ? '/proc/kallsyms unreadable: locations are addresses' : syms.hidden ? 'kernel addresses are hidden (kptr_restrict; needs CAP_SYSLOG): locations are addresses' : undefined;
    return { total: drops.reduce((a, d) => a + d.count, 0), drops, ...(note ? { note } : {}) };
  },
  render(r) {
    const lines = [`${r.total} packets dropped`];
    if (r.note) lines.push(`(${r.note})`);
    if (r.drops.length > 0) lines.push(`${'COUNT'.padStart(7)}  ${'REASON'.padEnd(24)} ${'PROTO'.padEnd(6)} ${'NETNS'.padEnd(11)} LOCATION`);
    for (const d of r.drops.slice(0, 50)) lines.push(`${String(d.count).padStart(7)}  ${d.reason.padEnd(24)} ${d.protocol.padEnd(6)} ${String(d.netns).padEnd(11)} ${d.location}`);
    return lines.join('\n') + '\n';
  },
};
