import { posix } from 'node:path';
import { notCaptured, ok, unavailable, type Outcome } from '../../core/outcome.js';
import type { Clock, CommandResult, CommandSpec, Source, StatFs } from '../../core/source.js';
import { treePath } from '../../core/tree-meta.js';
import { addToListing } from '../tree.js';
import { sosCommandFor } from './commands.js';
import { SOS_MARKER, type SosTree } from './archive.js';

/**
 * A sosreport as a Source: the files it copied answer for the host's files ("/proc/meminfo" is
 * "<report>/proc/meminfo"), the command outputs it saved answer for the commands diag would run
 * (commands.ts), and everything else is 'not-captured' with what the report lacks: never a value
 * of the machine reading it. A sosreport is one moment: both samples of a window are this one
 * source at one clock, so the engine judges gauges and limits and reports every rate as unknown
 * ("needs two samples").
 */
export class SosreportSource implements Source {
  readonly kind = 'sosreport' as const;
  readonly replay = true;
  readonly description: string;
  /** Things to say about what this report can and cannot answer (each once). */
  readonly caveats = new Set<string>();
  private readonly children = new Map<string, Set<string>>();
  private readonly byBasename = new Map<string, string>();
  private clock: Clock;
  private readonly dfStats: ReadonlyMap<string, StatFs>;

  constructor(
    private readonly tree: SosTree,
    label: string,
  ) {
    this.description = `sosreport ${label}`;
    for (const p of [...tree.files.keys(), ...tree.links.keys()]) {
      addToListing(this.children, p.split('/'));
      if (p.startsWith(`${SOS_MARKER}/`)) {
        const base = posix.basename(p);
        // First plugin folder in sorted order wins, so the choice does not depend on archive order.
        const had = this.byBasename.get(base);
        if (had === undefined || p < had) this.byBasename.set(base, p);
      }
    }
    this.clock = sosClock(this);
    if (this.tree.files.get('proc/uptime') === undefined) {
      const up = Number(this.uptimeText()?.split(' ')[0]);
      if (Number.isFinite(up)) this.clock = { ...this.clock, monoMs: Math.round(up * 1000) };
    }
    this.dfStats = dfStatfs(this.text('sos_commands/filesys/df_-al_-x_autofs') ?? this.text('df'), this.text('sos_commands/filesys/df_-ali_-x_autofs'));
  }

  /** Text of a path relative to the report, following links inside the report only. */
  text(rel: string): string | undefined {
    const b = this.bytes(rel, 0);
    return b?.toString('utf8');
  }

