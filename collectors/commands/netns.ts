import type { CollectContext, Collector, Row, TableOutcomes, TableSpec } from '../../src/core/collector.js';
import { gauge } from '../../src/core/fields.js';
import { ok, unavailable, type Outcome, type OutcomeCode } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';
import { parseNsLink } from '../namespaces/parse.js';
import { scanNamespaces } from '../namespaces/scan.js';
import { DEFAULT_COMMAND_CONCURRENCY, mapLimited, withCommandLimit } from './limit.js';

/** Largest PID Linux can hand out (PID_MAX_LIMIT on 64-bit). */
export const PID_MAX = 4_194_304;

/** One network namespace and a process living in it (the one nsenter targets). */
export interface NetnsTarget {
  /** Inode number of the namespace, e.g. "4026531840": its identity. */
  readonly inode: string;
  /** A member process (the lowest PID); commands enter the namespace through it. */
  readonly pid: number;
  /** diag's own namespace: no nsenter needed. */
  readonly self: boolean;
  /** Names it is mounted under (`ip netns add NAME` -> NAME), when any. */
  readonly names?: readonly string[];
}

/** "net:[4026531840]" -> "4026531840". */
export function netnsInode(link: string): string | undefined {
  const r = parseNsLink(link);
  return r.ok && r.value.type === 'net' ? r.value.inode : undefined;
}

/** Validate a PID given on the command line or by a caller before it reaches nsenter. */
export function isValidPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0 && pid <= PID_MAX;
}

/** The network namespace inode of a process, or why it cannot be known. */
export function netnsOfPid(src: Source, pid: number): Outcome<string> {
  if (!isValidPid(pid)) return unavailable('bad-option', `${String(pid)} is not a valid PID`);
  const link = src.readLink(`/proc/${pid}/ns/net`);
  if (link.status !== 'ok') return link;
  const inode = netnsInode(link.value);
  return inode === undefined ? unavailable('parse', `/proc/${pid}/ns/net points at ${JSON.stringify(link.value.slice(0, 40))}, not a network namespace`) : ok(inode);
}

/**
 * Every network namespace that has at least one process (one target each: its lowest PID),
 * from the namespaces collector's scan of /proc/PID/ns/* (one enumeration in diag). Namespaces
 * held only by a bind mount (`ip netns add` with no process inside) have no process to enter
 * and are left out.
 */
export function listNetns(src: Source): Outcome<NetnsTarget[]> {
  const scan = scanNamespaces(src);
  if (scan.status !== 'ok') return scan;
  const out: NetnsTarget[] = [];
  for (const e of scan.value.entries.values()) {
    if (e.type !== 'net' || e.pids.length === 0) continue;
    out.push({ inode: e.inode, pid: e.pids[0]!, self: e.self, ...(e.names.length > 0 ? { names: [...e.names] } : {}) });
  }
  if (out.length === 0) return unavailable('not-found', 'no process lists a network namespace in /proc/*/ns/net');
  return ok(out.sort((a, b) => a.pid - b.pid));
}

/** /proc/net/<rel> for diag's own namespace, /proc/PID/net/<rel> for another. */
export function procNetPath(ctx: Pick<CollectContext, 'netnsPid'> | undefined, rel: string): string {
  return ctx?.netnsPid === undefined ? `/proc/net/${rel}` : `/proc/${ctx.netnsPid}/net/${rel}`;
}

/**
 * How a command enters the namespace a collector observes: `runTool(src, { ...netnsEntry(ctx), cmd, args })`.
 * Its bind mount when it has one (it stays while processes come and go), else the process.
 */
export function netnsEntry(ctx: Pick<CollectContext, 'netnsPid' | 'netnsPath'>): { netnsPid?: number; netnsPath?: string } {
  if (ctx.netnsPath !== undefined) return { netnsPath: ctx.netnsPath };
  return ctx.netnsPid === undefined ? {} : { netnsPid: ctx.netnsPid };
}

/** A namespace observed through its bind mount only (no process): its /proc/PID/net files cannot be read. */
export const filesUnreachable = (ctx: Pick<CollectContext, 'netnsPid' | 'netnsPath'>): boolean => ctx.netnsPid === undefined && ctx.netnsPath !== undefined;

export interface AcrossNetnsOptions {
  /** Namespaces collected at once (default: the command limit, 6). */
  readonly concurrency?: number;
  /** Commands running at once across all namespaces (default 6). */
  readonly commandConcurrency?: number;
  /** A namespace that takes longer is reported as timed out and its rows dropped (default 8 s). */
  readonly perNetnsTimeoutMs?: number;
  /** Namespaces not started within this budget are reported as skipped (default 60 s). */
  readonly budgetMs?: number;
}

type NsResult =
  | { status: 'ok'; tables: TableOutcomes; ms: number }
  | { status: 'timeout' | 'skipped' | 'error'; reason: string; ms: number };

const statusTableSpec: TableSpec = {
  title: 'Network namespaces visited: status, time and rows',
  scope: 'netns',
  fields: {
    duration_ms: gauge('time to collect this namespace', 'ms'),
    rows: gauge('rows collected in this namespace'),
  },
};

/** Id of the status table `acrossNetns` adds to a collector. */
export const netnsStatusTable = (collectorId: string): string => `${collectorId}_netns`;

