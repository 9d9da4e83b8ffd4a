import type { Row } from '../../../src/core/collector.js';
import { ok, type Outcome } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { parseMeminfo } from '../../procfs/memory/parse.js';
import { parseProcConntrackStat } from '../conntrack/parse.js';
import { parseFileNr, parseLoadavgTasks, parseProcessMemoryFacts, parseSysctlNumber, parseThpMode } from './parse.js';
import type { ListenNs } from './listen.js';

const num = (src: Source, path: string): number | undefined => {
  const r = readParsed(src, path, parseSysctlNumber);
  return r.status === 'ok' ? r.value : undefined;
};

const pct = (used: number | undefined, limit: number | undefined): number | undefined => (used !== undefined && limit !== undefined && limit > 0 ? (100 * used) / limit : undefined);

function limitRow(key: string, limit: number | undefined, used: number | undefined, usedFrom: string, labels: Record<string, string> = {}): Row {
  return { key, labels: { used_from: usedFrom, ...labels }, values: { limit, used, usage_pct: pct(used, limit) } };
}

/**
 * Host-wide limits against their use: fs.file-max (file handles allocated, file-nr), kernel.pid_max
 * and kernel.threads-max (tasks the scheduler holds, /proc/loadavg), nf_conntrack_max (tracked
 * connections of diag's own namespace).
 */
export function hostLimits(src: Source): Outcome<Row[]> {
  const rows: Row[] = [];
  const fileNr = readParsed(src, '/proc/sys/fs/file-nr', parseFileNr);
  if (fileNr.status !== 'ok') return fileNr;
  rows.push(limitRow('fs.file-max', fileNr.value.max, fileNr.value.allocated, 'file handles allocated (/proc/sys/fs/file-nr)'));
  const tasks = readParsed(src, '/proc/loadavg', parseLoadavgTasks);
  const used = tasks.status === 'ok' ? tasks.value : undefined;
  rows.push(limitRow('kernel.pid_max', num(src, '/proc/sys/kernel/pid_max'), used, 'tasks (processes and threads) that hold a PID (/proc/loadavg)'));
  rows.push(limitRow('kernel.threads-max', num(src, '/proc/sys/kernel/threads-max'), used, 'tasks (processes and threads, /proc/loadavg)'));
  const ct = num(src, '/proc/sys/net/netfilter/nf_conntrack_count');
  if (ct !== undefined) rows.push(limitRow('net.netfilter.nf_conntrack_max', num(src, '/proc/sys/net/netfilter/nf_conntrack_max'), ct, 'tracked connections of this network namespace (nf_conntrack_count)'));
  return ok(rows);
}

/**
 * nf_conntrack_max against each other namespace's own count (/proc/PID/net/stat/nf_conntrack,
 * read without entering it): the limit is checked per namespace against its own table.
 */
export function netnsConntrack(src: Source, namespaces: readonly ListenNs[]): Outcome<Row[]> {
  const max = num(src, '/proc/sys/net/netfilter/nf_conntrack_max');
  const rows: Row[] = [];
  if (max === undefined) return ok([]);
  for (const ns of namespaces) {
    if (ns.self) continue;
    const st = readParsed(src, `/proc/${ns.pid}/net/stat/nf_conntrack`, parseProcConntrackStat);
    const count = st.status === 'ok' ? st.value.entries : undefined;
    if (count === undefined) continue;
    rows.push(limitRow(`${ns.inode}/net.netfilter.nf_conntrack_max`, max, count, `tracked connections of the namespace (/proc/${ns.pid}/net/stat/nf_conntrack)`, { netns: ns.inode, netns_display: ns.display }));
  }
  return ok(rows);
}

export interface MemorySettings {
  readonly swappiness: number | undefined;
  readonly overcommit: number | undefined;
  readonly swapTotalKb: number | undefined;
  readonly thp: string | undefined;
}

