import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Function symbols of one ELF file, sorted by address, plus its loadable segments. User-space
 * addresses stay below 2^53, so plain numbers (Float64Array) hold them exactly; names are
 * decoded only when looked up. */
export interface ElfSymbols {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  /** Symbol count. */
  readonly length: number;
  name(i: number): string;
  /** PT_LOAD segments: file offset -> virtual address. */
  readonly loads: ReadonlyArray<{ offset: number; vaddr: number; filesz: number }>;
}

const u64 = (b: Buffer, at: number): number => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x1_0000_0000;

const MAX_TABLE = 64 << 20;

/** Reads only what symbolisation needs (headers, section table, symbol and string tables) with
 * positioned reads: binaries can be hundreds of MB. Undefined when not a 64-bit little-endian
 * ELF or unreadable. Binary files cannot go through the text Source seam; this reads the host
 * path it is given (callers pass /proc/PID/root/... so containers resolve correctly). */
export function readElfSymbols(path: string): ElfSymbols | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const at = (off: number, len: number): Buffer | undefined => {
      if (off < 0 || len < 0 || len > MAX_TABLE || off + len > size) return undefined;
      const b = Buffer.alloc(len);
      const n = readSync(fd as number, b, 0, len, off);
      return n === len ? b : undefined;
    };
    const eh = at(0, 64);
    if (!eh || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return undefined;
    const phoff = u64(eh, 0x20);
    const shoff = u64(eh, 0x28);
    const phentsize = eh.readUInt16LE(0x36);
    const phnum = eh.readUInt16LE(0x38);
    const shentsize = eh.readUInt16LE(0x3a);
    const shnum = eh.readUInt16LE(0x3c);
    const loads: Array<{ offset: number; vaddr: number; filesz: number }> = [];
    const ph = at(phoff, phentsize * phnum);
    for (let i = 0; ph && phentsize >= 56 && i < phnum; i++) {
      const o = i * phentsize;
      if (ph.readUInt32LE(o) === 1) loads.push({ offset: u64(ph, o + 8), vaddr: u64(ph, o + 16), filesz: u64(ph, o + 32) });
    }
    const sh = at(shoff, shentsize * shnum);
    const starts: number[] = [];
    const ends: number[] = [];
    const nameOff: number[] = [];
    const strtabs: Buffer[] = [];
    const strOf: number[] = [];
    for (let i = 0; sh && shentsize >= 64 && i < shnum; i++) {
      const o = i * shentsize;
      const type = sh.readUInt32LE(o + 4);
      if (type !== 2 && type !== 11) continue; // SHT_SYMTAB, SHT_DYNSYM
      const link = sh.readUInt32LE(o + 40);
      const entsize = u64(sh, o + 56) || 24;
      const tab = at(u64(sh, o + 24), u64(sh, o + 32));
      const so = link * shentsize;
      if (!tab || so + 64 > sh.length) continue;
      const str = at(u64(sh, so + 24), u64(sh, so + 32));
      if (!str) continue;
      strtabs.push(str);
      const which = strtabs.length - 1;
      for (let s = 0; s + 24 <= tab.length; s += entsize) {
        if ((tab[s + 4] ?? 0) % 16 !== 2) continue; // STT_FUNC
        const value = u64(tab, s + 8);
        if (value === 0) continue;
        const size = u64(tab, s + 16);
        starts.push(value);
        ends.push(value + (size === 0 ? 1 : size));
        nameOff.push(tab.readUInt32LE(s));
        strOf.push(which);
      }
    }
    const order = Array.from(starts.keys()).sort((x, y) => (starts[x] ?? 0) - (starts[y] ?? 0));
    const sortedStarts = Float64Array.from(order, (i) => starts[i] ?? 0);
    const sortedEnds = Float64Array.from(order, (i) => ends[i] ?? 0);
    return {
      starts: sortedStarts,
      ends: sortedEnds,
      length: order.length,
      loads,
      name(i: number): string {
        const k = order[i];
        if (k === undefined) return '';
        const str = strtabs[strOf[k] ?? 0];
        const off = nameOff[k] ?? 0;
        if (!str || off >= str.length) return '';
        const end = str.indexOf(0, off);
        return str.toString('utf8', off, end < 0 ? str.length : end);
      },
    };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Name of the function holding this file offset, if the ELF has a symbol for it. */
export function elfSymbolAt(elf: ElfSymbols, fileOffset: bigint): string | undefined {
  const off = Number(fileOffset);
  const seg = elf.loads.find((l) => off >= l.offset && off < l.offset + l.filesz);
  const vaddr = seg ? off - seg.offset + seg.vaddr : off;
  let lo = 0;
  let hi = elf.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((elf.starts[mid] ?? 0) <= vaddr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  // Symbols can nest or overlap (aliases): the nearest start that still covers the address.
  for (let i = found; i >= 0 && i > found - 8; i--) if (vaddr < (elf.ends[i] ?? 0)) return elf.name(i);
  return undefined;
}
