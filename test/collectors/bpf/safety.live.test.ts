import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { liveRequirement } from '../../helpers/capabilities.js';

const req = liveRequirement('root', 'cmd:bpftool', 'cmd:setpriv');
const ROOT = join(import.meta.dirname, '../../..');
const DIAG = join(ROOT, 'bin/diag.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** BPF program ids a process holds open (from /proc/PID/fdinfo of its bpf-prog fds). */
function heldProgramIds(pid: number): number[] {
  const ids: number[] = [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return ids;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
      const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m?.[1]) ids.push(Number(m[1]));
    } catch {
      // fd closed meanwhile
    }
  }
  return ids;
}

const progList = z.array(z.object({ id: z.number() }).passthrough());
function loadedProgramIds(): Set<number> {
  const r = spawnSync('bpftool', ['prog', 'list', '-j'], { encoding: 'utf8' });
  return new Set(progList.parse(JSON.parse(r.stdout || '[]')).map((p) => p.id));
}

/** Start `diag probe runqlat` and wait until its programs are attached; returns their ids. */
async function startDiag(args: string[], programs = 3): Promise<{ child: ReturnType<typeof spawn>; ids: number[]; output: () => string }> {
  const child = spawn(process.execPath, [DIAG, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const pid = child.pid ?? 0;
  for (let i = 0; i < 100; i++) {
    const ids = heldProgramIds(pid);
    if (ids.length >= programs) return { child, ids, output: () => out };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`diag never attached its programs: ${out}`);
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Poll (~100 ms steps, up to 2 s: the kernel frees raw_tp programs lazily) until none are left. */
async function leftOver(ids: readonly number[]): Promise<number[]> {
  let left: number[] = [...ids];
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await sleep(100);
    const loaded = loadedProgramIds();
    left = ids.filter((id) => loaded.has(id));
  }
  return left;
}

function runDiag(args: string[], opts: { asNobody?: boolean; env?: Record<string, string> } = {}) {
  const argv = opts.asNobody ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', process.execPath, DIAG, ...args] : [process.execPath, DIAG, ...args];
  return spawnSync(argv[0] ?? 'node', argv.slice(1), { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...opts.env } });
}

describe.skipIf(req.skip)('probe safety (live, the diag command)', () => {
  it('dist/ is built (npm test builds it; run npm run build otherwise)', () => {
    expect(existsSync(join(ROOT, 'dist/src/cli/main.js'))).toBe(true);
  });

  it('kill -9 while probes are attached leaves no program loaded', async () => {
    const d = await startDiag(['probe', 'runqlat', '--duration', '30s']);
    expect(d.ids.every((id) => loadedProgramIds().has(id))).toBe(true);
    d.child.kill('SIGKILL');
    await exited(d.child);
    expect(await leftOver(d.ids)).toEqual([]);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} stops the probe early, still prints what it saw, detaches and exits 0`, async () => {
      const d = await startDiag(['probe', 'runqlat', '--duration', '30s']);
      d.child.kill(sig);
      const e = await exited(d.child);
      expect(e.code).toBe(0);
      expect(d.output()).toMatch(/stopped early/);
      expect(d.output()).toMatch(/lost events: 0 \(ring buffer full\), 0 \(map full\)/);
      expect(await leftOver(d.ids)).toEqual([]);
    });
  }

  // The probes of the latency investigation: each detaches on SIGINT and on kill -9.
  for (const [probe, programs] of [['syscalls', 2], ['offcpu', 1]] as const) {
    it(`${probe}: SIGINT prints, detaches and exits 0; kill -9 leaves nothing loaded`, async () => {
      const a = await startDiag(['probe', probe, '--duration', '30s'], programs);
      a.child.kill('SIGINT');
      expect((await exited(a.child)).code).toBe(0);
      expect(a.output()).toMatch(/lost events: \d+ \(ring buffer full\)/);
      expect(await leftOver(a.ids)).toEqual([]);
      const b = await startDiag(['probe', probe, '--duration', '30s'], programs);
      expect(b.ids.every((id) => loadedProgramIds().has(id))).toBe(true);
      b.child.kill('SIGKILL');
      await exited(b.child);
      expect(await leftOver(b.ids)).toEqual([]);
    });
  }

  it('execsnoop in text mode prints an execution while the probe still runs', async () => {
    const d = await startDiag(['probe', 'execsnoop', '--duration', '30s'], 1);
    await sleep(100); // the ring poller starts right after attach
    const echo = spawn('/bin/echo', ['diagt-bpf'], { stdio: 'ignore' });
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      await sleep(20);
      seen = new RegExp(`^\\s*${echo.pid} .* /bin/echo$`, 'm').test(d.output());
    }
    d.child.kill('SIGINT');
    await exited(d.child);
    expect(seen, d.output()).toBe(true);
    expect(await leftOver(d.ids)).toEqual([]);
  });

  it('as nobody: the precise reason, exit 3, no stack trace', () => {
    const r = runDiag(['probe', 'runqlat', '--duration', '1s'], { asNobody: true });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/not root: BPF probes need CAP_BPF\+CAP_PERFMON/);
    expect(r.stderr).toMatch(/hint: run diag as root/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const list = runDiag(['probes'], { asNobody: true });
    expect(list.status).toBe(3);
    expect(list.stdout).toMatch(/not root: BPF probes need CAP_BPF\+CAP_PERFMON/);
  });

  it('without the addon: "addon not built because ...", exit 3, no stack trace', () => {
    const r = runDiag(['probe', 'runqlat', '--duration', '1s'], { env: { DIAG_BPF_ADDON: '/nonexistent/diag_bpf.node' } });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/BPF off: addon not built because \/nonexistent\/diag_bpf.node does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const list = runDiag(['probes', '--json'], { env: { DIAG_BPF_ADDON: '/nonexistent/diag_bpf.node' } });
    expect(list.status).toBe(3);
    const j = z.object({ bpf: z.object({ available: z.boolean(), reason: z.string() }) }).parse(JSON.parse(list.stdout));
    expect(j.bpf.available).toBe(false);
    expect(j.bpf.reason).toMatch(/addon not built/);
  });

  it('a probe never runs longer than asked', () => {
    const t0 = Date.now();
    // --duration 300ms, against a probe that would otherwise wait for events forever.
    const r = runDiag(['probe', 'execsnoop', '--duration', '300ms', '--json']);
    expect(r.status).toBe(0);
    const j = z.object({ durationMs: z.number(), stoppedBy: z.string(), lost: z.object({ ring: z.number(), map: z.number() }) }).parse(JSON.parse(r.stdout));
    expect(j.stoppedBy).toBe('duration');
    expect(j.durationMs).toBeGreaterThanOrEqual(299);
    // Generous bounds: they catch a probe that ignores its duration, not a slow timer.
    expect(j.durationMs).toBeLessThan(3000);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
