import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FixtureSource } from '../../src/core/fixture-source.js';
import { META_DIR } from '../../src/core/source.js';

/** Trees not cleaned up by their test are removed when the test process ends. */
const made = new Set<string>();
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Build a throwaway fixture tree from a map of host paths to contents (bytes for BPF map dumps). */
export function fixtureTree(files: Record<string, string | Buffer>, meta: Record<string, unknown> = {}): { dir: string; source: FixtureSource; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'diag-fixture-'));
  made.add(dir);
  for (const [path, text] of Object.entries(files)) {
    const p = join(dir, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  for (const [name, value] of Object.entries(meta)) {
    const p = join(dir, META_DIR, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, JSON.stringify(value));
  }
  return { dir, source: new FixtureSource(dir), cleanup: () => {
    rmSync(dir, { recursive: true, force: true });
    made.delete(dir);
  } };
}

/**
 * `.diag/missing.json` entries saying the host lacked these paths (ENOENT when recorded): what a
 * recording of a kernel without them holds. A path a tree simply does not contain is "not
 * captured" instead, which says nothing about the kernel.
 */
export function notFound(...paths: string[]): Record<string, { status: 'unavailable'; code: 'not-found'; reason: string }> {
  return Object.fromEntries(paths.map((p) => [p, { status: 'unavailable', code: 'not-found', reason: `${p} does not exist` }]));
}
