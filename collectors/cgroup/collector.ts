import type { Collector, Row, RowWindow, TableOutcomes } from '../../src/core/collector.js';
import { counter, derived, gauge } from '../../src/core/fields.js';
import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import type { ParseResult } from '../../src/core/parse-result.js';
import { readParsed } from '../../src/core/read-parsed.js';
import type { Source } from '../../src/core/source.js';
import { parsePressure, type Pressure } from '../procfs/cpu/parse.js';
import { detectCgroupLayout, type CgroupLayout, type Hierarchy } from './layout.js';
import { parseMountinfo } from './mountinfo.js';
import { nameCgroup } from './naming.js';
import { parseBlkio, parseCpuMax, parseDeviceLimits, parseFlatKeyed, parseIntFile, parseIoMax, parseIoStat, parseLimit, parsePidList, parseUintFile } from './parse.js';
import { newBudget, walkHierarchy } from './walk.js';

/** Bounds of one collection: cgroups deeper or beyond the count are reported as skipped. */
export const CGROUP_MAX_DEPTH = 16;
export const CGROUP_MAX_COUNT = 2000;
/** PIDs listed per cgroup in the inventory label (the count is always complete). */
const PIDS_SHOWN = 16;

/** Hierarchies worth walking: the ones with numbers, plus systemd's named one and v2 for membership. */
const WALKED_V1 = new Set(['cpu', 'cpuacct', 'memory', 'pids', 'blkio', 'name=systemd']);

interface Member {
  readonly hier: Hierarchy;
  /** Absolute directory of this cgroup under the mount. */
  readonly dir: string;
  readonly entries: ReadonlySet<string>;
}

interface Node {
  readonly path: string;
  /** cgroupDisplay(path): the label `display` of every per-cgroup row. */
  readonly display: string;
  readonly members: Member[];
  readErrors: string[];
}

/** Hierarchy path of a walked directory: the mount's root joined with the relative path. */
function cgroupPath(root: string, rel: string): string {
  if (root === '/') return rel;
  return rel === '/' ? root : root + rel;
}

function hierName(h: Hierarchy): string {
  return h.version === 2 ? 'v2' : h.controllers.join(',');
}

const has = (m: Member, c: string) => m.hier.version === 1 && m.hier.controllers.includes(c);

/** Read an interface file of one cgroup if the directory lists it; a parse error is remembered on the node. */
function read<T>(src: Source, node: Node, m: Member | undefined, file: string, parse: (t: string, input: string) => ParseResult<T>): T | undefined {
  if (!m || !m.entries.has(file)) return undefined;
  const path = `${m.dir}/${file}`;
  const o = readParsed(src, path, (t) => parse(t, path));
  if (o.status === 'ok') return o.value;
  if (o.status === 'error' && node.readErrors.length < 3) node.readErrors.push(o.reason);
  return undefined;
}

const firstDefined = (...v: Array<number | undefined>) => v.find((x) => x !== undefined);
const anyDefined = (v: Record<string, number | undefined>) => Object.values(v).some((x) => x !== undefined);
const div = (a: number | undefined, b: number | undefined, k = 1) => (a === undefined || b === undefined || b === 0 ? undefined : (k * a) / b);
const nsToUs = (v: number | undefined) => (v === undefined ? undefined : v / 1000);
/** USER_HZ is 100 on every Linux ABI: one tick of cpuacct.stat is 10 ms. */
const ticksToUs = (v: number | undefined) => (v === undefined ? undefined : v * 10_000);
const limitValue = (l: number | null | undefined) => (l === null ? undefined : l);
const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/**
 * What a finding calls the cgroup: the unit, container or pod name when the path shows one
 * ("nginx.service", "docker:0f1e2d3c4b5a", "pod:<uid>"), else the path itself. Every per-cgroup
 * table carries it as the label `display`, so a check's title can name the cgroup.
 */
export function cgroupDisplay(path: string): string {
  const nm = nameCgroup(path);
  return nm.kind === 'other' || nm.kind === 'root' || nm.kind === 'kubepods' ? path : nm.name;
}

