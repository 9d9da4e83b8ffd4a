import { execFile, execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netdevCollector } from '../../../collectors/procfs/netdev/collector.js';
import { netstackCollector } from '../../../collectors/procfs/netstack/collector.js';
import type { Collector } from '../../../src/core/collector.js';
import { deriveModel, type Model, type ModelRow } from '../../../src/core/derive.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { collectSample } from '../../../src/core/sample.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { liveRequirement } from '../../helpers/capabilities.js';

// test-group: shared (it checks only what it made in its own network namespaces and cgroups (exact counters of its own traffic, rules and kills), never the host's load): it runs beside another file (vitest.config.ts)

/*
 * Live: two network namespaces of our own joined by a veth pair, UDP traffic between them from a
 * small agent inside each, and diag reading the namespace through /proc/PID/net (CollectContext
 * .netnsPid) compared with sar run inside the same namespace on the same window. Traffic only
 * between our namespaces and to their own loopback.
 */
const need = liveRequirement('root', 'cmd:ip', 'cmd:sar', 'cmd:nsenter', 'cmd:sysctl', 'cmd:chrt');
const run = promisify(execFile);

const tag = `${process.pid}`;
const NS_A = `diagt-net-${tag}-a`;
const NS_B = `diagt-net-${tag}-b`;
// interface names: at most 15 bytes
const IF_A = `dtn${tag}a`.slice(-15);
const IF_B = `dtn${tag}b`.slice(-15);
// a second veth pair with one end in the host's namespace (no address there) to check the sysfs
// attributes and %ifutil; B sends to a static neighbour with a MAC that is not the host end's,
// so the host counts the frames and drops them before IP (never routed, whatever ip_forward says)
const IF_H = `dtn${tag}h`.slice(-15);
const IF_HB = `dtn${tag}c`.slice(-15);
const ADDR_H = '10.201.78.1';
const ADDR_HB = '10.201.78.2';
const OTHER_MAC = '02:00:00:d1:a9:01';
const ADDR_A = '10.201.77.1';
const ADDR_B = '10.201.77.2';
const CLOSED_PORT = 9;
const AGENT = fileURLToPath(new URL('./net-traffic-agent.mjs', import.meta.url));

type Reply = { ready?: boolean; pid?: number; done?: string; sent?: number; error?: string };

/** A traffic agent inside a namespace, driven by JSON lines; replies are consumed in order. */
class Agent {
  private readonly replies: Reply[] = [];
  private readonly waiters: Array<(r: Reply) => void> = [];
  pid = 0;
  constructor(readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as Reply;
      const w = this.waiters.shift();
      if (w) w(r);
      else this.replies.push(r);
    });
  }
  next(timeoutMs = 15_000): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('agent did not answer')), timeoutMs);
      this.waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }
  /** The next reply saying `done: kind`, skipping stale ones (e.g. of a test that failed early). */
  async done(kind: string): Promise<Reply> {
    for (;;) {
      const r = await this.next();
      if (r.done === kind || r.error !== undefined) return r;
    }
  }
  send(cmd: Record<string, unknown>): void {
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
  }
  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
  }
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const agents: Agent[] = [];

