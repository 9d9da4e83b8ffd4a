import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MapDump } from '../../../collectors/bpf/addon.js';
import { usefulLog } from '../../../collectors/bpf/addon.js';
import { addressText } from '../../../collectors/bpf/addresses.js';
import { decodeBioHist, kernelDev } from '../../../collectors/bpf/biolatency.js';
import { decodeDrops, reasonNames } from '../../../collectors/bpf/drops.js';
import { decodeTcpEvent, summariseTcp, TCP_EVENT } from '../../../collectors/bpf/tcpconn.js';
import { BIO_EVENT, decodeBioEvent, summariseIos } from '../../../collectors/bpf/biosnoop.js';
import { decodeExecEvent, EXEC_EVENT_SIZE } from '../../../collectors/bpf/execsnoop.js';
import { histogramFromCounts, histogramFromPerCpuArray, percentileUpperBound } from '../../../collectors/bpf/histogram.js';
import { renderHistogram } from '../../../src/report/probe-text.js';
import { parseKallsyms } from '../../../collectors/bpf/kallsyms.js';
import { decodeOomEvent } from '../../../collectors/bpf/oomkill.js';
import { parseCapEff, hasCap, CAP_BPF, CAP_PERFMON } from '../../../collectors/bpf/privileges.js';
import { decodeSampleKeys, foldedLines, stackAddresses, toSpeedscope } from '../../../collectors/bpf/profile.js';
import { decodeRetrans } from '../../../collectors/bpf/tcpretrans.js';
import { describeFailure, ringRecords, sumPerCpu } from '../../../collectors/bpf/session.js';

const FIX = join(import.meta.dirname, '../../fixtures/bpf');

/** A map dump captured from the live kernel (test/fixtures/bpf/<name>.{json,keys.bin,values.bin}). */
function captured(name: string): { dump: MapDump; ncpus: number } {
  const meta = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as { count: number; keySize: number; valueStride: number; ncpus: number };
  return {
    ncpus: meta.ncpus,
    dump: { count: meta.count, keySize: meta.keySize, valueStride: meta.valueStride, batched: true, keys: readFileSync(join(FIX, `${name}.keys.bin`)), values: readFileSync(join(FIX, `${name}.values.bin`)) },
  };
}

function dump(keySize: number, valueStride: number, entries: Array<[Buffer, Buffer]>): MapDump {
  return { count: entries.length, keySize, valueStride, batched: true, keys: Buffer.concat(entries.map((e) => e[0])), values: Buffer.concat(entries.map((e) => e[1])) };
}
const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

describe('runqlat histogram (captured per-CPU array)', () => {
  it('sums both CPUs per slot', () => {
    const { dump: d, ncpus } = captured('runqlat.hist');
    const h = histogramFromPerCpuArray(d, ncpus, 'usecs');
    let expected = 0;
    for (let i = 0; i < d.count; i++) expected += Number(d.values.readBigUInt64LE(i * 16)) + Number(d.values.readBigUInt64LE(i * 16 + 8));
    expect(h.total).toBe(expected);
    expect(h.total).toBeGreaterThan(0);
    expect(h.counts.length).toBeLessThanOrEqual(32);
    expect(h.counts[h.counts.length - 1]).not.toBe(0);
  });

  it('percentiles, rendering and empty histograms', () => {
    const h = histogramFromCounts([1, 0, 2, 7, 0, 0], 'usecs');
    expect(h.counts).toEqual([1, 0, 2, 7]);
    expect(h.total).toBe(10);
    expect(percentileUpperBound(h, 0.5)).toBe(15);
    expect(percentileUpperBound(h, 0.1)).toBe(1);
    expect(renderHistogram(h)).toMatch(/8 -> 15\s+: 7\s+\|\*{40}\|/);
    expect(percentileUpperBound(histogramFromCounts([], 'usecs'), 0.5)).toBeUndefined();
    expect(renderHistogram(histogramFromCounts([], 'usecs'))).toMatch(/no samples/);
  });

  it('lost counters (captured): both zero', () => {
    const { dump: d, ncpus } = captured('runqlat.lost');
    expect(d.count).toBe(2);
    expect(sumPerCpu(d.values, 0, d.valueStride, ncpus)).toBe(0);
    expect(sumPerCpu(d.values, 1, d.valueStride, ncpus)).toBe(0);
  });
});

