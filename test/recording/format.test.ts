import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordingSource } from '../../src/core/recording-source.js';
import { applyFrame, diffSamples, encodeFrame, HEADER_BYTES, scanFrames } from '../../src/recording/frames.js';
import { flattenAnswers, unflattenAnswers } from '../../src/recording/flat-answers.js';
import { flattenTree, History, unflattenTree } from '../../src/recording/history.js';
import { SegmentWriter } from '../../src/recording/segment-writer.js';
import { DirStore, META_FILE, RECORDING_SCHEMA, segmentName } from '../../src/recording/store.js';
import { answersToTree } from '../../src/core/recording-source.js';
import { MemoryTreeSource } from '../../src/bundle/tree.js';
import { fixtureTree } from '../helpers/fixture-host.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'diagt-rec-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sample = (n: number) =>
  new Map([
    ['f/proc/stat', `cpu ${n} 0 0\n`],
    ['f/proc/1/stat', '1 (init) S 0\n'],
    ['f/proc/2/stat', `2 (busy) R ${n}\n`],
  ]);

function writeMeta(dir: string) {
  writeFileSync(join(dir, META_FILE), JSON.stringify({ schema: RECORDING_SCHEMA, format: 'answers', intervalMs: 1000, host: 'h', diagVersion: 't', startedAt: new Date(0).toISOString() }));
}

describe('recording frames', () => {
  it('a delta frame holds only what changed and what went away (dedupe)', () => {
    const a = sample(1);
    const b = sample(2);
    b.delete('f/proc/1/stat');
    b.set('f/proc/3/stat', '3 (new) S 1\n');
    const d = diffSamples(a, b);
    expect(Object.keys(d.set).sort()).toEqual(['f/proc/2/stat', 'f/proc/3/stat', 'f/proc/stat']);
    expect(d.del).toEqual(['f/proc/1/stat']);
    // an unchanged sample is an empty delta, a few dozen bytes
    expect(encodeFrame(2, a, a).length).toBeLessThan(HEADER_BYTES + 32);
    const key = encodeFrame(1, a);
    const delta = encodeFrame(2, b, a);
    const buf = Buffer.concat([key, delta]);
    const { frames, torn } = scanFrames(buf);
    expect(torn).toBe(false);
    expect(frames.map((f) => [f.kind, f.wallMs])).toEqual([['key', 1], ['delta', 2]]);
    const s0 = applyFrame(buf, frames[0]!, undefined)!;
    expect([...s0]).toEqual([...a]);
    expect([...applyFrame(buf, frames[1]!, s0)!].sort()).toEqual([...b].sort());
  });

  it('a torn tail (any cut inside the last frame) is skipped, never misread; a flipped byte ends the segment there', () => {
    const a = sample(1);
    const buf = Buffer.concat([encodeFrame(1, a), encodeFrame(2, sample(2), a), encodeFrame(3, sample(3), sample(2))]);
    const whole = scanFrames(buf).frames;
    const lastStart = whole[2]!.offset;
    for (let cut = lastStart; cut < buf.length; cut++) {
      const r = scanFrames(buf.subarray(0, cut));
      expect(r.frames.length).toBe(2);
      expect(r.torn).toBe(cut > lastStart);
    }
    const bad = Buffer.from(buf);
    bad[whole[1]!.offset + HEADER_BYTES + 2]! ^= 0xff;
    expect(scanFrames(bad).frames.length).toBe(1);
    // a delta with no key frame before it is not a segment
    expect(scanFrames(buf.subarray(whole[1]!.offset)).frames.length).toBe(0);
    expect(scanFrames(Buffer.from('garbage that is not a frame at all')).frames).toEqual([]);
  });

  it('answers survive the flat form; an entry that does not decode is dropped and counted', () => {
    const { source } = fixtureTree({ '/proc/stat': 'cpu 1 2 3\n', '/proc/1/cmdline': 'init\0' }, { 'links.json': { '/proc/1/exe': '/sbin/init' } });
    const rec = new RecordingSource(source);
    rec.readFile('/proc/stat');
    rec.readFile('/proc/1/cmdline');
    rec.readFile('/proc/nothing');
    rec.readDir('/proc');
    rec.readLink('/proc/1/exe');
    rec.now('sample');
    const flat = flattenAnswers(rec.drain());
    expect(rec.files.size).toBe(0);
    flat.set('dbroken', '{not json');
    flat.set('c/not-the-key', JSON.stringify({ spec: { cmd: 'ss', args: [] }, answer: { stdout: '', stderr: '', exitCode: 0 } }));
    const { answers, bad } = unflattenAnswers(flat);
    expect(bad).toBe(2);
    const src = new MemoryTreeSource(answersToTree(answers, undefined, undefined, true), 't');
    expect(src.readFile('/proc/stat')).toMatchObject({ status: 'ok', value: 'cpu 1 2 3\n' });
    expect(src.readFile('/proc/1/cmdline')).toMatchObject({ status: 'ok', value: 'init\0' });
    expect(src.readLink('/proc/1/exe')).toMatchObject({ status: 'ok', value: '/sbin/init' });
    expect(src.readFile('/proc/nothing').status).toBe('unavailable');
    // the redacted-tree form of a bundle's history round-trips too
    const tree = answersToTree(answers, undefined, undefined, true);
    const back = new MemoryTreeSource(unflattenTree(flattenTree(tree)), 't2');
    expect(back.readFile('/proc/1/cmdline')).toMatchObject({ status: 'ok', value: 'init\0' });
    expect(back.readFile('/proc/stat')).toMatchObject({ status: 'ok', value: 'cpu 1 2 3\n' });
  });
});

