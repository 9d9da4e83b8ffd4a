import { afterAll, describe, expect, it } from 'vitest';
import { BpfDecodeError } from '../../../collectors/bpf/dump.js';
import { OFFCPU_KEY, OFFCPU_STACK_DEPTH, OFFCPU_VAL, offcpuProbe, stateOf, waitReason } from '../../../collectors/bpf/offcpu.js';
import type { BpfCapture, BpfMapDump } from '../../../src/core/bpf.js';
import { probeText } from '../../../src/report/probe-text.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

function key(tgid: number, pid: number, kstack: number, ustack: number, state: number, comm: string): Buffer {
  const m = OFFCPU_KEY.members;
  const k = Buffer.alloc(OFFCPU_KEY.size);
  k.writeUInt32LE(tgid, m.tgid.offset);
  k.writeUInt32LE(pid, m.pid.offset);
  k.writeInt32LE(kstack, m.kstack.offset);
  k.writeInt32LE(ustack, m.ustack.offset);
  k.writeUInt32LE(state, m.state.offset);
  k.write(comm, m.comm.offset);
  return k;
}
function val(totalNs: number, count: number): Buffer {
  const v = Buffer.alloc(OFFCPU_VAL.size);
  v.writeBigUInt64LE(BigInt(totalNs), OFFCPU_VAL.members.total_ns.offset);
  v.writeBigUInt64LE(BigInt(count), OFFCPU_VAL.members.count.offset);
  return v;
}
function stack(addrs: bigint[]): Buffer {
  const b = Buffer.alloc(OFFCPU_STACK_DEPTH * 8);
  addrs.forEach((a, i) => b.writeBigUInt64LE(a, i * 8));
  return b;
}
const id = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const dump = (keySize: number, valueStride: number, e: Array<[Buffer, Buffer]>): BpfMapDump => ({ count: e.length, keySize, valueStride, keys: Buffer.concat(e.map((x) => x[0])), values: Buffer.concat(e.map((x) => x[1])) });

// Kernel stack 1 (leaf first): the probe's own frame, the scheduler, then the wait.
const K = [0xffff0001n, 0xffff0002n, 0xffff0003n, 0xffff0004n];
const SYMBOLS = { ffff0001: 'bpf_trace_run4', ffff0002: '__schedule', ffff0003: 'schedule', ffff0004: 'anon_pipe_read' };

function capture(counts: BpfMapDump): BpfCapture {
  return {
    probe: 'offcpu', hook: 'tp_btf', fallbacks: [], attachMs: 1, durationMs: 1000, stoppedBy: 'duration', ncpus: 2,
    maps: { counts, stacks: dump(4, OFFCPU_STACK_DEPTH * 8, [[id(1), stack(K)]]) },
    rings: {}, progStats: [], symbols: SYMBOLS, enums: {}, notes: [], carries: [],
  };
}

const tree = fixtureTree({});

describe('offcpu decoder', () => {
  afterAll(() => tree.cleanup());

  it('names states from the task state bits', () => {
    expect([0, 1, 2, 0x402, 4, 8, 0x80].map(stateOf)).toEqual(['runnable', 'sleeping', 'blocked', 'idle', 'stopped', 'stopped', 'other']);
  });

  it('names the wait by the first kernel frame that is not the scheduler', () => {
    expect(waitReason(['__schedule', 'schedule', 'schedule_hrtimeout_range_clock', 'do_epoll_wait'])).toBe('do_epoll_wait');
    expect(waitReason(['io_schedule', 'folio_wait_bit_common'])).toBe('folio_wait_bit_common');
    expect(waitReason(['schedule'])).toBeUndefined();
  });

  it('sums time per stack and state, the probe\'s own frames dropped, most time first', () => {
    const r = offcpuProbe().decode(
      capture(dump(OFFCPU_KEY.size, OFFCPU_VAL.size, [
        [key(10, 11, 1, -14, 1, 'reader'), val(700_000_000, 1)],
        [key(10, 12, -14, -14, 0, 'reader'), val(5_000_000, 4)],
      ])),
      tree.source,
    );
    expect(r.totalNs).toBe(705_000_000);
    expect(r.stacks[0]).toMatchObject({ tgid: 10, pid: 11, comm: 'reader', state: 'sleeping', reason: 'anon_pipe_read', totalNs: 700_000_000, count: 1 });
    expect(r.stacks[0]?.frames).toEqual(['anon_pipe_read_[k]', 'schedule_[k]', '__schedule_[k]']);
    expect(r.byState).toEqual([
      { state: 'sleeping', totalNs: 700_000_000, count: 1 },
      { state: 'runnable', totalNs: 5_000_000, count: 4 },
    ]);
    expect(r.folded.split('\n')[0]).toBe('reader;anon_pipe_read_[k];schedule_[k];__schedule_[k] 700000');
    const text = probeText('offcpu', r).text;
    expect(text).toContain('705.0 ms off CPU in blocks of 100 µs or more');
    expect(text).toMatch(/700\.0 ms\s+1 blocks\s+anon_pipe_read \(sleeping\)/);
  });

  it('refuses a capture whose layout is not the decoder\'s', () => {
    const bad = dump(OFFCPU_KEY.size - 8, OFFCPU_VAL.size, [[Buffer.alloc(OFFCPU_KEY.size - 8), val(1, 1)]]);
    expect(() => offcpuProbe().decode(capture(bad), tree.source)).toThrow(BpfDecodeError);
  });
});