describe('drops (captured: 5 UDP datagrams to a closed port in a netns)', () => {
  it('names the reason from BTF and the location from kallsyms', () => {
    const reasons = reasonNames(JSON.parse(readFileSync(join(FIX, 'skb_drop_reason.json'), 'utf8')) as Array<{ name: string; value: number }>);
    const k = parseKallsyms(readFileSync(join(FIX, 'kallsyms.txt'), 'utf8'));
    const drops = decodeDrops(captured('drops').dump, reasons, k.ok ? k.value : undefined);
    expect(drops).toEqual([{ reason: 'NO_SOCKET', reasonCode: 3, location: '__udp4_lib_rcv', netns: 4026532317, protocol: 'IPv4', count: 5 }]);
  });

  it('without symbols or reason names it shows numbers, never invents names', () => {
    const drops = decodeDrops(captured('drops').dump, new Map(), undefined);
    expect(drops[0]?.reason).toBe('reason 3');
    expect(drops[0]?.location).toBe('0xffffffff820490cc');
  });

  it('a short key is skipped', () => {
    expect(decodeDrops(dump(8, 8, [[u64(1), u64(1)]]), new Map(), undefined)).toEqual([]);
  });
});

describe('biosnoop records (captured ring batch: 20 direct 4 KiB writes, 4 direct 64 KiB reads by dd on a loop device)', () => {
  it('decodes every record: the dd\'s writes and reads with their sizes, sectors and latencies', () => {
    const batch = readFileSync(join(FIX, 'biosnoop.batch.bin'));
    const ios = [...ringRecords(batch)].map(decodeBioEvent);
    expect(ios.every((i) => i !== undefined)).toBe(true);
    const dd = ios.filter((i) => i?.comm === 'dd');
    expect(dd.filter((i) => i?.op === 'write' && i.bytes === 4096)).toHaveLength(20);
    expect(dd.filter((i) => i?.op === 'read' && i.bytes === 65536)).toHaveLength(4);
    const writes = dd.filter((i) => i?.op === 'write').map((i) => i?.sector);
    expect(writes).toEqual(Array.from({ length: 20 }, (_, k) => k * 8));
    expect(dd.every((i) => i !== undefined && i.latencyNs > 0 && i.latencyNs < 1e9 && i.queueNs !== undefined && i.error === 0 && /^7:\d+$/.test(i.dev))).toBe(true);
    expect(new Set(dd.map((i) => i?.tgid)).size).toBe(2);
  });

  it('summaries: per device and per process, exact percentiles, slowest first', () => {
    const ios = [...ringRecords(readFileSync(join(FIX, 'biosnoop.batch.bin')))].map(decodeBioEvent).filter((i) => i !== undefined);
    const dev = ios.find((i) => i.comm === 'dd')!.dev;
    const r = summariseIos(ios, new Map([[dev, 'loop0']]), 'submission');
    const loop = r.devices.find((d) => d.dev === dev)!;
    expect(loop.name).toBe('loop0');
    expect(loop.byOp).toMatchObject({ write: 20, read: 4 });
    expect(loop.ios).toBe(ios.filter((i) => i.dev === dev).length);
    expect(loop.maxNs).toBe(Math.max(...ios.filter((i) => i.dev === dev).map((i) => i.latencyNs)));
    expect(r.slowest[0]?.latencyNs).toBe(Math.max(...ios.map((i) => i.latencyNs)));
    expect(r.processes.reduce((a, p) => a + p.ios, 0)).toBe(ios.length);
    expect(r.processes.filter((p) => p.comm === 'dd').every((p) => p.devices[0] === 'loop0')).toBe(true);
  });

  it('short, damaged and empty records', () => {
    expect(decodeBioEvent(Buffer.alloc(BIO_EVENT.size - 1))).toBeUndefined();
    const bad = Buffer.alloc(BIO_EVENT.size);
    bad.writeBigUInt64LE(2n ** 60n, BIO_EVENT.members.latency_ns.offset);
    expect(decodeBioEvent(bad)).toBeUndefined();
    const odd = Buffer.alloc(BIO_EVENT.size);
    odd.writeUInt32LE(99, BIO_EVENT.members.op.offset);
    expect(decodeBioEvent(odd)?.op).toBe('op 99');
    expect(summariseIos([], new Map(), 'issue')).toMatchObject({ ios: [], processes: [], devices: [], slowest: [] });
  });
});

