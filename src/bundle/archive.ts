import { lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { DiagError } from '../core/errors.js';

/** Limits that keep a hostile or broken bundle from filling the disk or escaping its folder. */
export const LIMITS = {
  maxCompressedBytes: 512 * 1024 * 1024,
  maxMemberBytes: 64 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntries: 200_000,
} as const;

export class BundleError extends DiagError {
  override readonly name = 'BundleError';
}

/** Write every file under `dir` into a gzipped tar at `file` (paths relative to dir). */
export async function packDir(dir: string, file: string): Promise<void> {
  const entries = readdirSync(dir);
  await tar.c({ gzip: { level: 6 }, file, cwd: dir, portable: true, noDirRecurse: false }, entries);
}

function badEntry(file: string, path: string, why: string): BundleError {
  return new BundleError(`${file} is not a safe diag bundle: entry ${JSON.stringify(path.slice(0, 200))} ${why}`, {
    hint: 'nothing was extracted; ask for a new snapshot made by `diag snapshot`',
  });
}

/**
 * Check every entry of a bundle before anything is written: only regular files and folders,
 * relative paths without "..", bounded sizes and counts. A corrupt or truncated archive is a
 * clear error, not a stack trace.
 */
async function validate(file: string): Promise<void> {
  let count = 0;
  let total = 0;
  let problem: BundleError | undefined;
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (e) => {
        if (problem) return;
        count++;
        const p = e.path;
        if (count > LIMITS.maxEntries) problem = badEntry(file, p, `is one of more than ${LIMITS.maxEntries} entries`);
        else if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) problem = badEntry(file, p, 'has an absolute path');
        else if (p.split(/[\\/]/).includes('..')) problem = badEntry(file, p, 'contains ".."');
        else if (e.type !== 'File' && e.type !== 'Directory' && e.type !== 'OldFile' && e.type !== 'ContiguousFile') problem = badEntry(file, p, `is a ${e.type} (only files and folders are allowed)`);
        else if ((e.size ?? 0) > LIMITS.maxMemberBytes) problem = badEntry(file, p, `is ${e.size} bytes (limit ${LIMITS.maxMemberBytes})`);
        else {
          total += e.size ?? 0;
          if (total > LIMITS.maxTotalBytes) problem = badEntry(file, p, `takes the bundle over ${LIMITS.maxTotalBytes} bytes unpacked`);
        }
      },
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/decompression ratio/.test(msg)) {
      throw new BundleError(`${file} expands more than 1000x when unpacked: refused as a possible decompression bomb (${msg})`, { cause: err, hint: 'nothing was extracted' });
    }
    throw new BundleError(`${file} is not a readable diag bundle: ${msg} (corrupt or truncated?)`, { cause: err, hint: 'check the file was copied completely (compare sizes), or take a new snapshot' });
  }
  if (problem) throw problem;
  if (count === 0) throw new BundleError(`${file} is empty: not a diag bundle`);
}

/** Unpack a bundle into a new private (0700) temporary folder; the caller removes it. */
export async function unpack(file: string): Promise<{ dir: string; cleanup: () => void }> {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new BundleError(`${file}: no such file`, { hint: 'give the path of a .tar.gz written by `diag snapshot`' });
  }
  if (!st.isFile()) throw new BundleError(`${file} is not a regular file`);
  if (st.size > LIMITS.maxCompressedBytes) throw new BundleError(`${file} is ${st.size} bytes: larger than any diag bundle (${LIMITS.maxCompressedBytes})`);
  await validate(file);
  const dir = mkdtempSync(join(tmpdir(), 'diag-bundle-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await tar.x({
      file,
      cwd: dir,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      noChmod: true,
      filter: (_p, e) => 'type' in e && (e.type === 'File' || e.type === 'Directory' || e.type === 'OldFile' || e.type === 'ContiguousFile'),
    });
  } catch (err) {
    cleanup();
    throw new BundleError(`${file} could not be unpacked: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  // Defence in depth: nothing but files and folders may exist after extraction.
  const walk = (p: string): void => {
    const s = lstatSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else if (!s.isFile()) {
      cleanup();
      throw badEntry(file, p, 'is not a regular file after extraction');
    }
  };
  walk(dir);
  return { dir, cleanup };
}
