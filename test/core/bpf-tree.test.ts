import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpfCaptureKey, type BpfCapture } from '../../src/core/bpf.js';
import { BPF_DIR, bpfCaptureEntries, readBpfCapture, TreeBpf, type BpfFiles } from '../../src/core/bpf-tree.js';
import { FixtureSource } from '../../src/core/fixture-source.js';
import { LiveSource } from '../../src/core/live-source.js';
import { failed, ok, unavailable } from '../../src/core/outcome.js';
import { RecordingSource } from '../../src/core/recording-source.js';
import { MemoryTreeSource } from '../../src/bundle/tree.js';
import { answer, captureFiles, fakeBpf, runqlatCapture } from '../helpers/bpf-capture.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/** The files of a capture as BpfFiles (names relative to .diag/bpf/). */
function filesOf(entries: ReadonlyArray<readonly [string, string | Buffer]>, edit?: (name: string, c: string | Buffer) => string | Buffer | undefined): BpfFiles {
  const m = new Map<string, string | Buffer>();
  for (const [p, c] of entries) {
    const name = p.slice(`/${BPF_DIR}/`.length);
    const e = edit ? edit(name, c) : c;
    if (e !== undefined) m.set(name, e);
  }
  return {
    text: (n) => {
      const c = m.get(n);
      return c === undefined ? undefined : c.toString();
    },
    bytes: (n) => {
      const c = m.get(n);
      return c === undefined ? undefined : Buffer.isBuffer(c) ? c : Buffer.from(c);
    },
  };
}

const req = { probe: 'runqlat' };
const cap = runqlatCapture();
const sameCapture = (o: ReturnType<typeof readBpfCapture>, c: BpfCapture) => {
  expect(o?.status).toBe('ok');
  if (o?.status !== 'ok') return;
  expect({ ...o.value, maps: undefined }).toEqual({ ...c, maps: undefined });
  for (const [name, d] of Object.entries(c.maps)) {
    const got = o.value.maps[name]!;
    expect({ count: got.count, keySize: got.keySize, valueStride: got.valueStride }).toEqual({ count: d.count, keySize: d.keySize, valueStride: d.valueStride });
    expect(got.keys.equals(d.keys)).toBe(true);
    expect(got.values.equals(d.values)).toBe(true);
  }
};

describe('BPF captures in a tree', () => {
  it('round-trip: what is stored is what is read back, maps in the fixture format', () => {
    const entries = bpfCaptureEntries(req, ok(cap));
    const key = bpfCaptureKey(req);
    expect(entries.map(([p]) => p).sort()).toEqual(
      [`run.json`, 'hist.json', 'hist.keys.bin', 'hist.values.bin', 'lost.json', 'lost.keys.bin', 'lost.values.bin'].map((n) => `/${BPF_DIR}/${key}/${n}`).sort(),
    );
    // <map>.json is exactly the format of test/fixtures/bpf/<name>.json
    expect(JSON.parse(String(entries.find(([p]) => p.endsWith('/hist.json'))![1]))).toEqual({ count: 32, keySize: 4, valueStride: 16, ncpus: 2 });
    sameCapture(readBpfCapture(req, filesOf(entries), 'test'), cap);
  });

  it('the key ignores the duration and the order of processes, not the processes or settings', () => {
    expect(bpfCaptureKey({ probe: 'runqlat', tgids: [3, 1, 3] })).toBe(bpfCaptureKey({ probe: 'runqlat', tgids: [1, 3] }));
    expect(bpfCaptureKey({ probe: 'runqlat', tgids: [1] })).not.toBe(bpfCaptureKey({ probe: 'runqlat' }));
    expect(bpfCaptureKey({ probe: 'runqlat', settings: { perProcess: true } })).not.toBe(bpfCaptureKey({ probe: 'runqlat' }));
    expect(bpfCaptureKey({ probe: '../../etc' })).toMatch(/^probe-[0-9a-f]{12}$/);
    // a capture for other processes does not answer
    expect(readBpfCapture({ probe: 'runqlat', tgids: [7] }, filesOf(bpfCaptureEntries(req, ok(cap))), 'test')).toBeUndefined();
  });

  it('a probe that could not run is stored as its reason, and replayed as such', () => {
    const why = unavailable('permission', 'not root: BPF probes need CAP_BPF+CAP_PERFMON', 'run diag as root');
    expect(readBpfCapture(req, filesOf(bpfCaptureEntries(req, why)), 'test')).toEqual(why);
    expect(readBpfCapture(req, filesOf(bpfCaptureEntries(req, failed('unsupported', 'load failed'))), 'test')).toEqual(failed('unsupported', 'load failed'));
  });

  describe('a hostile or broken tree is refused, never decoded', () => {
    const entries = bpfCaptureEntries(req, ok(cap));
    const broken = (edit: (name: string, c: string | Buffer) => string | Buffer | undefined) => readBpfCapture(req, filesOf(entries, edit), 'bundle x');
    const json = (file: 'run' | 'hist', f: (o: Record<string, unknown>) => void) => (name: string, c: string | Buffer) => {
      if (!name.endsWith(`/${file}.json`)) return c;
      const o = JSON.parse(c.toString()) as Record<string, unknown>;
      f(o);
      return JSON.stringify(o);
    };
    const cases: Array<[string, (name: string, c: string | Buffer) => string | Buffer | undefined, RegExp]> = [
      ['run.json not JSON', (n, c) => (n.endsWith('run.json') ? '{' : c), /run\.json is not JSON/],
      ['keys shorter than count x keySize', (n, c) => (n.endsWith('hist.keys.bin') ? (c as Buffer).subarray(4) : c), /map hist: 124 key bytes for 32 keys of 4/],
      ['values longer than count x stride', (n, c) => (n.endsWith('hist.values.bin') ? Buffer.concat([c as Buffer, Buffer.alloc(16)]) : c), /map hist: 528 value bytes/],
      ['a map file missing', (n, c) => (n.endsWith('lost.values.bin') ? undefined : c), /map lost: its keys or values are missing/],
      ['a map name that would leave the folder', json('run', (o) => { o.maps = ['../../../proc']; }), /run\.json: maps\.0/],
      ['a huge count', json('hist', (o) => { o.count = 1e9; }), /hist\.json: count/],
      ['a key size of 0', json('hist', (o) => { o.keySize = 0; }), /hist\.json: keySize/],
      ['CPUs that differ from the run', json('hist', (o) => { o.ncpus = 3; }), /hist\.json: 3 CPUs, the run 2/],
      ['another request', json('run', (o) => { o.request = { probe: 'drops' }; }), /answers another request/],
      ['a bad probe id', json('run', (o) => { o.request = { probe: 'a/b' }; }), /run\.json: request\.probe/],
    ];
    for (const [what, edit, why] of cases) {
      it(what, () => {
        const o = broken(edit);
        expect(o?.status).toBe('error');
        expect(o?.status === 'error' && o.reason).toMatch(/^BPF capture runqlat-[0-9a-f]{12} in bundle x is malformed: /);
        expect(o?.status === 'error' && o.reason).toMatch(why);
      });
    }
  });
});