/** A tcpconn record as the kernel writes it (native/bpf/tcpconn.h), IPv4. */
function tcpRecord(o: { ts: number; sk: number; from: number; to: number; sport?: number; dport?: number; tgid?: number; err?: number; latency?: number; lifetime?: number }): Buffer {
  const m = TCP_EVENT.members;
  const b = Buffer.alloc(TCP_EVENT.size);
  b.writeBigUInt64LE(BigInt(o.ts), m.ts_ns.offset);
  b.writeBigUInt64LE(BigInt(o.sk), m.skaddr.offset);
  b.writeBigUInt64LE(BigInt(o.latency ?? 0), m.latency_ns.offset);
  b.writeBigUInt64LE(BigInt(o.lifetime ?? 0), m.lifetime_ns.offset);
  b.writeUInt32LE(o.tgid ?? 0, m.tgid.offset);
  b.writeUInt32LE(o.tgid ?? 0, m.pid.offset);
  b.writeUInt32LE(4026531833, m.netns.offset);
  b.writeInt32LE(o.err ?? 0, m.error.offset);
  b.writeUInt16LE(2, m.family.offset);
  b.writeUInt16LE(o.sport ?? 0, m.sport.offset);
  b.writeUInt16LE(o.dport ?? 0, m.dport.offset);
  b.writeUInt8(o.from, m.oldstate.offset);
  b.writeUInt8(o.to, m.newstate.offset);
  Buffer.from([10, 0, 0, 1]).copy(b, m.saddr.offset);
  Buffer.from([10, 0, 0, 2]).copy(b, m.daddr.offset);
  b.write(o.tgid ? 'curl' : '', m.comm.offset);
  b.writeUInt32LE((o.latency ? 1 : 0) | (o.lifetime ? 2 : 0), m.flags.offset);
  return b;
}

describe('tcpconn records', () => {
  it('one connection: connect latency, lifetime, ports from the changes that have them, its remote summarised', () => {
    const recs = [
      tcpRecord({ ts: 1, sk: 0xa, from: 7, to: 2, dport: 80, tgid: 42 }), // CLOSE > SYN_SENT: no local port yet
      tcpRecord({ ts: 2, sk: 0xa, from: 2, to: 1, sport: 5000, dport: 80, tgid: 42, latency: 1_000_500_000 }),
      tcpRecord({ ts: 3, sk: 0xa, from: 1, to: 4, sport: 5000, dport: 80, tgid: 42 }),
      tcpRecord({ ts: 4, sk: 0xa, from: 4, to: 7, dport: 80, tgid: 42, lifetime: 3_000_000_000 }), // CLOSE: port released
      tcpRecord({ ts: 5, sk: 0xa, from: 7, to: 2, dport: 81, tgid: 42 }), // the same address reused: a new socket life
      tcpRecord({ ts: 6, sk: 0xa, from: 2, to: 7, dport: 81, tgid: 42, err: 111, lifetime: 10 }),
    ];
    const changes = recs.map(decodeTcpEvent);
    expect(changes.every((c) => c !== undefined)).toBe(true);
    expect(changes[1]).toMatchObject({ from: 'SYN_SENT', to: 'ESTABLISHED', connectNs: 1_000_500_000, local: '10.0.0.1:5000', remote: '10.0.0.2:80', comm: 'curl' });
    const r = summariseTcp(changes.filter((c) => c !== undefined));
    expect(r.connections).toHaveLength(2);
    expect(r.connections[0]).toMatchObject({ direction: 'active', local: '10.0.0.1:5000', remote: '10.0.0.2:80', connectNs: 1_000_500_000, lifetimeNs: 3_000_000_000, outcome: 'closed', states: ['CLOSE', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'CLOSE'] });
    expect(r.connections[1]).toMatchObject({ outcome: 'refused', error: 'ECONNREFUSED', remote: '10.0.0.2:81' });
    expect(r.remotes.find((x) => x.remote === '10.0.0.2:80')).toMatchObject({ attempts: 1, established: 1, connectMinNs: 1_000_500_000, connectMaxNs: 1_000_500_000 });
    expect(r.remotes.find((x) => x.remote === '10.0.0.2:81')).toMatchObject({ attempts: 1, established: 0, refused: 1 });
  });

  it('short, damaged and unknown-family records', () => {
    expect(decodeTcpEvent(Buffer.alloc(TCP_EVENT.size - 1))).toBeUndefined();
    const bad = tcpRecord({ ts: 1, sk: 1, from: 1, to: 7 });
    bad.writeUInt16LE(1, TCP_EVENT.members.family.offset);
    expect(decodeTcpEvent(bad)).toBeUndefined();
    const huge = tcpRecord({ ts: 1, sk: 1, from: 1, to: 7 });
    huge.writeBigUInt64LE(2n ** 62n, TCP_EVENT.members.latency_ns.offset);
    expect(decodeTcpEvent(huge)).toBeUndefined();
    expect(decodeTcpEvent(tcpRecord({ ts: 1, sk: 1, from: 99, to: 7, err: 5 }))).toMatchObject({ from: 'state 99', error: 'errno 5' });
  });
});

