import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeRunnerForCli } from '../../src/cli/probe-runner.js';
import { LiveSource } from '../../src/core/live-source.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';

/** Copy a /proc file as `cp` would (procfs reports size 0: copyFileSync would copy nothing). */
function copyProcFile(from: string, to: string): void {
  writeFileSync(to, readFileSync(from));
}

interface Table {
  status: string;
  code?: string;
  reason?: string;
  rows?: Array<{ key: string; labels: Record<string, string>; values: Record<string, number | null> }>;
}
interface CollectDoc {
  tables: Record<string, Table>;
}
interface ReportDoc {
  findings: Array<{ check: string; scope: string }>;
  unavailable: Array<{ collector: string; table?: string; code?: string; reason: string }>;
}

/**
 * --root DIR on a tree that is not a running host (files copied out of /proc, as in an extracted
 * archive): the command collectors and statfs must say so, never report the machine diag runs on.
 */
describe('--root on a copied tree', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dhon-copy-'));
    mkdirSync(join(dir, 'proc/net'), { recursive: true });
    mkdirSync(join(dir, 'proc/self'), { recursive: true });
    for (const f of ['stat', 'meminfo', 'vmstat', 'loadavg', 'uptime', 'diskstats', 'filesystems']) copyProcFile(`/proc/${f}`, join(dir, 'proc', f));
    for (const f of ['dev', 'snmp', 'snmp6', 'netstat', 'sockstat', 'softnet_stat']) copyProcFile(`/proc/net/${f}`, join(dir, 'proc/net', f));
    writeFileSync(join(dir, 'proc/self/mountinfo'), readFileSync('/proc/self/mountinfo'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const refused = () => `${dir} is not a running host's root: commands would describe this machine`;

  it('diag run playbook network: every command collector unavailable with the reason, no finding from one', async () => {
    const r = await diag(['run', 'playbook', 'network', '--json', '--window', '0.2s', '--root', dir], { timeoutMs: 90_000 });
    expect(r.stderr).not.toMatch(/error/i);
    const doc = JSON.parse(r.stdout) as ReportDoc;
    const commandTables = ['qdiscs', 'qdisc_classes', 'firewall_rules', 'firewall_policies', 'kernel_log', 'oom_kills'];
    for (const t of commandTables) {
      const u = doc.unavailable.find((x) => x.table === t);
      expect({ code: u?.code, reason: u?.reason }, t).toEqual({ code: 'not-captured', reason: refused() });
    }
    // nothing judged from a command: no qdisc, firewall or kernel-log finding of this machine
    expect(doc.findings.filter((f) => /qdisc|firewall|kernel|nft|iptables/.test(f.check))).toEqual([]);
  });

  it('diag collect sockets, qdiscs, nic: unavailable (not-captured) with the reason, no rows', async () => {
    // the copy lists interfaces (nic has names to examine), read from its own files
    const nd = JSON.parse((await diag(['collect', 'netdev', '--json', '--root', dir], { timeoutMs: 60_000 })).stdout) as CollectDoc;
    expect(nd.tables.netdev?.rows?.map((x) => x.key)).toContain('lo');
    for (const c of ['sockets', 'qdiscs', 'nic']) {
      const r = await diag(['collect', c, '--json', '--root', dir], { timeoutMs: 60_000 });
      const doc = JSON.parse(r.stdout) as CollectDoc;
      for (const [id, t] of Object.entries(doc.tables)) {
        expect({ id, status: t.status, code: t.code, reason: t.reason, rows: t.rows?.length ?? 0 }).toEqual({ id, status: 'unavailable', code: 'not-captured', reason: refused(), rows: 0 });
      }
    }
  });

  it('BPF probes (drill-downs) do not run: they would attach to this machine\'s kernel', async () => {
    const runner = await probeRunnerForCli(new LiveSource({ root: dir }));
    expect(await runner.run('runqlat', 100)).toMatchObject({ status: 'unavailable', code: 'not-captured', reason: `${dir} is not a running host's root: BPF probes would describe this machine` });
    // the source's own BPF capability (probe collectors, drill-downs) refuses too, never asking the runner lent to it
    let asked = 0;
    const src = new LiveSource({ root: dir, bpf: { run: () => ((asked += 1), Promise.reject(new Error('ran'))) } });
    expect(await src.bpf!.run({ probe: 'runqlat', durationMs: 100 })).toMatchObject({ status: 'unavailable', code: 'not-captured', reason: `${dir} is not a running host's root: BPF probes would describe this machine` });
    expect(asked).toBe(0);
  });

  it('diag collect filesystem: the copy\'s mounts, each without statfs numbers and saying why', async () => {
    const r = await diag(['collect', 'filesystem', '--json', '--root', dir], { timeoutMs: 60_000 });
    const doc = JSON.parse(r.stdout) as CollectDoc;
    const rows = doc.tables.filesystem?.rows ?? [];
    expect(rows.map((x) => x.key)).toContain('/');
    for (const row of rows) {
      expect(row.labels.statfs).toBe(`${dir} is not a running host's root: statfs would describe this machine's filesystems`);
      expect(row.values.size_bytes ?? null).toBeNull();
      expect(row.values.used_pct ?? null).toBeNull();
    }
  });
});

/**
 * --root DIR on a running system's root seen from another network namespace, as from a debug
 * container: DIR is a bind of / with a procfs of its own PID namespace mounted at DIR/proc, whose
 * PID 1 stays in this machine's ("the host's") network namespace, and diag runs inside the
 * network namespace dhon-x-PID. (A procfs of a new PID namespace, because the init of a sandbox
 * may refuse to have its namespaces opened, even by root.) An interface (dhon-host0) with a tbf
 * qdisc and a listening socket exist only in the host's namespace: diag must find them (tc and ss
 * entered it through DIR/proc/1, /proc/net read as PID 1's), and without --root must not.
 */
const req = liveRequirement('root', 'cmd:ip', 'cmd:tc', 'cmd:unshare', 'cmd:nsenter', 'cmd:ss');
const NS = `dhon-x-${process.pid}`;
const IFACE = 'dhon-host0';
const PEER = 'dhon-host0p';

describe.skipIf(req.skip)('--root on a live host root, diag in another network namespace', () => {
  let dir = '';
  let server: Server | undefined;
  let port = 0;

  const sh = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { timeout: 10_000, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dhon-hostroot-'));
    sh('ip', ['netns', 'add', NS]);
    // a veth pair with both ends in the host's namespace (this kernel may lack the dummy driver)
    sh('ip', ['link', 'add', IFACE, 'type', 'veth', 'peer', 'name', PEER]);
    sh('ip', ['link', 'set', IFACE, 'up']);
    sh('tc', ['qdisc', 'add', 'dev', IFACE, 'root', 'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms']);
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    spawnSync('ip', ['link', 'del', IFACE], { timeout: 10_000 });
    spawnSync('ip', ['netns', 'del', NS], { timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * diag inside NS with --root DIR. In private mount and PID namespaces (gone when the command
   * ends): bind / at DIR, mount the new PID namespace's procfs at DIR/proc, and run (not exec:
   * sh stays PID 1, in the host's network namespace) `ip netns exec NS diag ...`. Fixed script
   * text; paths and arguments are passed as arguments.
   */
  async function diagInNetns(args: readonly string[]) {
    const script = 'mount --rbind / "$1" && mount -t proc proc "$1/proc" && shift && "$@"; exit $?';
    const bin = join(process.cwd(), 'bin/diag.js');
    const r = spawnSync('timeout', ['-k', '5', '80', 'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', 'sh', '-c', script, 'sh', dir, 'ip', 'netns', 'exec', NS, process.execPath, bin, ...args], {
      encoding: 'utf8',
      timeout: 90_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('tc (qdiscs) and /proc/net/dev (netdev) describe the host, not the namespace diag runs in', async () => {
    const q = await diagInNetns(['collect', 'qdiscs', '--json', '--root', dir]);
    expect(q.stderr).toBe('');
    const qd = JSON.parse(q.stdout) as CollectDoc;
    expect(qd.tables.qdiscs?.status).toBe('ok');
    expect(qd.tables.qdiscs?.rows?.filter((x) => x.labels.dev === IFACE).map((x) => x.labels.kind)).toEqual(['tbf']);

    const n = await diagInNetns(['collect', 'netdev', '--json', '--root', dir]);
    const nd = JSON.parse(n.stdout) as CollectDoc;
    expect(nd.tables.netdev?.rows?.map((x) => x.key)).toContain(IFACE);

    // control: the same run without --root sees only the namespace's own loopback
    const c = await diagInNetns(['collect', 'qdiscs', '--json']);
    const cd = JSON.parse(c.stdout) as CollectDoc;
    expect(cd.tables.qdiscs?.rows?.some((x) => x.labels.dev === IFACE)).toBe(false);
    const cn = JSON.parse((await diagInNetns(['collect', 'netdev', '--json'])).stdout) as CollectDoc;
    expect(cn.tables.netdev?.rows?.map((x) => x.key)).toEqual(['lo']);
  });

  it('ss (sockets) lists the host\'s listening socket', async () => {
    const s = await diagInNetns(['collect', 'sockets', '--json', '--root', dir]);
    const sd = JSON.parse(s.stdout) as CollectDoc;
    expect(sd.tables.tcp_sockets?.status).toBe('ok');
    expect(sd.tables.tcp_sockets?.rows?.some((x) => x.labels.state === 'LISTEN' && x.labels.local === `127.0.0.1:${port}`)).toBe(true);
    const c = JSON.parse((await diagInNetns(['collect', 'sockets', '--json'])).stdout) as CollectDoc;
    expect(c.tables.tcp_sockets?.rows?.some((x) => x.labels.local === `127.0.0.1:${port}`)).toBe(false);
  });
});
