import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleError, LIMITS, MAX_EXPANSION_RATIO, readArchive, READ_MEMORY_LIMIT_BYTES, unpack } from '../../src/bundle/archive.js';

/**
 * Hostile archives, built here byte by byte (ustar headers, gzip members), read by diag in
 * process and by a `diag` child whose peak RSS (VmHWM of /proc/self/status, written by a module
 * NODE_OPTIONS preloads, at exit) must stay under the reader's stated limit: the archive is
 * refused while it streams, before the rest is expanded.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'diagt-bs-archive-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MiB = 1024 * 1024;

/** One 512-byte ustar header. type: '0' file, '1' hard link, '2' symlink, '5' folder. */
function header(name: string, size: number, type = '0', linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s.slice(0, len), off, len, 'latin1');
  put(name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(size.toString(8).padStart(11, '0') + '\0', 124, 12);
  put('14000000000\0', 136, 12);
  put('        ', 148, 8);
  put(type, 156, 1);
  put(linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
const END = Buffer.alloc(1024);
/** A gzip member of 1 MiB of zeros (~1 KiB): repeated, gzip members concatenate into one stream. */
const ZEROS = gzipSync(Buffer.alloc(MiB), { level: 9 });
const gz = (b: Buffer) => gzipSync(b, { level: 9 });

function write(name: string, parts: Buffer[]): string {
  const file = join(work, name);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** Small plain entries, gzipped as one member. */
function small(name: string, entries: Array<[string, string, string?, string?]>): string {
  const parts: Buffer[] = [];
  for (const [path, text, type, link] of entries) {
    const body = Buffer.from(text);
    parts.push(header(path, type && type !== '0' ? 0 : body.length, type ?? '0', link ?? ''));
    if (!type || type === '0') parts.push(body, pad(body.length));
  }
  parts.push(END);
  return write(name, [gz(Buffer.concat(parts))]);
}

const HWM = join(work, 'hwm.mjs');
writeFileSync(
  HWM,
  "import { readFileSync, writeSync } from 'node:fs';\n" +
    "process.on('exit', () => { const m = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')); writeSync(2, `\\nVMHWM_KB ${m ? m[1] : 'none'}\\n`); });\n",
);

/** `diag run playbook use --from FILE` as a child, killed after 30 s; its peak RSS in bytes. */
function diagFrom(file: string): Promise<{ exitCode: number | null; stderr: string; peakBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/diag.js`, 'run', 'playbook', 'use', '--from', file], {
      env: { ...process.env, NODE_OPTIONS: `--import ${HWM}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /VMHWM_KB (\d+)/.exec(stderr);
      resolve({ exitCode: code, stderr: stderr.replace(/\nVMHWM_KB .*\n/, ''), peakBytes: m ? Number(m[1]) * 1024 : Number.NaN });
    });
  });
}

async function refusedInProcess(file: string, pattern: RegExp): Promise<void> {
  await expect(readArchive(file)).rejects.toThrow(BundleError);
  await expect(readArchive(file)).rejects.toThrow(pattern);
  await expect(unpack(file)).rejects.toThrow(pattern);
}

async function refusedByDiag(file: string, pattern: RegExp): Promise<number> {
  const r = await diagFrom(file);
  // exit 3 (could not judge), not null (killed at 30 s) nor 70 (a crash)
  expect(r.exitCode).toBe(3);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.peakBytes).toBeLessThan(READ_MEMORY_LIMIT_BYTES);
  return r.peakBytes;
}

