import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Culprit, Finding } from '../../src/engine/report-schema.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { cgroupDirs, cgroupVersion, enableV2Controllers, memoryLimitFile } from '../helpers/cgroup-fs.js';
import { expectFinding, PREFIX, runDiag, sh, shQuiet, sleep, until, Workloads } from './helpers.js';

/**
 * Named causes: each fault is planted for real and the finding must name the planted culprit
 * (its PID, its cgroup, its socket), not only the resource. Workloads are bounded by timeout(1)
 * and ended by their process group; cgroups and loop devices are removed in afterAll.
 */
const req = liveRequirement('root', 'cmd:timeout', 'cmd:losetup', 'cmd:dd', 'cgroup:cpu', 'cgroup:cpuacct', 'cgroup:memory');
const work = new Workloads();
const CG = `${PREFIX}-culprit`;
// where /proc/self/mountinfo puts cpu, cpuacct and memory: three v1 directories here, one on a v2 host
const DIRS = req.skip ? [] : cgroupDirs(['cpu', 'cpuacct', 'memory'], CG);
const MEM_DIR = req.skip ? '' : cgroupDirs(['memory'], CG)[0]!;
let loopDev: string | undefined;
const IMG = `/tmp/${PREFIX}-culprit.img`;

const pidsOf = (dir: string): string[] =>
  readFileSync(`${dir}/cgroup.procs`, 'utf8')
    .split('\n')
    .filter((l) => /^\d+$/.test(l));

function culpritsOf(f: Finding, kind: string): Culprit[] {
  return (f.culprits ?? []).filter((c) => c.entity.kind === kind);
}

function describeCulprits(fs: readonly Finding[]): string {
  return fs.map((f) => `${f.check}@${f.scope}: ${(f.culprits ?? []).map((c) => `${c.entity.id} ${c.entity.name} ${c.value ?? ''}`).join(', ') || '(no culprits)'}`).join('\n  ');
}

