import { createReadStream, createWriteStream, lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import * as tar from 'tar';
import { DiagError } from '../core/errors.js';
import { TAR_END, tarEntry, tarEntryHead, tarPadding } from './tar-format.js';

/** Limits that keep a hostile or broken bundle from filling the disk or escaping its folder. */
export const LIMITS = {
  maxCompressedBytes: 512 * 1024 * 1024,
  maxMemberBytes: 64 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntries: 200_000,
} as const;

export class BundleError extends DiagError {
  override readonly name: string = 'BundleError';
}

/**
 * A bundle refused for its size while it streamed (a decompression bomb, an oversize member, too
 * many entries, too much content): no other reader may try the file after that (a sosreport
 * reader would expand it).
 */
export class UnsafeBundleError extends BundleError {
  override readonly name = 'UnsafeBundleError';
}

/**
 * gzip level of bundles: 6 (zlib's default). Measured on a 1,650-file bundle of this host: level
 * 1 makes it 31 % larger, level 9 3 % smaller; gzip itself is ~30-40 ms of it at any level (the
 * packer's per-entry work costs more than compression).
 */
export const GZIP_LEVEL = 6;

/** Write every file under `dir` into a gzipped tar at `file` (paths relative to dir). */
export async function packDir(dir: string, file: string): Promise<void> {
  const entries = readdirSync(dir);
  await tar.c({ gzip: { level: GZIP_LEVEL }, file, cwd: dir, portable: true, noDirRecurse: false }, entries);
}

/**
 * The text of an entry given in parts, produced twice (once to count its bytes for the tar
 * header, once to write them): a large entry (a chunk of 1,000 process records, the model of
 * 20,000 processes) never exists whole in memory. `parts` must give the same text both times.
 */
export interface TextParts {
  readonly parts: () => Iterable<string>;
}

export type EntryContent = string | Buffer | TextParts;

/** An entry's content whole (its parts joined): for tests and small entries. */
export function wholeContent(c: EntryContent): string | Buffer {
  return typeof c === 'string' || Buffer.isBuffer(c) ? c : [...c.parts()].join('');
}

/** Parts written to gzip in batches of about this many characters. */
const PART_BATCH = 64 * 1024;

/** A .tar.gz being written entry by entry (node-tar's packer into zlib into the file). */
export interface ArchiveWriter {
  /** Append files (archive path -> content); resolves once the packer can take more. */
  add(files: Iterable<readonly [string, EntryContent]>): Promise<void>;
  /** Write the end of the archive and close the file. */
  finish(): Promise<void>;
  /** Stop writing and close the file (the caller removes it). */
  abort(): void;
  /** Bytes of tar handed to gzip so far: how a caller tells a slow write from a stalled one. */
  written(): number;
}

/**
 * Start a gzipped tar at `file` (mode 0600) whose entries come from memory: no staging folder,
 * so a snapshot costs no disk round trip per raw input, and entries can be added while other
 * work goes on (a snapshot packs its first sample during the window). Entries are regular files
 * (0644, owner 0) stamped with `mtime`, written by tar-format.ts into gzip into the file, waiting
 * whenever gzip's buffer is full: memory holds at most one entry and gzip's window whatever the
 * archive's size. Calls to add must not overlap.
 */
export function createArchive(file: string, mtime: Date): ArchiveWriter {
  const gzip = createGzip({ level: GZIP_LEVEL });
  const out = createWriteStream(file, { mode: 0o600 });
  const written = pipeline(gzip, out);
  let failure: unknown;
  written.catch((err: unknown) => (failure ??= err));
  let bytes = 0;
  const put = async (blocks: readonly Buffer[]): Promise<void> => {
    for (const b of blocks) {
      if (b.length === 0) continue;
      bytes += b.length;
      if (!gzip.write(b)) await Promise.race([once(gzip, 'drain'), written]);
    }
  };
  return {
    async add(files) {
      for (const [path, content] of files) {
        if (failure !== undefined) throw failure;
        if (typeof content === 'string' || Buffer.isBuffer(content)) {
          await put(tarEntry(path, typeof content === 'string' ? Buffer.from(content, 'utf8') : content, mtime));
          continue;
        }
        let size = 0;
        for (const part of content.parts()) size += Buffer.byteLength(part, 'utf8');
        await put(tarEntryHead(path, size, mtime));
        let sent = 0;
        let batch: string[] = [];
        let batched = 0;
        const flush = async () => {
          const b = Buffer.from(batch.join(''), 'utf8');
          sent += b.length;
          if (sent > size) throw new BundleError(`archive entry ${path} changed while it was written`);
          [batch, batched] = [[], 0];
          await put([b]);
        };
        for (const part of content.parts()) {
          batch.push(part);
          batched += part.length;
          if (batched >= PART_BATCH) await flush();
        }
        await flush();
        if (sent !== size) throw new BundleError(`archive entry ${path} changed while it was written (${sent} bytes, ${size} counted)`);
        await put([tarPadding(size)]);
      }
    },
    async finish() {
      if (failure !== undefined) throw failure;
      gzip.end(TAR_END);
      await written;
    },
    abort() {
      failure ??= new Error('archive aborted');
      gzip.destroy();
      out.destroy();
    },
    written: () => bytes,
  };
}

/** Write files held in memory (archive path -> content) into a gzipped tar at `file`. */
export async function packFiles(files: Iterable<readonly [string, EntryContent]>, file: string, mtime: Date): Promise<void> {
  const a = createArchive(file, mtime);
  try {
    await a.add(files);
    await a.finish();
  } catch (err) {
    a.abort();
    throw err;
  }
}

function badEntry(file: string, path: string, why: string, unsafe = false): BundleError {
  return new (unsafe ? UnsafeBundleError : BundleError)(`${file} is not a safe diag bundle: entry ${JSON.stringify(path.slice(0, 200))} ${why}`, {
    hint: 'nothing was extracted; ask for a new snapshot made by `diag snapshot`',
  });
}

/**
 * How far a bundle may expand: the running ratio of bytes unpacked to bytes read, checked once
 * READ_RATIO_AFTER bytes are unpacked (a real bundle is text and expands ~5-20x; gzip of zeros
 * expands ~1000x).
 */
export const MAX_EXPANSION_RATIO = 200;
const READ_RATIO_AFTER = 8 * 1024 * 1024;
/** Tar's own bytes per entry beyond its content: a 512-byte header and up to 511 of padding. */
const TAR_OVERHEAD_PER_ENTRY = 1024;
/** Slack for the headers an entry may carry (pax, GNU long names: node-tar keeps at most 1 MiB of each) and one chunk. */
const TAR_SLACK = 2 * 1024 * 1024 + 64 * 1024;
/** Compressed bytes accepted after the end-of-archive marker (beyond the 64 KiB read ahead). */
const TRAILING_LIMIT = 1024 * 1024;

/**
 * Read every entry of a bundle while it is unpacked and check it: only regular files and folders,
 * relative paths without "..", bounded sizes and counts. The archive is read as a stream, 64 KiB
 * at a time, and reading stops at the first entry or byte count over the limits, before the rest
 * is expanded: the header of an oversize member, the 200,001st entry, the first byte past what
 * the accepted entries explain (padding or metadata bombs), an expansion ratio past
 * MAX_EXPANSION_RATIO. Nothing is held but what `onFile` keeps (at most `maxTotal` bytes of
 * accepted content) and a few chunks. A corrupt or truncated archive is a clear error, not a
 * stack trace.
 */
async function scan(file: string, onFile?: (e: tar.ReadEntry, path: string) => void, maxTotal: number = LIMITS.maxTotalBytes): Promise<void> {
  let count = 0;
  let total = 0;
  let problem: BundleError | undefined;
  let tarError: unknown;
  let ended = false;
  const check = (e: tar.ReadEntry): void => {
    if (problem) return;
    count++;
    const p = e.path;
    if (count > LIMITS.maxEntries) problem = badEntry(file, p, `is one of more than ${LIMITS.maxEntries} entries`, true);
    else if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) problem = badEntry(file, p, 'has an absolute path');
    else if (p.split(/[\\/]/).includes('..')) problem = badEntry(file, p, 'contains ".."');
    else if (e.type !== 'File' && e.type !== 'Directory' && e.type !== 'OldFile' && e.type !== 'ContiguousFile') problem = badEntry(file, p, `is a ${e.type} (only files and folders are allowed)`);
    else if ((e.size ?? 0) > LIMITS.maxMemberBytes) problem = badEntry(file, p, `is ${e.size} bytes (limit ${LIMITS.maxMemberBytes})`, true);
    else {
      total += e.size ?? 0;
      if (total > maxTotal) problem = badEntry(file, p, `takes the bundle over ${maxTotal} bytes unpacked`, true);
      else if (onFile && e.type !== 'Directory') onFile(e, p);
    }
    // An entry nobody listens to is let flow past; otherwise the parser would queue its content.
    e.resume();
  };
  // Unzipped here, not by the parser, so every byte unpacked is counted before the parser sees it.
  const parser = new tar.Parser({ strict: true, onReadEntry: check });
  parser.on('error', (err: unknown) => (tarError ??= err));
  parser.on('eof', () => (ended = true));
  const input = createReadStream(file, { highWaterMark: 64 * 1024 });
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  let read = 0;
  let unpacked = 0;
  input.on('data', (c) => (read += c.length));
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  const bomb = (why: string) =>
    new UnsafeBundleError(`${file} ${why}: refused as a possible decompression bomb after reading ${read} bytes`, { hint: 'nothing was extracted; ask for a new snapshot made by `diag snapshot`' });
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      unpacked += chunk.length;
      if (unpacked > total + TAR_OVERHEAD_PER_ENTRY * (count + 1) + TAR_SLACK) problem ??= bomb(`holds more than its ${count} entries explain (${unpacked} bytes unpacked for ${total} bytes of content)`);
      else if (unpacked > READ_RATIO_AFTER && unpacked / read > MAX_EXPANSION_RATIO) problem ??= bomb(`expands more than ${MAX_EXPANSION_RATIO}x`);
      if (problem) break;
      parser.write(chunk);
      if (problem || tarError !== undefined || ended) break;
    }
    if (!problem && tarError === undefined && !ended) parser.end();
    // A tar.gz ends shortly after its end-of-archive marker (tar pads to 10 KiB): megabytes of
    // gzip left after it are a bomb's tail, which no other reader may expand either.
    const left = statSync(file).size - read;
    if (ended && !problem && left > TRAILING_LIMIT) problem = bomb(`has ${left} bytes of gzip after the end of its archive`);
  } catch (err) {
    throw new BundleError(`${file} is not a readable diag bundle: ${err instanceof Error ? err.message : String(err)} (corrupt or truncated?)`, { cause: err, hint: 'check the file was copied completely (compare sizes), or take a new snapshot' });
  } finally {
    input.destroy();
    gunzip.destroy();
    if (problem || tarError !== undefined) parser.abort(new Error('stopped'));
  }
  if (problem) throw problem;
  if (tarError !== undefined) {
    const msg = tarError instanceof Error ? tarError.message : String(tarError);
    throw new BundleError(`${file} is not a readable diag bundle: ${msg} (corrupt or truncated?)`, { cause: tarError, hint: 'check the file was copied completely (compare sizes), or take a new snapshot' });
  }
  if (count === 0) throw new BundleError(`${file} is empty: not a diag bundle`);
}