describe('sources and BPF captures', () => {
  it('a recording keeps every capture its live source made; the fixture tree it writes replays it', async () => {
    const bpf = fakeBpf(() => answer(cap));
    const rec = new RecordingSource(new LiveSource({ bpf }));
    const live = await rec.bpf!.run({ probe: 'runqlat', durationMs: 1000 });
    expect(live).toEqual(ok(cap));
    const dir = mkdtempSync(join(tmpdir(), 'dprobe-rec-'));
    try {
      rec.writeTree(dir);
      const replay = new FixtureSource(dir);
      // any duration: the capture is what was recorded
      const o = await replay.bpf.run({ probe: 'runqlat', durationMs: 5 });
      sameCapture(o, cap);
      expect((await replay.bpf.run({ probe: 'drops', durationMs: 1000 })).status).toBe('unavailable');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the in-memory tree of a recording replays it too, and a filter keeps a capture out with its reason', async () => {
    const rec = new RecordingSource(new LiveSource({ bpf: fakeBpf(() => answer({ ...cap, carries: ['addresses'] })) }));
    await rec.bpf!.run({ probe: 'runqlat', durationMs: 1000 });
    const kept = rec.toTree();
    expect([...kept.blobs.keys()].every((p) => p.startsWith(`/${BPF_DIR}/`) && p.endsWith('.bin'))).toBe(true);
    sameCapture(await new MemoryTreeSource(kept, 'mem').bpf.run({ probe: 'runqlat', durationMs: 1 }), { ...cap, carries: ['addresses'] });
    const refused = rec.toTree(undefined, (c) => (c.carries.includes('addresses') ? 'holds addresses' : undefined));
    expect(refused.blobs.size).toBe(0);
    expect(await new MemoryTreeSource(refused, 'mem').bpf.run({ probe: 'runqlat', durationMs: 1 })).toEqual(unavailable('not-captured', 'holds addresses'));
  });

  it('while a snapshot is taken, a capture the tree lacks is made live once, stored, and answered from what was stored', async () => {
    const bpf = fakeBpf(() => answer(cap));
    const src = new MemoryTreeSource({ files: new Map(), dropped: 0 }, 'samples/1', { capture: { live: bpf } });
    sameCapture(await src.bpf.run({ probe: 'runqlat', durationMs: 1000 }), cap);
    sameCapture(await src.bpf.run({ probe: 'runqlat', durationMs: 1000 }), cap);
    expect(bpf.asked).toHaveLength(1);
    const stored = src.capturedEntries();
    expect(stored.map(([p]) => p)).toContain(`/${BPF_DIR}/${bpfCaptureKey(req)}/run.json`);
    // what was stored replays without the live side
    sameCapture(await new TreeBpf(filesOf(stored), 'bundle').run({ probe: 'runqlat', durationMs: 1 }), cap);
  });

  it('sources that wrap others pass the capability on; a tree without captures says so', async () => {
    const f = fixtureTree(captureFiles(req, answer(cap)));
    const empty = fixtureTree({});
    try {
      sameCapture(await f.source.bpf.run({ probe: 'runqlat', durationMs: 1 }), cap);
      expect(await empty.source.bpf.run({ probe: 'runqlat', durationMs: 1 })).toEqual(
        unavailable('not-captured', `BPF probe runqlat was not captured in fixture ${empty.dir}`, 'a snapshot keeps the probes its drill-downs ran; run diag on the live host for others'),
      );
      expect(new LiveSource().bpf).toBeUndefined();
    } finally {
      f.cleanup();
      empty.cleanup();
    }
  });

  it('a capture file written by hand with bad bytes is an error outcome, not a crash', async () => {
    const f = fixtureTree({ ...captureFiles(req, answer(cap)) });
    try {
      writeFileSync(join(f.dir, BPF_DIR, bpfCaptureKey(req), 'hist.keys.bin'), Buffer.alloc(3));
      const o = await f.source.bpf.run({ probe: 'runqlat', durationMs: 1 });
      expect(o.status === 'error' && o.reason).toMatch(/map hist: 3 key bytes for 32 keys of 4/);
    } finally {
      f.cleanup();
    }
  });
});
