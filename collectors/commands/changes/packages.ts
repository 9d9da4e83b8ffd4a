import { parsed, parseFail, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Package manager logs: what was installed, upgraded and removed, and when. Every format here is
 * a log written line by line by a tool that can be killed half-way or a disk that filled up, so a
 * line that does not match is skipped and counted, never fatal.
 *
 * Times: dpkg and apt write local time without a zone; the caller gives the host's UTC offset
 * (`date +%z`, read through the Source so a replay uses the recorded host's). dnf writes ISO 8601
 * with its offset; yum writes "Mon DD HH:MM:SS" (local, no year: the caller's year).
 */

export type PackageAction = 'install' | 'upgrade' | 'downgrade' | 'remove' | 'purge' | 'reinstall';

export interface PackageEvent {
  /** Unix seconds (UTC). */
  readonly at: number;
  readonly action: PackageAction;
  readonly name: string;
  readonly arch?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface PackageLog {
  readonly events: readonly PackageEvent[];
  /** Lines that did not parse (garbage, truncated writes). */
  readonly skipped: number;
}

/** One apt transaction (a Start-Date .. End-Date block of /var/log/apt/history.log). */
export interface AptTransaction {
  readonly at: number;
  readonly end?: number;
  readonly commandline?: string;
  readonly requestedBy?: string;
  readonly counts: Readonly<Partial<Record<PackageAction, number>>>;
  /** Packages named on the command line or not marked automatic, by action (first 20 each). */
  readonly packages: Readonly<Partial<Record<PackageAction, readonly string[]>>>;
  readonly error?: string;
}

export interface AptHistory {
  readonly transactions: readonly AptTransaction[];
  readonly skipped: number;
}

/** "+0100" / "-0530" / "Z" -> seconds east of UTC; undefined for anything else. */
export function parseUtcOffset(text: string): number | undefined {
  const t = text.trim();
  if (t === 'Z' || t === '+0000' || t === '-0000') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (!m) return undefined;
  const s = (Number(m[2]) * 3600 + Number(m[3]) * 60) * (m[1] === '-' ? -1 : 1);
  return Math.abs(s) <= 14 * 3600 ? s : undefined;
}

/** "2025-06-24 14:36:25" (local, offset seconds east of UTC) -> Unix seconds; undefined when garbled. */
export function localTime(date: string, time: string, offsetS: number): number | undefined {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2}):(\d{2})$/.exec(time);
  if (!d || !t) return undefined;
  const [y, mo, da, h, mi, s] = [d[1], d[2], d[3], t[1], t[2], t[3]].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  return Date.UTC(y, mo - 1, da, h, mi, s) / 1000 - offsetS;
}

const DPKG_ACTIONS: Readonly<Record<string, PackageAction>> = { install: 'install', upgrade: 'upgrade', remove: 'remove', purge: 'purge' };
/** Every third word dpkg writes (dpkg/src/main/log.c and its callers): lines of the others are not changes. */
const DPKG_WORDS = new Set(['status', 'configure', 'trigproc', 'startup', 'conffile', 'install', 'upgrade', 'remove', 'purge']);

/**
 * /var/log/dpkg.log: "YYYY-MM-DD HH:MM:SS <action> <pkg>:<arch> <old-version> <new-version>"
 * for install/upgrade/remove/purge ("<none>" for a missing version), beside "status", "configure",
 * "trigproc", "startup" and "conffile" lines that are not changes of their own. An install whose
 * old version is not "<none>" is a reinstall or downgrade: kept as dpkg said it, with both versions.
 */
export function parseDpkgLog(text: string, offsetS: number): ParseResult<PackageLog> {
  const events: PackageEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    // most lines are status/configure/trigproc: look at the third word before anything else
    const s2 = line.indexOf(' ', line.indexOf(' ') + 1);
    const s3 = s2 < 0 ? -1 : line.indexOf(' ', s2 + 1);
    const word = s2 < 0 ? undefined : line.slice(s2 + 1, s3 < 0 ? undefined : s3);
    if (word !== undefined && DPKG_WORDS.has(word) && !Object.hasOwn(DPKG_ACTIONS, word)) continue;
    const f = line.split(' ');
    if (f.length < 3) {
      skipped++;
      continue;
    }
    const at = localTime(f[0]!, f[1]!, offsetS);
    if (at === undefined) {
      skipped++;
      continue;
    }
    const action = Object.hasOwn(DPKG_ACTIONS, f[2]!) ? DPKG_ACTIONS[f[2]!] : undefined;
    if (action === undefined) continue; // another word dpkg writes
    const pkg = f[3];
    if (pkg === undefined || f.length !== 6 || !/^[a-z0-9][a-z0-9+.-]*(?::[a-z0-9-]+)?$/.test(pkg)) {
      skipped++;
      continue;
    }
    const [name, arch] = pkg.split(':') as [string, string | undefined];
    const from = f[4] === '<none>' ? undefined : f[4];
    const to = f[5] === '<none>' ? undefined : f[5];
    events.push({ at, action, name, ...(arch ? { arch } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) });
  }
  return parsed({ events, skipped });
}

const APT_ACTIONS: Readonly<Record<string, PackageAction>> = {
  Install: 'install',
  Upgrade: 'upgrade',
  Downgrade: 'downgrade',
  Remove: 'remove',
  Purge: 'purge',
  Reinstall: 'reinstall',
};

/** "a:amd64 (1.0), b:amd64 (1.0, 1.1), c:amd64 (2.0, automatic)" -> entries; parentheses hold commas. */
function aptPackages(list: string): Array<{ name: string; automatic: boolean }> {
  const out: Array<{ name: string; automatic: boolean }> = [];
  const re = /([^\s,()]+) \(([^)]*)\)/g;
  for (let m = re.exec(list); m; m = re.exec(list)) {
    out.push({ name: m[1]!.split(':')[0]!, automatic: /\bautomatic\b/.test(m[2]!) });
  }
  return out;
}