describe('gzip bombs', () => {
  it('refuses one member declaring 3 GiB (3 MB of gzip) at its header', async () => {
    const file = write('one-3g.tar.gz', [gz(header('samples/0/proc/stat', 3 * 1024 * MiB)), ...Array<Buffer>(3072).fill(ZEROS)]);
    expect(statSync(file).size).toBeLessThan(4 * MiB);
    await refusedInProcess(file, /is 3221225472 bytes \(limit 67108864\)/);
    await refusedByDiag(file, /is 3221225472 bytes \(limit 67108864\)/);
  }, 60_000);

  it('refuses 48 members of 64 MiB of zeros (3 MB -> 3 GiB) once the expansion ratio shows, before expanding the rest', async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 48; i++) parts.push(gz(header(`samples/0/proc/${i}/stat`, 64 * MiB)), ...Array<Buffer>(64).fill(ZEROS));
    const file = write('many-3g.tar.gz', parts);
    expect(statSync(file).size).toBeLessThan(4 * MiB);
    const ratio = new RegExp(`expands more than ${MAX_EXPANSION_RATIO}x: refused as a possible decompression bomb`);
    await refusedInProcess(file, ratio);
    const peak = await refusedByDiag(file, ratio);
    // refused after ~8 MiB were expanded: nowhere near the 256 MiB the reader may keep
    expect(peak).toBeLessThan(200 * MiB);
  }, 60_000);

  it('stops at the end-of-archive marker and refuses GiBs of gzip after it without expanding them', async () => {
    const body = Buffer.from('{"schema":"other"}');
    const archive = gz(Buffer.concat([header('hello.json', body.length), body, pad(body.length), END]));
    const file = write('trailing.tar.gz', [archive, ...Array<Buffer>(3072).fill(ZEROS)]);
    const trailing = /has \d+ bytes of gzip after the end of its archive: refused as a possible decompression bomb/;
    await refusedInProcess(file, trailing);
    await refusedByDiag(file, trailing);
    // the same archive without the tail reads
    const clean = write('no-trailing.tar.gz', [archive]);
    expect([...(await readArchive(clean)).keys()]).toEqual(['hello.json']);
  }, 60_000);

  it('refuses bytes no entry explains (a stream of ignored metadata) before expanding them all', async () => {
    // a pax extended header larger than node-tar keeps (1 MiB): skipped as it streams, 3 GiB of it
    const file = write('meta-3g.tar.gz', [gz(header('PaxHeader/x', 3 * 1024 * MiB, 'x')), ...Array<Buffer>(3072).fill(ZEROS)]);
    await refusedInProcess(file, /holds more than its 0 entries explain|expands more than/);
    await refusedByDiag(file, /holds more than its 0 entries explain|expands more than/);
  }, 60_000);
});

describe('other hostile archives', () => {
  it(`refuses more than ${LIMITS.maxEntries} tiny entries at the first one over`, async () => {
    const n = LIMITS.maxEntries + 1;
    const headers = Buffer.alloc(512 * n + 1024);
    for (let i = 0; i < n; i++) header(`samples/0/proc/${i}/x`, 0).copy(headers, 512 * i);
    const file = write('tiny.tar.gz', [gzipSync(headers, { level: 1 })]);
    const pattern = new RegExp(`"samples/0/proc/${LIMITS.maxEntries}/x" is one of more than ${LIMITS.maxEntries} entries`);
    await expect(readArchive(file)).rejects.toThrow(pattern);
    await refusedByDiag(file, pattern);
  }, 120_000);

  it('refuses a truncated archive with one clear line', async () => {
    const body = Buffer.from('x'.repeat(200_000));
    const whole = gz(Buffer.concat([header('manifest.json', body.length), body, pad(body.length), END]));
    const file = write('cut.tar.gz', [whole.subarray(0, whole.length - 40)]);
    await refusedInProcess(file, /not a readable diag bundle: .*\(corrupt or truncated\?\)/);
    await refusedByDiag(file, /not a readable diag bundle: .*\(corrupt or truncated\?\)/);
    // a complete gzip stream whose tar stops inside an entry
    const tarCut = write('tar-cut.tar.gz', [gz(Buffer.concat([header('manifest.json', body.length), body.subarray(0, 1000)]))]);
    await refusedInProcess(tarCut, /not a readable diag bundle: .*Truncated input/);
  }, 60_000);

  it('refuses an oversize single entry of real content', async () => {
    const size = LIMITS.maxMemberBytes + 1;
    const file = write('oversize.tar.gz', [gz(header('records/model.json', size)), ...Array<Buffer>(65).fill(ZEROS)]);
    await refusedInProcess(file, /"records\/model\.json" is 67108865 bytes \(limit 67108864\)/);
  }, 60_000);

  it('refuses path traversal, absolute paths, symlinks and hard links by name', async () => {
    const cases: Array<[string, Array<[string, string, string?, string?]>, RegExp]> = [
      ['dotdot', [['samples/0/../../../etc/cron.d/x', 'evil']], /"samples\/0\/\.\.\/\.\.\/\.\.\/etc\/cron\.d\/x" contains "\.\."/],
      ['abs', [['/etc/cron.d/x', 'evil']], /"\/etc\/cron\.d\/x" has an absolute path/],
      ['symlink', [['manifest.json', '', '2', '/etc/shadow']], /"manifest\.json" is a SymbolicLink/],
      ['hardlink', [['a', 'x'], ['manifest.json', '', '1', '/etc/shadow']], /"manifest\.json" is a Link/],
    ];
    for (const [name, entries, pattern] of cases) {
      const file = small(`${name}.tar.gz`, entries);
      await refusedInProcess(file, pattern);
      await refusedByDiag(file, pattern);
    }
  }, 120_000);
});