describe('execsnoop records (captured ring batch)', () => {
  it('splits the batch and decodes every record', () => {
    const batch = readFileSync(join(FIX, 'execsnoop.batch.bin'));
    const events = [...ringRecords(batch)].map(decodeExecEvent);
    expect(events.length).toBeGreaterThanOrEqual(1);
    const echo = events.find((e) => e?.filename === '/bin/echo');
    expect(echo?.comm).toBe('echo');
    expect(echo?.uid).toBe(0);
    expect(echo?.tgid).toBe(echo?.pid);
  });

  it('truncated records and batches', () => {
    const batch = readFileSync(join(FIX, 'execsnoop.batch.bin'));
    expect([...ringRecords(batch.subarray(0, 8 + EXEC_EVENT_SIZE - 1))]).toEqual([]);
    expect(decodeExecEvent(Buffer.alloc(EXEC_EVENT_SIZE - 1))).toBeUndefined();
    expect([...ringRecords(Buffer.alloc(0))]).toEqual([]);
    // a length that points past the end
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(1000, 0);
    expect([...ringRecords(bad)]).toEqual([]);
  });
});

describe('oomkill records', () => {
  it('decodes the layout of oomkill.h', () => {
    const rec = Buffer.alloc(64);
    rec.writeBigUInt64LE(123n, 0);
    rec.writeUInt32LE(4242, 8);
    rec.writeUInt32LE(4240, 12);
    rec.writeUInt32LE(4242, 16);
    rec.writeUInt32LE(4240, 20);
    rec.writeInt32LE(-17, 24);
    rec.write('hog\0junk', 32);
    rec.write('hog', 48);
    expect(decodeOomEvent(rec)).toEqual({ tsNs: 123, victimPid: 4242, victimTgid: 4240, triggerPid: 4242, triggerTgid: 4240, oomScoreAdj: -17, victimComm: 'hog', triggerComm: 'hog' });
    expect(decodeOomEvent(rec.subarray(0, 63))).toBeUndefined();
  });
});

describe('tcpretrans keys', () => {
  it('IPv4 and IPv6 connections with ports in the right byte order', () => {
    const v4 = Buffer.alloc(48);
    v4.writeUInt32LE(4026531840, 0);
    v4.writeUInt16LE(2, 4);
    v4.writeUInt16LE(43210, 6);
    v4.writeUInt16BE(443, 8);
    v4.writeUInt8(1, 10);
    Buffer.from([127, 0, 0, 1]).copy(v4, 16);
    Buffer.from([10, 1, 2, 3]).copy(v4, 32);
    const v6 = Buffer.alloc(48);
    v6.writeUInt16LE(10, 4);
    v6.writeUInt16LE(22, 6);
    v6.writeUInt16BE(50000, 8);
    v6.writeUInt8(4, 10);
    Buffer.from('20010db8000000000000000000000001', 'hex').copy(v6, 16);
    Buffer.from('00000000000000000000ffff0a000001', 'hex').copy(v6, 32);
    const r = decodeRetrans(dump(48, 8, [[v4, u64(3)], [v6, u64(7)]]));
    expect(r).toEqual([
      { netns: 0, family: 'ipv6', sport: 22, dport: 50000, state: 'FIN_WAIT1', saddr: '2001:db8::1', daddr: '::ffff:10.0.0.1', count: 7 },
      { netns: 4026531840, family: 'ipv4', sport: 43210, dport: 443, state: 'ESTABLISHED', saddr: '127.0.0.1', daddr: '10.1.2.3', count: 3 },
    ]);
  });

  it('address text', () => {
    expect(addressText(Buffer.alloc(16), 10)).toBe('::');
    expect(addressText(Buffer.from('fe800000000000000000000000000001', 'hex'), 10)).toBe('fe80::1');
    expect(addressText(Buffer.from('00010002000300040005000600070008', 'hex'), 10)).toBe('1:2:3:4:5:6:7:8');
  });
});

