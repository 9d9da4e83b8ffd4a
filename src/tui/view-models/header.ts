import type { Frame } from '../frame.js';
import { hostRow } from '../frame.js';
import type { Tone } from '../theme.js';

export interface HeaderVM {
  readonly hostname: string;
  readonly kernel: string;
  readonly uptime: string;
  readonly load: string;
  readonly cpus: string;
  readonly status: 'ok' | 'warning' | 'critical' | 'unknown';
  readonly statusTone: Tone;
  readonly counts: { critical: number; warning: number };
  readonly when: string;
  /** "16 changes in 24 h, last 18:43 oom_kill": the newest change with a time; '' until read. */
  readonly changes: string;
}

export function fmtUptime(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '-';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
}

/** An ISO time as "2026-11-22 04:11:58 UTC" (as given when it is not ISO). */
export function fmtWhen(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** Overall status: the worst finding; unknown when nothing could be judged. */
export function headerVM(f: Frame): HeaderVM {
  const la = hostRow(f.model, 'loadavg');
  const sched = hostRow(f.model, 'sched');
  const critical = f.evaluation.findings.filter((x) => x.severity === 'critical').length;
  const warning = f.evaluation.findings.filter((x) => x.severity === 'warning').length;
  const judged = f.evaluation.coverage.some((c) => c.status !== 'unknown');
  const status = critical > 0 ? 'critical' : warning > 0 ? 'warning' : judged ? 'ok' : 'unknown';
  const l = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
  return {
    hostname: f.host.hostname,
    kernel: f.host.kernel ?? '-',
    uptime: fmtUptime(f.host.uptimeSeconds),
    load: `${l(la?.values.load1)} ${l(la?.values.load5)} ${l(la?.values.load15)}`,
    cpus: sched?.values.ncpu === undefined ? '-' : String(sched.values.ncpu),
    status,
    statusTone: status,
    counts: { critical, warning },
    when: f.source === 'bundle' ? `snapshot ${fmtWhen(f.at)}` : fmtWhen(f.at),
    changes: changesBrief(f),
  };
}

/** The header's word on recent changes: how many in the look-back and the newest with a time. */
export function changesBrief(f: Frame): string {
  const ch = f.changes;
  if (!ch || ch.status !== 'ok') return '';
  const h = ch.lookbackSeconds / 3600;
  const span = Number.isInteger(h) ? `${h} h` : `${Math.round(ch.lookbackSeconds / 60)} min`;
  const newest = ch.items.find((c) => c.at !== null);
  const last = newest?.at ? `, last ${newest.at.slice(11, 16)} ${newest.kind === 'kernel-event' ? newest.action : newest.kind}` : '';
  return `${ch.items.length} change${ch.items.length === 1 ? '' : 's'} in ${span}${last}`;
}