  private bytes(rel: string, depth: number): Buffer | undefined {
    if (depth > 16) return undefined;
    const f = this.tree.files.get(rel);
    if (f !== undefined) return f;
    // A link anywhere along the path, resolved inside the report.
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const head = parts.slice(0, i).join('/');
      const target = this.tree.links.get(head);
      if (target === undefined) continue;
      const base = target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(head), target);
      const resolved = posix.normalize(posix.join(base, ...parts.slice(i)));
      if (resolved.startsWith('..') || resolved.startsWith('/')) return undefined;
      return this.bytes(resolved, depth + 1);
    }
    return undefined;
  }

  readFile(path: string): Outcome<string> {
    const n = treePath(path);
    if (n === undefined) return unavailable('bad-option', `${path} is outside the sosreport`);
    const t = this.text(n.slice(1)) ?? this.elsewhere(n);
    if (t !== undefined) return ok(t);
    if (this.children.has(n)) return unavailable('bad-option', `${path} is a folder in the sosreport`);
    return notCaptured(path, 'sosreport');
  }

  readDir(path: string): Outcome<string[]> {
    const n = treePath(path);
    if (n === undefined) return unavailable('bad-option', `${path} is outside the sosreport`);
    // sos copies a few files of a few processes (mountinfo of PID 1), never the process table:
    // listing /proc would make every process look gone. Its process listing is a ps output.
    if (n === '/proc') {
      return unavailable('not-captured', 'a sosreport holds no per-process /proc/PID files (its process listing is sos_commands/process/ps_auxwww)');
    }
    const names = this.children.get(n);
    if (!names) return notCaptured(path, 'sosreport');
    return ok([...names]);
  }

  readLink(path: string): Outcome<string> {
    const n = treePath(path);
    const l = n === undefined ? undefined : this.tree.links.get(n.slice(1));
    return l === undefined ? notCaptured(`link ${path}`, 'sosreport') : ok(l);
  }

  statfs(path: string): Outcome<StatFs> {
    const s = this.dfStats.get(path);
    return s ? ok(s) : notCaptured(`statfs(${path})`, 'sosreport (its df output has no line for it)');
  }

  /**
   * A /proc file sos did not copy, from the same fact saved elsewhere in the report: the host
   * name from `hostname`, the kernel release from `uname -a`, the uptime as below.
   */
  private elsewhere(path: string): string | undefined {
    const firstLine = (rel: string) => this.text(rel)?.split('\n')[0]?.trim() || undefined;
    switch (path) {
      case '/proc/uptime':
        return this.uptimeText();
      case '/proc/sys/kernel/hostname': {
        const h = firstLine('sos_commands/host/hostname') ?? firstLine('hostname') ?? firstLine('etc/hostname');
        return h === undefined ? undefined : `${h}\n`;
      }
      case '/proc/sys/kernel/osrelease': {
        const r = firstLine('sos_commands/kernel/uname_-a')?.split(/\s+/)[2] ?? firstLine('uname')?.split(/\s+/)[2];
        return r === undefined ? undefined : `${r}\n`;
      }
      default:
        return path.startsWith('/proc/sys/') ? this.fromSysctl(path.slice('/proc/sys/'.length)) : undefined;
    }
  }

  private sysctlValues: Map<string, string> | undefined;

  /** A /proc/sys file from `sysctl -a` as sos saved it ("net.core.somaxconn = 4096"; tabs kept as the file has them). */
  private fromSysctl(rel: string): string | undefined {
    if (this.sysctlValues === undefined) {
      this.sysctlValues = new Map();
      const all = this.byBasename.get('sysctl_-a');
      for (const line of (all === undefined ? '' : (this.text(all) ?? '')).split('\n')) {
        const i = line.indexOf(' = ');
        if (i > 0) this.sysctlValues.set(line.slice(0, i), line.slice(i + 3));
      }
    }
    const v = this.sysctlValues.get(rel.replace(/\//g, '.'));
    return v === undefined ? undefined : `${v}\n`;
  }

  /**
   * /proc/uptime when sos did not copy it, from the report's own data, as the kernel computes
   * it: the report's date minus /proc/stat's btime, and the idle time of all CPUs (the cpu line's
   * idle, in USER_HZ = 100 ticks).
   */
  private uptimeText(): string | undefined {
    const stat = this.text('proc/stat');
    const btime = Number(/^btime (\d+)$/m.exec(stat ?? '')?.[1]);
    const wallMs = Date.parse(this.clock.wall);
    if (!Number.isSafeInteger(btime) || btime <= 0 || this.clock.wall.startsWith('1970') || wallMs / 1000 < btime) return undefined;
    const idle = Number(/^cpu\s+\d+\s+\d+\s+\d+\s+(\d+)/m.exec(stat ?? '')?.[1]);
    if (!Number.isSafeInteger(idle)) return undefined;
    return `${(wallMs / 1000 - btime).toFixed(2)} ${(idle / 100).toFixed(2)}\n`;
  }

  run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    const line = [spec.cmd, ...spec.args].join(' ');
    const match = sosCommandFor(spec);
    if (match) {
      for (const c of match.candidates) {
        const rel = this.byBasename.get(c.name);
        const t = rel === undefined ? undefined : this.text(rel);
        if (t === undefined) continue;
        if (c.caveat) this.caveats.add(c.caveat);
        return Promise.resolve(ok({ stdout: c.read(t), stderr: '', exitCode: 0 }));
      }
      const other = match.otherForms?.find((n) => this.byBasename.has(n));
      if (other !== undefined) return Promise.resolve(unavailable('bad-option', `the sosreport saved \`${line}\` only in another format (${other})`));
    }
    return Promise.resolve(notCaptured(`the output of \`${line}\``, 'sosreport'));
  }

  now(): Clock {
    return this.clock;
  }
}