function checkBundleFile(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new BundleError(`${file}: no such file`, { hint: 'give the path of a .tar.gz written by `diag snapshot`' });
  }
  if (!st.isFile()) throw new BundleError(`${file} is not a regular file`);
  if (st.size > LIMITS.maxCompressedBytes) throw new BundleError(`${file} is ${st.size} bytes: larger than any diag bundle (${LIMITS.maxCompressedBytes})`);
}

/** How much of a bundle readArchive keeps in memory at most. */
export const MAX_IN_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * The peak resident memory of a diag process reading a bundle, whatever the bundle: the content
 * it keeps (MAX_IN_MEMORY_BYTES) plus Node itself and the reader's working set (chunks of 64 KiB;
 * ~70 MB measured for `diag run playbook use --from` refusing a bundle).
 */
export const READ_MEMORY_LIMIT_BYTES = MAX_IN_MEMORY_BYTES + 128 * 1024 * 1024;

/**
 * Read a bundle into memory (archive path, normalised, -> content) with the same checks as
 * unpack, writing nothing anywhere: what diag itself does with a bundle. (unpack is for
 * people and tools that want the files.)
 */
export async function readArchive(file: string): Promise<Map<string, Buffer>> {
  checkBundleFile(file);
  const files = new Map<string, Buffer>();
  await scan(
    file,
    (e, p) => {
      const chunks: Buffer[] = [];
      const key = posix.normalize(p).replace(/^(\.\/)+/, '');
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => files.set(key, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    },
    MAX_IN_MEMORY_BYTES,
  );
  return files;
}

/** Unpack a bundle into a new private (0700) temporary folder; the caller removes it. */
export async function unpack(file: string): Promise<{ dir: string; cleanup: () => void }> {
  checkBundleFile(file);
  await scan(file);
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
