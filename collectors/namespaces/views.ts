import type { CollectContext, Row, TableOutcomes, TableSpec } from '../../src/core/collector.js';
import { inNetns } from '../../src/core/entity.js';
import { ok, type Outcome, type OutcomeCode } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';
import { firewallCollector } from '../commands/firewall/collector.js';
import { mapLimited, withCommandLimit } from '../commands/limit.js';
import { qdiscsCollector } from '../commands/qdiscs/collector.js';
import { socketsCollector, socketTable, SS_TCP_ARGS, SS_UDP_ARGS, tcpRows, udpRows } from '../commands/sockets/collector.js';
import type { Trouble } from './signals.js';

/**
 * The command views of other network namespaces in the default sweep: tc (qdiscs), nft/iptables
 * (rules that drop) and ss (TCP and UDP sockets with their owners), run inside a namespace
 * through nsenter. Counters are read for every namespace (file reads); commands cost a process
 * each, so they run where the counters show drops or errors, and everywhere when there are few
 * namespaces, within a time budget per sample. A namespace not entered is said so, with why.
 */

/** Up to this many other namespaces, every one is entered whatever its counters say. */
export const ENTER_ALL_UP_TO = 8;
/** At most this many namespaces are entered per sample (those with the most trouble first). */
export const ENTER_MAX = 16;
/** Namespaces are started within this much time per sample (a live host; a replay answers at once). */
export const VIEWS_BUDGET_MS = 400;
/**
 * A namespace entered is given this long to finish (its rows are dropped after: status timeout).
 * Its commands are already running then; on an idle host the views of one namespace take 20-40
 * ms, on this 2-CPU test VM at load 12 each command took 100-350 ms.
 */
export const VIEW_TIMEOUT_MS = 3_000;
/** Commands run at once by the sweep (the other collectors' commands run beside them). */
export const VIEWS_COMMANDS_AT_ONCE = 4;

/** One network namespace the sweep may enter. */
export interface NetnsCandidate {
  readonly inode: string;
  /** What a person calls it (naming.ts). */
  readonly display: string;
  readonly names: readonly string[];
  /** Its lowest process (its /proc/PID/net files; nsenter --target PID --net when it has no bind mount). */
  readonly pid?: number;
  /** Its bind mount, entered by path (nsenter --net=PATH) when there is one. */
  readonly path?: string;
  /** Its processes (socket owners are looked for among them). */
  readonly members: readonly number[];
  /** From its counters; undefined when they could not be read. */
  readonly trouble: Trouble | undefined;
}

export interface VisitPlan {
  /** In the order they are entered. */
  readonly enter: readonly NetnsCandidate[];
  /** Why each was entered. */
  readonly why: ReadonlyMap<string, string>;
  readonly notEntered: readonly { readonly candidate: NetnsCandidate; readonly reason: string }[];
}

/** Which namespaces to enter (pure): those whose counters show trouble, most first; all of them when there are few. */
export function planVisits(candidates: readonly NetnsCandidate[], opts: { enterAllUpTo?: number; enterMax?: number } = {}): VisitPlan {
  const few = opts.enterAllUpTo ?? ENTER_ALL_UP_TO;
  const max = opts.enterMax ?? ENTER_MAX;
  const score = (c: NetnsCandidate) => c.trouble?.score ?? 0;
  const ordered = [...candidates].sort((a, b) => score(b) - score(a) || (a.inode < b.inode ? -1 : a.inode > b.inode ? 1 : 0));
  const troubled = ordered.filter((c) => score(c) > 0);
  const enter: NetnsCandidate[] = [];
  const why = new Map<string, string>();
  const notEntered: { candidate: NetnsCandidate; reason: string }[] = [];
  const all = candidates.length <= few;
  for (const c of ordered) {
    const signals = c.trouble?.signals.slice(0, 3).join(', ');
    if ((score(c) > 0 || all) && enter.length >= max) {
      notEntered.push({ candidate: c, reason: `not entered: ${troubled.length} namespaces show drops or errors in their counters and at most ${max} are entered per sample (those with the most)` });
    } else if (score(c) > 0) {
      enter.push(c);
      why.set(c.inode, `drops or errors in its counters: ${signals}`);
    } else if (all) {
      enter.push(c);
      why.set(c.inode, `${candidates.length} namespaces (at most ${few}: every one is entered)`);
    } else {
      notEntered.push({
        candidate: c,
        reason: c.trouble === undefined ? `not entered: its counters could not be read, and with ${candidates.length} namespaces (more than ${few}) only those whose counters show drops or errors are` : `not entered: no drops or errors in its counters, and with ${candidates.length} namespaces (more than ${few}) only those that show some are`,
      });
    }
  }
  return { enter, why, notEntered };
}