function cpuRow(src: Source, n: Node, v1cpu?: Member, v1acct?: Member, v2?: Member): Row | undefined {
  const s1 = read(src, n, v1cpu, 'cpu.stat', parseFlatKeyed);
  // Hybrid: with both v1 cpu and cpuacct the cgroup2 cpu.stat adds nothing; skip the read.
  const s2 = v1cpu && v1acct ? undefined : read(src, n, v2, 'cpu.stat', parseFlatKeyed);
  const quota = read(src, n, v1cpu, 'cpu.cfs_quota_us', parseIntFile);
  // The period only matters under a quota: unlimited cgroups (most) skip the read.
  const period = quota !== undefined && quota > 0 ? read(src, n, v1cpu, 'cpu.cfs_period_us', parseUintFile) : undefined;
  const max = read(src, n, v2, 'cpu.max', parseCpuMax);
  let quotaCores: number | undefined;
  let limited: boolean | undefined;
  if (quota !== undefined) {
    limited = quota > 0;
    quotaCores = quota > 0 ? div(quota, period) : undefined;
  } else if (max) {
    limited = max.quotaUs !== null;
    quotaCores = max.quotaUs === null ? undefined : max.quotaUs / max.periodUs;
  }
  // cpuacct.stat (one read, USER_HZ ticks) rather than cpuacct.usage_user + usage_sys (two).
  const acct = read(src, n, v1acct, 'cpuacct.stat', parseFlatKeyed);
  const values = {
    usage: firstDefined(nsToUs(read(src, n, v1acct, 'cpuacct.usage', parseUintFile)), s1?.usage_usec, s2?.usage_usec),
    user: firstDefined(ticksToUs(acct?.user), s1?.user_usec, s2?.user_usec),
    system: firstDefined(ticksToUs(acct?.system), s1?.system_usec, s2?.system_usec),
    nr_periods: firstDefined(s1?.nr_periods, s2?.nr_periods),
    nr_throttled: firstDefined(s1?.nr_throttled, s2?.nr_throttled),
    throttled: firstDefined(nsToUs(s1?.throttled_time), s1?.throttled_usec, s2?.throttled_usec),
    quota_cores: quotaCores,
  };
  if (!anyDefined(values) && limited === undefined) return undefined;
  return { key: n.path, labels: limited === undefined ? { display: n.display } : { display: n.display, limited: yesNo(limited) }, values };
}

/** memory.stat keys we keep, v2 name -> v1 (hierarchical "total_") name. */
const MEMSTAT: Record<string, string | undefined> = {
  anon: 'total_rss',
  file: 'total_cache',
  shmem: 'total_shmem',
  kernel: undefined,
  sock: undefined,
  file_dirty: 'total_dirty',
  file_writeback: 'total_writeback',
  pgfault: 'total_pgfault',
  pgmajfault: 'total_pgmajfault',
};

function memoryRow(src: Source, n: Node, v1?: Member, v2?: Member): Row | undefined {
  const values: Record<string, number | undefined> = {};
  let limited: boolean | undefined;
  if (v1) {
    values.current = read(src, n, v1, 'memory.usage_in_bytes', parseUintFile);
    const limit = read(src, n, v1, 'memory.limit_in_bytes', parseLimit);
    values.limit = limitValue(limit);
    values.failcnt = read(src, n, v1, 'memory.failcnt', parseUintFile);
    // memory+swap (swap accounting on): with memsw.limit_in_bytes set, a charge can fail on the
    // memsw counter first, and then memsw.failcnt counts the limit hits instead of failcnt.
    const memsw = read(src, n, v1, 'memory.memsw.limit_in_bytes', parseLimit);
    values.memsw_limit = limitValue(memsw);
    if (values.memsw_limit !== undefined) {
      values.memsw_current = read(src, n, v1, 'memory.memsw.usage_in_bytes', parseUintFile);
      values.memsw_failcnt = read(src, n, v1, 'memory.memsw.failcnt', parseUintFile);
    }
    if (limit !== undefined || memsw !== undefined) limited = values.limit !== undefined || values.memsw_limit !== undefined;
    // Peak usage since creation (or the last reset): only where a limit makes it mean something.
    if (limited) values.peak = read(src, n, v1, 'memory.max_usage_in_bytes', parseUintFile);
    const oc = read(src, n, v1, 'memory.oom_control', parseFlatKeyed);
    values.under_oom = oc?.under_oom;
    values.oom_kill = oc?.oom_kill;
    const st = read(src, n, v1, 'memory.stat', parseFlatKeyed);
    for (const [k, v1k] of Object.entries(MEMSTAT)) if (v1k) values[k] = st?.[v1k];
    values.workingset_refault = firstDefined(st?.total_workingset_refault_file, st?.total_workingset_refault);
  } else if (v2) {
    values.current = read(src, n, v2, 'memory.current', parseUintFile);
    const max = read(src, n, v2, 'memory.max', parseLimit);
    const high = read(src, n, v2, 'memory.high', parseLimit);
    values.limit = limitValue(max);
    values.high = limitValue(high);
    if (max !== undefined || high !== undefined) limited = values.limit !== undefined || values.high !== undefined;
    if (limited) values.peak = read(src, n, v2, 'memory.peak', parseUintFile);
    values.swap_current = read(src, n, v2, 'memory.swap.current', parseUintFile);
    const ev = read(src, n, v2, 'memory.events', parseFlatKeyed);
    values.events_low = ev?.low;
    values.events_high = ev?.high;
    values.events_max = ev?.max;
    values.oom = ev?.oom;
    values.oom_kill = ev?.oom_kill;
    // memory.events counts the cgroup's whole subtree (a child's limit hits show in every
    // ancestor); memory.events.local (Linux 5.2+) counts this cgroup alone.
    const local = read(src, n, v2, 'memory.events.local', parseFlatKeyed);
    values.events_high_local = local?.high;
    values.events_max_local = local?.max;
    values.oom_kill_local = local?.oom_kill;
    const st = read(src, n, v2, 'memory.stat', parseFlatKeyed);
    for (const k of Object.keys(MEMSTAT)) values[k] = st?.[k];
    values.pgscan = st?.pgscan;
    values.pgsteal = st?.pgsteal;
    const wa = st?.workingset_refault_anon;
    const wf = st?.workingset_refault_file;
    values.workingset_refault = wa !== undefined && wf !== undefined ? wa + wf : firstDefined(st?.workingset_refault, wf);
  }
  if (!anyDefined(values)) return undefined;
  return { key: n.path, labels: limited === undefined ? { display: n.display } : { display: n.display, limited: yesNo(limited) }, values };
}

