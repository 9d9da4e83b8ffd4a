import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packFiles, readArchive } from '../../src/bundle/archive.js';

/** diag writes tar itself: node-tar and GNU tar read back every path and content exactly. */
const work = mkdtempSync(join(tmpdir(), 'diagt-bs-tar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tar entries written by diag', () => {
  it('keep short, ustar-split, long and non-ASCII paths and every byte of content (1 B to 5 MiB)', async () => {
    const files = new Map<string, Buffer>([
      ['manifest.json', Buffer.from('{}')],
      [`samples/1/sys/fs/cgroup/${'a'.repeat(90)}/${'b'.repeat(50)}/cpu.stat`, Buffer.from('usage_usec 1\n')],
      [`samples/1/sys/fs/cgroup/${'c/'.repeat(150)}x`, Buffer.from('deep')],
      ['samples/1/sys/class/net/wlan-é✓/mtu', Buffer.from('1500\n')],
      ['samples/0/.diag/procs/00000.jsonl', Buffer.alloc(5 * 1024 * 1024 + 3, 'x')],
      ['empty', Buffer.alloc(0)],
    ]);
    const file = join(work, 'paths.tar.gz');
    await packFiles(files, file, new Date('2026-12-03T00:00:00Z'));
    const back = await readArchive(file);
    expect([...back.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [p, b] of files) expect(back.get(p)?.equals(b), p).toBe(true);
    const gnu = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
    expect(gnu.status).toBe(0);
    expect(gnu.stdout.trim().split('\n').sort()).toEqual([...files.keys()].sort());
  });
});