/** A host table's spec for the same rows seen inside other namespaces (scope netns/<kind>, keys <inode>/<key>). */
function nested(spec: TableSpec, what: string): TableSpec {
  return { ...spec, title: `${what}, inside other network namespaces (entered with nsenter)`, scope: inNetns(spec.scope) };
}

/** Table ids of the views: the host table they mirror and the per-namespace spec. */
export const VIEW_TABLES: Readonly<Record<string, { readonly from: string; readonly spec: TableSpec }>> = {
  netns_qdiscs: { from: 'qdiscs', spec: nested(qdiscsCollector.tables.qdiscs!, 'Qdiscs') },
  netns_qdisc_classes: { from: 'qdisc_classes', spec: nested(qdiscsCollector.tables.qdisc_classes!, 'Classes of classful qdiscs') },
  netns_firewall_rules: { from: 'firewall_rules', spec: nested(firewallCollector.tables.firewall_rules!, 'Firewall rules that drop or reject') },
  netns_tcp_sockets: { from: 'tcp_sockets', spec: nested(socketsCollector.tables.tcp_sockets!, 'TCP sockets') },
  netns_udp_sockets: { from: 'udp_sockets', spec: nested(socketsCollector.tables.udp_sockets!, 'UDP sockets') },
};

/** What happened in one namespace. */
export interface Visit {
  readonly status: 'ok' | 'partial' | 'unavailable' | 'timeout' | 'skipped';
  readonly reason?: string;
  /** The outcome code of what went wrong first (not-run for a namespace left out on purpose). */
  readonly code?: OutcomeCode;
  readonly ms: number;
  readonly rows: number;
}

export interface ViewsResult {
  readonly tables: TableOutcomes;
  readonly visits: ReadonlyMap<string, Visit>;
}

type NsTables = Record<string, Outcome<Row[]>>;

/** Every view of one namespace, through the limited source. */
async function viewsOf(src: Source, c: NetnsCandidate, sampleIndex: number): Promise<NsTables> {
  const ctx: CollectContext = { sampleIndex, ...(c.pid !== undefined ? { netnsPid: c.pid } : {}), ...(c.path !== undefined ? { netnsPath: c.path } : {}), netnsMembers: c.members };
  // Sockets only say whose drops they are: ss runs where the TCP or UDP counters show socket drops.
  const none = Promise.resolve(ok<Row[]>([]));
  const [q, f, tcp, udp] = await Promise.all([
    qdiscsCollector.collect(src, ctx),
    firewallCollector.collect(src, ctx),
    c.trouble?.tcpSockets ? socketTable(src, SS_TCP_ARGS, ctx, tcpRows) : none,
    c.trouble?.udpSockets ? socketTable(src, SS_UDP_ARGS, ctx, udpRows) : none,
  ]);
  const got: NsTables = { ...q, ...f, tcp_sockets: tcp, udp_sockets: udp };
  return Object.fromEntries(Object.entries(VIEW_TABLES).map(([id, v]) => [id, got[v.from]!]));
}

const shortReason = (r: string) => (r.length > 300 ? `${r.slice(0, 300)}…` : r);

