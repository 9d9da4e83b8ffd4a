import type { Row, TableSpec } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';

/** Process state letter -> process_states field. Anything else (X, x, K, W, P...) is procs_other. */
const STATE_FIELDS: Readonly<Record<string, string>> = {
  R: 'procs_running',
  S: 'procs_sleeping',
  D: 'procs_blocked',
  Z: 'procs_zombie',
  T: 'procs_stopped',
  t: 'procs_traced',
  I: 'procs_idle',
};

export const processStatesTable: TableSpec = {
  title: 'Processes and threads by state (as ps -e lists them: thread-group leaders)',
  scope: 'host',
  fields: {
    procs: gauge('processes'),
    threads: gauge('threads of all processes'),
    procs_running: gauge('processes running or runnable (R)'),
    procs_sleeping: gauge('processes sleeping (S)'),
    procs_blocked: gauge('processes in uninterruptible sleep (D)'),
    procs_zombie: gauge('zombie processes (Z)'),
    procs_stopped: gauge('stopped processes (T)'),
    procs_traced: gauge('processes stopped by a tracer (t)'),
    procs_idle: gauge('idle kernel threads (I)'),
    procs_other: gauge('processes in other states (X, K, W, P...)'),
  },
};

/** Count the scanned processes by state; a process without a thread count counts as one thread. */
export function processStatesRow(rows: readonly Row[]): Row {
  const values: Record<string, number> = { procs: rows.length, threads: 0, procs_other: 0 };
  for (const f of Object.values(STATE_FIELDS)) values[f] = 0;
  for (const r of rows) {
    values.threads! += r.values.threads ?? 1;
    const f = STATE_FIELDS[r.labels?.state ?? ''] ?? 'procs_other';
    values[f]! += 1;
  }
  return { key: 'host', values };
}
