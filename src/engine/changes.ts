import type { Collector } from '../core/collector.js';
import type { Model } from '../core/derive.js';
import { isWithin, parseScope } from '../core/entity.js';
import { collectSample } from '../core/sample.js';
import type { Source } from '../core/source.js';
import type { Change, Changes, Finding } from './report-schema.js';

/**
 * The report's "Recent changes": the changes collector's rows (read once, through the run's
 * second source, so a snapshot records its inputs and a replay shows the recorded host's
 * changes, never this host's), processes of the run's model that started in the look-back and
 * now lead a resource, and the findings each change may explain.
 */

export const CHANGES_COLLECTOR = 'changes';
/** USER_HZ: the unit of /proc/PID/stat start times on every Linux ABI. */
const USER_HZ = 100;
/** A recent process is a change worth naming when it uses this much of one CPU ... */
const BUSY_CPU_PCT = 25;
/** ... or this share of memory. */
const BIG_RSS_SHARE = 0.1;

export interface ChangesOptions {
  readonly collectors: readonly Collector[];
  readonly src: Source;
  readonly lookbackSeconds: number;
  /** Read this journal directory (journalctl --directory) instead of the system's. */
  readonly journalDirectory?: string;
}

/** Read the changes collector once; undefined when it is not registered. */
export async function collectChanges(opts: ChangesOptions): Promise<Changes | undefined> {
  const c = opts.collectors.find((x) => x.id === CHANGES_COLLECTOR);
  if (!c) return undefined;
  const sample = await collectSample([c], opts.src, { sampleIndex: 0, changes: { sinceSeconds: opts.lookbackSeconds, ...(opts.journalDirectory !== undefined ? { journalDirectory: opts.journalDirectory } : {}) } });
  const wallS = Date.parse(opts.src.now('changes').wall) / 1000;
  const since = new Date((wallS - opts.lookbackSeconds) * 1000).toISOString();
  const base = { since, lookbackSeconds: opts.lookbackSeconds };
  const out = sample.collectors[c.id];
  if (!out) return { ...base, status: 'error', reason: 'not collected', items: [], sources: [] };
  if (out.status !== 'ok') return { ...base, status: out.status, reason: out.reason, items: [], sources: [] };
  const rows = out.value.tables.changes;
  const srcRows = out.value.tables.change_sources;
  const sources = srcRows?.status === 'ok'
    ? srcRows.value.map((r) => ({ name: r.labels?.source ?? r.key, status: r.labels?.status === 'ok' ? ('ok' as const) : ('unavailable' as const), ...(r.labels?.reason ? { reason: r.labels.reason } : {}), ...(r.labels?.code ? { code: r.labels.code } : {}) }))
    : [];
  if (!rows) return { ...base, status: 'error', reason: 'no changes table', items: [], sources };
  if (rows.status !== 'ok') return { ...base, status: rows.status, reason: rows.reason, items: [], sources };
  const items: Change[] = rows.value.map((r) => {
    const l = r.labels ?? {};
    const n = r.values.count;
    return {
      at: l.time ?? null,
      kind: l.kind ?? '?',
      action: l.action ?? '?',
      subject: l.subject ?? r.key,
      detail: l.detail ?? '',
      source: l.source ?? '',
      ...(l.scope ? { scope: l.scope } : {}),
      ...(n !== undefined && n > 1 ? { count: n } : {}),
      ...(l.names && n !== undefined && n > 1 ? { names: l.names.split(',') } : {}),
    };
  });
  return { ...base, status: 'ok', items, sources };
}

/**
 * Processes of the model that started within the look-back and now lead a resource: the top CPU
 * user (at least BUSY_CPU_PCT / 2 % of a CPU), any at BUSY_CPU_PCT %, or holding BIG_RSS_SHARE of memory.
 */
