import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { expectFinding, PREFIX, runDiag, sh, shQuiet, sleep, until, Workloads } from './helpers.js';

/**
 * Network faults, each in a network namespace of our own (loopback traffic only, never another
 * address): TCP retransmits from 10% packet loss on the namespace's lo (netem; kernels built
 * without sch_netem, like this CI VM's, get the same loss from an iptables `statistic` rule),
 * packets dropped at a tbf qdisc, UDP packets dropped by an iptables rule, and listen-queue
 * overflows. Traffic generators are small Node scripts run
 * inside the namespace with timeout(1); namespaces are deleted in afterAll.
 *
 * Every finding is pinned to the namespace the test made (`netns:<inode>` of /run/netns/NAME),
 * never any namespace: a container on the runner or a namespace another file leaked would
 * satisfy `netns:\d+`. Each test starts what it needs (none relies on an earlier test) and waits
 * for the kernel's own count of the fault (segments sent, qdisc drops, the rule's counter,
 * ListenOverflows) before diag runs.
 */
const req = liveRequirement('root', 'cmd:ip', 'cmd:tc', 'cmd:iptables', 'cmd:timeout');
const NS_LOSS = `${PREFIX}-loss`;
const NS_FW = `${PREFIX}-fw`;
const NS_LISTEN = `${PREFIX}-lst`;
const NS_QDISC = `${PREFIX}-q`;
const ALL_NS = [NS_LOSS, NS_FW, NS_LISTEN, NS_QDISC];
let lossBy = '';
const work = new Workloads();

/** A TCP sender and sink on 127.0.0.1 inside the namespace, for `seconds`. */
const TCP_PAIR = `
const net = require('net');
const srv = net.createServer((s) => s.on('data', () => {}).on('error', () => {}));
srv.listen(5001, '127.0.0.1', () => {
  const c = net.connect(5001, '127.0.0.1');
  const chunk = Buffer.alloc(16384, 120);
  const pump = () => { while (c.write(chunk)) {} };
  c.on('drain', pump).on('connect', pump).on('error', () => {});
});`;

/** UDP datagrams to 127.0.0.1:5002 inside the namespace, ~2,000/s. */
const UDP_SENDER = `
const s = require('dgram').createSocket('udp4');
const m = Buffer.alloc(64, 65);
setInterval(() => { for (let i = 0; i < 20; i++) s.send(m, 5002, '127.0.0.1'); }, 10);`;

/** A listener with backlog 1 whose event loop is blocked, so it never accepts. */
const STUCK_LISTENER = `
require('net').createServer().listen({ port: 5003, host: '127.0.0.1', backlog: 1 }, () => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
});`;

/** Clients connecting to it, 400 a second. */
const CLIENTS = `
const net = require('net');
setInterval(() => { for (let i = 0; i < 20; i++) { const c = net.connect(5003, '127.0.0.1'); c.on('error', () => {}); setTimeout(() => c.destroy(), 2000); } }, 50);`;

function inNs(ns: string, seconds: number, script: string) {
  return work.start('ip', ['netns', 'exec', ns, 'timeout', '-s', 'KILL', String(seconds), process.execPath, '-e', script]);
}

/** PID of the node process inside a namespace (ip netns exec -> timeout -> node). */
function nsPids(ns: string): number[] {
  return sh('ip', ['netns', 'pids', ns])
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

/** TCP segments sent so far inside the namespace (its /proc/PID/net/snmp), or undefined. */
function outSegs(ns: string): number | undefined {
  const pid = nsPids(ns)[0];
  if (pid === undefined) return undefined;
  let snmp: string;
  try {
    snmp = readFileSync(`/proc/${pid}/net/snmp`, 'utf8');
  } catch {
    return undefined;
  }
  const [head, vals] = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  const i = head?.split(/\s+/).indexOf('OutSegs') ?? -1;
  const v = i > 0 ? Number(vals?.split(/\s+/)[i]) : NaN;
  return Number.isFinite(v) ? v : undefined;
}

/** Waits (at most 10 s) until the namespace sends TCP segments: a busy CI host can take a while to start node there. */
async function tcpFlowing(ns: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const a = outSegs(ns);
    await sleep(200);
    const b = outSegs(ns);
    if (a !== undefined && b !== undefined && b - a > 100) return;
  }
  throw new Error(`no TCP traffic in ${ns} after 10 s: the sender did not start`);
}

