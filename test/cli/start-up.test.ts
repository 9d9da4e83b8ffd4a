import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diag } from '../helpers/diag-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const mtime = (rel: string) => statSync(`${ROOT}${rel}`).mtimeMs;
/** Newest mtime of the files under these directories (what the bundle is built from). */
function newest(dirs: readonly string[]): { at: number; file: string } {
  let best = { at: 0, file: '' };
  for (const d of dirs) {
    for (const e of readdirSync(`${ROOT}${d}`, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const file = `${e.parentPath}/${e.name}`;
      const at = statSync(file).mtimeMs;
      if (at > best.at) best = { at, file };
    }
  }
  return best;
}

describe('what `npm run build` makes for a fast start', () => {
  it('the one-file bundle is there and current, so bin/diag.js runs it (the suite runs diag through it)', () => {
    // newer than every source it is built from (the rule of scripts/setup.mjs ensureBuild): a
    // stale dist/ would run every CLI, tmux and scenario test against old code
    const src = newest(['src', 'collectors', 'playbooks']);
    expect(mtime('dist/src/cli/main.bundle.js'), `${src.file} is newer than dist/: run npm run build`).toBeGreaterThanOrEqual(src.at);
  });

  it('bin/diag.js runs as a command (its sh launcher), not only through node', () => {
    const r = spawnSync(`${ROOT}bin/diag.js`, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the built-in playbooks ship pre-parsed: a run with an empty cache home writes no cache of its own', async () => {
    const home = `${ROOT}bench/.build/empty-home-${process.pid}`;
    const r = await diag(['playbooks', '--json'], { env: { XDG_CACHE_HOME: home } });
    expect(r.exitCode).toBe(0);
    expect(() => statSync(`${home}/diag/playbooks-v1.json`)).toThrow();
    expect(statSync(`${ROOT}dist/playbooks-cache.json`).mode & 0o444).toBe(0o444);
  });
});
