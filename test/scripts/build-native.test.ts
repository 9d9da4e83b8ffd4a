import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../scripts/build-native.mjs');

/** Which directory on PATH holds a command (undefined when none does). */
function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

describe('scripts/build-native.mjs prerequisites', () => {
  const dir = mkdtempSync(join(tmpdir(), 'diagt-bpf-path-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names exactly what is missing (clang) and how to get it, exits 1, builds nothing', () => {
    // A PATH with the usual build tools but no clang.
    for (const cmd of ['sh', 'gcc', 'g++', 'make', 'python3', 'llvm-strip']) {
      const p = which(cmd);
      if (p) symlinkSync(p, join(dir, cmd));
    }
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8', env: { ...process.env, PATH: dir } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing: clang \(compiles the BPF programs\) -> apt-get install clang/);
    expect(r.stderr).not.toMatch(/libbpf headers/);
  });

  it('--optional (npm install) never fails because of it', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--check', '--optional'], { encoding: 'utf8', env: { ...process.env, PATH: dir } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/missing: clang/);
  });
});
