import { ok } from '../../../src/core/outcome.js';
import type { Outcome } from '../../../src/core/outcome.js';
import type { ParseResult } from '../../../src/core/parse-result.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import type { Change, ChangeSourceStatus } from './collector.js';
import { timeOrderedCut, type FileStat } from './system.js';
import { parseAptHistory, parseDnfRpmLog, parseDpkgLog, parseYumLog, type AptTransaction, type PackageEvent } from './packages.js';

/** Rotations read at most per log (dpkg.log, .1, .2.gz ...): logrotate keeps 12 by default on Debian. */
const MAX_ROTATIONS = 12;
/** Package events closer than this (and of the same action) outside an apt transaction are one change. */
const GROUP_GAP_S = 120;

/** Text of one rotation: plain, or through `gzip -dc` (the Source reads text; the command's answer is recorded). */
async function readLog(src: Source, path: string): Promise<Outcome<string>> {
  if (!path.endsWith('.gz')) return src.readFile(path);
  return runTool(src, { cmd: 'gzip', args: ['-dc', '--', path], timeoutMs: 3000, maxBytes: 32 * 1024 * 1024 });
}

/** How one rotated log is read: its parser, the times of what it parsed, and where its look-back starts. */
interface RotatedLog<T> {
  readonly parse: (text: string) => ParseResult<T>;
  readonly times: (v: T) => number[];
  /** Index of the first line at or after the look-back in a time-ordered log (0: parse it all). */
  readonly cut?: (text: string) => number;
}

/**
 * Read a rotated log newest first (log, log.1, log.2.gz, ...) until a rotation starts before
 * `since`: older rotations cannot hold a change in the look-back. With the files' stat records
 * (`files`), a rotation last written before `since` is not read at all, nor any older one; a
 * time-ordered log is parsed only from where the look-back starts.
 */
async function readRotated<T>(src: Source, dir: string, base: string, since: number, log: RotatedLog<T>, files: ReadonlyMap<string, FileStat> | undefined, status: ChangeSourceStatus[]): Promise<T[]> {
  const d = src.readDir(dir);
  if (d.status !== 'ok') return [];
  const names = new Set(d.value);
  const chain = rotationChain(base).filter((n) => names.has(n));
  const out: T[] = [];
  for (const n of chain) {
    const path = `${dir}/${n}`;
    const st = files?.get(path);
    // last written before the look-back: nothing in it (nor in older rotations) is recent
    if (st !== undefined && st.mtime < since) break;
    const t = await readLog(src, path);
    if (t.status !== 'ok') {
      status.push({ name: path, outcome: t });
      continue;
    }
    const at = log.cut ? log.cut(t.value) : 0;
    const p = log.parse(at > 0 ? t.value.slice(at) : t.value);
    if (!p.ok) {
      status.push({ name: path, outcome: { status: 'error', code: 'parse', reason: p.error.message } });
      continue;
    }
    out.push(p.value);
    const ts = log.times(p.value);
    // a rotation that holds anything older than the look-back is the last one needed
    if (at > 0 || (ts.length > 0 && Math.min(...ts) < since)) break;
  }
  // dnf and yum logs on a Debian host (and dpkg's on Red Hat) are not missing: they were never there
  if (chain.length > 0) status.push({ name: `${dir}/${base}*`, outcome: ok(out.length) });
  return out;
}

/** A log and its rotations, newest first, as logrotate names them. */
export function rotationChain(base: string): string[] {
  return [base, ...Array.from({ length: MAX_ROTATIONS }, (_, i) => [`${base}.${i + 1}`, `${base}.${i + 1}.gz`]).flat()];
}

/** The package logs the collector may read (to stat them first): present names of each chain. */
export const PACKAGE_LOGS: ReadonlyArray<readonly [dir: string, base: string]> = [
  ['/var/log', 'dpkg.log'],
  ['/var/log/apt', 'history.log'],
  ['/var/log', 'dnf.rpm.log'],
  ['/var/log', 'yum.log'],
];

