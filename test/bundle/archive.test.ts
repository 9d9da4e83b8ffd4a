import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleError, packDir, readArchive, unpack } from '../../src/bundle/archive.js';
import { openBundle } from '../../src/bundle/reader.js';

const work = mkdtempSync(join(tmpdir(), 'diag-hostile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function gnuTar(archive: string, cwd: string, ...members: string[]): void {
  const r = spawnSync('tar', ['-czPf', archive, '-C', cwd, ...members], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
}

function tempDirsBefore(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('diag-bundle-')));
}

async function expectRefused(file: string, pattern: RegExp): Promise<void> {
  const before = tempDirsBefore();
  await expect(unpack(file)).rejects.toThrow(BundleError);
  await expect(unpack(file)).rejects.toThrow(pattern);
  // diag itself reads bundles into memory: the same checks, the same refusals
  await expect(readArchive(file)).rejects.toThrow(BundleError);
  await expect(readArchive(file)).rejects.toThrow(pattern);
  // nothing left behind in the temporary folder either
  const after = tempDirsBefore();
  expect([...after].filter((d) => !before.has(d))).toEqual([]);
}

describe('unpacking hostile bundles', () => {
  it('refuses absolute paths and writes nothing there', async () => {
    const target = join(work, 'escaped-abs.txt');
    const src = join(work, 'abs-src');
    mkdirSync(src);
    writeFileSync(join(src, 'x'), 'x');
    const archive = join(work, 'abs.tar.gz');
    // GNU tar -P keeps the leading "/" of a member given by absolute path
    writeFileSync(target, 'original');
    gnuTar(archive, src, target);
    rmSync(target);
    await expectRefused(archive, /absolute path/);
    expect(existsSync(target)).toBe(false);
  });
  it('refuses ".." entries', async () => {
    const inner = join(work, 'dots', 'a');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(work, 'dots', 'evil.txt'), 'evil');
    const archive = join(work, 'dots.tar.gz');
    gnuTar(archive, inner, '../evil.txt');
    await expectRefused(archive, /"\.\."/);
  });
  it('refuses symlinks', async () => {
    const src = join(work, 'link-src');
    mkdirSync(src);
    symlinkSync('/etc/passwd', join(src, 'manifest.json'));
    const archive = join(work, 'link.tar.gz');
    gnuTar(archive, src, 'manifest.json');
    await expectRefused(archive, /SymbolicLink/);
  });
  it('refuses FIFOs and devices', async () => {
    const src = join(work, 'fifo-src');
    mkdirSync(src);
    spawnSync('mkfifo', [join(src, 'pipe')]);
    const archive = join(work, 'fifo.tar.gz');
    gnuTar(archive, src, 'pipe');
    await expectRefused(archive, /FIFO|only files and folders/);
    if (process.getuid?.() === 0) {
      spawnSync('mknod', [join(src, 'null'), 'c', '1', '3']);
      const dev = join(work, 'dev.tar.gz');
      gnuTar(dev, src, 'null');
      await expectRefused(dev, /CharacterDevice|only files and folders/);
    }
  });
  it('refuses a huge member before extracting anything', async () => {
    const src = join(work, 'huge-src');
    mkdirSync(src);
    writeFileSync(join(src, 'big'), '');
    truncateSync(join(src, 'big'), 65 * 1024 * 1024);
    const archive = join(work, 'huge.tar.gz');
    gnuTar(archive, src, 'big');
    await expectRefused(archive, /limit|decompression bomb/);
  });
  it('says a truncated or garbage file is not a readable bundle', async () => {
    const src = join(work, 'ok-src');
    mkdirSync(src);
    writeFileSync(join(src, 'manifest.json'), JSON.stringify({ schema: 'x' }).repeat(2000));
    const good = join(work, 'good.tar.gz');
    await packDir(src, good);
    const bytes = readFileSync(good);
    const cut = join(work, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectRefused(cut, /corrupt or truncated|unexpected end|not a readable/i);
    const garbage = join(work, 'garbage.tar.gz');
    writeFileSync(garbage, 'this is not a tarball at all\n'.repeat(50));
    await expectRefused(garbage, /not a readable|empty/);
    await expect(unpack(join(work, 'missing.tar.gz'))).rejects.toThrow(/no such file/);
  });
  it('refuses a bundle from another format version with a clear message', async () => {
    const src = join(work, 'v9-src');
    mkdirSync(src);
    writeFileSync(join(src, 'manifest.json'), JSON.stringify({ schema: 'diag.bundle/v9', diagVersion: '9.0.0' }));
    const archive = join(work, 'v9.tar.gz');
    await packDir(src, archive);
    await expect(openBundle(archive)).rejects.toThrow(/diag\.bundle\/v9 bundle \(written by diag 9\.0\.0\)/);
    const notDiag = join(work, 'other-src');
    mkdirSync(notDiag);
    writeFileSync(join(notDiag, 'hello.txt'), 'hi');
    const other = join(work, 'other.tar.gz');
    await packDir(notDiag, other);
    await expect(openBundle(other)).rejects.toThrow(/no manifest\.json/);
  });
});