export interface ViewsOptions {
  readonly sampleIndex: number;
  readonly budgetMs?: number;
  readonly timeoutMs?: number;
  readonly commandsAtOnce?: number;
  /** Labels every row of a namespace carries (netns, netns_name, netns_display). */
  readonly labelsOf: (c: NetnsCandidate) => Record<string, string>;
}

/** Enter the planned namespaces (bounded in time and parallelism) and merge their rows, keyed <inode>/<key>. */
export async function collectViews(src: Source, plan: VisitPlan, opts: ViewsOptions): Promise<ViewsResult> {
  const budget = opts.budgetMs ?? VIEWS_BUDGET_MS;
  const perNs = opts.timeoutMs ?? VIEW_TIMEOUT_MS;
  const limited = withCommandLimit(src, opts.commandsAtOnce ?? VIEWS_COMMANDS_AT_ONCE);
  // Labelled clock readings decide the budget and time each namespace: a recording replays them,
  // so a bundle enters the same namespaces as the capture did.
  const started = src.now('namespaces:enter').monoMs;
  type R = { status: 'done'; tables: NsTables; ms: number } | { status: 'timeout' | 'skipped'; reason: string; ms: number };
  const results = await mapLimited(plan.enter, opts.commandsAtOnce ?? VIEWS_COMMANDS_AT_ONCE, async (c): Promise<R> => {
    const t0 = src.now(`namespaces:enter:${c.inode}`).monoMs;
    if (t0 - started > budget) return { status: 'skipped', reason: `not entered: the ${budget} ms budget for commands in namespaces was spent on the ones before it`, ms: 0 };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<R>((resolve) => {
      // a replay answers at once from its recording: no timer
      if (!src.replay) timer = setTimeout(() => resolve({ status: 'timeout', reason: `its commands did not finish within ${perNs} ms`, ms: perNs }), perNs);
    });
    try {
      return await Promise.race([viewsOf(limited, c, opts.sampleIndex).then((tables): R => ({ status: 'done', tables, ms: src.now(`namespaces:entered:${c.inode}`).monoMs - t0 })), timeout]);
    } finally {
      clearTimeout(timer);
    }
  });

  const rows: Record<string, Row[]> = Object.fromEntries(Object.keys(VIEW_TABLES).map((t) => [t, []]));
  const anyOk = new Set<string>();
  const firstBad: Record<string, Outcome<Row[]>> = {};
  const visits = new Map<string, Visit>();
  plan.enter.forEach((c, i) => {
    const r = results[i]!;
    if (r.status !== 'done') {
      visits.set(c.inode, { status: r.status, reason: r.reason, code: r.status === 'timeout' ? 'timeout' : 'not-run', ms: r.ms, rows: 0 });
      return;
    }
    const labels = opts.labelsOf(c);
    const problems: string[] = [];
    let code: OutcomeCode | undefined;
    let count = 0;
    let good = 0;
    for (const [tid, o] of Object.entries(r.tables)) {
      if (o.status !== 'ok') {
        firstBad[tid] ??= o;
        code ??= o.code;
        problems.push(`${VIEW_TABLES[tid]!.from}: ${o.reason}`);
        continue;
      }
      good++;
      anyOk.add(tid);
      for (const row of o.value) rows[tid]!.push({ key: `${c.inode}/${row.key}`, labels: { ...row.labels, ...labels }, values: row.values });
      count += o.value.length;
    }
    const status = good === Object.keys(r.tables).length ? 'ok' : good === 0 ? 'unavailable' : 'partial';
    visits.set(c.inode, { status, ...(problems.length > 0 ? { reason: shortReason(problems.join('; ')) } : {}), ...(code ? { code } : {}), ms: r.ms, rows: count });
  });
  const tables: TableOutcomes = {};
  for (const tid of Object.keys(VIEW_TABLES)) {
    // No namespace entered (all quiet) is no trouble: empty. Entered and never readable: why.
    tables[tid] = anyOk.has(tid) || firstBad[tid] === undefined ? ok(rows[tid]!) : firstBad[tid]!;
  }
  return { tables, visits };
}
