import { parsed, parseFail, type ParseResult } from '../../src/core/parse-result.js';

/** Kernel text symbols from /proc/kallsyms, sorted by address, for address -> name. */
export interface KernelSymbols {
  readonly addrs: readonly bigint[];
  readonly names: readonly string[];
  /** All addresses were 0: hidden by kptr_restrict (needs CAP_SYSLOG or kptr_restrict=0). */
  readonly hidden: boolean;
}

const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);

/** Parse /proc/kallsyms ("ffffffff81000000 T _stext" or "... t name\t[module]"). */
export function parseKallsyms(text: string): ParseResult<KernelSymbols> {
  const entries: Array<{ addr: bigint; name: string }> = [];
  let lines = 0;
  let zero = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    lines++;
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp1 !== 16 && sp1 !== 8) continue;
    if (sp2 !== sp1 + 2) continue;
    const hex = line.slice(0, sp1);
    if (!/^[0-9a-f]+$/.test(hex)) continue;
    const type = line[sp1 + 1] ?? '';
    if (!TEXT_TYPES.has(type)) continue;
    const rest = line.slice(sp2 + 1);
    const tab = rest.indexOf('\t');
    const name = tab < 0 ? rest : `${rest.slice(0, tab)} ${rest.slice(tab + 1).trim()}`;
    if (name === '') continue;
    const addr = BigInt(`0x${hex}`);
    if (addr === 0n) zero++;
    entries.push({ addr, name });
  }
  if (lines > 0 && entries.length === 0) return parseFail('/proc/kallsyms', 'no text symbols with an address');
  entries.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return parsed({ addrs: entries.map((e) => e.addr), names: entries.map((e) => e.name), hidden: entries.length > 0 && zero === entries.length });
}

/** The symbol containing this address (the nearest one at or below it), or undefined. */
export function kernelSymbol(syms: KernelSymbols, addr: bigint): string | undefined {
  if (syms.hidden) return undefined;
  let lo = 0;
  let hi = syms.addrs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((syms.addrs[mid] ?? 0n) <= addr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? undefined : syms.names[found];
}
