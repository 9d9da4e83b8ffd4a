import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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
    throw err;
  }
}