/**
 * /var/log/apt/history.log: blocks of "Key: value" lines, "Start-Date: YYYY-MM-DD  HH:MM:SS"
 * first and "End-Date" last, blank lines between. A block without a parseable Start-Date is
 * skipped (counted); a block cut short (no End-Date: apt was killed, or it is still running) is kept.
 */
export function parseAptHistory(text: string, offsetS: number): ParseResult<AptHistory> {
  const transactions: AptTransaction[] = [];
  let skipped = 0;
  let cur: { at?: number; end?: number; commandline?: string; requestedBy?: string; counts: Partial<Record<PackageAction, number>>; packages: Partial<Record<PackageAction, string[]>>; error?: string; lines: number } | undefined;
  const flush = () => {
    if (cur && cur.lines > 0) {
      if (cur.at === undefined) skipped++;
      else
        transactions.push({
          at: cur.at,
          ...(cur.end !== undefined ? { end: cur.end } : {}),
          ...(cur.commandline !== undefined ? { commandline: cur.commandline } : {}),
          ...(cur.requestedBy !== undefined ? { requestedBy: cur.requestedBy } : {}),
          counts: cur.counts,
          packages: cur.packages,
          ...(cur.error !== undefined ? { error: cur.error } : {}),
        });
    }
    cur = undefined;
  };
  const when = (v: string): number | undefined => {
    const f = v.trim().split(/\s+/);
    return f.length === 2 ? localTime(f[0]!, f[1]!, offsetS) : undefined;
  };
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) {
      flush();
      continue;
    }
    const i = line.indexOf(': ');
    const key = i > 0 ? line.slice(0, i) : '';
    const value = i > 0 ? line.slice(i + 2) : '';
    if (key === 'Start-Date') {
      flush();
      cur = { counts: {}, packages: {}, lines: 1 };
      const at = when(value);
      if (at !== undefined) cur.at = at;
      continue;
    }
    if (!cur) {
      skipped++;
      continue;
    }
    cur.lines++;
    if (key === 'End-Date') {
      const end = when(value);
      if (end !== undefined) cur.end = end;
    } else if (key === 'Commandline') cur.commandline = value.slice(0, 500);
    else if (key === 'Requested-By') cur.requestedBy = value.slice(0, 100);
    else if (key === 'Error') cur.error = value.slice(0, 300);
    else if (APT_ACTIONS[key]) {
      const action = APT_ACTIONS[key];
      const pkgs = aptPackages(value);
      cur.counts[action] = (cur.counts[action] ?? 0) + pkgs.length;
      const named = pkgs.filter((p) => !p.automatic).map((p) => p.name);
      cur.packages[action] = [...(cur.packages[action] ?? []), ...named].slice(0, 20);
    } else if (key === '') skipped++;
  }
  flush();
  return parsed({ transactions, skipped });
}