/**
 * Charges that hit the limit per second: v1 failcnt (plus memsw.failcnt when a memory+swap limit
 * is set), v2 memory.events.local max (memory.events max, which also counts the descendants'
 * hits, only when the kernel has no .local file and the cgroup has a limit of its own).
 */
function limitHits(w: RowWindow): number | undefined {
  const v1 = w.rate('failcnt');
  if (v1 !== undefined) return v1 + (w.rate('memsw_failcnt') ?? 0);
  const local = w.rate('events_max_local');
  if (local !== undefined) return local;
  return w.value('limit') === undefined ? undefined : w.rate('events_max');
}

/** Times per second the cgroup went over memory.high (v2), counted like limitHits. */
function highHits(w: RowWindow): number | undefined {
  const local = w.rate('events_high_local');
  if (local !== undefined) return local;
  return w.value('high') === undefined ? undefined : w.rate('events_high');
}

function pidsRow(src: Source, n: Node, m?: Member): Row | undefined {
  if (!m) return undefined;
  const max = read(src, n, m, 'pids.max', parseLimit);
  // v2 on Linux 6.13+: pids.events counts the refusals of the whole subtree at every ancestor,
  // pids.events.local those at this cgroup's own limit. v1 (and older v2) pids.events counts
  // the forks refused to this cgroup's tasks, whichever ancestor's limit refused them.
  const events = m.entries.has('pids.events.local') ? read(src, n, m, 'pids.events.local', parseFlatKeyed) : read(src, n, m, 'pids.events', parseFlatKeyed);
  const values = {
    current: read(src, n, m, 'pids.current', parseUintFile),
    max: limitValue(max),
    // The peak tells how close a cgroup came; read only where forks were refused (one read less per cgroup).
    peak: events?.max !== undefined && events.max > 0 ? read(src, n, m, 'pids.peak', parseUintFile) : undefined,
    fork_fail: events?.max,
    fork_fail_total: events?.max,
  };
  if (!anyDefined(values)) return undefined;
  return { key: n.path, labels: max === undefined ? { display: n.display } : { display: n.display, limited: yesNo(max !== null) }, values };
}

const IO_FIELDS = ['rbytes', 'wbytes', 'rios', 'wios', 'dbytes', 'dios'] as const;
/** Limit kind -> the io.stat counter it bounds; v1 limit file of the same kind. */
const IO_LIMITS = [
  { limit: 'rbps', counter: 'rbytes', v1: 'blkio.throttle.read_bps_device' },
  { limit: 'wbps', counter: 'wbytes', v1: 'blkio.throttle.write_bps_device' },
  { limit: 'riops', counter: 'rios', v1: 'blkio.throttle.read_iops_device' },
  { limit: 'wiops', counter: 'wios', v1: 'blkio.throttle.write_iops_device' },
] as const;

/** Per device: limit kind -> bytes or operations per second. */
type DeviceLimits = Map<string, Partial<Record<(typeof IO_LIMITS)[number]['limit'], number>>>;

