import { PROCS_DIR, ProcRecords } from '../../src/core/proc-records.js';
import { META_DIR } from '../../src/core/source.js';

/**
 * A file of a process as a bundle stores it, whatever its layout: a plain entry
 * (`samples/1/proc/PID/cmdline`, diag.bundle/v1) or the process's record in
 * `samples/1/.diag/procs/*.jsonl` (v2). `entries` are the archive's (path, content) pairs.
 */
export function bundleProcFile(entries: Iterable<readonly [string, Buffer | string]>, sample: string, pid: number | string, rel: string): string | undefined {
  const chunks: Array<[string, string]> = [];
  const prefix = `${sample}/${META_DIR}/${PROCS_DIR}/`;
  for (const [path, content] of entries) {
    const text = typeof content === 'string' ? content : content.toString('utf8');
    if (path === `${sample}/proc/${pid}/${rel}`) return text;
    if (path.startsWith(prefix)) chunks.push([path, text]);
  }
  if (chunks.length === 0) return undefined;
  const o = ProcRecords.read(chunks, sample).readFile(`/proc/${pid}/${rel}`, String(pid), rel, 'bundle');
  return o.status === 'ok' ? o.value : undefined;
}
