import { statSync } from 'node:fs';
import { BundleError, UnsafeBundleError } from './archive.js';
import { openBundle, type OpenBundle } from './reader.js';
import { isXzFile, looksLikeSosFolder, readSosArchive, readSosFolder, SOS_MARKER } from './sosreport/archive.js';
import { SosreportSource } from './sosreport/source.js';
import type { Source } from '../core/source.js';

/**
 * What `run playbook --from`, `diag open` and `diag diff` read: a diag bundle (two samples, the
 * window it was taken over) or a sosreport (one moment: archive or extracted folder). Both give
 * the two sources of a window; a sosreport's are the same source at one clock, so rates are
 * unknown and gauges are judged.
 */
export interface OfflineInput {
  readonly kind: 'bundle' | 'sosreport';
  readonly file: string;
  readonly sources: readonly [Source, Source];
  readonly windowMs: number;
  /** When the data was taken (ISO 8601), and on which host. */
  readonly takenAt: string;
  readonly host: { readonly hostname: string; readonly kernel: string };
  /** What the input cannot answer, to say once before the report (a sosreport's reduced outputs). */
  caveats(): string[];
  /** The bundle, when it is one (its manifest, stored documents). */
  readonly bundle?: OpenBundle;
  close(): void;
}

/** Open a bundle or a sosreport, whichever `path` is (by content, not by name). */
export async function openOffline(path: string): Promise<OfflineInput> {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new BundleError(`${path}: no such file or folder`, { hint: 'give a bundle written by `diag snapshot`, a sosreport archive, or an extracted sosreport folder' });
  }
  if (isDir) {
    if (!looksLikeSosFolder(path)) throw new BundleError(`${path} is a folder without ${SOS_MARKER}/: neither an extracted sosreport nor a bundle`, { hint: 'a diag bundle is the .tar.gz file itself' });
    return sosInput(path, new SosreportSource(readSosFolder(path), path));
  }
  if (isXzFile(path)) return sosInput(path, new SosreportSource(await readSosArchive(path), path));
  try {
    const bundle = await openBundle(path);
    const m = bundle.manifest;
    return {
      kind: 'bundle',
      file: path,
      sources: bundle.sources,
      windowMs: m.windowMs,
      takenAt: m.createdAt,
      host: { hostname: m.host.hostname, kernel: m.host.kernel },
      caveats: () => [],
      bundle,
      close: () => bundle.close(),
    };
  } catch (err) {
    // Not a diag bundle: a gzip/bzip2 sosreport is the other thing tickets carry. One refused
    // for its size (a decompression bomb) is not read again by anything.
    if (!(err instanceof BundleError) || err instanceof UnsafeBundleError) throw err;
    let sos;
    try {
      sos = await readSosArchive(path);
    } catch {
      throw err;
    }
    return sosInput(path, new SosreportSource(sos, path));
  }
}

function sosInput(path: string, src: SosreportSource): OfflineInput {
  const hostname = (src.text('sos_commands/host/hostname') ?? src.text('hostname') ?? src.text('proc/sys/kernel/hostname') ?? '').trim().split('\n')[0] || 'unknown';
  const kernel = (src.text('proc/sys/kernel/osrelease') ?? src.text('sos_commands/kernel/uname_-a')?.split(/\s+/)[2] ?? '').trim() || 'unknown';
  return {
    kind: 'sosreport',
    file: path,
    sources: [src, src],
    windowMs: 0,
    takenAt: src.now().wall,
    host: { hostname, kernel },
    caveats: () => [...src.caveats],
    close: () => undefined,
  };
}
