import type { Collector, CollectContext, Row, TableOutcomes } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';
import { ok, unavailable, type Outcome } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { parseMountinfo } from '../../procfs/filesystems/parse.js';
import { runTool } from '../command.js';
import { classifyKernelMessage, splitKernelLine } from '../kernel-log/parse.js';
import { INTERFACE_WORDS, interfaceEventOf, parseIpv4Routes, parseIpv6Routes, parseNetDevNames } from './network.js';
import { gatherPackages, PACKAGE_LOGS, rotationChain } from './package-changes.js';
import { parseDateOffset } from './packages.js';
import { SYSCTL_DEFAULTS } from './sysctl-defaults.js';
import { compareKernelRelease, installedKernels, parseJournalUnits, parseLastBoots, parseStatBirth, parseStatFiles, parseSysctlConf, sameSysctlValue, sysctlPath, UNIT_MESSAGE_IDS, type FileStat, type SysctlSetting, type UnitEvent } from './system.js';

/** Default look-back of the changes collector and of the report's "Recent changes". */
export const DEFAULT_CHANGES_SECONDS = 24 * 3600;
/** Rows kept per collection (the newest): a fleet-wide upgrade or a flapping unit can log thousands. */
export const CHANGES_KEPT = 500;

/** One change, before it becomes a row. */
export interface Change {
  /** Unix seconds; undefined when the change has no time diag can know (a sysctl set at runtime). */
  readonly at: number | undefined;
  readonly kind: 'package' | 'boot' | 'reboot' | 'shutdown' | 'kernel' | 'unit' | 'sysctl' | 'mount' | 'kernel-event' | 'interface' | 'route';
  readonly action: string;
  readonly subject: string;
  readonly detail: string;
  /** The input it was read from (a path or a command). */
  readonly source: string;
  /** The entity it touched, as a scope string (cgroup:/system.slice/x.service, mount:/srv), when known. */
  readonly scope?: string;
  readonly count?: number;
  /** Package names of a grouped package change (first 50). */
  readonly names?: readonly string[];
}

/** The status of each input the collector reads (a partStatus table: what was not read is said). */
export interface ChangeSourceStatus {
  readonly name: string;
  readonly outcome: Outcome<unknown>;
}

const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];
/** Filesystems whose mount points say nothing about a change (kernel interfaces), or whose stat can hang. */
const SKIP_FS = /^(?:proc|sysfs|cgroup2?|devpts|devtmpfs|mqueue|debugfs|tracefs|securityfs|pstore|bpf|configfs|fusectl|binfmt_misc|efivarfs|nsfs|rpc_pipefs|autofs|hugetlbfs|nfs4?|cifs|smb3|ceph|glusterfs|9p|fuse(?:\..*|blk)?|sshfs)$/;
/** Mounts whose filesystem was made this soon after boot belong to the boot. */
const BOOT_SETTLE_S = 120;
/** Kernel events of one kind closer than this are one burst. */
const KERNEL_BURST_GAP_S = 60;
/**
 * A word each pattern of the KERNEL_KINDS in kernel-log/parse.ts needs (a superset, case-blind):
 * most kernel log lines have none and are passed over without a regex per kind.
 */
