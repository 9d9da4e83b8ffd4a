import type { Collector, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { derived, gauge } from '../../../src/core/fields.js';
import { ok, unavailable } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { parsePidStat } from '../processes/parse.js';
import { isPidName } from '../processes/pids.js';
import { parseFileNr, parseSysctlUint } from './parse.js';

/** Process state letter -> tasks field. Anything else (X, x, K, W, P...) counts as procs_other. */
const STATE_FIELDS: Readonly<Record<string, string>> = {
  R: 'procs_running',
  S: 'procs_sleeping',
  D: 'procs_blocked',
  Z: 'procs_zombie',
  T: 'procs_stopped',
  t: 'procs_traced',
  I: 'procs_idle',
};

export interface TaskCounts {
  procs: number;
  threads: number;
  states: Record<string, number>;
  /** /proc/PID/stat files that did not parse (a kernel bug or an unexpected format). */
  garbled: number;
}

/**
 * Count processes (thread-group leaders, as `ps -e` lists them), their threads and their states
 * from /proc/PID/stat. A process that exits during the scan is simply not counted.
 */
export function countTasks(src: Source): TaskCounts | undefined {
  const dir = src.readDir('/proc');
  if (dir.status !== 'ok') return undefined;
  const c: TaskCounts = { procs: 0, threads: 0, states: { procs_other: 0 }, garbled: 0 };
  for (const f of Object.values(STATE_FIELDS)) c.states[f] = 0;
  for (const name of dir.value) {
    if (!isPidName(name)) continue;
    const text = src.readFile(`/proc/${name}/stat`);
    if (text.status !== 'ok') continue;
    const p = parsePidStat(text.value);
    if (!p.ok) {
      c.garbled++;
      continue;
    }
    c.procs++;
    c.threads += p.value.numThreads ?? 1;
    const f = STATE_FIELDS[p.value.state] ?? 'procs_other';
    c.states[f] = (c.states[f] ?? 0) + 1;
  }
  return c;
}

function pct(part: number | undefined, whole: number | undefined): number | undefined {
  return part === undefined || !whole ? undefined : (100 * part) / whole;
}

function tasksDerive(w: RowWindow): Record<string, number | undefined> {
  const threads = w.value('threads');
  return {
    files_pct: pct(w.value('files_allocated'), w.value('files_max')),
    // Every thread holds a PID: pid_max limits threads, not just processes.
    pids_pct: pct(threads, w.value('pid_max')),
    threads_pct: pct(threads, w.value('threads_max')),
  };
}

export const tasksCollector: Collector = {
  id: 'tasks',
  title: 'Task and file-handle capacity: file-nr, pid_max, threads-max, processes and threads by state',
  origin: 'procfs',
  resources: ['tasks', 'fds'],
  inputs: ['/proc/sys/fs/file-nr', '/proc/sys/kernel/pid_max', '/proc/sys/kernel/threads-max', '/proc/PID/stat'],
  tables: {
    tasks: {
      title: 'Tasks and file handles (host)',
      scope: 'host',
      fields: {
        files_allocated: gauge('file handles allocated'),
        files_free: gauge('allocated but unused file handles (0 since 2.6)'),
        files_max: gauge('fs.file-max'),
        pid_max: gauge('kernel.pid_max'),
        threads_max: gauge('kernel.threads-max'),
        procs: gauge('processes'),
        threads: gauge('threads (all processes)'),
        procs_running: gauge('processes running or runnable (R)'),
        procs_sleeping: gauge('processes sleeping (S)'),
        procs_blocked: gauge('processes in uninterruptible sleep (D)'),
        procs_zombie: gauge('zombie processes (Z)'),
        procs_stopped: gauge('stopped processes (T)'),
        procs_traced: gauge('processes stopped by a tracer (t)'),
        procs_idle: gauge('idle kernel threads (I)'),
        procs_other: gauge('processes in other states (X, K, W, P...)'),
      },
      derived: {
        files_pct: derived('file handles % of fs.file-max', 'percent'),
        pids_pct: derived('PIDs in use (threads) % of kernel.pid_max', 'percent'),
        threads_pct: derived('threads % of kernel.threads-max', 'percent'),
      },
      derive: tasksDerive,
    },
  },
  collect(src) {
    const out: TableOutcomes = {};
    const fnr = readParsed(src, '/proc/sys/fs/file-nr', parseFileNr);
    const pidMax = readParsed(src, '/proc/sys/kernel/pid_max', (t) => parseSysctlUint(t, '/proc/sys/kernel/pid_max'));
    const thrMax = readParsed(src, '/proc/sys/kernel/threads-max', (t) => parseSysctlUint(t, '/proc/sys/kernel/threads-max'));
    const counts = countTasks(src);
    if (fnr.status !== 'ok' && pidMax.status !== 'ok' && thrMax.status !== 'ok' && counts === undefined) {
      out.tasks = fnr.status === 'error' ? fnr : unavailable('neither /proc/sys nor /proc can be read', 'is procfs mounted (or --root pointing at a host root)?');
      return out;
    }
    const f = fnr.status === 'ok' ? fnr.value : undefined;
    const notes: string[] = [];
    for (const o of [fnr, pidMax, thrMax]) if (o.status !== 'ok') notes.push(o.reason);
    if (counts === undefined) notes.push('/proc cannot be listed: process counts missing');
    else if (counts.garbled > 0) notes.push(`${counts.garbled} processes not counted: /proc/PID/stat did not parse`);
    out.tasks = ok(
      [
        {
          key: 'host',
          values: {
            files_allocated: f?.allocated,
            files_free: f?.free,
            files_max: f?.max,
            pid_max: pidMax.status === 'ok' ? pidMax.value : undefined,
            threads_max: thrMax.status === 'ok' ? thrMax.value : undefined,
            procs: counts?.procs,
            threads: counts?.threads,
            ...(counts?.states ?? {}),
          },
        },
      ],
      notes,
    );
    return out;
  },
};