async function startAgent(ns: string): Promise<Agent> {
  const child = spawn('ip', ['netns', 'exec', ns, 'chrt', '-f', '20', process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const a = new Agent(child);
  agents.push(a);
  const hello = await a.next();
  if (!hello.ready || hello.pid === undefined || hello.pid !== child.pid) throw new Error(`agent in ${ns} did not start: ${JSON.stringify(hello)}`);
  a.pid = hello.pid;
  return a;
}

function cleanup(): void {
  for (const a of agents) a.stop();
  try {
    ip('link', 'del', IF_H);
  } catch {
    /* not created, or gone with its namespace */
  }
  for (const ns of [NS_A, NS_B]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      /* not created */
    }
  }
}

/**
 * Run a measurement with this test process's main thread at SCHED_FIFO, restored afterwards. On a
 * loaded 2-core host a reader preempted between taking its timestamp and reading the counters
 * skews a 1 s rate by the length of the preemption (tens of ms at load 10); sar runs SCHED_FIFO
 * too, so both sides sample on time. diag's own code is the same as always.
 */
async function realtime<T>(fn: () => Promise<T>): Promise<T> {
  execFileSync('chrt', ['-f', '-p', '20', String(process.pid)]);
  try {
    return await fn();
  } finally {
    execFileSync('chrt', ['-o', '-p', '0', String(process.pid)]);
  }
}

/** Two samples of one collector in the namespace of `netnsPid`, about `ms` apart. */
async function netnsWindow(c: Collector, netnsPid: number, ms: number, between?: () => Promise<void>): Promise<Model> {
  const src = new LiveSource();
  const first = await collectSample([c], src, { sampleIndex: 0, netnsPid });
  const t0 = performance.now();
  if (between) await between();
  const wait = ms - (performance.now() - t0);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const second = await collectSample([c], src, { sampleIndex: 1, netnsPid });
  return deriveModel([c], { first, second });
}

function row(m: Model, table: string, key: string): ModelRow {
  const t = m.tables[table]?.rows;
  if (t?.status !== 'ok') throw new Error(`${table}: ${t ? t.reason : 'missing'}`);
  const r = t.value.find((x) => x.key === key);
  if (!r) throw new Error(`${table}: no row ${key}`);
  return r;
}

/** The "Average:" line of `sar -n DEV` for one interface, by column name. */
function sarAverage(stdout: string, iface: string): Record<string, number> {
  const lines = stdout.split('\n').filter((l) => l.startsWith('Average:'));
  const head = lines.find((l) => / IFACE /.test(l))?.trim().split(/\s+/);
  const vals = lines.find((l) => l.trim().split(/\s+/)[1] === iface)?.trim().split(/\s+/);
  if (!head || !vals) throw new Error(`sar printed no line for ${iface}:\n${stdout}`);
  return Object.fromEntries(head.slice(2).map((h, i) => [h, Number(vals[i + 2])]));
}

/** One counter read straight from /proc/PID/net/{snmp,snmp6}, independently of diag's parsers. */
function snmpValue(pid: number, file: 'snmp' | 'snmp6', proto: string, name: string): number {
  const text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
  if (file === 'snmp6') {
    const m = new RegExp(`^${proto}${name}\\s+(\\d+)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${proto}${name} in snmp6`);
    return Number(m[1]);
  }
  const lines = text.split('\n').filter((l) => l.startsWith(`${proto}: `));
  const names = lines[0]!.split(/\s+/);
  return Number(lines[1]!.split(/\s+/)[names.indexOf(name)]);
}

describe.skipIf(need.skip)('netdev and netstack live, in a pair of network namespaces', () => {
  let a: Agent;
  let b: Agent;

  beforeAll(async () => {
    cleanup();
    ip('netns', 'add', NS_A);
    ip('netns', 'add', NS_B);
    ip('link', 'add', IF_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', NS_B);
    ip('-n', NS_A, 'addr', 'add', `${ADDR_A}/24`, 'dev', IF_A);
    ip('-n', NS_B, 'addr', 'add', `${ADDR_B}/24`, 'dev', IF_B);
    for (const [ns, dev] of [[NS_A, IF_A], [NS_B, IF_B]] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    ip('link', 'add', IF_H, 'type', 'veth', 'peer', 'name', IF_HB, 'netns', NS_B);
    ip('-n', NS_B, 'addr', 'add', `${ADDR_HB}/24`, 'dev', IF_HB);
    ip('-n', NS_B, 'link', 'set', IF_HB, 'up');
    ip('link', 'set', IF_H, 'up');
    ip('-n', NS_B, 'neigh', 'add', ADDR_H, 'lladdr', OTHER_MAC, 'dev', IF_HB, 'nud', 'permanent');
    a = await startAgent(NS_A);
    b = await startAgent(NS_B);
  });

  afterAll(cleanup);

  it('reports the veth rx/tx packets and bytes per second as sar -n DEV does in the namespace (within 2 %)', async () => {
    // A -> B 4,000 datagrams/s of 800 bytes, B -> A 2,500/s of 300 bytes, for 3 s (bounded). The
    // senders and sar run SCHED_FIFO: on a busy 2-core host a sender stalled by other work near a
    // window edge would make the two tools' (few ms apart) windows see different traffic.
    a.send({ op: 'flood', dest: ADDR_B, port: CLOSED_PORT, pps: 4000, size: 800, ms: 3000 });
    b.send({ op: 'flood', dest: ADDR_A, port: CLOSED_PORT, pps: 2500, size: 300, ms: 3000 });
    await new Promise((r) => setTimeout(r, 600));
    const sar = run('ip', ['netns', 'exec', NS_A, 'chrt', '-f', '20', 'sar', '-n', 'DEV', '1', '1'], { env: { ...process.env, LC_ALL: 'C' }, timeout: 10_000 });
    const m = await realtime(() => netnsWindow(netdevCollector, a.pid, 1000));
    const ref = sarAverage((await sar).stdout, IF_A);
    expect((await a.done('flood')).done).toBe('flood');
    expect((await b.done('flood')).done).toBe('flood');

    const r = row(m, 'netdev', IF_A);
    const ours = { 'rxpck/s': r.values.rx_packets, 'txpck/s': r.values.tx_packets, 'rxkB/s': r.values.rxkB_s, 'txkB/s': r.values.txkB_s };
    for (const [col, v] of Object.entries(ours)) {
      const want = ref[col]!;
      expect(v, col).toBeDefined();
      expect(Math.abs(v! - want) / want, `${col}: diag ${v!.toFixed(2)} vs sar ${want.toFixed(2)}`).toBeLessThan(0.02);
    }
    // the load is what we planted (not some other interface's or the host's traffic)
    expect(r.values.tx_packets).toBeGreaterThan(3000);
    expect(r.values.rx_packets).toBeGreaterThan(1800);
    expect(r.values.tx_packets).toBeLessThan(5000);
    // the host's eth0 or lo is not what we read: the namespace has only lo and the veth
    const t = m.tables.netdev!.rows;
    expect(t.status === 'ok' && t.value.map((x) => x.key).sort()).toEqual([IF_A, 'lo'].sort());
  });

  it('reads link attributes from sysfs and computes %ifutil as sar does on the host end of a veth', async () => {
    b.send({ op: 'flood', dest: ADDR_H, port: CLOSED_PORT, pps: 4000, size: 1400, ms: 3000 });
    await new Promise((r) => setTimeout(r, 600));
    const sar = run('chrt', ['-f', '20', 'sar', '-n', 'DEV', '1', '1'], { env: { ...process.env, LC_ALL: 'C' }, timeout: 10_000 });
    const m = deriveModel([netdevCollector], await realtime(() => collectWindow([netdevCollector], new LiveSource(), 1000)));
    const ref = sarAverage((await sar).stdout, IF_H);
    expect((await b.done('flood')).done).toBe('flood');

    const r = row(m, 'netdev', IF_H);
    expect(r.labels).toMatchObject({ operstate: 'up', duplex: 'full', virtual: 'yes', link_type: 'ether' });
    expect(r.labels.ifindex).toBe(readFileSync(`/sys/class/net/${IF_H}/ifindex`, 'utf8').trim());
    expect(r.values.speed).toBe(10000);
    expect(r.values.carrier).toBe(1);
    expect(r.values.mtu).toBe(1500);
    for (const [col, v] of [['rxpck/s', r.values.rx_packets], ['rxkB/s', r.values.rxkB_s]] as const) {
      const want = ref[col]!;
      expect(Math.abs(v! - want) / want, `${col}: diag ${v!.toFixed(2)} vs sar ${want.toFixed(2)}`).toBeLessThan(0.02);
    }
    expect(r.values.rx_packets).toBeGreaterThan(3000);
    // ~5.8 MB/s on a 10 Gb/s full-duplex link: ~0.46 %; sar prints two decimals
    const util = r.values.ifutil_pct!;
    expect(Math.abs(util - ref['%ifutil']!), `%ifutil: diag ${util.toFixed(4)} vs sar ${ref['%ifutil']}`).toBeLessThan(0.01 + 0.02 * ref['%ifutil']!);
    expect(util).toBeGreaterThan(0.3);
  });

  it('counts UDP datagrams to a closed loopback port as Udp.NoPorts and Udp6.NoPorts, equal to the /proc/PID/net deltas', async () => {
    const N = 500;
    const N6 = 300;
    const before = { v4: snmpValue(a.pid, 'snmp', 'Udp', 'NoPorts'), v6: snmpValue(a.pid, 'snmp6', 'Udp6', 'NoPorts') };
    const m = await netnsWindow(netstackCollector, a.pid, 600, async () => {
      a.send({ op: 'burst', dest: '127.0.0.1', port: CLOSED_PORT, count: N });
      expect((await a.done('burst')).done).toBe('burst');
      a.send({ op: 'burst', dest: '::1', port: CLOSED_PORT, count: N6 });
      expect((await a.done('burst')).done).toBe('burst');
    });
    const after = { v4: snmpValue(a.pid, 'snmp', 'Udp', 'NoPorts'), v6: snmpValue(a.pid, 'snmp6', 'Udp6', 'NoPorts') };
    expect(after.v4 - before.v4).toBe(N);
    expect(after.v6 - before.v6).toBe(N6);
    const udp = row(m, 'udp', 'host');
    expect(udp.deltas.NoPorts).toBe(N);
    expect(udp.deltas.InDatagrams).toBe(0);
    expect(udp.values.NoPorts).toBeGreaterThan(0);
    expect(row(m, 'udp6', 'host').deltas.NoPorts).toBe(N6);
  });

  it("reads the namespace's own stack limits through sysctl inside it, not the host's", async () => {
    const host = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const planted = host === 1234 ? 1235 : 1234;
    execFileSync('ip', ['netns', 'exec', NS_A, 'sysctl', '-q', '-w', `net.core.somaxconn=${planted}`]);
    const src = new LiveSource();
    const s = await collectSample([netstackCollector], src, { sampleIndex: 0, netnsPid: a.pid });
    const m = deriveModel([netstackCollector], s);
    const ns = row(m, 'netsysctl', 'host');
    expect(ns.values.somaxconn).toBe(planted);
    // global limits (absent inside a child namespace) are the host's
    expect(ns.values.netdev_max_backlog).toBe(Number(readFileSync('/proc/sys/net/core/netdev_max_backlog', 'utf8')));
    expect(Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'))).toBe(host);
    // and the host's own view is untouched
    const hostModel = deriveModel([netstackCollector], await collectSample([netstackCollector], src));
    expect(row(hostModel, 'netsysctl', 'host').values.somaxconn).toBe(host);
  });
});