const DNF_ACTIONS: Readonly<Record<string, PackageAction>> = {
  Installed: 'install',
  Install: 'install',
  Upgrade: 'upgrade',
  Upgraded: 'upgrade',
  Updated: 'upgrade',
  Downgrade: 'downgrade',
  Downgraded: 'downgrade',
  Erase: 'remove',
  Erased: 'remove',
  Removed: 'remove',
  Reinstall: 'reinstall',
  Reinstalled: 'reinstall',
};

/** "curl-7.76.1-19.el9.x86_64" -> name "curl", version "7.76.1-19.el9". */
function splitNevra(nevra: string): { name: string; version?: string; arch?: string } {
  const m = /^(.+)-([^-]+-[^-]+?)(?:\.([a-z0-9_]+))?$/.exec(nevra);
  if (!m) return { name: nevra };
  return { name: m[1]!, version: m[2]!, ...(m[3] ? { arch: m[3] } : {}) };
}

/**
 * /var/log/dnf.rpm.log (Fedora, RHEL 8+): "2023-01-10T12:34:56+0000 SUBDEBUG Upgrade: curl-7.76.1-19.el9.x86_64".
 * dnf logs an upgrade twice ("Upgrade:" the new package, "Upgraded:" the old one): the old one is
 * dropped so each upgrade is one event.
 */
export function parseDnfRpmLog(text: string): ParseResult<PackageLog> {
  const events: PackageEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2}) \w+ (\w+): (\S+)\s*$/.exec(line);
    if (!m) {
      if (!/^\d{4}-\d{2}-\d{2}T/.test(line)) skipped++;
      continue;
    }
    const off = parseUtcOffset(m[3]!);
    const at = off === undefined ? undefined : localTime(m[1]!, m[2]!, off);
    const action = DNF_ACTIONS[m[4]!];
    if (at === undefined) {
      skipped++;
      continue;
    }
    if (action === undefined || m[4] === 'Upgraded' || m[4] === 'Downgraded') continue;
    const p = splitNevra(m[5]!);
    events.push({ at, action, name: p.name, ...(p.arch ? { arch: p.arch } : {}), ...(p.version ? { to: p.version } : {}) });
  }
  return parsed({ events, skipped });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * /var/log/yum.log (RHEL/CentOS 7): "Jan 10 12:34:56 Updated: curl-7.29.0-59.el7.x86_64". No year
 * and no zone: `year` is the year of "now" and a date after `nowS` is taken as last year's.
 */
export function parseYumLog(text: string, offsetS: number, nowS: number): ParseResult<PackageLog> {
  const events: PackageEvent[] = [];
  let skipped = 0;
  const year = new Date((nowS + offsetS) * 1000).getUTCFullYear();
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const m = /^(\w{3}) +(\d{1,2}) (\d{2}:\d{2}:\d{2}) (\w+): (?:\d+:)?(\S+)\s*$/.exec(line);
    const month = m ? MONTHS.indexOf(m[1]!) : -1;
    const action = m ? DNF_ACTIONS[m[4]!] : undefined;
    if (!m || month < 0 || action === undefined) {
      skipped++;
      continue;
    }
    const date = (y: number) => `${y}-${String(month + 1).padStart(2, '0')}-${m[2]!.padStart(2, '0')}`;
    let at = localTime(date(year), m[3]!, offsetS);
    if (at !== undefined && at > nowS + 86_400) at = localTime(date(year - 1), m[3]!, offsetS);
    if (at === undefined) {
      skipped++;
      continue;
    }
    const p = splitNevra(m[5]!);
    events.push({ at, action, name: p.name, ...(p.arch ? { arch: p.arch } : {}), ...(p.version ? { to: p.version } : {}) });
  }
  return parsed({ events, skipped });
}

/** The earliest time a log holds, to decide whether an older rotation is needed. */
export function earliest(times: readonly number[]): number | undefined {
  let min: number | undefined;
  for (const t of times) if (min === undefined || t < min) min = t;
  return min;
}

/** `date +%z` output -> offset seconds east of UTC. */
export function parseDateOffset(text: string): ParseResult<number> {
  const off = parseUtcOffset(text);
  return off === undefined ? parseFail('date +%z', `expected "+HHMM", got "${text.trim().slice(0, 20)}"`) : parsed(off);
}
