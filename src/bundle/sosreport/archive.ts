import { spawn } from 'node:child_process';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import * as tar from 'tar';
import { BundleError } from '../archive.js';

/**
 * A sosreport (sos report / sosreport: the archive most Linux support tickets already carry),
 * held in memory: paths relative to the report's top folder ("proc/meminfo",
 * "sos_commands/networking/tc_-s_qdisc_show") -> bytes, and its symbolic links -> their targets.
 * Read from a .tar.xz / .tar.gz / .tar.bz2 archive or from a folder someone extracted. Nothing is
 * written anywhere and nothing is followed outside the report: a link is kept as a link and
 * resolved inside the tree only (a report's "proc" may link anywhere on the machine reading it).
 */
export interface SosTree {
  /** Top folder name inside the archive (e.g. "sosreport-web1-2024-05-01-abcdef"), or the folder's name. */
  readonly name: string;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly links: ReadonlyMap<string, string>;
  /** Files left out: over the per-file limit, or after the total limit was reached. */
  readonly skipped: number;
}

export const SOS_LIMITS = {
  /** A file larger than this is left out (a sosreport's big logs are not what diag judges). */
  maxFileBytes: 32 * 1024 * 1024,
  /** Bytes kept in memory at most; later files are left out (and counted). */
  maxKeptBytes: 512 * 1024 * 1024,
  /** Bytes the decompressor may produce before diag stops reading (a bomb guard). */
  maxUnpackedBytes: 8 * 1024 * 1024 * 1024,
  maxEntries: 1_000_000,
} as const;

/** The folder that marks a sosreport: every sos version writes its command outputs there. */
export const SOS_MARKER = 'sos_commands';

type Compression = 'xz' | 'gzip' | 'bzip2' | 'zstd' | 'none';

/** Compression of a file from its first bytes (magic numbers), or undefined when unknown. */
export function compressionOf(head: Buffer): Compression | undefined {
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'none';
  return undefined;
}

function headOf(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(512);
    const n = readSync(fd, b, 0, 512, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Is this path a sosreport (a folder holding sos_commands/, or an archive whose first folder does)? Cheap for folders and xz archives; a gzip archive is identified by the caller reading it. */
export function looksLikeSosFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && statSync(join(dir, SOS_MARKER)).isDirectory();
  } catch {
    return false;
  }
}

/** An xz archive is never a diag bundle (those are gzip): it can only be a sosreport or junk. */
export function isXzFile(file: string): boolean {
  try {
    return statSync(file).isFile() && compressionOf(headOf(file)) === 'xz';
  } catch {
    return false;
  }
}

const DECOMPRESSORS: Record<Exclude<Compression, 'none'>, readonly [string, readonly string[]]> = {
  xz: ['xz', ['-dc']],
  gzip: ['gzip', ['-dc']],
  bzip2: ['bzip2', ['-dc']],
  zstd: ['zstd', ['-dcq']],
};

/** Strip the top folder ("sosreport-x/proc/stat" -> "proc/stat"); undefined for the folder itself or a path that leaves it. */
function inner(path: string): { top: string; rest: string } | undefined {
  const n = posix.normalize(path).replace(/^(\.\/)+/, '');
  if (n.startsWith('/') || n.split('/').includes('..')) return undefined;
  const i = n.indexOf('/');
  if (i < 0) return undefined;
  const rest = n.slice(i + 1).replace(/\/$/, '');
  return rest === '' ? undefined : { top: n.slice(0, i), rest };
}

/**
 * Read a sosreport archive into memory, streaming: the decompressor (xz, gzip, bzip2, zstd: the
 * system's tools, never a shell) feeds the tar parser; limits are checked as entries arrive and
 * reading stops at the first one over them.
 */