/**
 * The report's moment: `date --utc` as sos ran it (sos_commands/date/date_--utc), else the plain
 * `date` output; the monotonic clock is the host's uptime when sos copied /proc/uptime. One clock
 * for every reading: a window over this source has no length, so nothing is a rate.
 */
function sosClock(src: SosreportSource): Clock {
  const candidates = [src.text('sos_commands/date/date_--utc'), src.text('sos_commands/general/date'), src.text('sos_commands/date/date'), src.text('date')];
  let wall: string | undefined;
  for (const c of candidates) {
    const t = c?.trim().split('\n')[0];
    if (!t) continue;
    const ms = Date.parse(t.replace(/\s+/g, ' '));
    if (Number.isFinite(ms)) {
      wall = new Date(ms).toISOString();
      break;
    }
  }
  if (wall === undefined) src.caveats.add('the sosreport holds no readable date: its time is shown as unknown (1970)');
  const up = Number(src.text('proc/uptime')?.trim().split(/\s+/)[0]);
  return { monoMs: Number.isFinite(up) ? Math.round(up * 1000) : 0, wall: wall ?? '1970-01-01T00:00:00.000Z' };
}

/**
 * statfs answers from `df -al` (1K blocks) and `df -ali` (inodes) as sos saved them: the numbers
 * df printed are the statfs numbers scaled (used = blocks - bfree), so they come back exactly at
 * 1 KiB granularity. The filesystem type is not in df's output: 0.
 */
export function dfStatfs(blocks: string | undefined, inodes: string | undefined): Map<string, StatFs> {
  const out = new Map<string, StatFs>();
  if (blocks === undefined) return out;
  const inodeRows = new Map<string, { files: number; ffree: number }>();
  for (const r of dfRows(inodes)) {
    const [total, used] = [Number(r.cols[0]), Number(r.cols[1])];
    if (Number.isSafeInteger(total) && Number.isSafeInteger(used) && total >= used) inodeRows.set(r.mount, { files: total, ffree: total - used });
  }
  for (const r of dfRows(blocks)) {
    const [total, used, avail] = [Number(r.cols[0]), Number(r.cols[1]), Number(r.cols[2])];
    if (![total, used, avail].every((x) => Number.isSafeInteger(x) && x >= 0) || used > total) continue;
    const i = inodeRows.get(r.mount);
    out.set(r.mount, { type: 0, bsize: 1024, blocks: total, bfree: total - used, bavail: avail, files: i?.files ?? 0, ffree: i?.ffree ?? 0 });
  }
  return out;
}

/** Rows of df output: the numeric columns after the device, and the mount point (which may hold spaces). */
function dfRows(text: string | undefined): Array<{ cols: string[]; mount: string }> {
  if (text === undefined) return [];
  const rows: Array<{ cols: string[]; mount: string }> = [];
  for (const line of text.split('\n').slice(1)) {
    // device, total, used, avail, use%, mount point (the rest of the line)
    const m = /^\S+\s+(\d+|-)\s+(\d+|-)\s+(\d+|-)\s+(\d+%|-)\s+(\/.*)$/.exec(line.trimEnd());
    if (m) rows.push({ cols: [m[1]!, m[2]!, m[3]!], mount: m[5]! });
  }
  return rows;
}
