import { copyFileSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';
import { expectFinding, runDiag, sh, until, Workloads } from './helpers.js';

/**
 * `diag run playbook config` against settings planted for real on this host, each restored in
 * `finally`:
 *  (a) a network namespace of ours with net.core.somaxconn 64 (the namespace's own) and a
 *      Python listener asking listen(511) that never accepts, flooded with connects over the
 *      namespace's loopback: the backlog cut to 64, the full accept queue and the overflows, each
 *      naming that socket in that namespace with its process;
 *  (b) nf_conntrack_max lowered to 100 (host-wide, restored) while a namespace of ours holds 90
 *      tracked entries (conntrack -I, no traffic): 90 % at the namespace's exact scope;
 *  (c) transparent hugepages "always" and vm.overcommit_memory 0 with a process named
 *      redis-server running: both Redis settings found on that PID;
 *  (d) fs.file-max lowered to just above the handles allocated (root is exempt from it: nothing
 *      here fails to open a file), found at setting:fs.file-max;
 *  (e) the positive control: a namespace with a listener asking listen(511) under the default
 *      somaxconn, accepting nothing but unloaded, and no other plant: no finding of the playbook.
 */
const req = liveRequirement('root', 'cmd:unshare', 'cmd:nsenter', 'cmd:ip', 'cmd:ss', 'cmd:conntrack', 'cmd:python3', 'cmd:sysctl');
const work = new Workloads();
const tmp = mkdtempSync(join(tmpdir(), `diagt-cfg-${process.pid}-`));
afterEach(() => work.stop());
afterAll(async () => {
  await work.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const inodeOf = (pid: number) => /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]!;
const own = readlinkSync('/proc/self/ns/net');

/** Wait for a process we started to be inside a network namespace of its own, running `comm`. */
async function inOwnNetns(pid: number, comm: string): Promise<void> {
  await until(() => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) !== own && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  }, 10_000, `process ${pid} (${comm}) in a network namespace of its own`);
}

/** A file under /proc/sys or /sys, written for the duration of `fn` and restored after it, whatever happens. */
async function withSetting<T>(path: string, value: string, fn: () => Promise<T>): Promise<T> {
  const before = readFileSync(path, 'utf8').trim();
  // THP files show every mode with the selected one in brackets: restore the selected one
  const restore = /\[([a-z]+)\]/.exec(before)?.[1] ?? before;
  writeFileSync(path, value);
  try {
    return await fn();
  } finally {
    writeFileSync(path, restore);
  }
}

/**
 * A listener in a namespace of its own: lo up, the namespace's somaxconn set, then Python binds
 * 127.0.0.1:PORT with listen(511) and never accepts; with `flood`, it connects to itself every
 * 20 ms (non-blocking, at most 3,000 attempts, closing the oldest beyond 400) so the accept
 * queue fills and every later SYN overflows it. Ends by itself after 90 s.
 */
function listener(somaxconn: number, flood: boolean): { pid: number; port: number } {
  const port = 5000 + (process.pid % 1000);
  const py = [
    'import socket, time, collections',
    `s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen(511)`,
    'held = collections.deque()',
    'end = time.time() + 90',
    'n = 0',
    'while time.time() < end:',
    `    if ${flood ? 'True' : 'False'} and n < 3000:`,
    '        c = socket.socket(); c.setblocking(False)',
    `        try: c.connect(("127.0.0.1", ${port}))`,
    '        except BlockingIOError: pass',
    '        held.append(c); n += 1',
    '        if len(held) > 400: held.popleft().close()',
    '    time.sleep(0.02)',
  ].join('\n');
  const c = work.start('unshare', ['--net', '--', 'sh', '-c', `ip link set lo up && sysctl -qw net.core.somaxconn=${somaxconn} && exec python3 -c "$1"`, 'sh', py]);
  return { pid: c.pid!, port };
}

/** Recv-Q and Send-Q of the listener, read inside its namespace with ss (not diag). */
function queueOf(pid: number, port: number): { queued: number; backlog: number } | undefined {
  const out = sh('nsenter', ['-t', String(pid), '-n', 'ss', '-Hltn', `sport = :${port}`]);
  const f = out.trim().split(/\s+/);
  return f[0] === 'LISTEN' ? { queued: Number(f[1]), backlog: Number(f[2]) } : undefined;
}