export async function readSosArchive(file: string): Promise<SosTree> {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new BundleError(`${file}: no such file`);
  }
  if (!st.isFile()) throw new BundleError(`${file} is not a regular file`);
  const kind = compressionOf(headOf(file));
  if (kind === undefined) throw new BundleError(`${file} is neither a diag bundle nor a sosreport archive (unknown compression)`, { hint: 'give a .tar.gz from `diag snapshot`, a sosreport .tar.xz/.tar.gz, or an extracted sosreport folder' });

  const files = new Map<string, Buffer>();
  const links = new Map<string, string>();
  let top: string | undefined;
  let kept = 0;
  let skipped = 0;
  let entries = 0;
  let problem: BundleError | undefined;
  const parser = new tar.Parser({ strict: false });
  parser.on('entry', (e: tar.ReadEntry) => {
    entries++;
    const p = inner(e.path);
    if (problem || !p || entries > SOS_LIMITS.maxEntries) {
      if (entries > SOS_LIMITS.maxEntries && !problem) problem = new BundleError(`${file}: more than ${SOS_LIMITS.maxEntries} entries: not read further`);
      e.resume();
      return;
    }
    top ??= p.top;
    if (p.top !== top) {
      e.resume();
      return;
    }
    if (e.type === 'SymbolicLink' && e.linkpath) {
      links.set(p.rest, e.linkpath);
      e.resume();
      return;
    }
    if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile') {
      e.resume();
      return;
    }
    const size = e.size ?? 0;
    if (size > SOS_LIMITS.maxFileBytes || kept + size > SOS_LIMITS.maxKeptBytes) {
      skipped++;
      e.resume();
      return;
    }
    kept += size;
    const chunks: Buffer[] = [];
    e.on('data', (c: Buffer) => chunks.push(c));
    e.on('end', () => files.set(p.rest, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  });

  await new Promise<void>((resolve, reject) => {
    let unpacked = 0;
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    parser.on('end', () => done());
    parser.on('error', (err: Error) => done(new BundleError(`${file} is not a readable sosreport: ${err.message} (corrupt or truncated?)`, { cause: err })));
    if (kind === 'none') {
      try {
        parser.end(readFileSync(file));
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
      return;
    }
    const [cmd, args] = DECOMPRESSORS[kind];
    const child = spawn(cmd, [...args, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 2000) stderr += c.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      done(
        err.code === 'ENOENT'
          ? new BundleError(`${file} is ${kind}-compressed and ${cmd} is not installed`, { hint: `install it (apt-get install ${kind === 'xz' ? 'xz-utils' : kind}) or give the extracted folder` })
          : new BundleError(`${file}: ${cmd} failed: ${err.message}`, { cause: err }),
      );
    });
    child.stdout.on('data', (c: Buffer) => {
      unpacked += c.length;
      if (unpacked > SOS_LIMITS.maxUnpackedBytes || problem) {
        child.kill('SIGKILL');
        problem ??= new BundleError(`${file} unpacks to more than ${SOS_LIMITS.maxUnpackedBytes} bytes: not read further`);
        done(problem);
        return;
      }
      parser.write(c);
    });
    child.on('close', (code) => {
      if (settled) return;
      if (code !== 0) {
        done(new BundleError(`${file} could not be decompressed (${cmd} exited ${String(code)}: ${stderr.trim().split('\n')[0] ?? ''})`, { hint: 'check the file was copied completely (compare sizes with the original)' }));
        return;
      }
      parser.end();
    });
  });
  if (problem) throw problem;
  if (top === undefined || ![...files.keys()].some((k) => k.startsWith(`${SOS_MARKER}/`))) {
    throw new BundleError(`${file} is not a sosreport (no ${SOS_MARKER}/ folder under its top folder)`, { hint: 'diag reads its own bundles (diag snapshot) and sosreports' });
  }
  return { name: top, files, links, skipped };
}

/** Read an extracted sosreport folder into the same shape (links kept as links, never followed). */
export function readSosFolder(dir: string): SosTree {
  if (!looksLikeSosFolder(dir)) throw new BundleError(`${dir} is not a sosreport folder (no ${SOS_MARKER}/ in it)`);
  const files = new Map<string, Buffer>();
  const links = new Map<string, string>();
  let kept = 0;
  let skipped = 0;
  let entries = 0;
  const walk = (rel: string): void => {
    const abs = rel === '' ? dir : join(dir, rel);
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      return;
    }
    for (const n of names) {
      if (++entries > SOS_LIMITS.maxEntries) return;
      const r = rel === '' ? n : `${rel}/${n}`;
      const p = join(dir, r);
      let s;
      try {
        s = lstatSync(p);
      } catch {
        continue;
      }
      if (s.isSymbolicLink()) {
        try {
          links.set(r, readlinkSync(p));
        } catch {
          /* unreadable link: left out */
        }
      } else if (s.isDirectory()) walk(r);
      else if (s.isFile()) {
        if (s.size > SOS_LIMITS.maxFileBytes || kept + s.size > SOS_LIMITS.maxKeptBytes) {
          skipped++;
          continue;
        }
        try {
          const b = readFileSync(p);
          kept += b.length;
          files.set(r, b);
        } catch {
          skipped++;
        }
      }
    }
  };
  walk('');
  return { name: posix.basename(dir.replace(/\/+$/, '')), files, links, skipped };
}
