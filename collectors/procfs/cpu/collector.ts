import type { Collector, Row, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { ok, unavailable, type Outcome } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import { CPU_TIME_COLUMNS, parseLoadAvg, parsePressure, parseProcStat } from './parse.js';

const ticks = (title: string) => counter(title, 'ticks');

/**
 * Percentages as mpstat computes them: guest time is already inside user (and guest_nice inside
 * nice), so it is subtracted there and shown on its own; busy = everything but idle and iowait.
 */
function cpuDerive(w: RowWindow): Record<string, number | undefined> {
  const d = (f: string) => w.delta(f) ?? 0;
  const user = w.delta('user');
  const idle = w.delta('idle');
  if (user === undefined || idle === undefined) return {};
  const total = d('user') + d('nice') + d('system') + d('idle') + d('iowait') + d('irq') + d('softirq') + d('steal');
  if (total <= 0) return {};
  const pct = (v: number) => (100 * v) / total;
  const guest = d('guest');
  const guestNice = d('guest_nice');
  return {
    usr_pct: pct(Math.max(0, d('user') - guest)),
    nice_pct: pct(Math.max(0, d('nice') - guestNice)),
    sys_pct: pct(d('system')),
    iowait_pct: pct(d('iowait')),
    irq_pct: pct(d('irq')),
    soft_pct: pct(d('softirq')),
    steal_pct: pct(d('steal')),
    guest_pct: pct(guest + guestNice),
    idle_pct: pct(d('idle')),
    busy_pct: pct(total - d('idle') - d('iowait')),
  };
}

export const cpuCollector: Collector = {
  id: 'cpu',
  title: 'CPU time, scheduler counters, load average and pressure',
  origin: 'procfs',
  hostLoad: true,
  resources: ['cpu'],
  inputs: ['/proc/stat', '/proc/loadavg', '/proc/pressure/cpu', '/proc/pressure/memory', '/proc/pressure/io'],
  tables: {
    cpu: {
      title: 'CPU time per CPU ("all" is the sum)',
      scope: 'cpu',
      fields: Object.fromEntries(CPU_TIME_COLUMNS.map((c) => [c, ticks(`${c} time`)])),
      derived: {
        usr_pct: derived('%usr (user without guest)', 'percent'),
        nice_pct: derived('%nice', 'percent'),
        sys_pct: derived('%sys', 'percent'),
        iowait_pct: derived('%iowait', 'percent'),
        irq_pct: derived('%irq', 'percent'),
        soft_pct: derived('%soft', 'percent'),
        steal_pct: derived('%steal', 'percent'),
        guest_pct: derived('%guest', 'percent'),
        idle_pct: derived('%idle', 'percent'),
        busy_pct: derived('busy % (not idle, not iowait)', 'percent'),
      },
      derive: cpuDerive,
    },
    sched: {
      title: 'Scheduler counters',
      scope: 'host',
      fields: {
        ctxt: counter('context switches'),
        forks: counter('processes created'),
        procs_running: gauge('runnable tasks'),
        procs_blocked: gauge('tasks blocked on I/O'),
        ncpu: gauge('online CPUs'),
      },
      derived: {
        others_running: derived('runnable tasks other than the reader', 'count', 'procs_running - 1: the process reading /proc/stat is always one of the running tasks (vmstat counts itself the same way)'),
      },
      derive: (w) => {
        const r = w.value('procs_running');
        return { others_running: r === undefined ? undefined : Math.max(0, r - 1) };
      },
    },
    loadavg: {
      title: 'Load average',
      scope: 'host',
      fields: {
        load1: gauge('load average 1 min'),
        load5: gauge('load average 5 min'),
        load15: gauge('load average 15 min'),
        runnable: gauge('runnable scheduling entities'),
        threads: gauge('scheduling entities (threads)'),
      },
    },
    psi: {
      title: 'Pressure stall information (rows: cpu, memory, io)',
      scope: 'host',
      fields: {
        some_avg10: gauge('some: % of time stalled, 10 s average', 'percent'),
        some_avg60: gauge('some: 60 s average', 'percent'),
        some_avg300: gauge('some: 300 s average', 'percent'),
        some_total: counter('some: stall time', 'us'),
        full_avg10: gauge('full: % of time all tasks stalled, 10 s average', 'percent'),
        full_avg60: gauge('full: 60 s average', 'percent'),
        full_avg300: gauge('full: 300 s average', 'percent'),
        full_total: counter('full: stall time', 'us'),
      },
      derived: {
        some_pct: derived('some: % of the window stalled', 'percent'),
        full_pct: derived('full: % of the window stalled', 'percent'),
      },
      derive: (w) => {
        const s = w.rate('some_total');
        const f = w.rate('full_total');
        return { some_pct: s === undefined ? undefined : s / 1e4, full_pct: f === undefined ? undefined : f / 1e4 };
      },
    },
  },
  collect(src) {
    const out: TableOutcomes = {};
    const stat = readParsed(src, '/proc/stat', parseProcStat);
    if (stat.status === 'ok') {
      const s = stat.value;
      out.cpu = ok(s.cpus.map((c): Row => ({ key: c.cpu, values: { ...c.times } })));
      out.sched = ok([{ key: 'host', values: { ctxt: s.ctxt, forks: s.processes, procs_running: s.procsRunning, procs_blocked: s.procsBlocked, ncpu: s.cpus.length - 1 } }]);
    } else {
      out.cpu = stat;
      out.sched = stat;
    }
    const la = readParsed(src, '/proc/loadavg', parseLoadAvg);
    out.loadavg = la.status === 'ok' ? ok([{ key: 'host', values: { load1: la.value.load1, load5: la.value.load5, load15: la.value.load15, runnable: la.value.runnable, threads: la.value.threads } }]) : la;
    const rows: Row[] = [];
    let firstMiss: Outcome<Row[]> | undefined;
    for (const res of ['cpu', 'memory', 'io'] as const) {
      const path = `/proc/pressure/${res}`;
      const p = readParsed(src, path, (t) => parsePressure(t, path));
      if (p.status !== 'ok') {
        // A kernel hint only where the host was seen to lack the file: a recording that does not
        // hold it ('not-captured') says nothing about the kernel.
        firstMiss ??= p.code === 'not-found' ? unavailable(p.code, `${p.reason} (kernel without PSI, or booted with psi=0)`, 'PSI needs Linux >= 4.20 with CONFIG_PSI; add psi=1 to the kernel command line') : p;
        continue;
      }
      const { some, full } = p.value;
      rows.push({
        key: res,
        values: {
          some_avg10: some?.avg10, some_avg60: some?.avg60, some_avg300: some?.avg300, some_total: some?.total,
          full_avg10: full?.avg10, full_avg60: full?.avg60, full_avg300: full?.avg300, full_total: full?.total,
        },
      });
    }
    out.psi = rows.length > 0 ? ok(rows) : (firstMiss ?? unavailable('not-found', 'no PSI files'));
    return out;
  },
};
