import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError, packFiles, readArchive } from '../../src/bundle/archive.js';
import { openBundle } from '../../src/bundle/reader.js';
import { JSON_LIMITS, jsonDepth, parseJsonBounded } from '../../src/core/bounded-json.js';
import { readBpfCapture } from '../../src/core/bpf-tree.js';
import { TreeMeta } from '../../src/core/tree-meta.js';
import { parseNftRuleset } from '../../collectors/commands/firewall/parse-nft.js';
import { parseTcQdiscJson } from '../../collectors/commands/qdiscs/parse.js';
import { diag } from '../helpers/diag-cli.js';

/**
 * Bundles are outside input: `diag diff` judges both sides from their raw inputs and never
 * believes a stored report.json; every JSON document read from a bundle is bounded in size and
 * depth, and a hostile one is a clean error (exit 3, no stack trace).
 */
const FIXTURE = fileURLToPath(new URL('../fixtures/bundles/pre-codes-7704c47.tar.gz', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'diag-hostile-json-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** 200,000 nested arrays: what crashed `diag diff` with a stack trace. */
const DEEP = '['.repeat(200_000) + ']'.repeat(200_000);

/** The fixture bundle with some of its files replaced (archive path -> text), as a new .tar.gz. */
let original: Map<string, Buffer> | undefined;
async function forge(name: string, replace: Record<string, string>): Promise<string> {
  original ??= await readArchive(FIXTURE);
  const files = new Map<string, string | Buffer>(original);
  for (const [p, text] of Object.entries(replace)) files.set(p, text);
  const out = join(work, name);
  await packFiles(files, out, new Date());
  return out;
}

describe('bounded JSON', () => {
  it('measures depth without counting brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[[{{{"}]}', 10)).toBe(3);
    expect(jsonDepth('"\\"[[["', 10)).toBe(0);
    expect(jsonDepth(DEEP, 128)).toBe(129);
  });
  it('refuses 200,000 nested arrays, oversize text and malformed JSON with a reason', () => {
    expect(parseJsonBounded(DEEP)).toEqual({ ok: false, reason: 'nests arrays or objects more than 128 levels deep' });
    expect(parseJsonBounded('[1]', { maxBytes: 2, maxDepth: 5 })).toEqual({ ok: false, reason: 'is 3 bytes of JSON, over the limit of 2' });
    expect(parseJsonBounded('{"a":')).toMatchObject({ ok: false, reason: expect.stringMatching(/^is not JSON \(/) as unknown });
    expect(parseJsonBounded('[[1,2],{"x":"]"}]')).toEqual({ ok: true, value: [[1, 2], { x: ']' }] });
    expect(JSON_LIMITS.maxDepth).toBe(128);
  });
  it('bounds the .diag/ files of a tree, recorded commands and BPF captures', () => {
    expect(() => TreeMeta.read((n) => (n === 'dirs.json' ? `{"/x":${DEEP}}` : undefined), 'b', 'bundle')).toThrow(/dirs\.json nests arrays or objects more than 128 levels deep/);
    expect(TreeMeta.command(DEEP, 'ss -tin', 'bundle')).toMatchObject({ status: 'error', code: 'parse', reason: 'recorded output of `ss -tin` nests arrays or objects more than 128 levels deep' });
    const capture = readBpfCapture({ probe: 'runqlat' }, { text: (n) => (n.endsWith('run.json') ? DEEP : undefined), bytes: () => undefined }, 'b');
    expect(capture).toMatchObject({ status: 'error', code: 'parse', reason: expect.stringMatching(/run\.json nests arrays or objects more than 128 levels deep$/) as unknown });
  });
  it('bounds the JSON output of tc and nft replayed from a bundle', () => {
    const tc = parseTcQdiscJson(DEEP);
    expect(tc.ok).toBe(false);
    if (!tc.ok) expect(tc.error.message).toMatch(/output nests arrays or objects more than 128 levels deep/);
    const nft = parseNftRuleset(`{"nftables":${DEEP}}`);
    expect(nft.ok).toBe(false);
    if (!nft.ok) expect(nft.error.message).toMatch(/output nests arrays or objects more than 128 levels deep/);
  });
});