function ioLimits(src: Source, n: Node, v1?: Member, v2?: Member): DeviceLimits | undefined {
  const out: DeviceLimits = new Map();
  const set = (dev: string, k: (typeof IO_LIMITS)[number]['limit'], v: number | undefined) => {
    if (v === undefined) return;
    let d = out.get(dev);
    if (!d) out.set(dev, (d = {}));
    d[k] = v;
  };
  let seen = false;
  if (v1) {
    for (const l of IO_LIMITS) {
      const lines = read(src, n, v1, l.v1, parseDeviceLimits);
      if (lines === undefined) continue;
      seen = true;
      for (const x of lines) set(x.dev, l.limit, x.value);
    }
  } else if (v2) {
    const max = read(src, n, v2, 'io.max', parseIoMax);
    if (max !== undefined) seen = true;
    for (const d of max ?? []) for (const l of IO_LIMITS) set(d.dev, l.limit, d.values[l.limit]);
  }
  return seen ? out : undefined;
}

function ioRow(src: Source, n: Node, v1?: Member, v2?: Member): Row | undefined {
  const perDev = new Map<string, Record<string, number | undefined>>();
  const dev = (d: string) => {
    let r = perDev.get(d);
    if (!r) perDev.set(d, (r = {}));
    return r;
  };
  let seen = false;
  if (v1) {
    const pick = (base: string) => (v1.entries.has(`${base}_recursive`) ? `${base}_recursive` : base);
    const bytes = read(src, n, v1, pick('blkio.throttle.io_service_bytes'), parseBlkio);
    const ios = read(src, n, v1, pick('blkio.throttle.io_serviced'), parseBlkio);
    for (const d of bytes?.devices ?? []) Object.assign(dev(d.dev), { rbytes: d.values.read, wbytes: d.values.write, dbytes: d.values.discard });
    for (const d of ios?.devices ?? []) Object.assign(dev(d.dev), { rios: d.values.read, wios: d.values.write, dios: d.values.discard });
    seen = bytes !== undefined || ios !== undefined;
  } else if (v2) {
    const st = read(src, n, v2, 'io.stat', (t) => parseIoStat(t));
    for (const d of st ?? []) {
      const r = dev(d.dev);
      for (const k of IO_FIELDS) r[k] = d.values[k];
    }
    seen = st !== undefined;
  }
  if (!seen) return undefined;
  const sum = (k: string, devs: Iterable<string>) => {
    let s: number | undefined;
    for (const d of devs) {
      const v = perDev.get(d)?.[k];
      if (v !== undefined) s = (s ?? 0) + v;
    }
    return s;
  };
  // A file that lists no device means no I/O at all since the cgroup was made: real zeros.
  const values: Record<string, number | undefined> = {};
  for (const k of IO_FIELDS) values[k] = sum(k, perDev.keys()) ?? (perDev.size === 0 ? 0 : undefined);
  const labels: Record<string, string> = { display: n.display, devices: [...perDev.keys()].sort().join(' ') };
  // Throttle limits: only a cgroup that did I/O can be at one, so the four v1 limit files are
  // read only then (they exist in every blkio cgroup). A limit spread over several devices is
  // judged as the sum of the limits against the sum of the I/O on those devices.
  const limits = perDev.size > 0 || v2 ? ioLimits(src, n, v1, v2) : undefined;
  if (limits !== undefined) {
    const text: string[] = [];
    for (const [d, l] of [...limits].sort(([a], [b]) => a.localeCompare(b))) text.push(`${d} ${IO_LIMITS.filter((x) => l[x.limit] !== undefined).map((x) => `${x.limit}=${l[x.limit]}`).join(' ')}`);
    for (const l of IO_LIMITS) {
      const devs = [...limits].filter(([, v]) => v[l.limit] !== undefined);
      if (devs.length === 0) continue;
      values[`${l.limit}_max`] = devs.reduce((a, [, v]) => a + v[l.limit]!, 0);
      values[`limited_${l.counter}`] = sum(l.counter, devs.map(([d]) => d)) ?? 0;
    }
    labels.limited = yesNo(limits.size > 0);
    if (text.length > 0) labels.limits = text.join(', ');
  }
  return { key: n.path, labels, values };
}

/** Highest share of an I/O throttle limit used over the window, of the four kinds (bps and iops, read and write). */
function ioLimitUsedPct(w: RowWindow): number | undefined {
  let worst: number | undefined;
  for (const l of IO_LIMITS) {
    const p = pct(w.rate(`limited_${l.counter}`), w.value(`${l.limit}_max`));
    if (p !== undefined && (worst === undefined || p > worst)) worst = p;
  }
  return worst;
}

/**
 * PSI of the cgroup (cgroup2 *.pressure; on a hybrid host for the cgroup2 directory of the same
 * path). `cpu_limited`, `memory_limited`, `io_limited` say whether the cgroup has a limit of its
 * own on that resource (from the rows already built), so a check can judge the pressure of
 * limited cgroups: the others' pressure is the host's, judged host-wide.
 */
