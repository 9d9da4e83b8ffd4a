import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every fixture says where it came from (kernel, distribution, how it was captured, or that its
 * origin was not recorded): each directory under test/fixtures/ that holds files has a README.md
 * or PROVENANCE.md beside them. Captured host trees (a `tree/` below a PROVENANCE.md, an sos
 * report) are documented once at their root.
 */
const ROOT = new URL('./fixtures/', import.meta.url).pathname;
const CAPTURED_TREE = /(^|\/)tree(\/|$)|^sosreport\/[^/]+(\/|$)/;

function dirsWithFiles(dir: string): string[] {
  // lstat (dirents): a captured tree may hold symlinks that point nowhere on this machine
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = entries.some((e) => !e.isDirectory()) ? [dir] : [];
  return [...here, ...entries.filter((e) => e.isDirectory()).flatMap((e) => dirsWithFiles(join(dir, e.name)))];
}

describe('fixture provenance', () => {
  it('every fixture directory has a README.md or PROVENANCE.md', () => {
    const dirs = dirsWithFiles(ROOT).map((d) => relative(ROOT, d)).filter((d) => d !== '' && !CAPTURED_TREE.test(d));
    expect(dirs.length).toBeGreaterThan(10);
    const missing = dirs.filter((d) => !existsSync(join(ROOT, d, 'README.md')) && !existsSync(join(ROOT, d, 'PROVENANCE.md')));
    expect(missing).toEqual([]);
  });
});