describe('a bundle with hostile JSON, read in process', () => {
  it('refuses a deep manifest.json and a deep .diag file with a BundleError naming the file', async () => {
    const manifest = await forge('deep-manifest.tar.gz', { 'manifest.json': DEEP });
    await expect(openBundle(manifest)).rejects.toThrow(BundleError);
    await expect(openBundle(manifest)).rejects.toThrow(/manifest\.json nests arrays or objects more than 128 levels deep/);
    const dirs = await forge('deep-dirs.tar.gz', { 'samples/1/.diag/dirs.json': DEEP });
    await expect(openBundle(dirs)).rejects.toThrow(/samples\/1 is malformed: .*dirs\.json nests arrays or objects more than 128 levels deep/);
  });
  it('parses report.json and records/model.json only when asked, within bounds', async () => {
    const file = await forge('deep-report-model.tar.gz', { 'report.json': DEEP, 'records/model.json': DEEP });
    const b = await openBundle(file);
    try {
      expect(() => b.report).toThrow(/report\.json nests arrays or objects more than 128 levels deep/);
      expect(() => b.json('records/model.json')).toThrow(/records\/model\.json nests arrays or objects more than 128 levels deep/);
    } finally {
      b.close();
    }
  });
});

describe('diag diff on forged and hostile bundles', () => {
  let plain: { exitCode: number | null; stdout: string; stderr: string };
  beforeAll(async () => {
    plain = await diag(['diff', FIXTURE, FIXTURE], { timeoutMs: 60_000 });
  }, 90_000);
  const body = (out: string) => out.split('\n').filter((l) => !/^(before|after):/.test(l)).join('\n');

  it('gives the same output when a bundle carries a forged report.json with invented findings', async () => {
    const invented = { id: 'invented', resource: 'cpu', kind: 'saturation', severity: 'critical', scope: 'host', title: 'INVENTED-FINDING-4f1c', evidence: {}, next: [] };
    const report = { schema: 'diag.report/v1', playbook: 'use', status: 'critical', findings: [invented], coverage: [], unavailable: [] };
    const forged = await forge('forged-report.tar.gz', { 'report.json': JSON.stringify(report), 'records/model.json': JSON.stringify({ tables: { cpu: { status: 'ok', rows: [{ key: 'INVENTED-ROW-4f1c', values: { busy_pct: 1 } }] } } }) });
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toMatch(/findings: no change/);
    for (const args of [[forged, FIXTURE], [FIXTURE, forged]]) {
      const r = await diag(['diff', ...args], { timeoutMs: 60_000 });
      expect(r.stderr).toBe(plain.stderr);
      expect(r.exitCode).toBe(0);
      expect(body(r.stdout)).toBe(body(plain.stdout));
      expect(r.stdout).not.toMatch(/INVENTED/);
    }
  }, 120_000);

  it('ignores a report.json of 200,000 nested arrays (it is not read) and refuses such a manifest cleanly', async () => {
    const deepReport = await forge('deep-report.tar.gz', { 'report.json': DEEP });
    const r = await diag(['diff', deepReport, FIXTURE], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(body(r.stdout)).toBe(body(plain.stdout));

    const deepManifest = await forge('deep-manifest-cli.tar.gz', { 'manifest.json': DEEP });
    // bounded in time: the child is killed after 30 s, and exitCode would then be null
    const m = await diag(['diff', FIXTURE, deepManifest], { timeoutMs: 30_000 });
    expect(m.exitCode).toBe(3);
    expect(m.stdout).toBe('');
    expect(m.stderr).toMatch(/^diag: .*deep-manifest-cli\.tar\.gz: manifest\.json nests arrays or objects more than 128 levels deep\nhint: /);
    expect(m.stderr).not.toMatch(/internal error|\n\s+at /);

    const deepMeta = await forge('deep-meta-cli.tar.gz', { 'samples/0/.diag/missing.json': DEEP });
    const x = await diag(['run', 'playbook', 'use', '--from', deepMeta], { timeoutMs: 30_000 });
    expect(x.exitCode).toBe(3);
    expect(x.stderr).toMatch(/missing\.json nests arrays or objects more than 128 levels deep/);
    expect(x.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 150_000);
});
