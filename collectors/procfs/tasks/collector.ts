import type { Collector, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { derived, gauge } from '../../../src/core/fields.js';
import { ok, unavailable } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import { parseLoadAvg } from '../cpu/parse.js';
import { parseFileNr, parseSysctlUint } from './parse.js';

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
  title: 'Task and file-handle capacity: file-nr, pid_max, threads-max, threads in use',
  origin: 'procfs',
  resources: ['tasks', 'fds'],
  // Host files only: per-state process counts come with the processes collector's scan, so a
  // full scan reads each /proc/PID/stat once.
  inputs: ['/proc/sys/fs/file-nr', '/proc/sys/kernel/pid_max', '/proc/sys/kernel/threads-max', '/proc/loadavg'],
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
        threads: gauge('threads in existence (kernel nr_threads, from /proc/loadavg)'),
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
    const la = readParsed(src, '/proc/loadavg', parseLoadAvg);
    if (fnr.status !== 'ok' && pidMax.status !== 'ok' && thrMax.status !== 'ok' && la.status !== 'ok') {
      out.tasks = fnr.status === 'error' ? fnr : unavailable(fnr.code, 'neither /proc/sys nor /proc can be read', 'is procfs mounted (or --root pointing at a host root)?');
      return out;
    }
    const f = fnr.status === 'ok' ? fnr.value : undefined;
    const notes: string[] = [];
    for (const o of [fnr, pidMax, thrMax, la]) if (o.status !== 'ok') notes.push(o.reason);
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
            threads: la.status === 'ok' ? la.value.threads : undefined,
          },
        },
      ],
      notes,
    );
    return out;
  },
};