describe('segment writer and history', () => {
  it('rotates segments, keeps the size and age limits, and reads every sample back in order', () => {
    const dir = tmp();
    writeMeta(dir);
    let now = 1_000_000;
    const w = new SegmentWriter(dir, { maxBytes: 1500, maxAgeMs: 1e12, framesPerSegment: 3, segmentBytes: 1e9 }, () => now);
    for (let i = 0; i < 12; i++) {
      const s = new Map([['f/proc/stat', `cpu ${i}\n` + randomBytes(150).toString('hex')]]);
      w.append(now, s);
      now += 1000;
      expect(w.totalBytes).toBeLessThanOrEqual(1500 + 400);
    }
    w.close();
    const segs = readdirSync(dir).filter((n) => n.endsWith('.dgr'));
    const total = segs.reduce((a, n) => a + readFileSync(join(dir, n)).length, 0);
    expect(total).toBeLessThanOrEqual(1500);
    expect(w.removed.length).toBeGreaterThan(0);
    const store = new DirStore(dir);
    const h = new History(store, store.meta()!);
    const got = h.samples();
    // the newest samples are kept, in order, every one readable
    expect(got.at(-1)!.wallMs).toBe(now - 1000);
    expect(got.map((s) => s.wallMs)).toEqual([...got.map((s) => s.wallMs)].sort((a, b) => a - b));
    for (const s of got) expect(h.flat(s)!.get('f/proc/stat')).toMatch(new RegExp(`^cpu ${(s.wallMs - 1_000_000) / 1000}\\n`));

    // age: segments whose last sample (their mtime, for a new writer) is older than max-age go at the next append
    for (const n of readdirSync(dir).filter((x) => x.endsWith('.dgr'))) utimesSync(join(dir, n), new Date(now), new Date(now));
    const w2 = new SegmentWriter(dir, { maxBytes: 1e9, maxAgeMs: 2500, framesPerSegment: 3, segmentBytes: 1e9 }, () => now + 10_000);
    w2.append(now + 10_000, new Map([['f/proc/stat', 'cpu new\n']]));
    w2.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.dgr'))).toEqual([segmentName(now + 10_000, 0)]);
  });

  it('any sample reads back the same in any order: going back starts from the nearest checkpoint, not the key frame', () => {
    const dir = tmp();
    writeMeta(dir);
    const w = new SegmentWriter(dir, { maxBytes: 1e9, maxAgeMs: 1e12, framesPerSegment: 200, segmentBytes: 1e9 }, () => 0);
    for (let i = 0; i < 150; i++) w.append(1_000_000 + i * 1000, new Map([['f/proc/stat', `cpu ${i}\n`], ['f/proc/1/stat', '1 (init) S 0\n'], ...(i % 7 === 0 ? [] : [[`f/proc/${i}/stat`, `${i} (x) R\n`] as const])]));
    w.close();
    const store = new DirStore(dir);
    const fresh = () => new History(store, store.meta()!);
    const refs = fresh().samples();
    expect(refs).toHaveLength(150);
    const h = fresh();
    h.flat(refs[149]!);
    // backwards, then jumps: every sample as a fresh reader decodes it from the key frame
    for (const i of [148, 140, 119, 61, 60, 59, 1, 0, 90, 31, 30, 149]) expect([...h.flat(refs[i]!)!], String(i)).toEqual([...fresh().flat(refs[i]!)!]);
    expect(h.flat(refs[75]!)!.get('f/proc/stat')).toBe('cpu 75\n');
    expect(h.flat(refs[77]!)!.has('f/proc/76/stat')).toBe(false);
  });

  it('a segment cut by a kill -9 mid-write reads up to its last whole frame; a new writer starts its own segment', () => {
    const dir = tmp();
    writeMeta(dir);
    const w = new SegmentWriter(dir, { maxBytes: 1e9, maxAgeMs: 1e12, framesPerSegment: 100, segmentBytes: 1e9 });
    for (let i = 0; i < 5; i++) w.append(1e12 + i * 1000, sample(i));
    w.close();
    const [seg] = readdirSync(dir).filter((n) => n.endsWith('.dgr'));
    const path = join(dir, seg!);
    truncateSync(path, readFileSync(path).length - 7);
    appendFileSync(path, Buffer.from('DGRF'));
    const w2 = new SegmentWriter(dir, { maxBytes: 1e9, maxAgeMs: 1e12, framesPerSegment: 100, segmentBytes: 1e9 });
    w2.append(1e12 + 9000, sample(9));
    w2.close();
    const store = new DirStore(dir);
    const h = new History(store, store.meta()!);
    const got = h.samples();
    expect(got.map((s) => (s.wallMs - 1e12) / 1000)).toEqual([0, 1, 2, 3, 9]);
    expect(h.flat(got[3]!)!.get('f/proc/2/stat')).toBe('2 (busy) R 3\n');
    expect(h.flat(got[4]!)!.get('f/proc/stat')).toBe('cpu 9 0 0\n');
    expect([...h.damaged]).toEqual([seg]);
    // an old segment's mtime does not matter to reading
    utimesSync(path, new Date(0), new Date(0));
    expect(new History(store, store.meta()!).samples().length).toBe(5);
  });
});