describe.skipIf(req.skip)('config playbook, planted settings', () => {
  it('names the socket whose backlog its namespace cut, its full queue and the overflows, with the process', async () => {
    const { pid, port } = listener(64, true);
    await inOwnNetns(pid, 'python3');
    const inode = inodeOf(pid);
    // the kernel's own view: backlog 64 (511 cut), and more waiting than it (full) under the flood
    await until(() => {
      const q = queueOf(pid, port);
      return q !== undefined && q.backlog === 64 && q.queued > 64;
    }, 15_000, 'the accept queue full at backlog 64 (ss inside the namespace)');
    const r = await runDiag('config');
    const scope = `netns:${inode}/socket:127.0.0.1:${port}`;
    const [capped] = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'netns-listen-backlog-capped', scope, min: 'warning' });
    expect(capped!.title).toContain(`python3 PID ${pid}): backlog 64 cut to that namespace's net.core.somaxconn 64`);
    const [full] = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'netns-listen-queue-full', scope, min: 'critical' });
    expect(full!.evidence.labels).toMatchObject({ netns: inode, pid: String(pid), process: 'python3' });
    const [over] = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'netns-listen-overflows', scope: `netns:${inode}`, min: 'warning' });
    expect(over!.culprits?.map((c) => c.entity.id)).toContain(scope);
    // nothing at the host's own sockets: the cap is the namespace's, not diag's
    expect(r.report.findings.filter((f) => f.check === 'listen-backlog-capped')).toEqual([]);
  });

  it("finds a namespace's conntrack table near nf_conntrack_max at its exact scope", async () => {
    const holder = work.start('unshare', ['--net', '--', 'sleep', '90']);
    await inOwnNetns(holder.pid!, 'sleep');
    const inode = inodeOf(holder.pid!);
    const entries = () => parseInt(readFileSync(`/proc/${holder.pid!}/net/stat/nf_conntrack`, 'utf8').split('\n')[1]!.trim().split(/\s+/)[0]!, 16);
    const r = await withSetting('/proc/sys/net/netfilter/nf_conntrack_max', '100', async () => {
      for (let i = 0; i < 90; i++) {
        sh('nsenter', ['-t', String(holder.pid!), '-n', 'conntrack', '-I', '-p', 'udp', '-s', '127.0.0.1', '-d', '127.0.0.2', '--sport', String(20000 + i), '--dport', '9', '-t', '120'], undefined);
      }
      await until(() => entries() === 90, 10_000, "90 entries in the namespace's conntrack table (/proc/PID/net/stat/nf_conntrack)");
      return runDiag('config');
    });
    const [f] = expectFinding(r, { resource: 'network', kind: 'utilization', check: 'netns-conntrack-max-use', scope: `netns:${inode}/setting:net.netfilter.nf_conntrack_max`, min: 'warning' });
    expect(f!.evidence.value).toBe(90);
    expect(f!.title).toContain('nf_conntrack_max 100 in PID');
  });

  it('finds transparent hugepages "always" and overcommit 0 on the redis-server process', async () => {
    const bin = join(tmp, 'redis-server');
    copyFileSync('/bin/sleep', bin);
    sh('chmod', ['755', bin]);
    const redis = work.start(bin, ['90']);
    await until(() => {
      try {
        return readFileSync(`/proc/${redis.pid!}/comm`, 'utf8').trim() === 'redis-server';
      } catch {
        return false;
      }
    }, 5_000, 'redis-server running');
    const r = await withSetting('/sys/kernel/mm/transparent_hugepage/enabled', 'always', () => withSetting('/proc/sys/vm/overcommit_memory', '0', () => runDiag('config')));
    const scope = `process:${redis.pid!}`;
    const [thp] = expectFinding(r, { resource: 'memory', kind: 'saturation', check: 'database-thp', scope, min: 'warning' });
    expect(thp!.title).toBe(`Redis (redis-server PID ${redis.pid!}) runs with transparent hugepages 'always'`);
    const [oc] = expectFinding(r, { resource: 'memory', kind: 'errors', check: 'redis-overcommit', scope, min: 'warning' });
    expect(oc!.title).toBe(`Redis (redis-server PID ${redis.pid!}) runs with vm.overcommit_memory = 0`);
  });

  it('finds fs.file-max near the handles allocated', async () => {
    const allocated = Number(readFileSync('/proc/sys/fs/file-nr', 'utf8').trim().split(/\s+/)[0]);
    const r = await withSetting('/proc/sys/fs/file-max', String(Math.ceil(allocated * 1.05)), () => runDiag('config'));
    const [f] = expectFinding(r, { resource: 'fds', kind: 'utilization', check: 'file-max-use', scope: 'setting:fs.file-max', min: 'warning' });
    expect(f!.evidence.value).toBeGreaterThanOrEqual(80);
  });

  it('positive control: a listener under the default somaxconn and no plant raise nothing', async () => {
    const { pid, port } = listener(4096, false);
    await inOwnNetns(pid, 'python3');
    const inode = inodeOf(pid);
    await until(() => queueOf(pid, port)?.backlog === 511, 10_000, 'the listener at backlog 511');
    // the control's socket is seen, in its namespace, with the backlog it asked for (not cut)
    const collected = await diag(['collect', 'config', '--json']);
    const rows = z.object({ tables: z.object({ netns_listen_backlog: z.object({ rows: z.array(z.object({ scope: z.string(), values: z.record(z.string(), z.number().nullable()) })) }) }) }).parse(JSON.parse(collected.stdout)).tables.netns_listen_backlog.rows;
    expect(rows.find((x) => x.scope === `netns:${inode}/socket:127.0.0.1:${port}`)?.values).toMatchObject({ backlog: 511, somaxconn: 4096, capped: 0, queued: 0 });
    const r = await runDiag('config');
    expect(r.report.findings).toEqual([]);
    expect(r.report.status).toBe('ok');
    expect(r.code).toBe(0);
    const judged = r.report.coverage.find((c) => c.resource === 'network' && c.kind === 'saturation');
    expect(judged?.status).toBe('ok');
  });
});