/**
 * Run a netns-aware collector in each target namespace, with bounded parallelism, a timeout per
 * namespace and an overall budget, and merge the rows: each row's key is prefixed with the
 * namespace inode ("4026531840/eth0") and labelled `netns`, so rows of different namespaces
 * never pair. An extra table (`<id>_netns`) says per namespace whether it was collected, timed
 * out or skipped, and why.
 */
export function acrossNetns(inner: Collector, targets: readonly NetnsTarget[], opts: AcrossNetnsOptions = {}): Collector {
  const concurrency = opts.concurrency ?? DEFAULT_COMMAND_CONCURRENCY;
  const perNsMs = opts.perNetnsTimeoutMs ?? 8_000;
  const budgetMs = opts.budgetMs ?? 60_000;
  const statusId = netnsStatusTable(inner.id);
  return {
    id: inner.id,
    title: `${inner.title} (per network namespace)`,
    origin: inner.origin,
    resources: inner.resources,
    inputs: inner.inputs,
    netns: true,
    tables: { ...inner.tables, [statusId]: statusTableSpec },
    async collect(src: Source, ctx: CollectContext): Promise<TableOutcomes> {
      const limited = withCommandLimit(src, opts.commandConcurrency ?? DEFAULT_COMMAND_CONCURRENCY);
      const started = performance.now();
      const results = await mapLimited(targets, concurrency, async (t): Promise<NsResult> => {
        const t0 = performance.now();
        if (t0 - started > budgetMs) return { status: 'skipped', reason: `not started: the ${budgetMs} ms budget for all namespaces was spent`, ms: 0 };
        const nsCtx: CollectContext = t.self ? { ...ctx, netnsPid: undefined } : { ...ctx, netnsPid: t.pid };
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<NsResult>((resolve) => {
          timer = setTimeout(() => resolve({ status: 'timeout', reason: `timed out after ${perNsMs} ms`, ms: performance.now() - t0 }), perNsMs);
        });
        const work = (async (): Promise<NsResult> => {
          try {
            return { status: 'ok', tables: await inner.collect(limited, nsCtx), ms: performance.now() - t0 };
          } catch (err) {
            return { status: 'error', reason: `collector crashed: ${err instanceof Error ? err.message : String(err)}`, ms: performance.now() - t0 };
          }
        })();
        try {
          return await Promise.race([work, timeout]);
        } finally {
          clearTimeout(timer);
        }
      });
      return mergeNetnsResults(inner, targets, results, statusId);
    },
  };
}

/** ok: every table; partial: some; unavailable: none (e.g. the process left, the tool is missing). */
function nsStatus(r: NsResult): string {
  if (r.status !== 'ok') return r.status;
  const outcomes = Object.values(r.tables);
  const good = outcomes.filter((o) => o.status === 'ok').length;
  if (good === outcomes.length) return 'ok';
  return good === 0 ? 'unavailable' : 'partial';
}

/** Why no namespace gave a table at all: none to visit, out of time, or (a table not returned) a bug. */
function notCollectedCode(results: readonly NsResult[]): OutcomeCode {
  if (results.length === 0) return 'not-found';
  const r = results.find((x) => x.status !== 'ok');
  return r?.status === 'timeout' || r?.status === 'skipped' ? 'timeout' : 'bug';
}

function mergeNetnsResults(inner: Collector, targets: readonly NetnsTarget[], results: readonly NsResult[], statusId: string): TableOutcomes {
  const out: TableOutcomes = {};
  const statusRows: Row[] = [];
  for (const tid of Object.keys(inner.tables)) {
    const rows: Row[] = [];
    let anyOk = false;
    let firstBad: Outcome<Row[]> | undefined;
    results.forEach((r, i) => {
      const t = targets[i]!;
      if (r.status !== 'ok') return;
      const o = r.tables[tid];
      if (o === undefined) return;
      if (o.status !== 'ok') {
        firstBad ??= o;
        return;
      }
      anyOk = true;
      const nsLabels: Record<string, string> = { netns: t.inode, ...(t.names?.length ? { netns_name: t.names.join(',') } : {}) };
      for (const row of o.value) rows.push({ key: `${t.inode}/${row.key}`, labels: { ...nsLabels, ...row.labels }, values: row.values });
    });
    out[tid] = anyOk ? ok(rows) : (firstBad ?? unavailable(notCollectedCode(results), 'no network namespace could be collected', `see table ${statusId}`));
  }
  results.forEach((r, i) => {
    const t = targets[i]!;
    const problems: string[] = [];
    let count = 0;
    if (r.status === 'ok') {
      for (const [tid, o] of Object.entries(r.tables)) {
        if (o.status === 'ok') count += o.value.length;
        else problems.push(`${tid}: ${o.reason}`);
      }
    } else problems.push(r.reason);
    statusRows.push({
      key: t.inode,
      labels: { netns: t.inode, ...(t.names?.length ? { netns_name: t.names.join(',') } : {}), pid: String(t.pid), status: nsStatus(r), ...(problems.length > 0 ? { reason: problems.join('; ').slice(0, 500) } : {}) },
      values: { duration_ms: Math.round(r.ms * 10) / 10, rows: r.status === 'ok' ? count : undefined },
    });
  });
  out[statusId] = ok(statusRows);
  return out;
}