const KERNEL_WORDS = /killed process|i\/o error|medium error|blk_update_request|-fs|xfs \(|btrfs|read-only|blocked for more than|hardware error|machine check|mce: |lockup|stall|netdev watchdog|timed out|link is down|table full/i;
const KERNEL_KINDS = new Set(['oom_kill', 'hung_task', 'net_watchdog', 'fs_error', 'io_error', 'link_down', 'mce', 'lockup', 'conntrack_full']);

function wallSeconds(src: Source): number {
  return Date.parse(src.now('changes').wall) / 1000;
}

function btimeOf(src: Source): number | undefined {
  const s = src.readFile('/proc/stat');
  if (s.status !== 'ok') return undefined;
  const m = /^btime (\d+)$/m.exec(s.value);
  return m ? Number(m[1]) : undefined;
}

/** Boot, reboots and shutdowns (wtmp through `last`), and a running kernel older than the newest installed. */
async function bootChanges(src: Source, since: number, btime: number | undefined, files: ReadonlyMap<string, FileStat> | undefined, status: ChangeSourceStatus[]): Promise<Change[]> {
  const out: Change[] = [];
  const release = src.readFile('/proc/sys/kernel/osrelease');
  const running = release.status === 'ok' ? release.value.trim() : undefined;
  if (btime !== undefined && btime >= since) out.push({ at: btime, kind: 'boot', action: 'booted', subject: running ?? 'kernel', detail: `booted${running ? ` kernel ${running}` : ''}`, source: '/proc/stat btime' });
  const log = src.readDir('/var/log');
  const wtmp = files?.get('/var/log/wtmp');
  // wtmp is appended at every boot and shutdown: last written before the look-back, it holds none in it
  if (wtmp !== undefined && wtmp.mtime < since) status.push({ name: 'wtmp (last -x)', outcome: ok(`not written since ${new Date(wtmp.mtime * 1000).toISOString()}: no boot or shutdown in the look-back`) });
  else if (log.status === 'ok' && log.value.includes('wtmp')) {
    const last = await runTool(src, { cmd: 'last', args: ['-x', '--time-format', 'iso', 'reboot', 'shutdown'], timeoutMs: 2000, maxBytes: 1024 * 1024 });
    status.push({ name: 'wtmp (last -x)', outcome: last });
    if (last.status === 'ok') {
      const boots = parseLastBoots(last.value);
      if (boots.ok)
        for (const b of boots.value) {
          if (b.at < since) continue;
          // the current boot is already there from btime (wtmp's record is seconds later)
          if (b.kind === 'reboot' && btime !== undefined && Math.abs(b.at - btime) < 120) continue;
          out.push({ at: b.at, kind: b.kind, action: b.kind === 'reboot' ? 'booted' : 'shut down', subject: b.kernel ?? 'system', detail: b.kind === 'reboot' ? `boot of kernel ${b.kernel ?? '?'}` : 'system shut down', source: 'last -x' });
        }
    }
  } else status.push({ name: 'wtmp (last -x)', outcome: log.status === 'ok' ? { status: 'unavailable', code: 'not-found', reason: '/var/log/wtmp does not exist' } : log });
  const mods = src.readDir('/lib/modules');
  const boot = src.readDir('/boot');
  const kernels = installedKernels(mods.status === 'ok' ? mods.value : [], boot.status === 'ok' ? boot.value : []);
  status.push({ name: 'installed kernels (/lib/modules, /boot)', outcome: mods.status === 'ok' || boot.status === 'ok' ? ok(kernels) : mods });
  const newest = kernels[kernels.length - 1];
  if (running && newest && compareKernelRelease(newest, running) > 0)
    out.push({ at: undefined, kind: 'kernel', action: 'reboot pending', subject: newest, detail: `running kernel ${running} is older than the newest installed ${newest}: a reboot has not happened since the upgrade`, source: '/lib/modules, /boot' });
  return out;
}

/** Unit starts, stops, restarts and failures from the journal, when journalctl and a journal are there. */
async function unitChanges(src: Source, since: number, directory: string | undefined, status: ChangeSourceStatus[]): Promise<Change[]> {
  // journalctl without journal files says so on stderr and exits 0: look first (and spare the process)
  const dirs = directory !== undefined ? [directory] : ['/var/log/journal', '/run/log/journal'];
  const files = dirs.some((d) => {
    const l = src.readDir(d);
    return l.status === 'ok' && l.value.length > 0;
  });
  if (!files) {
    status.push({ name: 'journal (journalctl)', outcome: unavailable('not-found', `no journal files in ${dirs.join(' or ')} (no journald, or it keeps none)`) });
    return [];
  }
  const ids = Object.keys(UNIT_MESSAGE_IDS).map((id) => `MESSAGE_ID=${id}`);
  const args = ['--no-pager', '-q', ...(directory !== undefined ? [`--directory=${directory}`] : []), '-o', 'json', `--since=@${Math.floor(since)}`, '-n', '2000', '--output-fields=MESSAGE,MESSAGE_ID,UNIT,USER_UNIT', ...ids];
  const r = await runTool(src, { cmd: 'journalctl', args, timeoutMs: 3000, maxBytes: 8 * 1024 * 1024 });
  status.push({ name: 'journal (journalctl)', outcome: r });
  if (r.status !== 'ok') return [];
  const p = parseJournalUnits(r.value);
  if (!p.ok) return [];
  return groupUnitEvents(p.value.events);
}

/**
 * One change per unit and action: a timer's service started every 5 minutes is one row that
 * says how often (the last time, the first, the count), not 288 rows that push every other
 * change out of the report.
 */
export function groupUnitEvents(events: readonly UnitEvent[]): Change[] {
  const groups = new Map<string, UnitEvent[]>();
  for (const e of events) {
    const k = `${e.user ? 'user' : 'system'}\0${e.unit}\0${e.action}`;
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  return [...groups.values()].map((g) => {
    g.sort((a, b) => a.at - b.at);
    const first = g[0]!;
    const last = g[g.length - 1]!;
    const times = g.length > 1 ? `${g.length} times, first ${new Date(first.at * 1000).toISOString()}; the last: ` : '';
    return {
      at: last.at,
      kind: 'unit' as const,
      action: last.action,
      subject: last.unit,
      detail: `${times}${last.message}`,
      source: 'journalctl',
      ...(g.length > 1 ? { count: g.length } : {}),
      ...(last.user ? {} : { scope: `cgroup:/system.slice/${last.unit}` }),
    };
  });
}

/** The sysctl files in the order systemd-sysctl applies them: by file name, /etc over /run over /usr; /etc/sysctl.conf last. */
function sysctlFiles(src: Source): string[] {
  const byName = new Map<string, string>();
  for (const dir of [...SYSCTL_DIRS].reverse()) {
    const d = src.readDir(dir);
    if (d.status !== 'ok') continue;
    for (const n of d.value) if (n.endsWith('.conf')) byName.set(n, `${dir}/${n}`);
  }
  return [...[...byName.keys()].sort().map((n) => byName.get(n)!), '/etc/sysctl.conf'];
}

/**
 * Sysctls whose current value differs from what the files declare (set at runtime since boot),
 * and sysctls the files leave alone whose value differs from the kernel's documented default.
 * Neither has a time the kernel keeps.
 */
function sysctlChanges(src: Source, status: ChangeSourceStatus[]): Change[] {
  const declared = new Map<string, SysctlSetting>();
  let read = 0;
  for (const f of sysctlFiles(src)) {
    const t = src.readFile(f);
    if (t.status !== 'ok') continue;
    read++;
    const p = parseSysctlConf(t.value, f);
    if (p.ok) for (const s of p.value.settings) declared.set(s.key, s);
  }
  const out: Change[] = [];
  for (const s of declared.values()) {
    const cur = src.readFile(sysctlPath(s.key));
    if (cur.status !== 'ok' || sameSysctlValue(cur.value, s.value)) continue;
    out.push({ at: undefined, kind: 'sysctl', action: 'set at runtime', subject: s.key, detail: `${s.key} = ${cur.value.trim()}, but ${s.file}:${s.line} sets ${s.value}`, source: sysctlPath(s.key) });
  }
  const release = src.readFile('/proc/sys/kernel/osrelease');
  const running = release.status === 'ok' ? release.value.trim() : '0';
  for (const [key, d] of Object.entries(SYSCTL_DEFAULTS)) {
    if (declared.has(key) || (d.since !== undefined && compareKernelRelease(running, d.since) < 0)) continue;
    const cur = src.readFile(sysctlPath(key));
    if (cur.status !== 'ok' || sameSysctlValue(cur.value, d.value)) continue;
    out.push({ at: undefined, kind: 'sysctl', action: 'differs from default', subject: key, detail: `${key} = ${cur.value.trim()} (kernel default ${d.value}; no sysctl file sets it: set at runtime, by a program or at boot)`, source: sysctlPath(key) });
  }
  status.push({ name: 'sysctl files and /proc/sys', outcome: ok(read) });
  return out;
}

/** Mount points worth a stat: real filesystems' roots (not kernel interfaces, network or FUSE mounts, whose stat can hang). */
function statableMounts(src: Source, status: ChangeSourceStatus[]): Array<{ mountPoint: string; fsType: string; source: string }> {
  const mi = src.readFile('/proc/self/mountinfo');
  if (mi.status !== 'ok') {
    status.push({ name: 'mounts (/proc/self/mountinfo, stat)', outcome: mi });
    return [];
  }
  const p = parseMountinfo(mi.value);
  if (!p.ok) return [];
  return p.value.mounts.filter((m) => !SKIP_FS.test(m.fsType) && m.root === '/').slice(0, 200);
}

/**
 * One `stat` of every file the collector may read by time (package logs and their rotations,
 * wtmp) and of the mount points: birth for mounts, mtime to skip a log not written in the
 * look-back. undefined when stat could not run (then every log is read, as without it).
 */
async function statInputs(src: Source, mounts: ReadonlyArray<{ mountPoint: string }>, status: ChangeSourceStatus[]): Promise<Map<string, FileStat> | undefined> {
  const logs: string[] = [];
  const listings = new Map<string, Set<string>>();
  for (const [dir, base] of [...PACKAGE_LOGS, ['/var/log', 'wtmp'] as const]) {
    let names = listings.get(dir);
    if (names === undefined) {
      const d = src.readDir(dir);
      names = new Set(d.status === 'ok' ? d.value : []);
      listings.set(dir, names);
    }
    for (const n of base === 'wtmp' ? [base] : rotationChain(base)) if (names.has(n)) logs.push(`${dir}/${n}`);
  }
  const paths = [...new Set([...logs, ...mounts.map((m) => m.mountPoint)])];
  if (paths.length === 0) return new Map();
  const st = await runTool(src, { cmd: 'stat', args: ['--printf', '%W %Y %s %i %n\\0', '--', ...paths], timeoutMs: 5000, okExitCodes: [1] });
  status.push({ name: 'mounts and logs (stat)', outcome: st });
  if (st.status !== 'ok') return undefined;
  const p = parseStatFiles(st.value);
  return p.ok ? p.value : undefined;
}

/**
 * Mounts whose filesystem was created within the look-back (tmpfs, overlay and other
 * filesystems made at mount time report it as their root's birth time; a disk filesystem's birth
 * is its mkfs). The kernel keeps no mount time, so a bind mount or an old disk mounted recently
 * is not seen here.
 */
async function mountChanges(src: Source, since: number, btime: number | undefined, mounts: ReadonlyArray<{ mountPoint: string; fsType: string; source: string }>, files: ReadonlyMap<string, FileStat> | undefined): Promise<Change[]> {
  if (mounts.length === 0) return [];
  let births: ReadonlyMap<string, number>;
  if (files !== undefined) births = new Map([...files].flatMap(([path, f]) => (f.birth === undefined ? [] : [[path, f.birth] as const])));
  else if (src.replay) {
    // a bundle made before the one stat call recorded the mount points' birth times alone
    const st = await runTool(src, { cmd: 'stat', args: ['--printf', '%W %n\\0', '--', ...mounts.map((m) => m.mountPoint)], timeoutMs: 5000, okExitCodes: [1] });
    const p = st.status === 'ok' ? parseStatBirth(st.value) : undefined;
    if (!p?.ok) return [];
    births = p.value;
  } else return [];
  const out: Change[] = [];
  const seen = new Set<string>();
  for (const m of mounts) {
    const b = births.get(m.mountPoint);
    // filesystems made while the system booted are the boot, not a change after it
    if (b === undefined || b < since || (btime !== undefined && b < btime + BOOT_SETTLE_S) || seen.has(m.mountPoint)) continue;
    seen.add(m.mountPoint);
    out.push({ at: b, kind: 'mount', action: 'mounted', subject: m.mountPoint, detail: `${m.fsType} ${m.source} on ${m.mountPoint} (filesystem created then)`, source: '/proc/self/mountinfo', scope: `mount:${m.mountPoint}` });
  }
  return out;
}

/** OOM kills, hung tasks, NIC resets, filesystem and I/O errors from the kernel log, with their wall time. */
async function kernelChanges(src: Source, since: number, btime: number | undefined, status: ChangeSourceStatus[]): Promise<Change[]> {
  const r = await runTool(src, { cmd: 'dmesg', args: ['--raw'], maxBytes: 16 * 1024 * 1024 });
  status.push({ name: 'kernel log (dmesg)', outcome: r });
  if (r.status !== 'ok' || btime === undefined) return [];
  const out: Change[] = [];
  // a burst of one kind (a memcg OOM loop, a flapping link) is one change: first time, count, last message
  const open = new Map<string, { at: number; last: number; count: number; msg: string }>();
  const close = (kind: string) => {
    const g = open.get(kind);
    if (!g) return;
    open.delete(kind);
    const what = kind.replace(/_/g, ' ');
    out.push({ at: g.at, kind: 'kernel-event', action: kind, subject: g.count > 1 ? `${g.count} x ${what}` : what, detail: g.count > 1 ? `${g.count} in ${Math.round(g.last - g.at)} s, the last: ${g.msg}` : g.msg, source: 'dmesg --raw', count: g.count });
  };
  // link up, renames, promiscuous mode, bridge port states: one change per interface and action (the last, with a count)
  const ifaces = new Map<string, { at: number; first: number; count: number; iface: string; action: string; msg: string }>();
  for (const raw of r.value.split('\n')) {
    // one case-blind test of words every pattern of KERNEL_KINDS needs, before the line is split and classified
    const kernelWord = KERNEL_WORDS.test(raw);
    const ifaceWord = !kernelWord && INTERFACE_WORDS.test(raw);
    if (!kernelWord && !ifaceWord) continue;
    const l = splitKernelLine(raw);
    if (!l || l.prio >> 3 !== 0 || l.at === undefined) continue;
    const at = btime + l.at;
    if (at < since) continue;
    if (ifaceWord) {
      const e = interfaceEventOf(l.msg);
      if (e === undefined) continue;
      const k = `${e.iface}\0${e.action}`;
      const g = ifaces.get(k);
      if (g) Object.assign(g, { at, count: g.count + 1, msg: l.msg.slice(0, 300) });
      else ifaces.set(k, { at, first: at, count: 1, iface: e.iface, action: e.action, msg: l.msg.slice(0, 300) });
      continue;
    }
    const kind = classifyKernelMessage(l.msg);
    if (kind === undefined || !KERNEL_KINDS.has(kind)) continue;
    const g = open.get(kind);
    if (g && at - g.last <= KERNEL_BURST_GAP_S) {
      g.count++;
      g.last = at;
      g.msg = l.msg.slice(0, 300);
      continue;
    }
    close(kind);
    open.set(kind, { at, last: at, count: 1, msg: l.msg.slice(0, 300) });
  }
  for (const k of [...open.keys()]) close(k);
  for (const g of ifaces.values())
    out.push({ at: g.at, kind: 'interface', action: g.action, subject: g.iface, detail: g.count > 1 ? `${g.count} times, first ${new Date(g.first * 1000).toISOString()}; the last: ${g.msg}` : g.msg, source: 'dmesg --raw', scope: `interface:${g.iface}`, ...(g.count > 1 ? { count: g.count } : {}) });
  return out;
}

/** What one running diag saw at its previous read of interfaces and routes, per live source. */
const previousNetwork = new Map<string, { at: number; interfaces: ReadonlySet<string>; routes: ReadonlyMap<string, string> }>();

/**
 * Interfaces and routes that appeared or went away since this diag's previous read (the TUI and
 * diag record read the changes again and again): the kernel keeps no time for either, so the
 * change is reported at this read's time, with the previous read's time as the honest bound.
 * The first read of a process has nothing to compare with and says so.
 */
function networkChanges(src: Source, now: number, status: ChangeSourceStatus[]): Change[] {
  const name = 'interfaces and routes (/proc/net/dev, route, ipv6_route)';
  const dev = src.readFile('/proc/net/dev');
  const names = dev.status === 'ok' ? parseNetDevNames(dev.value) : undefined;
  if (dev.status !== 'ok' || !names?.ok) {
    status.push({ name, outcome: dev.status === 'ok' ? { status: 'error', code: 'parse', reason: names && !names.ok ? names.error.message : 'parse' } : dev });
    return [];
  }
  const routes = new Map<string, string>();
  for (const [path, parse] of [['/proc/net/route', parseIpv4Routes], ['/proc/net/ipv6_route', parseIpv6Routes]] as const) {
    const t = src.readFile(path);
    const p = t.status === 'ok' ? parse(t.value) : undefined;
    if (p?.ok) for (const r of p.value) routes.set(r.key, r.dev);
  }
  const interfaces = new Set(names.value);
  // a replay has no "previous read" of its own: only a running diag compares
  if (src.replay) {
    status.push({ name, outcome: ok('a replay: no earlier read to compare with') });
    return [];
  }
  const key = `${src.kind}:${src.description}`;
  const prev = previousNetwork.get(key);
  previousNetwork.set(key, { at: now, interfaces, routes });
  if (prev === undefined || prev.at >= now) {
    status.push({ name, outcome: ok('first read of this diag: interfaces and routes are compared from the next read on (the kernel keeps no time for them)') });
    return [];
  }
  status.push({ name, outcome: ok(`compared with this diag's read at ${new Date(prev.at * 1000).toISOString()}`) });
  const when = `between ${new Date(prev.at * 1000).toISOString()} and ${new Date(now * 1000).toISOString()} (not there at diag's previous read, there at this one; the kernel keeps no time of its own)`;
  const gone = `between ${new Date(prev.at * 1000).toISOString()} and ${new Date(now * 1000).toISOString()} (there at diag's previous read, gone at this one)`;
  const out: Change[] = [];
  for (const i of interfaces) if (!prev.interfaces.has(i)) out.push({ at: now, kind: 'interface', action: 'appeared', subject: i, detail: `interface ${i} appeared ${when}`, source: '/proc/net/dev', scope: `interface:${i}` });
  for (const i of prev.interfaces) if (!interfaces.has(i)) out.push({ at: now, kind: 'interface', action: 'removed', subject: i, detail: `interface ${i} went away ${gone}`, source: '/proc/net/dev' });
  for (const [r, d] of routes) if (!prev.routes.has(r)) out.push({ at: now, kind: 'route', action: 'added', subject: r, detail: `route ${r} added ${when}`, source: '/proc/net/route, /proc/net/ipv6_route', scope: `interface:${d}` });
  for (const [r] of prev.routes) if (!routes.has(r)) out.push({ at: now, kind: 'route', action: 'removed', subject: r, detail: `route ${r} removed ${gone}`, source: '/proc/net/route, /proc/net/ipv6_route' });
  return out;
}

function rowOf(c: Change, now: number, index: number): Row {
  const labels: Record<string, string> = { kind: c.kind, action: c.action, subject: c.subject, detail: c.detail, source: c.source };
  if (c.at !== undefined) labels.time = new Date(c.at * 1000).toISOString();
  if (c.scope !== undefined) labels.scope = c.scope;
  if (c.names !== undefined) labels.names = c.names.join(',');
  return {
    key: `${c.at === undefined ? 'now' : c.at.toFixed(3)}|${c.kind}|${c.subject}|${index}`,
    labels,
    values: { at: c.at, age: c.at === undefined ? undefined : Math.max(0, now - c.at), count: c.count ?? 1 },
  };
}

/**
 * The host's UTC offset for dpkg's and apt's local times (`date +%z`, through the Source so a
 * replay uses the recorded host's), asked only when a package log is read: a process costs less
 * than the first use of Intl's zone data (~45 ms of CPU in a fresh node), and a host where no
 * package changed in the look-back needs neither.
 */
function lazyUtcOffset(src: Source, status: ChangeSourceStatus[]): () => Promise<number> {
  let asked: Promise<number> | undefined;
  return () =>
    (asked ??= runTool(src, { cmd: 'date', args: ['+%z'], timeoutMs: 2000 }).then((date) => {
      const off = date.status === 'ok' ? parseDateOffset(date.value) : undefined;
      if (date.status !== 'ok') status.push({ name: 'time zone (date +%z)', outcome: date });
      return off?.ok ? off.value : 0;
    }));
}

/** Everything the collector found, newest first (timeless changes first: they are true now). */
export async function gatherChanges(src: Source, ctx: CollectContext | undefined): Promise<{ changes: Change[]; status: ChangeSourceStatus[]; since: number; now: number }> {
  const now = wallSeconds(src);
  const since = now - (ctx?.changes?.sinceSeconds ?? DEFAULT_CHANGES_SECONDS);
  const status: ChangeSourceStatus[] = [];
  const btime = btimeOf(src);
  // the commands that do not depend on the stat start first
  const units = unitChanges(src, since, ctx?.changes?.journalDirectory, status);
  const kernel = kernelChanges(src, since, btime, status);
  const mounts = statableMounts(src, status);
  const files = await statInputs(src, mounts, status);
  const parts = await Promise.all([gatherPackages(src, since, now, lazyUtcOffset(src, status), files, status), bootChanges(src, since, btime, files, status), units, mountChanges(src, since, btime, mounts, files), kernel]);
  const changes = [...parts.flat(), ...sysctlChanges(src, status), ...networkChanges(src, now, status)];
  changes.sort((a, b) => (b.at ?? Infinity) - (a.at ?? Infinity));
  return { changes: changes.slice(0, CHANGES_KEPT), status, since, now };
}

export const changesCollector: Collector = {
  id: 'changes',
  title: 'Recent changes: packages, boots, kernels, units, sysctls, mounts, kernel events, interfaces and routes (default look-back 24 h)',
  origin: 'commands',
  resources: [],
  inputs: ['/var/log/dpkg.log*', '/var/log/apt/history.log*', '/var/log/dnf.rpm.log', '/var/log/yum.log', 'last -x', 'journalctl (unit messages)', '/lib/modules', '/boot', '/etc/sysctl.d', '/proc/sys', '/proc/self/mountinfo', 'stat (mount points, logs)', 'dmesg --raw', '/proc/net/dev', '/proc/net/route', '/proc/net/ipv6_route', 'date +%z (when a package log is read)'],
  tables: {
    changes: {
      title: `Changes in the look-back, newest first (key: time|kind|subject; the newest ${CHANGES_KEPT})`,
      scope: 'event',
      fields: {
        at: gauge('when, Unix seconds (missing: no time is known)', 's'),
        age: gauge('how long ago', 's'),
        count: gauge('changes in this row (packages of one transaction)'),
      },
    },
    change_sources: {
      title: 'Inputs of the changes collector and whether each could be read',
      scope: 'host',
      partStatus: { what: 'change sources', name: 'source' },
      fields: {},
    },
  },
  async collect(src, ctx): Promise<TableOutcomes> {
    const g = await gatherChanges(src, ctx);
    return {
      changes: ok(g.changes.map((c, i) => rowOf(c, g.now, i))),
      change_sources: ok(
        g.status.map((s) => ({
          key: s.name,
          labels: { source: s.name, status: s.outcome.status === 'ok' ? 'ok' : 'unavailable', reason: s.outcome.status === 'ok' ? '' : s.outcome.reason, code: s.outcome.status === 'ok' ? '' : s.outcome.code },
          values: {},
        })),
      ),
    };
  },
};