describe('biolatency keys', () => {
  it('per device (MKDEV) and slot', () => {
    const key = (dev: number, slot: number) => Buffer.concat([u32(dev), u32(slot)]);
    const per = decodeBioHist(dump(8, 8, [[key(kernelDev(7, 3), 4), u64(10)], [key(kernelDev(7, 3), 6), u64(2)], [key(kernelDev(254, 0), 0), u64(1)], [key(1, 99), u64(5)]]));
    expect(per.get(kernelDev(7, 3))).toEqual([undefined, undefined, undefined, undefined, 10, undefined, 2]);
    expect(per.get(kernelDev(254, 0))).toEqual([1]);
    expect(per.has(1)).toBe(false);
  });
});

describe('profile', () => {
  it('sample keys, stacks, folded lines and speedscope', () => {
    const k = Buffer.alloc(32);
    k.writeUInt32LE(100, 0);
    k.writeUInt32LE(101, 4);
    k.writeInt32LE(5, 8);
    k.writeInt32LE(-14, 12);
    k.write('my prog', 16);
    expect(decodeSampleKeys(dump(32, 8, [[k, u64(9)]]))).toEqual([{ tgid: 100, pid: 101, kstack: 5, ustack: -14, comm: 'my prog', count: 9 }]);
    expect(stackAddresses(Buffer.concat([u64(0xffffffff81000010n), u64(0xffffffff81000020n), u64(0), u64(7)]))).toEqual([0xffffffff81000010n, 0xffffffff81000020n]);
    const stacks = [
      { tgid: 1, pid: 1, comm: 'my prog', frames: ['main', 'spin'], count: 3 },
      { tgid: 1, pid: 2, comm: 'my prog', frames: ['main', 'spin'], count: 2 },
      { tgid: 1, pid: 1, comm: 'my prog', frames: ['main', 'read;x', 'vfs_read_[k]'], count: 1 },
    ];
    expect(foldedLines(stacks)).toBe('my_prog;main;spin 5\nmy_prog;main;read_x;vfs_read_[k] 1');
    const s = toSpeedscope(stacks, 'p');
    expect(s.shared.frames.map((f) => f.name)).toEqual(['my prog', 'main', 'spin', 'read;x', 'vfs_read_[k]']);
    expect(s.profiles[0]?.samples).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 3, 4]]);
    expect(s.profiles[0]?.endValue).toBe(6);
  });
});

