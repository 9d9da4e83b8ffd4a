import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelSymbol, parseKallsyms } from '../../../collectors/bpf/kallsyms.js';
import { parseProcMaps } from '../../../collectors/bpf/proc-maps.js';
import { elfSymbolAt, readElfSymbols } from '../../../collectors/bpf/elf.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const FIX = join(import.meta.dirname, '../../fixtures/bpf');
const KALLSYMS = readFileSync(join(FIX, 'kallsyms.txt'), 'utf8');
const MAPS = readFileSync(join(FIX, 'proc-maps.txt'), 'utf8');

describe('parseKallsyms', () => {
  it('keeps text symbols (incl. modules) sorted, drops data symbols', () => {
    const r = parseKallsyms(KALLSYMS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.hidden).toBe(false);
    expect(r.value.names).not.toContain('__start_rodata');
    expect(r.value.names).toContain('ftrace_trampoline [__builtin__ftrace]');
    // a location inside __udp4_lib_rcv (captured from a real NO_SOCKET drop)
    expect(kernelSymbol(r.value, 0xffffffff820490ccn)).toBe('__udp4_lib_rcv');
    expect(kernelSymbol(r.value, 0xffffffff82048c10n)).toBe('__udp4_lib_rcv');
    expect(kernelSymbol(r.value, 0xffffffff82048c0fn)).toBe('__pfx___udp4_lib_rcv');
    expect(kernelSymbol(r.value, 0x1000n)).toBeUndefined();
  });

  it('says when kptr_restrict hides the addresses', () => {
    const hidden = KALLSYMS.replace(/^[0-9a-f]{16}/gm, '0000000000000000');
    const r = parseKallsyms(hidden);
    expect(r.ok && r.value.hidden).toBe(true);
    if (r.ok) expect(kernelSymbol(r.value, 0xffffffff820490ccn)).toBeUndefined();
  });

  it('empty, truncated and garbled input', () => {
    const empty = parseKallsyms('');
    expect(empty.ok && empty.value.names.length).toBe(0);
    const truncated = parseKallsyms(KALLSYMS.slice(0, 70));
    expect(truncated.ok).toBe(true);
    expect(parseKallsyms('garbage line\nmore garbage\n').ok).toBe(false);
    // 32-bit kernels print 8 hex digits
    const r32 = parseKallsyms('c1000000 T _stext\nc1000100 t foo\n');
    expect(r32.ok && kernelSymbol(r32.value, 0xc1000150n)).toBe('foo');
  });

  it('never throws (fuzz)', () => fuzzParser(parseKallsyms, [KALLSYMS], 100));
});

describe('parseProcMaps', () => {
  it('keeps executable mappings with their file offsets', () => {
    const r = parseProcMaps(MAPS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((m) => m.path)).toEqual(['/usr/bin/bash', '/usr/lib/x86_64-linux-gnu/libc.so.6', '[vdso]']);
    expect(r.value[1]?.offset).toBe(0x26000n);
    expect(r.value[1]?.start).toBe(0x7fafdac72000n);
  });

  it('empty, truncated and garbled input', () => {
    expect(parseProcMaps('').ok).toBe(true);
    const t = parseProcMaps(MAPS.slice(0, 200));
    expect(t.ok && t.value.length).toBe(1);
    expect(parseProcMaps('nonsense').ok).toBe(false);
  });

  it('never throws (fuzz)', () => fuzzParser(parseProcMaps, [MAPS]));
});

describe('readElfSymbols', () => {
  it('finds function symbols of a real binary through its load segments (node itself)', () => {
    const elf = readElfSymbols(process.execPath);
    expect(elf).toBeDefined();
    if (!elf) return;
    expect(elf.length).toBeGreaterThan(1000);
    let i = 0;
    while (i < elf.length && elf.name(i) !== 'napi_create_object') i++;
    expect(i).toBeLessThan(elf.length);
    const vaddr = elf.starts[i] ?? 0;
    const seg = elf.loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
    expect(seg).toBeDefined();
    if (!seg) return;
    // a file offset a few bytes into the function maps back to it
    expect(elfSymbolAt(elf, BigInt(vaddr - seg.vaddr + seg.offset + 2))).toBe('napi_create_object');
  });

  it('is undefined for a file that is not ELF or does not exist', () => {
    expect(readElfSymbols(join(FIX, 'kallsyms.txt'))).toBeUndefined();
    expect(readElfSymbols('/nonexistent/diagt')).toBeUndefined();
  });
});
