import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBE_COLLECTORS } from '../../../collectors/index.js';
import { kernelDev } from '../../../collectors/bpf/biolatency.js';
import { runqlatProbe } from '../../../collectors/bpf/runqlat.js';
import type { BpfCapture, BpfMapDump } from '../../../src/core/bpf.js';
import type { Collector, TableOutcomes } from '../../../src/core/collector.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { unavailable } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { LIVE_TEXT, probeText } from '../../../src/report/probe-text.js';
import { answer, capturedDump, fakeBpf, runqlatCapture } from '../../helpers/bpf-capture.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

/**
 * The BPF probes as collectors: a capture (the captured fixture dumps, or made by hand) in, the
 * probe's tables out, exactly as a drill-down, a playbook check or a replayed bundle gets them.
 */
const FIX = join(import.meta.dirname, '../../fixtures/bpf');
const probe = (id: string): Collector => PROBE_COLLECTORS.find((c) => c.id === id)!;
const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const dump = (keySize: number, valueStride: number, entries: Array<[Buffer, Buffer]>): BpfMapDump => ({
  count: entries.length,
  keySize,
  valueStride,
  keys: Buffer.concat(entries.map((e) => e[0])),
  values: Buffer.concat(entries.map((e) => e[1])),
});
const capture = (probeId: string, maps: Record<string, BpfMapDump>, extra: Partial<BpfCapture> = {}): BpfCapture => ({
  ...runqlatCapture(2000),
  probe: probeId,
  maps: { lost: runqlatCapture().maps.lost!, ...maps },
  ...extra,
});

/** `src` (files) with a BPF capability answering `cap`. */
function withBpf(src: Source, cap: BpfCapture): Source {
  return {
    kind: src.kind,
    replay: src.replay,
    description: src.description,
    readFile: (p) => src.readFile(p),
    readDir: (p) => src.readDir(p),
    readLink: (p) => src.readLink(p),
    statfs: (p, o) => src.statfs(p, o),
    run: (spec) => src.run(spec),
    now: (l) => src.now(l),
    bpf: fakeBpf(() => answer(cap)),
  };
}

async function collect(id: string, cap: BpfCapture, src: Source = new LiveSource()): Promise<TableOutcomes> {
  return probe(id).collect(withBpf(src, cap), { sampleIndex: 1, probe: { durationMs: 2000 } });
}

const rowsOf = (t: TableOutcomes, id: string) => {
  const o = t[id];
  if (o === undefined) throw new Error(`no table ${id}`);
  if (o.status !== 'ok') throw new Error(`${id}: ${o.status} ${o.reason}`);
  return o.value;
};

describe('runqlat as a collector (captured dumps)', () => {
  it('one row per log2 bucket, and a summary with percentiles, the run and its lost events', async () => {
    const cap = runqlatCapture(2000);
    const t = await collect('runqlat', cap);
    const result = runqlatProbe.decode(cap, new LiveSource());
    const buckets = rowsOf(t, 'runqlat');
    expect(buckets.map((r) => r.values.waits)).toEqual(result.histogram.counts);
    expect(buckets[0]).toEqual({ key: '0-1', values: { low_us: 0, high_us: 1, waits: result.histogram.counts[0] } });
    expect(buckets[4]).toMatchObject({ key: '16-31', values: { low_us: 16, high_us: 31 } });
    const [summary] = rowsOf(t, 'runqlat_summary');
    expect(summary).toEqual({
      key: 'host',
      values: { waits: result.histogram.total, p50_us: result.p50Us, p90_us: expect.any(Number), p99_us: result.p99Us, max_us: 2 ** result.histogram.counts.length - 1, seconds: 2, lost_ring: 0, lost_map: 0 },
    });
    expect(t.runqlat).toMatchObject({ notes: ['hook tp_btf'] });
  });

  it('a capture whose map has the wrong shape is an error for its tables, never a misread', async () => {
    const cap = capture('runqlat', { hist: { ...runqlatCapture().maps.hist!, keySize: 1, keys: Buffer.alloc(32) } });
    const t = await collect('runqlat', cap);
    expect(t.runqlat?.status).toBe('error');
    expect(t.runqlat?.status === 'error' && t.runqlat.reason).toBe('BPF capture of runqlat cannot be decoded: map hist has keys of 1 bytes and values of 16; the decoder reads 4 and 16');
  });

  it('slots beyond a log2 histogram are ignored (a hostile key cannot make a huge array)', async () => {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(4_000_000_000);
    const per = Buffer.concat([u64(5), u64(5)]);
    const t = await collect('runqlat', capture('runqlat', { hist: dump(4, 16, [[k, per]]) }));
    expect(rowsOf(t, 'runqlat')).toEqual([]);
    expect(rowsOf(t, 'runqlat_summary')[0]?.values.waits).toBe(0);
  });

  it('a source without the BPF capability, or a probe that cannot run, leaves every table unavailable with the reason', async () => {
    const none = await probe('runqlat').collect(new LiveSource(), { sampleIndex: 1 });
    expect(none.runqlat).toEqual(unavailable('unsupported', 'BPF probes cannot run through live host', 'run diag as root on the host itself (diag probes says what works)'));
    const bpf = fakeBpf(() => unavailable('permission', 'not root: BPF probes need CAP_BPF+CAP_PERFMON', 'run diag as root'));
    const t = await probe('runqlat').collect(new LiveSource({ bpf }), { sampleIndex: 1 });
    expect(t.runqlat_summary).toEqual(unavailable('permission', 'not root: BPF probes need CAP_BPF+CAP_PERFMON', 'run diag as root'));
    expect(bpf.asked[0]).toMatchObject({ probe: 'runqlat', durationMs: 1000 });
  });
});