const DPKG_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** dpkg's local time of a Unix second ("YYYY-MM-DD HH:MM:SS" at the host's offset). */
function dpkgLocal(atS: number, offsetS: number): string {
  return new Date(Math.floor(atS + offsetS) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function pkgDetail(e: PackageEvent): string {
  if (e.action === 'upgrade' || e.action === 'downgrade') return `${e.name} ${e.from ?? '?'} -> ${e.to ?? '?'}`;
  if (e.action === 'install') return `${e.name} ${e.to ?? ''}`.trim();
  return `${e.name} ${e.from ?? ''}`.trim();
}

const PAST: Record<string, string> = { install: 'installed', upgrade: 'upgraded', downgrade: 'downgraded', remove: 'removed', purge: 'purged', reinstall: 'reinstalled' };

/** Package events as changes: one per apt transaction that holds them, else runs of one action grouped. */
function packageChanges(events: readonly PackageEvent[], transactions: readonly AptTransaction[], source: string): Change[] {
  const out: Change[] = [];
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const inTx = (e: PackageEvent) => transactions.some((t) => e.at >= t.at - 1 && e.at <= (t.end ?? t.at + 3600) + 1);
  let run: PackageEvent[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const first = run[0]!;
    const names = run.map((e) => e.name);
    out.push({
      at: first.at,
      kind: 'package',
      action: first.action,
      subject: run.length === 1 ? first.name : `${run.length} packages`,
      detail: run.length === 1 ? `${PAST[first.action] ?? first.action} ${pkgDetail(first)}` : `${run.length} packages ${PAST[first.action] ?? first.action}: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}`,
      source,
      count: run.length,
      names: names.slice(0, 50),
    });
    run = [];
  };
  for (const e of sorted) {
    if (inTx(e)) continue;
    const last = run[run.length - 1];
    if (last && (last.action !== e.action || e.at - last.at > GROUP_GAP_S)) flush();
    run.push(e);
  }
  flush();
  for (const t of transactions) {
    const counts = Object.entries(t.counts).filter(([, n]) => (n ?? 0) > 0);
    if (counts.length === 0 && t.error === undefined) continue;
    const named = Object.values(t.packages).flat();
    const total = counts.reduce((s, [, n]) => s + (n ?? 0), 0);
    const main = counts.sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0]?.[0] ?? 'install';
    out.push({
      at: t.at,
      kind: 'package',
      action: main,
      subject: named.length === 1 ? named[0]! : t.commandline ? t.commandline.split(' ').slice(0, 3).join(' ') : `${total} packages`,
      detail: `${t.commandline ?? 'apt'}: ${counts.map(([a, n]) => `${n} ${PAST[a] ?? a}`).join(', ')}${t.error ? `; error: ${t.error}` : ''}${t.end === undefined ? ' (no End-Date: interrupted or still running)' : ''}`,
      source: '/var/log/apt/history.log',
      count: total,
      names: named.slice(0, 50),
    });
  }
  return out;
}

/** Package installs, upgrades and removals in the look-back: dpkg and apt on Debian, dnf and yum on Red Hat. */
export async function gatherPackages(src: Source, since: number, now: number, utcOffset: () => Promise<number>, files: ReadonlyMap<string, FileStat> | undefined, status: ChangeSourceStatus[]): Promise<Change[]> {
  // the host's offset only when some package log may hold a change of the look-back
  const candidates = PACKAGE_LOGS.flatMap(([dir, base]) => rotationChain(base).map((n) => `${dir}/${n}`));
  const maybe = files === undefined || candidates.some((p) => (files.get(p)?.mtime ?? -Infinity) >= since);
  if (!maybe) {
    for (const [dir, base] of PACKAGE_LOGS) if (candidates.some((p) => p.startsWith(`${dir}/${base}`) && files.has(p))) status.push({ name: `${dir}/${base}*`, outcome: ok(0) });
    return [];
  }
  const offsetS = await utcOffset();
  // dpkg.log is written in time order: parse from a minute before the look-back on
  const dpkgKey = dpkgLocal(since - 60, offsetS);
  const dpkg = await readRotated(src, '/var/log', 'dpkg.log', since, { parse: (t) => parseDpkgLog(t, offsetS), times: (v) => v.events.map((e) => e.at), cut: (t) => timeOrderedCut(t, dpkgKey, DPKG_TIME) }, files, status);
  const apt = await readRotated(src, '/var/log/apt', 'history.log', since, { parse: (t) => parseAptHistory(t, offsetS), times: (v) => v.transactions.map((e) => e.at) }, files, status);
  const dnf = await readRotated(src, '/var/log', 'dnf.rpm.log', since, { parse: parseDnfRpmLog, times: (v) => v.events.map((e) => e.at) }, files, status);
  const yum = await readRotated(src, '/var/log', 'yum.log', since, { parse: (t) => parseYumLog(t, offsetS, now), times: (v) => v.events.map((e) => e.at) }, files, status);
  const recent = <T extends { at: number }>(xs: readonly T[]) => xs.filter((x) => x.at >= since);
  const tx = recent(apt.flatMap((a) => a.transactions));
  return [
    ...packageChanges(recent(dpkg.flatMap((d) => d.events)), tx, '/var/log/dpkg.log'),
    ...packageChanges(recent([...dnf, ...yum].flatMap((d) => d.events)), [], dnf.length > 0 ? '/var/log/dnf.rpm.log' : '/var/log/yum.log'),
  ];
}
