import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Function symbols of one ELF file, sorted by address, plus its loadable segments. */
export interface ElfSymbols {
  readonly starts: readonly bigint[];
  readonly ends: readonly bigint[];
  readonly names: readonly string[];
  /** PT_LOAD segments: file offset -> virtual address. */
  readonly loads: ReadonlyArray<{ offset: bigint; vaddr: bigint; filesz: bigint }>;
}

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
    const phoff = Number(eh.readBigUInt64LE(0x20));
    const shoff = Number(eh.readBigUInt64LE(0x28));
    const phentsize = eh.readUInt16LE(0x36);
    const phnum = eh.readUInt16LE(0x38);
    const shentsize = eh.readUInt16LE(0x3a);
    const shnum = eh.readUInt16LE(0x3c);
    const loads: Array<{ offset: bigint; vaddr: bigint; filesz: bigint }> = [];
    const ph = at(phoff, phentsize * phnum);
    for (let i = 0; ph && phentsize >= 56 && i < phnum; i++) {
      const o = i * phentsize;
      if (ph.readUInt32LE(o) === 1) loads.push({ offset: ph.readBigUInt64LE(o + 8), vaddr: ph.readBigUInt64LE(o + 16), filesz: ph.readBigUInt64LE(o + 32) });
    }
    const sh = at(shoff, shentsize * shnum);
    const syms: Array<{ start: bigint; end: bigint; name: string }> = [];
    for (let i = 0; sh && shentsize >= 64 && i < shnum; i++) {
      const o = i * shentsize;
      const type = sh.readUInt32LE(o + 4);
      if (type !== 2 && type !== 11) continue; // SHT_SYMTAB, SHT_DYNSYM
      const link = sh.readUInt32LE(o + 40);
      const entsize = Number(sh.readBigUInt64LE(o + 56)) || 24;
      const tab = at(Number(sh.readBigUInt64LE(o + 24)), Number(sh.readBigUInt64LE(o + 32)));
      const so = link * shentsize;
      if (!tab || so + 64 > sh.length) continue;
      const str = at(Number(sh.readBigUInt64LE(so + 24)), Number(sh.readBigUInt64LE(so + 32)));
      if (!str) continue;
      for (let s = 0; s + 24 <= tab.length; s += entsize) {
        if ((tab[s + 4] ?? 0) % 16 !== 2) continue; // STT_FUNC
        const value = tab.readBigUInt64LE(s + 8);
        if (value === 0n) continue;
        const nameOff = tab.readUInt32LE(s);
        let e = nameOff;
        while (e < str.length && str[e] !== 0) e++;
        const size = tab.readBigUInt64LE(s + 16);
        syms.push({ start: value, end: value + (size === 0n ? 1n : size), name: str.toString('utf8', nameOff, e) });
      }
    }
    syms.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return { starts: syms.map((s) => s.start), ends: syms.map((s) => s.end), names: syms.map((s) => s.name), loads };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Name of the function holding this file offset, if the ELF has a symbol for it. */
export function elfSymbolAt(elf: ElfSymbols, fileOffset: bigint): string | undefined {
  const seg = elf.loads.find((l) => fileOffset >= l.offset && fileOffset < l.offset + l.filesz);
  const vaddr = seg ? fileOffset - seg.offset + seg.vaddr : fileOffset;
  let lo = 0;
  let hi = elf.starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((elf.starts[mid] ?? 0n) <= vaddr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  // Symbols can nest or overlap (aliases): the nearest start that still covers the address.
  for (let i = found; i >= 0 && i > found - 8; i--) if (vaddr < (elf.ends[i] ?? 0n)) return elf.names[i];
  return undefined;
}