describe('drops as a collector (captured: 5 UDP datagrams to a closed port)', () => {
  it('by reason, kernel location and namespace, named from what the capture kept', async () => {
    const reasons = JSON.parse(readFileSync(join(FIX, 'skb_drop_reason.json'), 'utf8')) as Array<{ name: string; value: number }>;
    const cap = capture('drops', { drops: capturedDump('drops').dump }, { enums: { skb_drop_reason: reasons }, symbols: { ffffffff820490cc: '__udp4_lib_rcv' } });
    const t = await collect('drops', cap);
    expect(rowsOf(t, 'drops')).toEqual([
      { key: 'NO_SOCKET@__udp4_lib_rcv@4026532317/IPv4', labels: { reason: 'NO_SOCKET', location: '__udp4_lib_rcv', netns: '4026532317', protocol: 'IPv4' }, values: { packets: 5 } },
    ]);
    expect(rowsOf(t, 'drops_summary')[0]?.values).toEqual({ packets: 5, seconds: 2, lost_ring: 0, lost_map: 0 });
    // without names: numbers, never invented names
    const bare = await collect('drops', capture('drops', { drops: capturedDump('drops').dump }));
    expect(rowsOf(bare, 'drops')[0]?.labels).toEqual({ reason: 'reason 3', location: '0xffffffff820490cc', netns: '4026532317', protocol: 'IPv4' });
  });
});

describe('tcpretrans and biolatency as collectors', () => {
  it('tcpretrans: one row per flow with its endpoints, state and namespace', async () => {
    const k = Buffer.alloc(48);
    k.writeUInt32LE(4026531840, 0);
    k.writeUInt16LE(2, 4);
    k.writeUInt16LE(43210, 6);
    k.writeUInt16BE(443, 8);
    k.writeUInt8(1, 10);
    Buffer.from([10, 0, 0, 1]).copy(k, 16);
    Buffer.from([10, 0, 0, 2]).copy(k, 32);
    const t = await collect('tcpretrans', capture('tcpretrans', { retrans: dump(48, 8, [[k, u64(12)]]) }, { carries: ['addresses'] }));
    expect(rowsOf(t, 'tcpretrans')).toEqual([
      {
        key: '10.0.0.1:43210>10.0.0.2:443@4026531840',
        labels: { state: 'ESTABLISHED', family: 'ipv4', local: '10.0.0.1:43210', remote: '10.0.0.2:443', netns: '4026531840' },
        values: { retransmits: 12 },
      },
    ]);
    expect(rowsOf(t, 'tcpretrans_summary')[0]?.values).toMatchObject({ retransmits: 12, flows: 1 });
  });

  it('biolatency: one row per device, named from the source\'s /proc/diskstats', async () => {
    const key = (dev: number, slot: number) => {
      const b = Buffer.alloc(8);
      b.writeUInt32LE(dev, 0);
      b.writeUInt32LE(slot, 4);
      return b;
    };
    const f = fixtureTree({ '/proc/diskstats': '   7       3 loop3 1 0 0 0 0 0 0 0 0 0 0\n' });
    try {
      const t = await collect('biolatency', capture('biolatency', { hist: dump(8, 8, [[key(kernelDev(7, 3), 4), u64(10)], [key(kernelDev(7, 3), 6), u64(2)]]) }), f.source);
      expect(rowsOf(t, 'biolatency')).toEqual([{ key: 'loop3', labels: { dev: '7:3' }, values: { ios: 12, p50_us: 31, p90_us: 127, p99_us: 127, max_us: 127 } }]);
      expect(rowsOf(t, 'biolatency_summary')[0]?.values).toMatchObject({ ios: 12, seconds: 2 });
    } finally {
      f.cleanup();
    }
  });
});