/** vm.swappiness, vm.overcommit_memory, swap configured, the THP mode; commit use under strict overcommit. */
export function memorySettings(src: Source): { row: Outcome<Row[]>; settings: MemorySettings } {
  const mi = readParsed(src, '/proc/meminfo', parseMeminfo);
  const thpR = readParsed(src, '/sys/kernel/mm/transparent_hugepage/enabled', parseThpMode);
  const settings: MemorySettings = {
    swappiness: num(src, '/proc/sys/vm/swappiness'),
    overcommit: num(src, '/proc/sys/vm/overcommit_memory'),
    swapTotalKb: mi.status === 'ok' && mi.value.SwapTotal !== undefined ? mi.value.SwapTotal / 1024 : undefined,
    thp: thpR.status === 'ok' ? thpR.value : undefined,
  };
  if (mi.status !== 'ok') return { row: mi, settings };
  const limitKb = mi.value.CommitLimit !== undefined ? mi.value.CommitLimit / 1024 : undefined;
  const committedKb = mi.value.Committed_AS !== undefined ? mi.value.Committed_AS / 1024 : undefined;
  const labels: Record<string, string> = {};
  if (settings.thp !== undefined) labels.thp = settings.thp;
  const row: Row = {
    key: 'host',
    labels,
    values: {
      swappiness: settings.swappiness,
      overcommit_memory: settings.overcommit,
      swap_total_kb: settings.swapTotalKb,
      commit_limit_kb: limitKb,
      committed_kb: committedKb,
      // CommitLimit binds only in mode 2 (strict): then allocations past it fail with ENOMEM
      commit_pct: settings.overcommit === 2 ? pct(committedKb, limitKb) : undefined,
      thp_always: settings.thp === undefined ? undefined : settings.thp === 'always' ? 1 : 0,
    },
  };
  return { row: ok([row]), settings };
}

/**
 * Databases whose vendors document a setting against them, by process name (/proc/PID/comm):
 * what each documents (the sources are cited by the checks in playbooks/config.yaml).
 */
export interface DatabaseAdvice {
  readonly database: string;
  /** The vendor documents disabling transparent hugepages ("always" hurts it). */
  readonly thp: boolean;
  /** The vendor documents vm.overcommit_memory = 1. */
  readonly overcommitAlways: boolean;
  /** The vendor documents a low vm.swappiness (1) when swap is configured. */
  readonly lowSwappiness: boolean;
}

export const DATABASES: Readonly<Record<string, DatabaseAdvice>> = {
  'redis-server': { database: 'Redis', thp: true, overcommitAlways: true, lowSwappiness: false },
  'valkey-server': { database: 'Valkey', thp: true, overcommitAlways: true, lowSwappiness: false },
  mongod: { database: 'MongoDB (before 8.0)', thp: true, overcommitAlways: false, lowSwappiness: true },
  splunkd: { database: 'Splunk', thp: true, overcommitAlways: false, lowSwappiness: false },
  ora_pmon: { database: 'Oracle Database', thp: true, overcommitAlways: false, lowSwappiness: false },
};

/** The advice for a process name: exact, or Oracle's background processes (ora_pmon_SID). */
export function adviceFor(comm: string): DatabaseAdvice | undefined {
  if (Object.hasOwn(DATABASES, comm)) return DATABASES[comm];
  return comm.startsWith('ora_pmon_') ? DATABASES.ora_pmon : undefined;
}

/** Vm.swappiness above this counts against a database that documents 1. */
export const LOW_SWAPPINESS = 10;

/**
 * One row per database process (from the processes' comm): the documented settings it runs
 * against. Each risk value is 1 when it applies (0 when the database documents the setting and
 * the host complies, undefined when it does not apply).
 */
export function databaseRows(src: Source, settings: MemorySettings): Outcome<Row[]> {
  const dir = src.readDir('/proc');
  if (dir.status !== 'ok') return dir;
  const rows: Row[] = [];
  for (const name of dir.value) {
    if (!/^\d+$/.test(name)) continue;
    const comm = src.readFile(`/proc/${name}/comm`);
    if (comm.status !== 'ok') continue;
    const c = comm.value.replace(/\n$/, '');
    const advice = adviceFor(c);
    if (!advice) continue;
    const st = readParsed(src, `/proc/${name}/status`, parseProcessMemoryFacts);
    const facts = st.status === 'ok' ? st.value : { thpEnabled: undefined, swapKb: undefined };
    const thpOn = settings.thp === 'always' && facts.thpEnabled !== 0;
    rows.push({
      key: name,
      labels: { comm: c, database: advice.database, ...(settings.thp !== undefined ? { thp: settings.thp } : {}), ...(facts.thpEnabled === 0 ? { thp_disabled_by_process: 'yes' } : {}) },
      values: {
        thp_risk: advice.thp && settings.thp !== undefined ? (thpOn ? 1 : 0) : undefined,
        overcommit_risk: advice.overcommitAlways && settings.overcommit !== undefined ? (settings.overcommit !== 1 ? 1 : 0) : undefined,
        overcommit_memory: settings.overcommit,
        swappiness_risk: advice.lowSwappiness && settings.swappiness !== undefined && settings.swapTotalKb !== undefined ? (settings.swapTotalKb > 0 && settings.swappiness > LOW_SWAPPINESS ? 1 : 0) : undefined,
        swappiness: settings.swappiness,
        swap_kb: facts.swapKb,
      },
    });
  }
  return ok(rows);
}