function psiRow(src: Source, n: Node, limited: { cpu?: Row; memory?: Row; io?: Row }): Row | undefined {
  const values: Record<string, number | undefined> = {};
  let any = false;
  for (const res of ['cpu', 'memory', 'io'] as const) {
    const m = n.members.find((x) => x.entries.has(`${res}.pressure`));
    const p: Pressure | undefined = read(src, n, m, `${res}.pressure`, parsePressure);
    if (!p) continue;
    any = true;
    values[`${res}_some_avg10`] = p.some?.avg10;
    values[`${res}_some_total`] = p.some?.total;
    values[`${res}_full_avg10`] = p.full?.avg10;
    values[`${res}_full_total`] = p.full?.total;
  }
  if (!any) return undefined;
  const labels: Record<string, string> = { display: n.display };
  for (const res of ['cpu', 'memory', 'io'] as const) labels[`${res}_limited`] = limited[res]?.labels?.limited ?? 'no';
  return { key: n.path, labels, values };
}

/**
 * Processes of the cgroup, from the first hierarchy that has its path (controllers before
 * name=systemd and a hybrid's cgroup2). In v1 a process can sit at different paths in different
 * hierarchies; reading every hierarchy's cgroup.procs would cost one read per hierarchy and
 * cgroup for what is, on systemd and container hosts, the same list. `procs_from` says which.
 */
function inventoryRow(src: Source, n: Node): Row {
  const from = n.members.find((m) => m.entries.has('cgroup.procs'));
  // parsePidList gives each PID once
  const sorted = (read(src, n, from, 'cgroup.procs', parsePidList) ?? []).slice().sort((a, b) => a - b);
  const shown = sorted.slice(0, PIDS_SHOWN).join(' ') + (sorted.length > PIDS_SHOWN ? ` +${sorted.length - PIDS_SHOWN} more` : '');
  const nm = nameCgroup(n.path);
  const labels: Record<string, string> = { kind: nm.kind, name: nm.name, hierarchies: n.members.map((m) => hierName(m.hier)).join(' '), pids: shown, procs_from: from ? hierName(from.hier) : '' };
  if (nm.runtime) labels.runtime = nm.runtime;
  if (nm.containerId) labels.container_id = nm.containerId;
  if (nm.podUid) labels.pod_uid = nm.podUid;
  if (nm.podmanPodId) labels.podman_pod_id = nm.podmanPodId;
  if (nm.qos) labels.qos = nm.qos;
  if (n.readErrors.length > 0) labels.read_errors = n.readErrors.join('; ');
  return { key: n.path, labels, values: { procs: sorted.length, depth: n.path === '/' ? 0 : n.path.split('/').length - 1 } };
}

function pct(a: number | undefined, b: number | undefined): number | undefined {
  return div(a, b, 100);
}

/**
 * Share of enforcement periods in which the cgroup was throttled. Periods only elapse while the
 * cgroup has runnable tasks: none elapsed and none throttled is 0 % (no demand, no throttling),
 * not unknown. Missing counters (the root, no cpu controller) stay missing.
 */
function throttledPct(throttled: number | undefined, periods: number | undefined): number | undefined {
  if (throttled === undefined || periods === undefined) return undefined;
  if (periods === 0) return throttled === 0 ? 0 : undefined;
  return (100 * throttled) / periods;
}

function psiPct(w: RowWindow, f: string): number | undefined {
  const r = w.rate(f);
  return r === undefined ? undefined : r / 1e4;
}

export interface CgroupCollectOptions {
  readonly maxDepth?: number;
  readonly maxCount?: number;
}

/** Walk every hierarchy and merge the directories by cgroup path. */
export function discoverCgroups(src: Source, layout: CgroupLayout, opts: CgroupCollectOptions = {}) {
  const budget = newBudget(opts.maxDepth ?? CGROUP_MAX_DEPTH, opts.maxCount ?? CGROUP_MAX_COUNT);
  const nodes = new Map<string, Node>();
  const hiers: Hierarchy[] = [...(layout.v2 ? [layout.v2] : []), ...layout.v1.filter((h) => h.controllers.some((c) => WALKED_V1.has(c)))];
  // Controller hierarchies first: with a count bound, numbers matter more than membership.
  const membershipOnly = (h: Hierarchy) => Number(h.version === 2 || h.controllers.includes('name=systemd'));
  hiers.sort((a, b) => membershipOnly(a) - membershipOnly(b));
  for (const h of hiers) {
    for (const d of walkHierarchy(src, h.mountPoint, budget)) {
      const path = cgroupPath(h.root, d.rel);
      let node = nodes.get(path);
      if (!node) nodes.set(path, (node = { path, display: cgroupDisplay(path), members: [], readErrors: [] }));
      node.members.push({ hier: h, dir: d.rel === '/' ? h.mountPoint : h.mountPoint + d.rel, entries: d.entries });
    }
  }
  return { nodes, budget, walked: hiers };
}

