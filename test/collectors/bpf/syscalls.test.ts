import { afterAll, describe, expect, it } from 'vitest';
import { BpfDecodeError } from '../../../collectors/bpf/dump.js';
import { SC_KEY, SC_STATS, syscallName, syscallsProbe } from '../../../collectors/bpf/syscalls.js';
import type { BpfCapture, BpfMapDump } from '../../../src/core/bpf.js';
import { probeText } from '../../../src/report/probe-text.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

/** One `stats` entry as the kernel lays it out (native/bpf/syscalls.h). */
function entry(tgid: number, nr: number, v: { count: number; totalNs: number; maxNs: number; ret: number; tid: number; slots: Record<number, number> }): [Buffer, Buffer] {
  const k = Buffer.alloc(SC_KEY.size);
  k.writeUInt32LE(tgid, SC_KEY.members.tgid.offset);
  k.writeUInt32LE(nr, SC_KEY.members.nr.offset);
  const m = SC_STATS.members;
  const b = Buffer.alloc(SC_STATS.size);
  b.writeBigUInt64LE(BigInt(v.count), m.count.offset);
  b.writeBigUInt64LE(BigInt(v.totalNs), m.total_ns.offset);
  b.writeBigUInt64LE(BigInt(v.maxNs), m.max_ns.offset);
  b.writeBigUInt64LE(0x7fn, m.max_args.offset);
  b.writeBigInt64LE(BigInt(v.ret), m.max_ret.offset);
  b.writeUInt32LE(v.tid, m.max_tid.offset);
  for (const [slot, c] of Object.entries(v.slots)) b.writeBigUInt64LE(BigInt(c), m.slots.offset + 8 * Number(slot));
  return [k, b];
}

function capture(entries: Array<[Buffer, Buffer]>, over: Partial<BpfMapDump> = {}): BpfCapture {
  const stats: BpfMapDump = { count: entries.length, keySize: SC_KEY.size, valueStride: SC_STATS.size, keys: Buffer.concat(entries.map((e) => e[0])), values: Buffer.concat(entries.map((e) => e[1])), ...over };
  return { probe: 'syscalls', hook: 'tp_btf', fallbacks: [], attachMs: 1, durationMs: 1000, stoppedBy: 'duration', ncpus: 2, maps: { stats }, rings: {}, progStats: [], symbols: {}, enums: {}, notes: [], carries: [] };
}

const tree = fixtureTree({ 'proc/100/comm': 'app\n' });
const src = tree.source;

describe('syscalls decoder', () => {
  afterAll(() => tree.cleanup());
  it('names x86_64 calls from the table and others by number', () => {
    expect(syscallName(0, 'x64')).toBe('read');
    expect(syscallName(110, 'x64')).toBe('getppid');
    expect(syscallName(202, 'x64')).toBe('futex');
    expect(syscallName(462, 'x64')).toBe('mseal');
    expect(syscallName(110, 'arm64')).toBe('syscall_110');
    expect(syscallName(100_000, 'x64')).toBe('syscall_100000');
  });

  it('groups per process and per call, most time first, the slowest call kept', () => {
    const cap = capture([
      entry(100, 110, { count: 1000, totalNs: 200_000, maxNs: 900, ret: 1, tid: 100, slots: { 7: 980, 9: 20 } }),
      entry(100, 0, { count: 3, totalNs: 3_000_000_000, maxNs: 2_000_000_000, ret: 5, tid: 101, slots: { 30: 3 } }),
      entry(200, 0, { count: 1, totalNs: 50, maxNs: 50, ret: 0, tid: 200, slots: { 5: 1 } }),
    ]);
    const r = syscallsProbe().decode(cap, src);
    expect(r.count).toBe(1004);
    expect(r.syscalls.map((c) => [c.name, c.count, c.totalNs])).toEqual([
      ['read', 4, 3_000_000_050],
      ['getppid', 1000, 200_000],
    ]);
    expect(r.syscalls[0]?.slowest).toMatchObject({ ns: 2_000_000_000, tid: 101, ret: 5 });
    expect(r.processes.map((p) => [p.tgid, p.comm, p.count])).toEqual([
      [100, 'app', 1003],
      [200, undefined, 1],
    ]);
    const getppid = r.processes[0]?.syscalls[1];
    expect(getppid?.histogram.counts.slice(7)).toEqual([980, 0, 20]);
    expect(getppid?.p50Ns).toBe(255);
    expect(getppid?.p99Ns).toBe(1023);
    const rows = syscallsProbe().collector?.rows(r, cap);
    expect(rows?.syscalls?.find((x) => x.key === '100/getppid')?.values).toEqual({ calls: 1000, time_ms: 0.2, p50_us: 0.3, p99_us: 1, max_us: 0.9 });
    expect(rows?.syscalls_summary?.[0]?.values.calls).toBe(1004);
    const text = probeText('syscalls', r).text;
    expect(text).toContain('1004 system calls, 3.00 s inside them, 2 processes');
    expect(text).toMatch(/^read\s+4\s+3\.00 s\s+750\.0 ms/m);
  });

  it('refuses a capture whose layout is not the decoder\'s, or that is cut short', () => {
    const e = entry(100, 110, { count: 1, totalNs: 1, maxNs: 1, ret: 0, tid: 1, slots: {} });
    expect(() => syscallsProbe().decode(capture([e], { valueStride: SC_STATS.size - 8 }), src)).toThrow(BpfDecodeError);
    expect(() => syscallsProbe().decode(capture([e], { count: 2 }), src)).toThrow(/shorter than its 2 entries/);
  });

  it('an empty window says so', () => {
    const r = syscallsProbe().decode(capture([]), src);
    expect(r).toMatchObject({ count: 0, syscalls: [], processes: [] });
    expect(probeText('syscalls', r).text).toBe('no system calls returned in the window\n');
  });
});