export function recentProcessChanges(model: Model, src: Source, sinceS: number): Change[] {
  const nowS = Date.parse(model.end.wall) / 1000;
  const t = model.tables.processes;
  if (!t || t.rows.status !== 'ok') return [];
  const stat = src.readFile('/proc/stat');
  const m = stat.status === 'ok' ? /^btime (\d+)$/m.exec(stat.value) : null;
  if (!m) return [];
  const btime = Number(m[1]);
  const diag = src.readLink('/proc/self');
  const self = diag.status === 'ok' ? diag.value : undefined;
  const memTotal = model.tables.meminfo?.rows.status === 'ok' ? model.tables.meminfo.rows.value[0]?.values.total : undefined;
  const rows = t.rows.value.filter((r) => r.key !== self);
  const top = rows.reduce<(typeof rows)[number] | undefined>((best, r) => ((r.values.cpu_pct ?? 0) > (best?.values.cpu_pct ?? 0) ? r : best), undefined);
  const out: Change[] = [];
  for (const r of rows) {
    const start = Number(r.labels.starttime);
    if (!Number.isFinite(start)) continue;
    const at = btime + start / USER_HZ;
    if (at < sinceS) continue;
    // a window's CPU % when the run measured one, else the average since it started (the use
    // playbook reads processes once, for levels: its model has no CPU times)
    const ticks = r.values.cpu_pct === undefined ? cpuTicks(src, r.key, r.labels.starttime ?? '') : undefined;
    const cpu = r.values.cpu_pct ?? (ticks !== undefined && nowS > at + 1 ? (ticks / USER_HZ / (nowS - at)) * 100 : undefined);
    const rss = r.values.rss;
    const isTop = r === top && r.values.cpu_pct !== undefined && cpu !== undefined && cpu >= BUSY_CPU_PCT;
    const busy = cpu !== undefined && cpu >= BUSY_CPU_PCT;
    const big = rss !== undefined && memTotal !== undefined && memTotal > 0 && rss / memTotal >= BIG_RSS_SHARE;
    if (!isTop && !busy && !big) continue;
    const avg = r.values.cpu_pct === undefined ? ' (average since it started)' : '';
    const what = [
      ...(isTop ? [`the top CPU user (${cpu!.toFixed(0)}% of a CPU)`] : busy ? [`${cpu!.toFixed(0)}% of a CPU${avg}`] : []),
      ...(big ? [`${((rss! / memTotal!) * 100).toFixed(0)}% of memory`] : []),
    ];
    const name = r.labels.comm ?? r.key;
    out.push({ at: new Date(at * 1000).toISOString(), kind: 'process', action: 'started', subject: `${name} (PID ${r.key})`, detail: `${name} (PID ${r.key}) started then and now uses ${what.join(' and ')}`, source: '/proc/PID/stat', scope: r.scope });
  }
  return out;
}

/**
 * utime + stime of a process from /proc/PID/stat (through the Source: a snapshot records it),
 * only while it is still the process that started at `starttime`.
 */
function cpuTicks(src: Source, pid: string, starttime: string): number | undefined {
  const t = src.readFile(`/proc/${pid}/stat`);
  if (t.status !== 'ok') return undefined;
  const f = t.value.slice(t.value.lastIndexOf(')') + 2).split(' ');
  // after "(comm) ": state is field 3 of proc(5), utime 14, stime 15, starttime 22
  if (f[19] !== starttime) return undefined;
  const u = Number(f[11]);
  const st = Number(f[12]);
  return Number.isFinite(u) && Number.isFinite(st) ? u + st : undefined;
}

/** Resources a kernel event speaks of, for linking it to host-wide findings. */
const EVENT_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  oom_kill: ['memory'],
  hung_task: ['disk', 'tasks'],
  fs_error: ['filesystem', 'disk'],
  io_error: ['disk', 'filesystem'],
  net_watchdog: ['network'],
  link_down: ['network'],
  conntrack_full: ['network'],
  lockup: ['cpu'],
  mce: ['cpu', 'memory'],
};

/** The entities a finding touches: its scope and its culprits. */
function findingEntities(f: Finding): string[] {
  return [f.scope, ...(f.culprits ?? []).map((c) => c.entity.id)];
}

function meets(a: string, b: string): boolean {
  const x = parseScope(a);
  const y = parseScope(b);
  if (x.kind === 'host' || y.kind === 'host') return false;
  return isWithin(x, y) || isWithin(y, x);
}

/**
 * Which findings each change may explain: the change's entity and the finding's scope or a
 * culprit meet (a unit's cgroup and a process in it; a mount and a filesystem finding on it); a
 * package whose name is a unit's or a culprit process's; a kernel event and a finding on the
 * resource it is about.
 */
export function linkChanges(items: readonly Change[], findings: readonly Finding[]): Change[] {
  return items.map((c) => {
    const ids = new Set<string>();
    for (const f of findings) {
      const ents = findingEntities(f);
      if (c.scope && ents.some((e) => meets(e, c.scope!))) ids.add(f.id);
      if (c.kind === 'package') {
        const names = new Set([c.subject, ...(c.names ?? [])]);
        const hit = ents.some((e) => {
          const s = parseScope(e);
          return s.kind === 'cgroup' && [...names].some((n) => s.key.endsWith(`/${n}.service`));
        }) || (f.culprits ?? []).some((k) => k.entity.kind === 'process' && names.has(k.entity.name));
        if (hit) ids.add(f.id);
      }
      if (c.kind === 'kernel-event' && EVENT_RESOURCES[c.action]?.includes(f.resource)) ids.add(f.id);
    }
    return ids.size > 0 ? { ...c, findings: [...ids] } : c;
  });
}

/** Newest first; changes without a time (true now) first of all. */
export function orderChanges(items: readonly Change[]): Change[] {
  const t = (c: Change) => (c.at === null ? Infinity : Date.parse(c.at));
  return [...items].sort((a, b) => t(b) - t(a));
}