/**
 * The cgroup layout from diag's own mount table. When its cgroup mount points cannot be read
 * through the source (diag in a container reading the host under --root: its own mountinfo
 * names its own mounts), the host init's /proc/1/mountinfo is tried. `from` says which was used.
 */
export function readLayout(src: Source): Outcome<CgroupLayout & { readonly from: string }> {
  let first: Outcome<CgroupLayout & { readonly from: string }> | undefined;
  for (const from of ['/proc/self/mountinfo', '/proc/1/mountinfo']) {
    const mi = readParsed(src, from, parseMountinfo);
    if (mi.status !== 'ok') {
      first ??= mi;
      continue;
    }
    const layout = { ...detectCgroupLayout(mi.value), from };
    first ??= ok(layout);
    const probe = layout.v2 ?? layout.v1[0];
    if (probe === undefined || src.readDir(probe.mountPoint).status === 'ok') return ok(layout);
  }
  return first ?? unavailable('not-found', 'no mountinfo');
}

const TABLE_IDS = ['cgroups', 'cgroup_cpu', 'cgroup_memory', 'cgroup_pids', 'cgroup_io', 'cgroup_psi', 'cgroup_layout'] as const;

export function collectCgroups(src: Source, opts: CgroupCollectOptions = {}): TableOutcomes {
  const layout = readLayout(src);
  if (layout.status !== 'ok') return Object.fromEntries(TABLE_IDS.map((t) => [t, layout]));
  const L = layout.value;
  if (L.mode === 'none') {
    const u = unavailable('not-found', 'no cgroup filesystem is mounted (no cgroup or cgroup2 line in /proc/self/mountinfo)', 'mount cgroup2 at /sys/fs/cgroup, or run diag with --root pointing at the host');
    return Object.fromEntries(TABLE_IDS.map((t) => [t, u]));
  }
  const { nodes, budget, walked } = discoverCgroups(src, L, opts);
  const rows: Record<(typeof TABLE_IDS)[number], Row[]> = { cgroups: [], cgroup_cpu: [], cgroup_memory: [], cgroup_pids: [], cgroup_io: [], cgroup_psi: [], cgroup_layout: [] };
  const push = (t: keyof typeof rows, r: Row | undefined) => {
    if (r) rows[t].push(r);
  };
  for (const n of nodes.values()) {
    const v2 = n.members.find((m) => m.hier.version === 2);
    const by = (c: string) => n.members.find((m) => has(m, c));
    const cpu = cpuRow(src, n, by('cpu'), by('cpuacct'), v2);
    const memory = memoryRow(src, n, by('memory'), v2);
    const io = ioRow(src, n, by('blkio'), v2);
    push('cgroup_cpu', cpu);
    push('cgroup_memory', memory);
    push('cgroup_pids', pidsRow(src, n, by('pids') ?? v2));
    push('cgroup_io', io);
    push('cgroup_psi', psiRow(src, n, { cpu, memory, io }));
    rows.cgroups.push(inventoryRow(src, n));
  }
  const v2controllers = L.v2 ? src.readFile(`${L.v2.mountPoint}/cgroup.controllers`) : undefined;
  rows.cgroup_layout.push({
    key: 'host',
    labels: {
      mode: L.mode,
      mountinfo: L.from,
      v2_mount: L.v2?.mountPoint ?? '',
      v2_controllers: v2controllers?.status === 'ok' ? v2controllers.value.trim() : '',
      v1: L.v1.map((h) => `${h.controllers.join(',')}=${h.mountPoint}`).join(' '),
      walked: walked.map(hierName).join(' '),
    },
    values: {
      hierarchies: L.v1.length + (L.v2 ? 1 : 0),
      cgroups: nodes.size,
      truncated: budget.skippedCount + budget.skippedDepth > 0 ? 1 : 0,
      skipped_depth: budget.skippedDepth,
      skipped_count: budget.skippedCount,
      max_depth: budget.maxDepth,
      max_count: opts.maxCount ?? CGROUP_MAX_COUNT,
    },
  });
  const out: TableOutcomes = {};
  for (const t of TABLE_IDS) out[t] = ok(rows[t]);
  return out;
}

const psiFields = Object.fromEntries(
  (['cpu', 'memory', 'io'] as const).flatMap((r) => [
    [`${r}_some_avg10`, gauge(`${r} some: % of time stalled, 10 s average`, 'percent')],
    [`${r}_some_total`, counter(`${r} some: stall time`, 'us')],
    [`${r}_full_avg10`, gauge(`${r} full: % of time all tasks stalled, 10 s average`, 'percent')],
    [`${r}_full_total`, counter(`${r} full: stall time`, 'us')],
  ]),
);

