import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryTreeSource } from '../../src/bundle/tree.js';
import type { Collector } from '../../src/core/collector.js';
import { deriveModel } from '../../src/core/derive.js';
import { ok } from '../../src/core/outcome.js';
import { Sampler } from '../../src/core/sampler.js';
import type { Source } from '../../src/core/source.js';
import { encodeFrame, FRAME_LANE, scanFrames } from '../../src/recording/frames.js';
import { History, type SampleRef } from '../../src/recording/history.js';
import { lanePair } from '../../src/recording/lanes.js';
import { SegmentWriter } from '../../src/recording/segment-writer.js';
import { DirStore, RECORDING_SCHEMA } from '../../src/recording/store.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Samples one second apart; `lane` lists the indices that read the lane. */
const refs = (n: number, lane: readonly number[]): SampleRef[] => Array.from({ length: n }, (_, i) => ({ wallMs: i * 1000, segment: 's', index: i, lane: lane.includes(i) }));

describe('the slow lane of a recording', () => {
  it('frames carry the lane flag; readers of the flag see it, others ignore it', () => {
    const a = new Map([['k', 'v']]);
    const buf = Buffer.concat([encodeFrame(1, a, undefined, FRAME_LANE), encodeFrame(2, a, a), encodeFrame(3, a, a, FRAME_LANE)]);
    expect(scanFrames(buf).frames.map((f) => f.flags)).toEqual([FRAME_LANE, 0, FRAME_LANE]);
    expect(scanFrames(buf).torn).toBe(false);
  });

  it('a window between readings takes the reading in effect at its start and the next one after its end', () => {
    // lane read at 0, 5, 10 (every 5 samples)
    const s = refs(12, [0, 5, 10]);
    expect(lanePair(s, 2, 3, 7000)).toEqual({ carriers: [2, 5], readings: [0, 5] });
    // a window ending on a reading: that reading, the one before
    expect(lanePair(s, 4, 5, 7000)).toEqual({ carriers: [4, 5], readings: [0, 5] });
    // a window starting on one
    expect(lanePair(s, 5, 6, 7000)).toEqual({ carriers: [5, 10], readings: [5, 10] });
    // a long window holding a reading, none after it in reach: the reading inside it
    expect(lanePair(s, 1, 7, 1000)).toEqual({ carriers: [1, 7], readings: [0, 5] });
  });

  it('at the end of a recording: the last two readings; one reading only: none (levels, no rates)', () => {
    const s = refs(12, [0, 5, 10]);
    expect(lanePair(s, 10, 11, 7000)).toEqual({ carriers: [9, 11], readings: [5, 10] });
    expect(lanePair(refs(4, [0]), 1, 2, 7000)).toBeUndefined();
    // a recording made before lanes: no flag anywhere
    expect(lanePair(refs(4, []), 1, 2, 7000)).toBeUndefined();
    // the next reading too far ahead (the recorder stopped): the last two before
    const gap = refs(12, [0, 5]).map((r, i) => (i === 11 ? { ...r, wallMs: 3_600_000, lane: true } : r));
    expect(lanePair(gap, 7, 8, 7000)).toEqual({ carriers: [4, 8], readings: [0, 5] });
  });

  it('History decodes any sample the same whatever the order it is asked in (checkpoints)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagt-lane-'));
    dirs.push(dir);
    const w = new SegmentWriter(dir, { maxBytes: 1 << 30, maxAgeMs: 1e12, framesPerSegment: 40, segmentBytes: 1 << 30 });
    const at = (i: number) => new Map([['fa', String(i)], ['fb', String(Math.floor(i / 3))], ...(i % 7 === 0 ? [] : [[`fx${i % 5}`, 'x'] as [string, string]])]);
    const t0 = Date.now();
    for (let i = 0; i < 60; i++) w.append(t0 + i, at(i), i % 5 === 0 ? FRAME_LANE : 0);
    w.close();
    const meta = { schema: RECORDING_SCHEMA as typeof RECORDING_SCHEMA, format: 'answers' as const, intervalMs: 1000, host: 'h', diagVersion: 't', startedAt: '' };
    const h = new History(new DirStore(dir), meta);
    const all = h.samples();
    expect(all.length).toBe(60);
    expect(all.filter((r) => r.lane).length).toBe(12);
    // a walk forward with a look-ahead to the next reading, then random jumps back and forth
    const order = [0, 5, 1, 5, 2, 10, 3, 45, 44, 46, 12, 59, 39, 40, 0, 41];
    for (const i of order) expect(Object.fromEntries(h.flat(all[i]!)!), `sample ${i}`).toEqual(Object.fromEntries(at(i)));
  });

  it('a sampler with a lane reads its collectors from the lane sources: their rates span the readings', async () => {
    const counter = (id: string, file: string): Collector => ({
      id,
      title: id,
      origin: 'procfs',
      resources: ['cpu'],
      inputs: [file],
      tables: { [id]: { title: id, scope: 'host', fields: { n: { kind: 'counter', unit: 'count', title: 'n' } } } },
      collect: (src: Source) => {
        const r = src.readFile(file);
        return { [id]: ok(r.status === 'ok' ? [{ key: 'x', values: { n: Number(r.value) } }] : []) };
      },
    }) as unknown as Collector;
    const fast = counter('fastc', '/f');
    const slow = counter('slowc', '/s');
    const tree = (mono: number, f: number, s: number, sMono: number) =>
      new MemoryTreeSource(
        {
          files: new Map([
            ['/f', String(f)],
            ['/s', String(s)],
            ['/.diag/clock.json', JSON.stringify({ sample: { monoMs: mono, wall: new Date(mono).toISOString() }, 'collector:fastc': { monoMs: mono, wall: '' }, 'collector:slowc': { monoMs: sMono, wall: '' } })],
          ]),
          dropped: 0,
        },
        `t${mono}`,
      );
    // the window 11 s -> 12 s: fast 110 -> 120; the lane carried its reading of 10 s (s=100) in
    // both samples; its next reading, at 20 s, says 300
    const a = tree(11_000, 110, 100, 10_000);
    const b = tree(12_000, 120, 100, 10_000);
    const r2 = tree(20_000, 200, 300, 20_000);
    const plain = deriveModel([fast, slow], await new Sampler([a, b]).window([fast, slow], 1000));
    // without the lane: the same reading twice, no rate (never a silent zero)
    expect(plain.tables.slowc!.seconds).toBeUndefined();
    const laned = deriveModel([fast, slow], await new Sampler([a, b], { lane: { collectors: new Set(['slowc']), sources: [a, r2] } }).window([fast, slow], 1000));
    expect(laned.tables.fastc!.seconds).toBe(1);
    expect(laned.tables.slowc!.seconds).toBe(10);
    const rows = laned.tables.slowc!.rows;
    // (300 - 100) over the 10 s between the lane's readings
    expect(rows.status === 'ok' ? rows.value[0]!.values.n : undefined).toBe(20);
    expect(rows.status === 'ok' ? rows.value[0]!.deltas.n : undefined).toBe(200);
  });
});