describe('probe text (src/report/probe-text.ts)', () => {
  it('runqlat: the bcc-style histogram and percentiles', () => {
    const r = runqlatProbe.decode(runqlatCapture(), new LiveSource());
    const { text, textIsData } = probeText('runqlat', r);
    expect(textIsData).toBeUndefined();
    expect(text.split('\n')[0]).toBe(`run-queue latency, ${r.histogram.total} scheduling events`);
    expect(text).toMatch(/^\s+usecs\s+: count\s+distribution$/m);
    expect(text).toContain(`p50 <= ${r.p50Us} µs, p99 <= ${r.p99Us} µs\n`);
  });

  it('execsnoop: the header and a line per record as they arrive, then only the summary; host text sanitised', () => {
    const batch = readFileSync(join(FIX, 'execsnoop.batch.bin'));
    const rec = batch.subarray(8, 8 + batch.readUInt32LE(0));
    expect(LIVE_TEXT.execsnoop?.header).toMatch(/^\s+PID\s+PPID\s+UID COMM\s+FILENAME$/);
    expect(LIVE_TEXT.execsnoop?.line(rec)).toMatch(/\s\/bin\/echo$|\s\/usr\/bin\//);
    expect(LIVE_TEXT.execsnoop?.line(Buffer.alloc(10))).toBeUndefined();
    const evil = { events: [{ tsNs: 1, pid: 1, tgid: 1, ppid: 0, uid: 0, comm: 'x\u001b[2J', filename: '/tmp/\u0007' }], dropped: 0 };
    expect(probeText('execsnoop', evil).text).not.toMatch(/[\u0007\u001b]/);
    expect(probeText('execsnoop', evil, { live: true }).text).toBe('1 executions\n');
  });

  it('biosnoop: by device, by process and the slowest I/Os; host text sanitised', () => {
    const io = { issueNs: 1, latencyNs: 2_500_000, queueNs: 1000, sector: 8, bytes: 4096, dev: '7:0', tgid: 42, pid: 42, comm: 'x\u001b[2J', op: 'write', error: 0 };
    const r = { attribution: 'submission', ios: [io], dropped: 0, slowest: [io], processes: [{ tgid: 42, comm: io.comm, devices: ['lo\u0007op0'], ios: 1, bytes: 4096, totalLatencyNs: 2_500_000, p50Ns: 2_500_000, p99Ns: 2_500_000, maxNs: 2_500_000, errors: 0 }], devices: [{ dev: '7:0', name: 'loop0', byOp: { write: 1 }, ios: 1, bytes: 4096, totalLatencyNs: 2_500_000, p50Ns: 2_500_000, p99Ns: 2_500_000, maxNs: 2_500_000, errors: 0 }] };
    const text = probeText('biosnoop', r).text;
    expect(text).not.toMatch(/[\u0007\u001b]/);
    expect(text.split('\n')[0]).toBe('1 block I/Os, 4096 bytes; process taken at submission (block_io_start)');
    expect(text).toMatch(/^loop0\s+1\s+4096\s+2\.5 ms\s+2\.5 ms\s+2\.5 ms\s+write 1$/m);
    expect(text).toMatch(/^\s+42 x\\x1b\[2J\s+1\s+4096\s+2\.5 ms\s+2\.5 ms\s+2\.5 ms\s+lo\\x07op0$/m);
    expect(text).toMatch(/^\s+42 .* loop0\s+write\s+8\s+4096\s+2\.5 ms$/m);
    expect(probeText('biosnoop', { ...r, ios: [], dropped: 3 }).text).toBe('no block I/O completed in the window (3 not kept)\n');
  });

  it('tcpconn: connects per remote and connections; host text sanitised', () => {
    const conn = { socket: 'a', tgid: 7, comm: 'c\u001bx', netns: 1, local: '10.0.0.1:5000', remote: '10.0.0.2:80', direction: 'active', states: ['CLOSE', 'SYN_SENT', 'ESTABLISHED'], connectNs: 1_000_000_000, lifetimeNs: undefined, outcome: 'open', error: undefined };
    const r = { changes: [{}, {}], dropped: 0, connections: [conn], remotes: [{ remote: '10.0.0.2:80', netns: 1, attempts: 1, established: 1, refused: 0, reset: 0, timedOut: 0, connectMinNs: 1e9, connectAvgNs: 1e9, connectMaxNs: 1e9 }] };
    const text = probeText('tcpconn', r).text;
    expect(text).not.toMatch(/\u001b/);
    expect(text.split('\n')[0]).toBe('2 TCP state changes, 1 connections');
    expect(text).toMatch(/^10\.0\.0\.2:80\s+1\s+1\s+1\s+0\s+0\s+0\s+1\.00 s\s+1\.00 s\s+1\.00 s$/m);
    expect(text).toMatch(/^\s+7 c\\x1bx\s+active\s+10\.0\.0\.1:5000\s+10\.0\.0\.2:80\s+1\.00 s\s+- open: CLOSE > SYN_SENT > ESTABLISHED$/m);
    expect(probeText('tcpconn', { changes: [], dropped: 0, connections: [], remotes: [] }).text).toBe('no TCP state changes in the window\n');
  });

  it('profile: folded stacks on stdout, the summary beside the run\'s own lines', () => {
    const out = probeText('profile', { hz: 49, samples: 3, stacks: [], folded: 'a;b 3', speedscope: {}, note: 'n' });
    expect(out).toEqual({ text: 'a;b 3\n', meta: '(n)\n3 samples at 49 Hz (folded stacks for flamegraph.pl; --json has a speedscope file under result.speedscope)\n', textIsData: true });
  });
});