export const cgroupCollector: Collector = {
  id: 'cgroups',
  title: 'cgroups (v1, v2, hybrid): CPU, throttling, memory, pids, I/O and pressure per cgroup, with the processes in each',
  origin: 'cgroup',
  resources: ['cpu', 'memory', 'disk', 'tasks'],
  inputs: ['/proc/self/mountinfo', '/sys/fs/cgroup/**/{cpu.stat,cpu.max,cpu.cfs_quota_us,cpu.cfs_period_us,cpuacct.usage,cpuacct.stat,memory.*,pids.*,io.stat,io.max,blkio.throttle.*,*.pressure,cgroup.procs}'],
  tables: {
    cgroups: {
      title: 'cgroups with their names and processes',
      scope: 'cgroup',
      fields: { procs: gauge('processes in the cgroup (cgroup.procs of the hierarchy named in procs_from)'), depth: gauge('depth below the root') },
    },
    cgroup_cpu: {
      title: 'CPU usage, limit and throttling per cgroup',
      scope: 'cgroup',
      identityFields: ['quota_cores'],
      fields: {
        usage: counter('CPU time used (cgroup and descendants)', 'us'),
        user: counter('user CPU time', 'us'),
        system: counter('system CPU time', 'us'),
        nr_periods: counter('enforcement periods elapsed'),
        nr_throttled: counter('periods in which the cgroup was throttled'),
        throttled: counter('time throttled', 'us'),
        quota_cores: gauge('CPU limit in cores (quota / period); missing = no limit', 'count'),
      },
      derived: {
        cpu_pct: derived('CPU used, % of one core', 'percent'),
        limit_used_pct: derived('CPU used, % of the limit', 'percent'),
        throttled_pct: derived('% of periods throttled', 'percent'),
        throttled_ms: derived('time throttled per second', 'ms'),
      },
      derive: (w) => {
        const use = w.rate('usage');
        const cpuPct = use === undefined ? undefined : use / 1e4;
        const t = w.rate('throttled');
        return {
          cpu_pct: cpuPct,
          limit_used_pct: div(cpuPct, w.value('quota_cores')),
          throttled_pct: throttledPct(w.delta('nr_throttled'), w.delta('nr_periods')),
          throttled_ms: t === undefined ? undefined : t / 1000,
        };
      },
    },
    cgroup_memory: {
      title: 'Memory usage, limits and pressure events per cgroup',
      scope: 'cgroup',
      identityFields: ['limit', 'high'],
      fields: {
        current: gauge('memory in use (cgroup and descendants)', 'bytes'),
        limit: gauge('hard limit (memory.max / limit_in_bytes); missing = no limit', 'bytes'),
        high: gauge('throttle limit memory.high (v2); missing = none', 'bytes'),
        swap_current: gauge('swap in use (v2)', 'bytes'),
        memsw_limit: gauge('memory+swap limit (v1 memsw.limit_in_bytes); missing = no limit', 'bytes'),
        memsw_current: gauge('memory+swap in use (v1, read when memsw is limited)', 'bytes'),
        peak: gauge('peak usage since creation (v1 max_usage_in_bytes, v2 memory.peak; read for limited cgroups)', 'bytes'),
        events_low: counter('reclaimed below memory.low (v2, subtree)'),
        events_high: counter('throttled over memory.high (v2, subtree)'),
        events_max: counter('usage hit memory.max (v2, subtree)'),
        events_high_local: counter('throttled over its own memory.high (v2 memory.events.local)'),
        events_max_local: counter('usage hit its own memory.max (v2 memory.events.local)'),
        failcnt: counter('usage hit the limit (v1 failcnt)'),
        memsw_failcnt: counter('memory+swap hit its limit (v1 memsw.failcnt)'),
        oom: counter('OOM situations (v2)'),
        oom_kill: counter('processes killed by the OOM killer (subtree)'),
        oom_kill_local: counter('processes killed by the OOM killer in this cgroup (v2 memory.events.local)'),
        under_oom: gauge('under OOM right now (v1 oom_control)', 'boolean'),
        anon: gauge('anonymous memory', 'bytes'),
        file: gauge('page cache', 'bytes'),
        shmem: gauge('shared memory', 'bytes'),
        kernel: gauge('kernel memory (v2)', 'bytes'),
        sock: gauge('socket buffers (v2)', 'bytes'),
        file_dirty: gauge('dirty page cache', 'bytes'),
        file_writeback: gauge('page cache under writeback', 'bytes'),
        pgfault: counter('page faults'),
        pgmajfault: counter('major page faults'),
        workingset_refault: counter('refaults of evicted pages (thrashing)'),
        pgscan: counter('pages scanned by reclaim (v2)'),
        pgsteal: counter('pages reclaimed (v2)'),
      },
      derived: {
        used_pct: derived('memory used, % of the limit', 'percent'),
        high_used_pct: derived('memory used, % of memory.high', 'percent'),
        limit_hits: derived('charges that hit the limit and had to reclaim first (v1 failcnt + memsw.failcnt, v2 memory.events.local max)', 'count/s'),
        high_hits: derived('times over memory.high, throttled and reclaimed (v2 memory.events.local high)', 'count/s'),
      },
      derive: (w) => ({ used_pct: pct(w.value('current'), w.value('limit')), high_used_pct: pct(w.value('current'), w.value('high')), limit_hits: limitHits(w), high_hits: highHits(w) }),
    },
    cgroup_pids: {
      title: 'Tasks and fork failures per cgroup (pids controller)',
      scope: 'cgroup',
      identityFields: ['max'],
      fields: {
        current: gauge('tasks (processes and threads)'),
        max: gauge('pids.max; missing = no limit'),
        peak: gauge('most tasks at once since creation (pids.peak, Linux 6.1+; read where forks were refused)'),
        fork_fail: counter('forks refused at pids.max (pids.events max; .local on v2 when present)'),
        fork_fail_total: gauge('forks refused since the cgroup was created (the same count, as a level)'),
      },
      derived: { used_pct: derived('tasks, % of pids.max', 'percent') },
      derive: (w) => ({ used_pct: pct(w.value('current'), w.value('max')) }),
    },
    cgroup_io: {
      title: 'Block I/O per cgroup (summed over devices)',
      scope: 'cgroup',
      fields: {
        rbytes: counter('bytes read', 'bytes'),
        wbytes: counter('bytes written', 'bytes'),
        rios: counter('read operations'),
        wios: counter('write operations'),
        dbytes: counter('bytes discarded', 'bytes'),
        dios: counter('discard operations'),
        rbps_max: gauge('read limit, bytes/s (v1 throttle.read_bps_device, v2 io.max rbps; summed over limited devices)', 'bytes'),
        wbps_max: gauge('write limit, bytes/s (summed over limited devices)', 'bytes'),
        riops_max: gauge('read limit, operations/s (summed over limited devices)'),
        wiops_max: gauge('write limit, operations/s (summed over limited devices)'),
        limited_rbytes: counter('bytes read on the devices with a read bps limit', 'bytes'),
        limited_wbytes: counter('bytes written on the devices with a write bps limit', 'bytes'),
        limited_rios: counter('reads on the devices with a read iops limit'),
        limited_wios: counter('writes on the devices with a write iops limit'),
      },
      derived: { limit_used_pct: derived('I/O against its throttle limit: the highest of read/write bps/iops, % of the limit', 'percent') },
      derive: (w) => ({ limit_used_pct: ioLimitUsedPct(w) }),
    },
    cgroup_psi: {
      title: 'Pressure stall information per cgroup (cgroup2)',
      scope: 'cgroup',
      fields: psiFields,
      derived: {
        cpu_some_pct: derived('cpu some: % of the window stalled', 'percent'),
        cpu_full_pct: derived('cpu full: % of the window stalled', 'percent'),
        memory_some_pct: derived('memory some: % of the window stalled', 'percent'),
        memory_full_pct: derived('memory full: % of the window stalled', 'percent'),
        io_some_pct: derived('io some: % of the window stalled', 'percent'),
        io_full_pct: derived('io full: % of the window stalled', 'percent'),
      },
      derive: (w) => ({
        cpu_some_pct: psiPct(w, 'cpu_some_total'),
        cpu_full_pct: psiPct(w, 'cpu_full_total'),
        memory_some_pct: psiPct(w, 'memory_some_total'),
        memory_full_pct: psiPct(w, 'memory_full_total'),
        io_some_pct: psiPct(w, 'io_some_total'),
        io_full_pct: psiPct(w, 'io_full_total'),
      }),
    },
    cgroup_layout: {
      title: 'cgroup layout (unified, hybrid, legacy) and walk bounds',
      scope: 'host',
      fields: {
        hierarchies: gauge('mounted hierarchies'),
        cgroups: gauge('cgroups found (merged by path)'),
        truncated: gauge('walk stopped at a bound', 'boolean'),
        skipped_depth: gauge('cgroups not walked: too deep'),
        skipped_count: gauge('cgroups not walked: count bound reached'),
        max_depth: gauge('depth bound'),
        max_count: gauge('count bound'),
      },
    },
  },
  collect(src) {
    return collectCgroups(src);
  },
};
