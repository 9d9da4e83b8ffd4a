import type { Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';
import { failed, ok } from '../../../src/core/outcome.js';
import { parse as parseUptime } from './uptime.js';
import { runTool } from '../command.js';
import { KERNEL_EVENT_KINDS, parseKernelLog } from './parse.js';
import { parseOomKills, type OomKill } from './oom.js';

/** "Recent" in the kernel log: the last ten minutes (a report is about now, not last week). */
export const RECENT_SECONDS = 600;

const DESCRIPTIONS: Record<string, string> = {
  oom_kill: 'OOM killer killed a process',
  io_error: 'block device I/O errors',
  fs_error: 'filesystem errors (or remounted read-only)',
  hung_task: 'tasks blocked for more than hung_task_timeout_secs',
  mce: 'machine check (hardware) errors',
  edac: 'EDAC memory errors (corrected/uncorrected)',
  lockup: 'soft/hard lockups and RCU stalls',
  net_watchdog: 'NIC transmit timeouts (NETDEV WATCHDOG)',
  link_down: 'network links going down',
  conntrack_full: 'conntrack table full, packets dropped',
  segfault: 'segfaults and general protection traps',
  kernel_error: 'any message at level err or worse',
};

/** OOM kill events kept per collection: the newest (a memcg OOM loop can log thousands). */
export const OOM_EVENTS_KEPT = 256;

/** One OOM kill as a row of the oom_kills table (scope 'event'). */
function oomRow(e: OomKill, now: number | undefined): Row {
  const labels: Record<string, string> = { message: e.message };
  const text: Array<[string, string | undefined]> = [
    ['comm', e.comm],
    ['constraint', e.constraint],
    ['oom_memcg', e.oomMemcg],
    ['task_memcg', e.taskMemcg],
    // the victim's cgroup under the name processes carry it, for joins
    ['cgroup', e.taskMemcg],
    ['cpuset', e.cpuset],
    ['reason', e.reason],
    ['invoker', e.invoker],
    ['gfp_mask', e.gfpMask],
  ];
  for (const [k, v] of text) if (v !== undefined) labels[k] = v;
  const age = now === undefined || e.at === undefined ? undefined : Math.max(0, now - e.at);
  return {
    key: e.key,
    labels,
    values: {
      pid: e.pid,
      uid: e.uid,
      at: e.at,
      age,
      recent: age === undefined ? undefined : age <= RECENT_SECONDS ? 1 : 0,
      total_vm: e.totalVm,
      anon_rss: e.anonRss,
      file_rss: e.fileRss,
      shmem_rss: e.shmemRss,
      pgtables: e.pgtables,
      oom_score_adj: e.oomScoreAdj,
      order: e.order,
      memcg_usage: e.memcgUsage,
      memcg_limit: e.memcgLimit,
      memsw_usage: e.memswUsage,
      memsw_limit: e.memswLimit,
    },
  };
}

export const kernelLogCollector: Collector = {
  id: 'kernel_log',
  title: 'Kernel log (dmesg): OOM kills (each with its victim and cgroup), I/O and filesystem errors, hardware errors, lockups, NIC timeouts',
  origin: 'commands',
  resources: ['cpu', 'memory', 'disk', 'filesystem', 'network'],
  inputs: ['dmesg --raw', '/proc/uptime'],
  tables: {
    kernel_log: {
      title: `Kernel log events by kind (key: kind; recent = last ${RECENT_SECONDS / 60} min)`,
      scope: 'host',
      fields: {
        events: gauge('events in the kernel log buffer'),
        recent: gauge(`events in the last ${RECENT_SECONDS / 60} minutes`),
        last_age: gauge('time since the last one', 's'),
      },
    },
    oom_kills: {
      title: `OOM kills in the kernel log, one row each (key: kernel time/PID; the newest ${OOM_EVENTS_KEPT})`,
      scope: 'event',
      relations: { cgroup: 'cgroup' },
      identityFields: ['pid', 'anon_rss', 'memcg_limit'],
      fields: {
        pid: gauge('PID of the killed process'),
        uid: gauge('its user id'),
        at: gauge('when, seconds since boot', 's'),
        age: gauge('how long ago', 's'),
        recent: gauge(`within the last ${RECENT_SECONDS / 60} minutes`, 'boolean'),
        total_vm: gauge('its virtual memory', 'bytes'),
        anon_rss: gauge('its resident anonymous memory', 'bytes'),
        file_rss: gauge('its resident file pages', 'bytes'),
        shmem_rss: gauge('its resident shared memory', 'bytes'),
        pgtables: gauge('its page tables', 'bytes'),
        oom_score_adj: gauge('its oom_score_adj (-1000..1000)'),
        order: gauge('allocation order that failed (2^order pages)'),
        memcg_usage: gauge('memory cgroup usage when it went OOM (memcg OOM)', 'bytes'),
        memcg_limit: gauge('memory cgroup limit that was hit (memcg OOM)', 'bytes'),
        memsw_usage: gauge('memory+swap (v1) or swap (v2) usage of the memory cgroup', 'bytes'),
        memsw_limit: gauge('memory+swap (v1) or swap (v2) limit of the memory cgroup', 'bytes'),
      },
    },
  },
  async collect(src): Promise<TableOutcomes> {
    // Not --kernel: without access to /dev/kmsg, dmesg refuses --kernel with --raw instead of
    // saying "permission denied"; kernel messages (facility 0) are picked out by the parser.
    const out = await runTool(src, { cmd: 'dmesg', args: ['--raw'], maxBytes: 16 * 1024 * 1024 });
    if (out.status !== 'ok') return { kernel_log: out, oom_kills: out };
    const p = parseKernelLog(out.value);
    if (!p.ok) return { kernel_log: failed('parse', p.error.message, p.error), oom_kills: failed('parse', p.error.message, p.error) };
    const up = src.readFile('/proc/uptime');
    const now = up.status === 'ok' ? parseUptime(up.value) : undefined;
    const oom = parseOomKills(out.value, OOM_EVENTS_KEPT);
    const rows: Row[] = KERNEL_EVENT_KINDS.map((kind) => {
      const e = p.value.events.get(kind);
      const times = e?.times ?? [];
      const timed = e === undefined || times.length === e.count;
      const recent = now === undefined || !timed ? undefined : times.filter((t) => now - t <= RECENT_SECONDS).length;
      const lastAge = now === undefined || e?.lastAt === undefined ? undefined : Math.max(0, now - e.lastAt);
      return {
        key: kind,
        labels: { what: DESCRIPTIONS[kind] ?? kind, ...(e ? { last: e.lastMessage } : {}) },
        values: { events: e?.count ?? 0, recent: e === undefined ? 0 : recent, last_age: lastAge },
      };
    });
    const oomNotes = oom.ok && oom.value.garbled > 0 ? [`${oom.value.garbled} "Killed process" lines without a PID were skipped`] : undefined;
    return { kernel_log: ok(rows), oom_kills: oom.ok ? ok(oom.value.events.map((e) => oomRow(e, now)), oomNotes) : failed('parse', oom.error.message, oom.error) };
  },
};
