import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DiagError } from '../core/errors.js';

/**
 * Writes an exposition for node_exporter's textfile collector: to a temporary name in the same
 * directory (a dot file not ending in .prom, which the collector never reads), then renamed over
 * FILE, so a scrape reads the old file or the new one, never half of one.
 */
export function writeTextfileAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new DiagError(`cannot write ${file}: ${code ?? (err instanceof Error ? err.message : String(err))}`, {
      cause: err,
      hint: code === 'ENOENT' ? `create ${dirname(file)} first (node_exporter --collector.textfile.directory)` : undefined,
    });
  }
}
