import type { Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';
import { failed, ok } from '../../../src/core/outcome.js';
import { parse as parseUptime } from './uptime.js';
import { runTool } from '../command.js';
import { KERNEL_EVENT_KINDS, parseKernelLog } from './parse.js';

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

export const kernelLogCollector: Collector = {
  id: 'kernel_log',
  title: 'Kernel log (dmesg): OOM kills, I/O and filesystem errors, hardware errors, lockups, NIC timeouts',
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
  },
  async collect(src): Promise<TableOutcomes> {
    // Not --kernel: without access to /dev/kmsg, dmesg refuses --kernel with --raw instead of
    // saying "permission denied"; kernel messages (facility 0) are picked out by the parser.
    const out = await runTool(src, { cmd: 'dmesg', args: ['--raw'], maxBytes: 16 * 1024 * 1024 });
    if (out.status !== 'ok') return { kernel_log: out };
    const p = parseKernelLog(out.value);
    if (!p.ok) return { kernel_log: failed(p.error.message, p.error) };
    const up = src.readFile('/proc/uptime');
    const now = up.status === 'ok' ? parseUptime(up.value) : undefined;
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
    return { kernel_log: ok(rows) };
  },
};
