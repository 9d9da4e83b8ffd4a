import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { reportSchema, type Finding, type Report } from '../../src/engine/report-schema.js';

/**
 * Fault scenarios run the built CLI (`node bin/diag.js run playbook ... --json`, after
 * `npm run build`; `npm test` builds first) against a fault planted on this host, and assert
 * the finding a person would need. Every workload is bounded by timeout(1) and killed by PID;
 * every kernel object is named diagt-scen-<pid>-... and removed in afterAll.
 */
export const DIAG = fileURLToPath(new URL('../../bin/diag.js', import.meta.url));
export const PREFIX = `diagt-scen-${process.pid}`;
const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const sleep = sleepMs;

export interface DiagRun {
  readonly code: number;
  readonly report: Report;
  readonly stderr: string;
}

export function builtCli(): void {
  if (!existsSync(fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url)))) {
    throw new Error('dist/ is missing: run npm run build before the scenarios (npm test does it)');
  }
}

/** Run `diag run playbook NAME --json --window 1s ...`: one JSON document on stdout, validated against the report schema. */
export function runDiag(name: string, extra: readonly string[] = [], window = '1s'): Promise<DiagRun> {
  builtCli();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [DIAG, 'run', 'playbook', name, '--json', '--window', window, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 45_000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(timer);
      try {
        const report = reportSchema.parse(JSON.parse(out));
        resolve({ code: code ?? -1, report, stderr: err });
      } catch (e) {
        reject(new Error(`diag ${name} (exit ${code}) printed no valid report: ${e instanceof Error ? e.message : String(e)}\nstderr:\n${err}\nstdout:\n${out.slice(0, 2000)}`));
      }
    });
  });
}

const RANK = { info: 0, warning: 1, critical: 2 } as const;

/** The findings that match, asserting at least one with severity >= min; the message shows what diag found instead. */
export function expectFinding(r: DiagRun, want: { resource: Finding['resource']; kind: Finding['kind']; check?: string; scope?: string | RegExp; min?: 'warning' | 'critical' }): Finding[] {
  const min = RANK[want.min ?? 'warning'];
  const hits = r.report.findings.filter(
    (f) =>
      f.resource === want.resource &&
      f.kind === want.kind &&
      RANK[f.severity] >= min &&
      (want.check === undefined || f.check === want.check) &&
      (want.scope === undefined || (typeof want.scope === 'string' ? f.scope === want.scope : want.scope.test(f.scope))),
  );
  const seen = r.report.findings.map((f) => `${f.severity} ${f.resource}/${f.kind} ${f.check}@${f.scope}: ${f.title}`).join('\n  ');
  const cov = r.report.coverage.filter((c) => c.resource === want.resource).map((c) => `${c.kind}: ${c.status}${c.reason ? ` (${c.reason})` : ''}`).join('; ');
  expect(hits.length, `expected a ${want.resource}/${want.kind} finding${want.check ? ` from ${want.check}` : ''} >= ${want.min ?? 'warning'}; diag found:\n  ${seen || '(nothing)'}\ncoverage ${want.resource}: ${cov}\nexit ${r.code}`).toBeGreaterThan(0);
  expect(r.code).toBe(r.report.status === 'critical' ? 2 : r.report.status === 'warning' ? 1 : r.report.status === 'unknown' ? 3 : 0);
  return hits;
}

/**
 * Processes we started, each the leader of its own process group (detached), so that stop()
 * can end the whole tree it made (timeout(1) and the loop under it) with one kill of that
 * group's id; SIGKILL to timeout(1) alone would orphan its child.
 */
export class Workloads {
  private readonly children: ChildProcess[] = [];

  start(cmd: string, args: readonly string[], opts: { stdin?: boolean; stdout?: boolean } = {}): ChildProcess {
    const c = spawn(cmd, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', opts.stdout ? 'pipe' : 'ignore', 'ignore'], detached: true });
    this.children.push(c);
    return c;
  }

  /** A shell that waits for a line on stdin before running `script` (so it can be put in a cgroup first). */
  gated(script: string): ChildProcess {
    return this.start('sh', ['-c', `read gate; ${script}`], { stdin: true });
  }

  async stop(): Promise<void> {
    const sessions = new Set(this.children.map((c) => c.pid).filter((p): p is number => p !== undefined));
    for (const c of this.children) {
      if (c.pid === undefined) continue;
      try {
        process.kill(-c.pid, 'SIGKILL'); // the group this workload leads
      } catch {
        /* already gone */
      }
    }
    // timeout(1) moves its child into a process group of its own: what is left of a workload is
    // found by its session (each workload was started detached, as a session leader) and ended by PID.
    for (const pid of sessionMembers(sessions)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await Promise.all(this.children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : Promise.race([new Promise<void>((r) => c.once('exit', () => r())), sleepMs(3000)]))));
    this.children.length = 0;
  }
}

/** PIDs whose session id (field 6 of /proc/PID/stat) is one of `sessions`. */
function sessionMembers(sessions: ReadonlySet<number>): number[] {
  if (sessions.size === 0) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const sid = Number(fields[3]);
    if (sessions.has(sid)) out.push(Number(name));
  }
  return out;
}

function hostTicks(): { busy: number; total: number; running: number } {
  const s = readFileSync('/proc/stat', 'utf8');
  const f = s.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const running = Number(/^procs_running (\d+)/m.exec(s)?.[1] ?? '0');
  return { busy: total - idle, total, running };
}

/**
 * Whether the host is quiet (under 25 % CPU busy over 1 s, at most 2 runnable tasks): a test that
 * asserts what its own load does (the culprits are our loops; no critical finding) needs it. In
 * CI (one file at a time) a busy runner is a failure; elsewhere the test is skipped with the reason.
 */
export function quietHost(): { skip: boolean; reason: string } {
  const a = hostTicks();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  const b = hostTicks();
  const busyPct = (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
  if (busyPct < 25 && b.running <= 2) return { skip: false, reason: '' };
  const reason = `the host is not quiet (${busyPct.toFixed(0)}% CPU busy, ${b.running} runnable tasks): other work would be real load`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI=true and ${reason}: run the scenarios one file at a time on an otherwise idle runner`);
  process.stderr.write(`skipping live test: ${reason}\n`);
  return { skip: true, reason };
}

/** Run a command, throwing with its stderr when it fails (set-up steps of a scenario). */
export function sh(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message || ''}`);
  return r.stdout;
}

/** Same, for clean-up: never throws (the object may already be gone). */
export function shQuiet(cmd: string, args: readonly string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
}

/**
 * Wait until `cond` holds (polling), for workloads to get going. Throws on timeout, naming what
 * it waited for (`what`, else the condition's source), so set-up that never happened fails as
 * set-up rather than as "diag found nothing".
 */
export async function until(cond: () => boolean, ms = 5000, what?: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() >= end) throw new Error(`timed out after ${ms} ms waiting for ${what ?? cond.toString()}`);
    await sleepMs(50);
  }
}