describe('privileges and errors', () => {
  it('CapEff of root and of nobody', () => {
    const root = parseCapEff('Name:\tx\nCapEff:\t000001ffffffffff\n');
    expect(root !== undefined && hasCap(root, CAP_BPF) && hasCap(root, CAP_PERFMON)).toBe(true);
    const nobody = parseCapEff('CapEff:\t0000000000000000\n');
    expect(nobody).toBeDefined();
    expect(hasCap(nobody!, CAP_BPF)).toBe(false);
    expect(parseCapEff('CapEff: zz')).toBeUndefined();
    expect(parseCapEff('')).toBeUndefined();
  });

  it('native errors become reasons, never libbpf memlock advice', () => {
    const err = (op: string, code: string, log = '') => Object.assign(new Error(`${op}: x`), { op, code, errno: 1, log });
    const tp = { hook: 'tp' as const, programs: ['p'] };
    const btf = { hook: 'tp_btf' as const, programs: ['p'] };
    expect(describeFailure(err('attach', 'ENOENT'), tp, 'tp/sched/x', false)).toMatch(/tracefs, which is not mounted/);
    expect(describeFailure(err('attach', 'ENOENT'), tp, 'tp/sched/x', true)).toBe('kernel lacks the tracepoint tp/sched/x');
    expect(describeFailure(err('load', 'ESRCH'), btf, 'tp_btf/foo')).toBe('kernel lacks the BTF tracepoint tp_btf/foo');
    expect(describeFailure(err('load', 'EPERM', 'libbpf: Error in bpf_create_map_xattr\nlibbpf: try raising RLIMIT_MEMLOCK\n'), btf, 'tp_btf/foo')).not.toMatch(/MEMLOCK/i);
    expect(usefulLog('a\n\nconsider raising memlock\nb\n')).toBe('a\nb');
  });
});

describe('--cgroup members', () => {
  it('reads cgroup.procs of a v1 or v2 cgroup, by absolute or hierarchy-relative path', async () => {
    const { fixtureTree } = await import('../../helpers/fixture-host.js');
    const { cgroupMembers } = await import('../../../collectors/bpf/probe.js');
    const t = fixtureTree({
      '/sys/fs/cgroup/memory/app/cgroup.procs': '12\n34\n',
      '/sys/fs/cgroup/unified/svc/cgroup.procs': '56\n',
    });
    try {
      expect(cgroupMembers(t.source, '/sys/fs/cgroup/memory/app')).toEqual({ status: 'ok', value: [12, 34] });
      expect(cgroupMembers(t.source, 'svc')).toEqual({ status: 'ok', value: [56] });
      expect(cgroupMembers(t.source, '/nope').status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });
});

describe('why BPF is off (fixture hosts)', () => {
  it('no BTF, no capabilities, capabilities without root', async () => {
    const { fixtureTree } = await import('../../helpers/fixture-host.js');
    const { bpfPrivileges, kernelBtf } = await import('../../../collectors/bpf/privileges.js');
    const none = fixtureTree({ '/proc/self/status': 'Name:\tdiag\nCapEff:\t0000000000000000\n', '/sys/kernel/btf/other': '' });
    const caps = fixtureTree({ '/proc/self/status': 'Name:\tdiag\nCapEff:\t000000c000000000\n', '/sys/kernel/btf/vmlinux': '' });
    try {
      const btf = kernelBtf(none.source);
      expect(btf.status === 'unavailable' && btf.reason).toMatch(/^no BTF: \/sys\/kernel\/btf\/vmlinux does not exist/);
      const p = bpfPrivileges(none.source);
      expect(p.status === 'unavailable' && p.reason).toMatch(/BPF probes need CAP_BPF\+CAP_PERFMON \(missing CAP_BPF\+CAP_PERFMON\)/);
      expect(p.status === 'unavailable' && p.hint).toMatch(/run diag as root/);
      // CAP_BPF + CAP_PERFMON (bits 39, 38) are enough; tracefs and kallsyms need more
      const ok = bpfPrivileges(caps.source);
      expect(ok.status).toBe('ok');
      if (ok.status !== 'ok') return;
      expect(ok.value.tracefs).toBe(false);
      expect(ok.value.kallsyms).toBe(false);
      expect(kernelBtf(caps.source).status).toBe('ok');
    } finally {
      none.cleanup();
      caps.cleanup();
    }
  });
});

describe('runqlat per process', () => {
  it('decodes hist_proc {tgid, slot} -> count', async () => {
    const { decodeProcessHist } = await import('../../../collectors/bpf/runqlat.js');
    const key = (tgid: number, slot: number) => Buffer.concat([u32(tgid), u32(slot)]);
    const per = decodeProcessHist(dump(8, 8, [[key(10, 12), u64(4)], [key(10, 0), u64(1)], [key(11, 3), u64(2)], [key(12, 200), u64(9)]]));
    expect(per.get(10)).toEqual([1, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 4]);
    expect(per.get(11)).toEqual([undefined, undefined, undefined, 2]);
    expect(per.has(12)).toBe(false);
  });
});
