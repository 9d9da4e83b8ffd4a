import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wholeContent } from '../../src/bundle/archive.js';
import { MemoryTreeSource, treeEntries } from '../../src/bundle/tree.js';
import { FixtureSource } from '../../src/core/fixture-source.js';
import type { Outcome } from '../../src/core/outcome.js';
import { chunkName, procPath, ProcRecords, PROCS_PER_CHUNK } from '../../src/core/proc-records.js';
import { RecordingSource } from '../../src/core/recording-source.js';
import type { Source } from '../../src/core/source.js';
import { fixtureTree, notFound } from '../helpers/fixture-host.js';

/**
 * A recording kept as one record per process (the snapshot layout since diag.bundle/v2) answers
 * every question exactly as the same recording kept as plain files, in memory and on disk.
 */
const work = mkdtempSync(join(tmpdir(), 'diagt-bs-records-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const host = fixtureTree(
  {
    'proc/stat': 'cpu  1 2 3 4 5 6 7 0 0 0\n',
    'proc/7/stat': '7 (my (odd) name) S 1 7 7 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 1 0 100 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n',
    'proc/7/status': 'Name:\tmy (odd) name\nState:\tS (sleeping)\n',
    'proc/7/cmdline': 'prog\u0000--flag\u0000',
    'proc/7/task/8/stat': '8 (worker) S 1 7 7 0\n',
    'proc/9/stat': '9 (other) R 1 9 9 0\n',
    'proc/self/mountinfo': '22 1 0:21 / / rw - ext4 /dev/vda rw\n',
  },
  {
    'dirs.json': { '/proc': ['7', '9', 'self'], '/proc/7/fd': ['0', '1'] },
    'links.json': { '/proc/7/ns/net': 'net:[4026531840]', '/proc/7/fd/0': '/dev/null', '/proc/1/ns/net': 'net:[4026531840]' },
    'missing.json': { ...notFound('/proc/9/io'), '/proc/7/io': { status: 'unavailable', code: 'permission', reason: '/proc/7/io: permission denied', hint: 'run diag as root' } },
  },
);
afterAll(() => host.cleanup());

/** Everything the consumers ask, recorded once through a RecordingSource. */
function record(): RecordingSource {
  const rec = new RecordingSource(host.source);
  for (const p of ['/proc/stat', '/proc/7/stat', '/proc/7/status', '/proc/7/cmdline', '/proc/7/task/8/stat', '/proc/9/stat', '/proc/9/io', '/proc/7/io', '/proc/self/mountinfo']) rec.readFile(p);
  for (const p of ['/proc', '/proc/7/fd']) rec.readDir(p);
  for (const p of ['/proc/7/ns/net', '/proc/7/fd/0', '/proc/1/ns/net']) rec.readLink(p);
  return rec;
}

const QUESTIONS = {
  files: ['/proc/stat', '/proc/7/stat', '/proc/7/status', '/proc/7/cmdline', '/proc/7/task/8/stat', '/proc/9/stat', '/proc/9/io', '/proc/7/io', '/proc/self/mountinfo', '/proc/7', '/proc/7/task', '/proc/8/stat', '/proc/7/limits', '/proc/7/../stat'],
  dirs: ['/proc', '/proc/7/fd', '/proc/7', '/proc/7/task', '/proc/9', '/proc/8', '/proc/7/nope'],
  links: ['/proc/7/ns/net', '/proc/7/fd/0', '/proc/1/ns/net', '/proc/7/ns/pid', '/proc/9/ns/net'],
};

function answers(src: Source): unknown {
  const shape = (o: Outcome<unknown>) => (o.status === 'ok' ? { ok: Array.isArray(o.value) ? [...(o.value as string[])].sort() : o.value } : { status: o.status, code: o.code, reason: o.reason });
  return {
    files: QUESTIONS.files.map((p) => [p, shape(src.readFile(p))]),
    dirs: QUESTIONS.dirs.map((p) => [p, shape(src.readDir(p))]),
    links: QUESTIONS.links.map((p) => [p, shape(src.readLink(p))]),
  };
}

function writeTo(dir: string, files: Iterable<readonly [string, string | Buffer]>): string {
  for (const [p, content] of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

describe('per-process records', () => {
  it('split a /proc path into process and relative path, refusing anything else', () => {
    expect(procPath('/proc/123/task/124/stat')).toEqual(['123', 'task/124/stat']);
    expect(procPath('/proc/123')).toEqual(['123', '']);
    expect(procPath('/proc/self/stat')).toBeUndefined();
    expect(procPath('/proc/12a/stat')).toBeUndefined();
    expect(procPath('/proc/1/../2/stat')).toBeUndefined();
    expect(procPath('/sys/1/x')).toBeUndefined();
  });

  it('answer every question as the plain layout does, in memory and unpacked on disk', () => {
    const rec = record();
    const plain = rec.toTree();
    const compact = rec.toTree(undefined, undefined, true);
    expect([...compact.procs!.pids()].sort()).toEqual(['1', '7', '9']); // 1: only its namespace link
    // nothing of a process is left as a plain file or in the .diag/ JSON files
    expect([...compact.files.keys()].filter((p) => procPath(p) !== undefined)).toEqual([]);
    expect(compact.files.get('/.diag/links.json')).toBe('{}');
    expect(JSON.parse(compact.files.get('/.diag/dirs.json')!)).toEqual({ '/proc': ['7', '9', 'self'] });

    const reference = answers(new MemoryTreeSource(plain, 'plain'));
    expect(answers(new MemoryTreeSource(compact, 'compact'))).toEqual(reference);
    // read back from the chunk files (a bundle read into memory) ...
    const entries = [...treeEntries('', compact)].map(([p, c]) => [p, wholeContent(c)] as const);
    expect(entries.map(([p]) => p).filter((p) => p.startsWith('/.diag/procs/'))).toEqual([`/.diag/${chunkName(0)}`]);
    const fromChunks = new MemoryTreeSource({ files: new Map(entries.map(([p, c]) => [p, c.toString()])), dropped: 0 }, 'chunks');
    expect(answers(fromChunks)).toEqual(reference);
    // ... and unpacked to disk, as FixtureSource reads it
    expect(answers(new FixtureSource(writeTo(mkdtempSync(join(work, 'compact-')), entries), 'fixture'))).toEqual(answers(new FixtureSource(writeTo(mkdtempSync(join(work, 'plain-')), [...plain.files]), 'fixture')));
  });

  it(`keep at most ${PROCS_PER_CHUNK} processes per chunk, ordered by PID`, () => {
    const r = new ProcRecords();
    for (let pid = 2500; pid > 0; pid--) r.setFile(String(pid), 'stat', `${pid} (p) S`);
    const chunks = [...r.chunks()];
    expect(chunks.map(([p]) => p)).toEqual(['/.diag/procs/00000.jsonl', '/.diag/procs/00001.jsonl', '/.diag/procs/00002.jsonl']);
    expect(chunks.map(([, t]) => t.trimEnd().split('\n').length)).toEqual([1000, 1000, 500]);
    expect(JSON.parse(chunks[1]![1].split('\n')[0]!)).toEqual({ pid: '1001', files: { stat: '1001 (p) S' } });
    const back = ProcRecords.read(chunks, 'b');
    expect(back.size).toBe(2500);
    expect(back.readFile('/proc/2500/stat', '2500', 'stat', 'bundle')).toEqual({ status: 'ok', value: '2500 (p) S' });
  });

  it('refuse chunk lines that are not what diag writes, naming chunk and line', () => {
    const bad = (text: string) => () => ProcRecords.read([['procs/00000.jsonl', text]], 'b/.diag');
    expect(bad('{"pid":"1"}\nnot json\n')).toThrow(/^b\/\.diag: procs\/00000\.jsonl line 2 is not JSON/);
    expect(bad('{"pid":"../1"}\n')).toThrow(/line 1 is malformed: pid/);
    expect(bad('{"pid":"1","files":{"stat":7}}\n')).toThrow(/line 1 is malformed: files\.stat/);
    expect(bad('{"pid":"1"}\n{"pid":"1"}\n')).toThrow(/line 2: process 1 is recorded twice/);
    expect(bad(`{"pid":"1","files":${'['.repeat(200_000)}}\n`)).toThrow(/line 1 nests arrays or objects more than 128 levels deep/);
    // a source on such a tree is a TreeError (the bundle reader's "sample ... is malformed")
    expect(() => new MemoryTreeSource({ files: new Map([['/.diag/procs/00000.jsonl', 'x\n']]), dropped: 0 }, 'b')).toThrow(/procs\/00000\.jsonl line 1 is not JSON/);
  });
});