describe.skipIf(req.skip)('scenario: findings name their culprits', () => {
  afterAll(async () => {
    await work.stop();
    for (const dir of DIRS) {
      for (let i = 0; i < 30 && existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch {
          await sleep(100);
        }
      }
    }
    if (loopDev) shQuiet('losetup', ['-d', loopDev]);
    shQuiet('rm', ['-f', IMG]);
  });

  it('names the busy loops of a cgroup, with the cgroup, as the culprits of CPU saturation', async () => {
    enableV2Controllers(['cpu', 'memory']);
    for (const d of DIRS) if (!existsSync(d)) mkdirSync(d);
    // The cgroup weighs as 16 busy processes (as in first-screen.live), so its loops are the
    // busiest on a host shared with other work too, as they would be on a quiet one.
    writeFileSync(`${DIRS[0]}/${cgroupVersion('cpu') === 1 ? 'cpu.shares' : 'cpu.weight'}`, cgroupVersion('cpu') === 1 ? '16384' : '1600');
    // three loops on two CPUs: saturated, and every loop a culprit
    const gate = work.gated('for i in 1 2 3; do timeout -s KILL 30 sh -c "while :; do :; done" & done; wait');
    for (const d of DIRS) writeFileSync(`${d}/cgroup.procs`, String(gate.pid));
    gate.stdin?.end('go\n');
    await until(() => pidsOf(DIRS[0]!).length >= 7);
    await sleep(1500); // PSI's 10 s average and the run queue fill
    const loops = new Set(pidsOf(DIRS[0]!).filter((p) => p !== String(gate.pid) && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sh' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('while')));
    const r = await runDiag('use');
    await work.stop();
    expect(loops.size).toBe(3);
    // the loops run under timeout(1), in process groups of their own: stop() ends them by session
    const alive = () => [...loops].filter((p) => existsSync(`/proc/${p}`) && !/\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8')));
    await until(() => alive().length === 0, 3000);
    expect(alive()).toEqual([]);
    const hits = expectFinding(r, { resource: 'cpu', kind: 'utilization', check: 'cpu-host-utilization', scope: 'cpu:all' });
    const procs = culpritsOf(hits[0]!, 'process');
    const mine = procs.filter((c) => loops.has(c.entity.id.replace('process:', '')));
    expect(mine.length, `the three loops should be culprits; diag named:\n  ${describeCulprits(hits)}`).toBe(3);
    // each with its cgroup and a real share of the CPU time the ranked processes used
    for (const c of mine) {
      expect(c.identity.cgroup).toBe(`/${CG}`);
      expect(c.identity.cmdline).toContain('while :; do :; done');
      expect(c.value).toBeGreaterThan(5); // ~66 % each on a quiet 2-CPU host; other load shares the CPUs
      expect(c.share).toBeGreaterThan(0.02);
    }
    // diag never names itself
    expect(procs.some((c) => c.identity.cmdline?.includes('run playbook use'))).toBe(false);
  });

  it('names the parent that does not reap its zombies', async () => {
    // sh forks 60 children that exit at once, then becomes sleep(1), which never wait()s
    const parent = work.start('sh', ['-c', 'for i in $(seq 60); do (exit 0) & done; exec timeout -s KILL 30 sleep 30']);
    await until(() => {
      const st = spawnSync('ps', ['-o', 'stat=', '--ppid', String(parent.pid)], { encoding: 'utf8' }).stdout;
      return st.split('\n').filter((l) => l.startsWith('Z')).length >= 60;
    });
    const r = await runDiag('use');
    await work.stop();
    const hits = expectFinding(r, { resource: 'tasks', kind: 'errors', check: 'zombies', scope: 'host' });
    const first = hits[0]!.culprits?.[0];
    expect(first, describeCulprits(hits)).toBeDefined();
    expect(first!.entity.id).toBe(`process:${parent.pid}`);
    expect(first!.value).toBe(60);
    expect(first!.entity.name).toBe('timeout');
  });

  it('names the process doing the I/O that keeps a disk busy', async () => {
    sh('truncate', ['-s', '256M', IMG]);
    loopDev = sh('losetup', ['--find', '--show', '--direct-io=on', IMG]).trim();
    const dd = work.start('timeout', ['-s', 'KILL', '30', 'dd', `if=/dev/zero`, `of=${loopDev}`, 'bs=4k', 'oflag=direct', 'count=10000000']);
    await sleep(500);
    const ddPid = spawnSync('pgrep', ['-P', String(dd.pid), 'dd'], { encoding: 'utf8' }).stdout.trim();
    const r = await runDiag('use');
    await work.stop();
    const dev = loopDev.replace('/dev/', '');
    const hits = r.report.findings.filter((f) => f.scope === `device:${dev}` && f.resource === 'disk');
    expect(hits.length, `a finding on ${dev}; diag found:\n  ${describeCulprits(r.report.findings)}`).toBeGreaterThan(0);
    const top = culpritsOf(hits[0]!, 'process')[0];
    expect(top?.entity.id, describeCulprits(hits)).toBe(`process:${ddPid}`);
    expect(top?.entity.name).toBe('dd');
    expect(top?.value).toBeGreaterThan(1e6);
  });

  it('names the OOM victim, its cgroup and the limit that was hit', async () => {
    const dir = MEM_DIR;
    enableV2Controllers(['memory']);
    if (!existsSync(dir)) mkdirSync(dir);
    const [limitFile, limit] = memoryLimitFile(32 * 1024 * 1024);
    writeFileSync(`${dir}/${limitFile}`, limit);
    // One kill every ~0.9 s: at least one in diag's 1 s window, and under the kernel's rate limit
    // on OOM reports (10 per 5 s, DEFAULT_RATELIMIT_BURST): past it, a kill prints only its
    // "Killed process" line, without the memcg and constraint this test names.
    const hog = work.gated('exec timeout -s KILL 30 sh -c "while :; do tail /dev/zero; sleep 0.8; done"');
    writeFileSync(`${dir}/cgroup.procs`, String(hog.pid));
    hog.stdin?.end('go\n');
    await sleep(700);
    const r = await runDiag('use');
    await work.stop();
    const hits = expectFinding(r, { resource: 'memory', kind: 'errors', check: 'oom-kills-now', scope: 'host', min: 'critical' });
    const victim = culpritsOf(hits[0]!, 'event')[0];
    expect(victim, describeCulprits(hits)).toBeDefined();
    expect(victim!.entity.name).toBe('tail');
    expect(victim!.identity).toMatchObject({ comm: 'tail', cgroup: `/${CG}`, oom_memcg: `/${CG}`, constraint: 'CONSTRAINT_MEMCG' });
    expect(victim!.evidence['oom_kills.memcg_limit']).toBe(32 * 1024 * 1024);
    expect(victim!.evidence['oom_kills.pid']).toBeGreaterThan(1);
    const cg = culpritsOf(hits[0]!, 'cgroup').find((c) => c.entity.id === `cgroup:/${CG}`);
    expect(cg?.value, describeCulprits(hits)).toBeGreaterThanOrEqual(1);
  });

  it('names the listening socket whose accept queue overflows, and the process that does not accept', async () => {
    // backlog 1, never accept(); a client keeps connecting through the window
    const server = work.start('timeout', ['-s', 'KILL', '30', 'python3', '-c', LISTENER], { stdout: true });
    const port = await portOf(server);
    work.start('timeout', ['-s', 'KILL', '20', 'python3', '-c', CONNECTOR, String(port)]);
    await sleep(800);
    const owner = spawnSync('pgrep', ['-P', String(server.pid), 'python3'], { encoding: 'utf8' }).stdout.trim();
    const r = await runDiag('use');
    await work.stop();
    const hits = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'listen-overflows', scope: 'host' });
    const sock = culpritsOf(hits[0]!, 'socket').find((c) => c.identity.local?.endsWith(`:${port}`));
    expect(sock, describeCulprits(hits)).toBeDefined();
    expect(sock!.identity.pid).toBe(owner);
    expect(sock!.identity.state).toBe('LISTEN');
    expect(sock!.evidence.accept_queue).toBeGreaterThanOrEqual(2);
    expect(sock!.evidence.accept_limit).toBe(1);
  });

  it('names the UDP socket that drops datagrams (receive buffer full), and its owner', async () => {
    const sink = work.start('timeout', ['-s', 'KILL', '30', 'python3', '-c', UDP_SINK], { stdout: true });
    const port = await portOf(sink);
    work.start('timeout', ['-s', 'KILL', '20', 'python3', '-c', UDP_FLOOD, String(port)]);
    await sleep(500);
    const owner = spawnSync('pgrep', ['-P', String(sink.pid), 'python3'], { encoding: 'utf8' }).stdout.trim();
    const r = await runDiag('use');
    await work.stop();
    const hits = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'udp-rcvbuf-errors', scope: 'host' });
    const top = culpritsOf(hits[0]!, 'socket')[0];
    expect(top?.identity.local, describeCulprits(hits)).toMatch(new RegExp(`:${port}$`));
    expect(top!.identity.pid).toBe(owner);
    expect(top!.value).toBeGreaterThan(100);
  });
});

/** A listener with backlog 1 that never calls accept(); prints its port. */
const LISTENER = `import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(30)`;
/** Opens connections to the port, without closing them, every 20 ms. */
const CONNECTOR = `import socket, sys, time
port = int(sys.argv[1]); keep = []
for _ in range(800):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    keep.append(c); time.sleep(0.02)`;
/** A UDP socket with a 4 KiB receive buffer that never reads; prints its port. */
const UDP_SINK = `import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(('127.0.0.1', 0)); print(s.getsockname()[1], flush=True)
time.sleep(30)`;
const UDP_FLOOD = `import socket, sys, time
port = int(sys.argv[1]); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); end = time.time() + 15
while time.time() < end:
    for _ in range(200): s.sendto(b'x' * 512, ('127.0.0.1', port))
    time.sleep(0.005)`;

/** The first line a workload prints (its port). */
function portOf(c: import('node:child_process').ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the workload printed no port in 5 s')), 5000);
    c.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
}