/** Inode of a named network namespace: the id in diag's `netns:<inode>` scopes. */
const inode = (ns: string): number => statSync(`/run/netns/${ns}`).ino;

/** `ip netns exec NS CMD...` output. */
const inNsOut = (ns: string, cmd: string, ...args: string[]): string => sh('ip', ['netns', 'exec', ns, cmd, ...args]);

/** Packets dropped by the root qdisc of lo in the namespace (`tc -s qdisc`: "dropped N"). */
const qdiscDrops = (ns: string): number => Number(/dropped (\d+)/.exec(inNsOut(ns, 'tc', '-s', 'qdisc', 'show', 'dev', 'lo'))?.[1] ?? 0);

/** Packets counted by rule 1 of INPUT in the namespace (iptables -nvxL: first column). */
const ruleHits = (ns: string): number => Number(inNsOut(ns, 'iptables', '-nvxL', 'INPUT', '1').trim().split(/\s+/)[0] ?? 0);

/** A TcpExt counter of the namespace, read from a process inside it (/proc/PID/net/netstat). */
function tcpExt(ns: string, key: string): number {
  const pid = nsPids(ns)[0];
  if (pid === undefined) return 0;
  const [head, vals] = readFileSync(`/proc/${pid}/net/netstat`, 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const i = head?.split(/\s+/).indexOf(key) ?? -1;
  return i > 0 ? Number(vals?.split(/\s+/)[i]) : 0;
}

/** The TCP pair in NS_LOSS, started unless it already runs, and flowing. */
async function tcpPair(): Promise<void> {
  if (nsPids(NS_LOSS).length === 0) inNs(NS_LOSS, 30, TCP_PAIR);
  await tcpFlowing(NS_LOSS);
}

describe.skipIf(req.skip)('scenario: network', () => {
  beforeAll(() => {
    for (const ns of ALL_NS) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    try {
      sh('ip', ['netns', 'exec', NS_LOSS, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'loss', '10%']);
      lossBy = 'netem';
    } catch {
      // CONFIG_NET_SCH_NETEM=n: drop 10% of the segments to the sink with netfilter instead.
      sh('ip', ['netns', 'exec', NS_LOSS, 'iptables', '-A', 'INPUT', '-i', 'lo', '-p', 'tcp', '--dport', '5001', '-m', 'statistic', '--mode', 'random', '--probability', '0.1', '-j', 'DROP']);
      lossBy = 'iptables statistic';
    }
    sh('ip', ['netns', 'exec', NS_QDISC, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1mbit', 'burst', '5kb', 'limit', '5kb']);
    sh('ip', ['netns', 'exec', NS_FW, 'iptables', '-A', 'INPUT', '-i', 'lo', '-p', 'udp', '--dport', '5002', '-j', 'DROP', '-m', 'comment', '--comment', `${PREFIX} scenario`]);
  });

  afterAll(async () => {
    await work.stop();
    for (const ns of ALL_NS) shQuiet('ip', ['netns', 'delete', ns]);
  });

  it('finds TCP retransmits from 10% packet loss in a network namespace (network playbook, every netns)', async () => {
    await tcpPair();
    const r = await runDiag('network');
    const hits = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'netns-tcp-retransmits', scope: `netns:${inode(NS_LOSS)}` });
    expect(hits[0]!.evidence.value).toBeGreaterThan(2);
  });

  it('finds the same loss from inside the namespace (container --pid): retransmits', async () => {
    await tcpPair();
    const pid = nsPids(NS_LOSS)[0];
    expect(pid, 'the TCP pair runs in the namespace').toBeDefined();
    const r = await runDiag('container', ['--pid', String(pid)]);
    await work.stop();
    const ino = inode(NS_LOSS);
    const hits = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'ns-retransmits', scope: `netns:${ino}` });
    expect(hits[0]!.evidence.value, `loss planted by ${lossBy}`).toBeGreaterThan(2);
    if (lossBy === 'netem') expectFinding(r, { resource: 'network', kind: 'saturation', check: 'ns-qdisc-drops', scope: new RegExp(`^netns:${ino}/qdisc:lo\\b`) });
    else {
      const fw = expectFinding(r, { resource: 'network', kind: 'errors', check: 'ns-firewall-drops', scope: new RegExp(`^netns:${ino}/`) });
      expect(fw[0]!.evidence.labels).toMatchObject({ chain: 'INPUT', index: '1' });
      expect(fw[0]!.title).toContain('--dport 5001');
    }
  });

  it('finds packets dropped at a tbf qdisc that UDP traffic overruns (container --pid)', async () => {
    inNs(NS_QDISC, 30, UDP_SENDER);
    // under way: the tbf qdisc has dropped packets (tc's own count)
    await until(() => qdiscDrops(NS_QDISC) > 100, 15_000, `tbf drops in ${NS_QDISC}`);
    const pid = nsPids(NS_QDISC)[0];
    expect(pid).toBeDefined();
    const r = await runDiag('container', ['--pid', String(pid)]);
    await work.stop();
    const hits = expectFinding(r, { resource: 'network', kind: 'saturation', check: 'ns-qdisc-drops', scope: new RegExp(`^netns:${inode(NS_QDISC)}/qdisc:lo\\b`) });
    expect(hits[0]!.title).toContain('tbf');
  });

  it('finds UDP packets dropped by an iptables rule on loopback (container --pid of the sender)', async () => {
    inNs(NS_FW, 30, UDP_SENDER);
    // under way: the rule's own counter moves
    await until(() => ruleHits(NS_FW) > 100, 15_000, `the DROP rule's counter in ${NS_FW}`);
    const pid = nsPids(NS_FW)[0];
    expect(pid).toBeDefined();
    const r = await runDiag('container', ['--pid', String(pid)]);
    await work.stop();
    const hits = expectFinding(r, { resource: 'network', kind: 'errors', check: 'ns-firewall-drops', scope: new RegExp(`^netns:${inode(NS_FW)}/`) });
    // the planted rule: INPUT, position 1, its match and comment
    expect(hits[0]!.evidence.labels).toMatchObject({ chain: 'INPUT', index: '1', comment: `${PREFIX} scenario` });
    expect(hits[0]!.title).toContain('--dport 5002');
    expect(hits[0]!.evidence.value).toBeGreaterThan(100);
  });

  it('finds listen-queue overflows of a listener that never accepts (network playbook, every netns)', async () => {
    inNs(NS_LISTEN, 30, STUCK_LISTENER);
    // under way: the listener is bound (ss in the namespace shows it), then the queue overflows
    await until(() => inNsOut(NS_LISTEN, 'ss', '-Hltn', 'sport = :5003').includes('5003'), 15_000, `the listener on :5003 in ${NS_LISTEN}`);
    inNs(NS_LISTEN, 30, CLIENTS);
    await until(() => tcpExt(NS_LISTEN, 'ListenOverflows') > 10, 15_000, `ListenOverflows in ${NS_LISTEN}`);
    const r = await runDiag('network');
    await work.stop();
    expectFinding(r, { resource: 'network', kind: 'saturation', check: 'netns-listen-overflows', scope: `netns:${inode(NS_LISTEN)}` });
  });
});
