import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveSource } from '../../src/core/live-source.js';

/*
 * statfs of a filesystem that may hang (NFS, CIFS, FUSE) goes through `stat -f` in a child
 * process killed after a timeout. A stand-in `stat` on PATH plays the dead server.
 */
const savedPath = process.env.PATH;
const dirs: string[] = [];

function fakeStat(script: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'diagt-statfs-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'stat'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(dir, 'stat'), 0o755);
  process.env.PATH = `${dir}:${savedPath ?? ''}`;
}

afterEach(() => {
  process.env.PATH = savedPath;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('LiveSource.statfs with mayHang', () => {
  it('answers like the in-process statfs for a healthy filesystem', () => {
    const src = new LiveSource();
    const direct = src.statfs('/');
    const bounded = src.statfs('/', { mayHang: true });
    expect(direct.status).toBe('ok');
    expect(bounded.status).toBe('ok');
    if (direct.status !== 'ok' || bounded.status !== 'ok') return;
    expect(bounded.value).toMatchObject({ type: direct.value.type, blocks: direct.value.blocks, files: direct.value.files, bsize: direct.value.bsize });
  });

  it('gives up after the timeout on a statfs that does not answer, and does not ask again', () => {
    fakeStat('exec sleep 30');
    const src = new LiveSource();
    const t0 = performance.now();
    const first = src.statfs('/mnt/dead-nfs', { mayHang: true, timeoutMs: 300 });
    expect(first).toMatchObject({ status: 'unavailable', reason: 'statfs(/mnt/dead-nfs) did not answer within 300 ms' });
    const second = src.statfs('/mnt/dead-nfs', { mayHang: true, timeoutMs: 300 });
    expect(second.status === 'unavailable' && second.reason).toMatch(/not asked again/);
    // bounded: well under the 30 s the stand-in would sleep
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('reports a failing or garbled stat as unavailable or error, never as numbers', () => {
    fakeStat(`echo "stat: cannot read file system information for '$4': No such file or directory" >&2; exit 1`);
    expect(new LiveSource().statfs('/gone', { mayHang: true })).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/No such file/) });
    fakeStat('echo "4096 x 1 2 3 4 ef53"');
    expect(new LiveSource().statfs('/garbled', { mayHang: true }).status).toBe('error');
  });
});
