import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firewallCollector } from '../../../collectors/commands/firewall/collector.js';
import { acrossNetns, listNetns, netnsOfPid, netnsStatusTable } from '../../../collectors/commands/netns.js';
import { qdiscsCollector } from '../../../collectors/commands/qdiscs/collector.js';
import { socketsCollector } from '../../../collectors/commands/sockets/collector.js';
import type { Collector } from '../../../src/core/collector.js';
import { deriveModel, type ModelRow } from '../../../src/core/derive.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { collectSample } from '../../../src/core/sample.js';
import { liveRequirement } from '../../helpers/capabilities.js';

// test-group: shared (it checks only what it made in its own network namespaces and cgroups (exact counters of its own traffic, rules and kills), never the host's load): it runs beside another file (vitest.config.ts)

/*
 * Live: two network namespaces of our own joined by a veth pair; a tbf qdisc that drops, an
 * nftables rule, an iptables (nft backend) rule and an iptables-legacy rule that drop UDP, a
 * listening socket whose accept queue overflows and a UDP socket that drops, all made here and
 * removed in afterAll. diag must see each counter move in the right namespace. Traffic only
 * between our namespaces and to their own loopback, bounded in count or time.
 */
const need = liveRequirement('root', 'cmd:ip', 'cmd:nsenter', 'cmd:tc', 'cmd:nft', 'cmd:iptables', 'cmd:iptables-legacy', 'cmd:ss', 'cmd:unshare');

const tag = `${process.pid}`;
const NS_A = `diagt-cmds-${tag}-a`;
const NS_B = `diagt-cmds-${tag}-b`;
const NS_C = `diagt-cmds-${tag}-c`;
const IF_A = `dtc${tag}a`.slice(-15);
const IF_B = `dtc${tag}b`.slice(-15);
const ADDR_A = '10.213.7.1';
const ADDR_B = '10.213.7.2';
const NFT_TABLE = `diagt_cmds_${tag}`;
const AGENT = fileURLToPath(new URL('./netns-agent.mjs', import.meta.url));

const children: ChildProcess[] = [];
const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000, input }).toString();
const inNs = (ns: string, cmd: string, args: string[], input?: string) => sh('ip', ['netns', 'exec', ns, cmd, ...args], input);

/** A process living in a namespace (nsenter's target), ended by PID in afterAll. */
function hold(ns: string): number {
  const c = spawn('ip', ['netns', 'exec', ns, 'sleep', '300'], { stdio: 'ignore' });
  children.push(c);
  return c.pid!;
}

/** The agent in a namespace; resolves when it printed "ready". */
function agent(ns: string, args: string[]): Promise<ChildProcess> {
  const c = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`agent ${args.join(' ')} not ready`)), 10_000);
    createInterface({ input: c.stdout! }).on('line', (l) => {
      if (l === 'ready') {
        clearTimeout(t);
        resolve(c);
      }
    });
    c.on('exit', (code) => reject(new Error(`agent ${args.join(' ')} exited with ${code}`)));
  });
}

/** Run a bounded agent mode to completion (sending). */
const send = (ns: string, args: string[]) => inNs(ns, process.execPath, [AGENT, ...args]);

/**
 * UDP counters of the namespace of `pid`, read without diag's parsers (/proc/PID/net/snmp, the
 * value under each header of the Udp lines): SndbufErrors counts each datagram a qdisc dropped on
 * send (the kernel turns the qdisc's drop into that counter and tells the sender nothing),
 * NoPorts each one that arrived at a port nobody listens on.
 */
function udp(pid: number): { sndbufErrors: number; noPorts: number } {
  const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const head = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/);
  return { sndbufErrors: Number(vals[head.indexOf('SndbufErrors')]), noPorts: Number(vals[head.indexOf('NoPorts')]) };
}

/** ICMP destination-unreachable messages the namespace of `pid` sent (Icmp OutDestUnreachs). */
function icmpUnreach(pid: number): number {
  const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Icmp:'));
  return Number(lines[1]!.split(/\s+/)[lines[0]!.split(/\s+/).indexOf('OutDestUnreachs')]);
}

/** Polls until `cond` holds (a queue drained), failing with `what` after 10 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The count the agent's udp-flood prints ("sent N"). */
function sentCount(out: string): number {
  const m = /^sent (\d+)$/m.exec(out);
  if (!m) throw new Error(`the agent did not say what it sent: ${out}`);
  return Number(m[1]);
}

const src = new LiveSource();
let pidA = 0;
let pidB = 0;
let pidC = 0;

/** Rows of one table over a window in which `act` runs, observed in the namespace of `pid`. */
async function window(c: Collector, pid: number, table: string, act: () => Promise<void> | void): Promise<ModelRow[]> {
  const first = await collectSample([c], src, { sampleIndex: 0, netnsPid: pid });
  await act();
  const second = await collectSample([c], src, { sampleIndex: 1, netnsPid: pid });
  const rows = deriveModel([c], { first, second }).tables[table]!.rows;
  if (rows.status !== 'ok') throw new Error(`${table}: ${rows.status}: ${rows.reason}`);
  return rows.value;
}

describe.skipIf(need.skip)('command collectors in namespaces made by the test (live)', () => {
  beforeAll(() => {
    sh('ip', ['netns', 'add', NS_A]);
    sh('ip', ['netns', 'add', NS_B]);
    sh('ip', ['netns', 'add', NS_C]);
    sh('ip', ['link', 'add', IF_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', NS_B]);
    inNs(NS_A, 'ip', ['addr', 'add', `${ADDR_A}/24`, 'dev', IF_A]);
    inNs(NS_B, 'ip', ['addr', 'add', `${ADDR_B}/24`, 'dev', IF_B]);
    for (const [ns, dev] of [[NS_A, IF_A], [NS_B, IF_B]] as const) {
      inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
      inNs(ns, 'ip', ['link', 'set', dev, 'up']);
    }
    // A's egress: a slow tbf with a short queue drops a burst.
    inNs(NS_A, 'tc', ['qdisc', 'add', 'dev', IF_A, 'root', 'handle', '1:', 'tbf', 'rate', '100kbit', 'burst', '1600', 'limit', '3000']);
    // C's lo (a namespace of its own, so no other test's traffic crosses it): htb with a slow
    // default class whose pfifo drops a burst.
    inNs(NS_C, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(NS_C, 'tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '20']);
    inNs(NS_C, 'tc', ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', 'rate', '100kbit', 'ceil', '200kbit']);
    inNs(NS_C, 'tc', ['qdisc', 'add', 'dev', 'lo', 'parent', '1:20', 'handle', '20:', 'pfifo', 'limit', '5']);
    // A's input: an nftables rule that counts and drops UDP to port 9.
    inNs(NS_A, 'nft', ['-f', '-'], `table inet ${NFT_TABLE} {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    udp dport 9 counter drop comment "diag test"\n  }\n}\n`);
    // B's input: iptables (nft backend) drops UDP to 9, iptables-legacy drops UDP to 19.
    inNs(NS_B, 'iptables', ['-A', 'INPUT', '-p', 'udp', '--dport', '9', '-j', 'DROP']);
    inNs(NS_B, 'iptables-legacy', ['-A', 'INPUT', '-p', 'udp', '--dport', '19', '-j', 'DROP']);
    pidA = hold(NS_A);
    pidB = hold(NS_B);
    pidC = hold(NS_C);
  });

  afterAll(() => {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
    for (const ns of [NS_A, NS_B, NS_C]) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  });

  it('sees the tbf qdisc drop packets on the veth in namespace A, and only there', async () => {
    // the neighbour resolved before the window: no datagram waits for (or is lost to) ARP in it
    inNs(NS_A, 'ping', ['-c', '1', '-W', '2', ADDR_B]);
    const a0 = udp(pidA);
    const b0 = udp(pidB);
    let sent = 0;
    const rows = await window(qdiscsCollector, pidA, 'qdiscs', async () => {
      // 400 ms of 1000-byte datagrams as fast as they go; the agent says how many it sent
      sent = sentCount(send(NS_A, ['udp-flood', ADDR_B, '7', '400']));
      // every datagram either dropped by the qdisc or arrived at B's closed port 7: the queue drained
      await until(() => udp(pidA).sndbufErrors - a0.sndbufErrors + (udp(pidB).noPorts - b0.noPorts) >= sent, 'the tbf queue to drain');
    });
    const tbf = rows.find((r) => r.labels.dev === IF_A && r.labels.kind === 'tbf');
    expect(tbf, JSON.stringify(rows.map((r) => r.key))).toBeDefined();
    expect(tbf!.key).toBe(`${IF_A} 1: root`);
    // exactly the datagrams the kernel refused on send, and the 400 sent less those that arrived
    const dropped = udp(pidA).sndbufErrors - a0.sndbufErrors;
    expect(dropped).toBeGreaterThan(0);
    expect(tbf!.deltas.drops).toBe(dropped);
    expect(tbf!.deltas.drops).toBe(sent - (udp(pidB).noPorts - b0.noPorts));
    expect(tbf!.deltas.packets).toBeGreaterThan(0);
    expect(tbf!.values.drop_pct).toBeGreaterThan(0);
    // diag's own namespace has no such device
    const host = await qdiscsCollector.collect(src, { sampleIndex: 0 });
    expect(host.qdiscs!.status).toBe('ok');
    expect(host.qdiscs!.status === 'ok' && host.qdiscs!.value.map((r) => r.labels?.dev)).not.toContain(IF_A);
  });

  it('sees which htb class drops in namespace C', async () => {
    const c0 = udp(pidC);
    const i0 = icmpUnreach(pidC);
    const rows = await window(qdiscsCollector, pidC, 'qdisc_classes', async () => {
      const sent = sentCount(send(NS_C, ['udp-flood', '127.0.0.1', '7', '300']));
      await until(() => {
        const c = udp(pidC);
        return c.sndbufErrors - c0.sndbufErrors + (c.noPorts - c0.noPorts) >= sent;
      }, 'the htb class to drain');
    });
    const cls = rows.find((r) => r.key === 'lo 1:20');
    expect(cls, JSON.stringify(rows.map((r) => r.key))).toBeDefined();
    expect(cls!.labels).toMatchObject({ kind: 'htb', leaf: '20:', parent: 'root' });
    // the UDP datagrams refused on send, plus any of the port-unreachable replies (which cross
    // the same lo and class) that the class dropped too
    const dropped = udp(pidC).sndbufErrors - c0.sndbufErrors;
    expect(dropped).toBeGreaterThan(0);
    expect(cls!.deltas.drops).toBeGreaterThanOrEqual(dropped);
    expect(cls!.deltas.drops).toBeLessThanOrEqual(dropped + (icmpUnreach(pidC) - i0));
  });

  it('sees the nftables drop rule in namespace A count exactly the datagrams sent to it', async () => {
    const rows = await window(firewallCollector, pidA, 'firewall_rules', () => void send(NS_B, ['udp-send', ADDR_A, '9', '20']));
    const rule = rows.find((r) => r.labels.backend === 'nft' && r.labels.table === `inet ${NFT_TABLE}`);
    expect(rule, JSON.stringify(rows.map((r) => r.key))).toBeDefined();
    expect(rule!.labels).toMatchObject({ chain: 'input', verdict: 'drop', rule: 'udp dport 9 counter drop', comment: 'diag test' });
    expect(rule!.deltas.packets).toBe(20);
    expect(rule!.deltas.bytes).toBe(20 * 128); // 100 bytes of payload + UDP and IPv4 headers
  });

  it('sees the iptables rules of both backends in namespace B with their hits', async () => {
    // sent over B's own loopback: A's egress has the dropping tbf
    const rows = await window(firewallCollector, pidB, 'firewall_rules', () => {
      send(NS_B, ['udp-send', '127.0.0.1', '9', '15']);
      send(NS_B, ['udp-send', '127.0.0.1', '19', '25']);
    });
    const viaNft = rows.find((r) => r.key === 'iptables-nft:filter:INPUT:1');
    const legacy = rows.find((r) => r.key === 'iptables-legacy:filter:INPUT:1');
    expect(viaNft, JSON.stringify(rows.map((r) => r.key))).toBeDefined();
    expect(viaNft!.labels.rule).toBe('-A INPUT -p udp -m udp --dport 9 -j DROP');
    expect(viaNft!.deltas.packets).toBe(15);
    expect(legacy!.deltas.packets).toBe(25);
    // the iptables-nft rule is listed once, in iptables syntax, not again as an nft rule
    expect(rows.some((r) => r.labels.backend === 'nft' && r.labels.table === 'ip filter')).toBe(false);
  });

  it('shows an overflowing accept queue (Recv-Q against Send-Q) and UDP receive drops in namespace A', async () => {
    await agent(NS_A, ['listen', '127.0.0.1', '7070', '2', '8000']);
    await agent(NS_A, ['connect', '127.0.0.1', '7070', '6', '8000']);
    await agent(NS_A, ['udp-sink', '127.0.0.1', '7071', '8000']);
    const out = await (async () => {
      // the accept queue fills within a round trip; the sink drops as soon as its buffer is full
      await new Promise((r) => setTimeout(r, 200));
      return window(socketsCollector, pidA, 'tcp_sockets', () => void send(NS_A, ['udp-send', '127.0.0.1', '7071', '300']));
    })();
    const listen = out.find((r) => r.labels.state === 'LISTEN' && r.labels.local === '127.0.0.1:7070');
    expect(listen, JSON.stringify(out.map((r) => r.key))).toBeDefined();
    expect(listen!.values.accept_limit).toBe(2);
    expect(listen!.values.accept_queue).toBe(3); // the kernel lets the queue hold backlog + 1
    expect(listen!.values.accept_queue_pct).toBe(150);
    expect(listen!.labels.process).toBe('node');
    expect(out.filter((r) => r.labels.state === 'SYN-SENT' && r.labels.peer === '127.0.0.1:7070').length).toBeGreaterThan(0);
    const udp = await socketsCollector.collect(src, { sampleIndex: 0, netnsPid: pidA });
    const sink = udp.udp_sockets!.status === 'ok' ? udp.udp_sockets!.value.find((r) => r.labels?.local === '127.0.0.1:7071') : undefined;
    expect(sink, JSON.stringify(udp.udp_sockets)).toBeDefined();
    expect(sink!.values.drops).toBeGreaterThan(0);
    expect(sink!.values.recv_q).toBeGreaterThan(0);
  });

  it('labels rows with the namespace inode through acrossNetns, like --netns PID', async () => {
    const inode = netnsOfPid(src, pidA);
    expect(inode.status).toBe('ok');
    if (inode.status !== 'ok') return;
    const c = acrossNetns(qdiscsCollector, [{ inode: inode.value, pid: pidA, self: false }]);
    const out = await c.collect(src, { sampleIndex: 0 });
    const rows = out.qdiscs!.status === 'ok' ? out.qdiscs!.value : [];
    expect(rows.find((r) => r.labels?.dev === IF_A)).toMatchObject({ key: `${inode.value}/${IF_A} 1: root`, labels: { netns: inode.value } });
    const status = out[netnsStatusTable('qdiscs')]!;
    expect(status.status === 'ok' && status.value[0]!.labels).toMatchObject({ netns: inode.value, pid: String(pidA), status: 'ok' });
  });
});

describe.skipIf(need.skip)('--netns all with 100 network namespaces (live)', () => {
  const pids: number[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 100; i++) {
      // lo up, so each namespace has one qdisc to report (a down lo shows none)
      const c = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec sleep 300'], { stdio: 'ignore' });
      children.push(c);
      pids.push(c.pid!);
    }
    // wait until every process is in its own namespace with lo up (sh has exec'd sleep)
    const deadline = Date.now() + 15_000;
    for (;;) {
      const host = netnsOfPid(src, process.pid);
      const moved = pids.filter((p) => {
        const n = netnsOfPid(src, p);
        const comm = src.readFile(`/proc/${p}/comm`);
        return n.status === 'ok' && host.status === 'ok' && n.value !== host.value && comm.status === 'ok' && comm.value.trim() === 'sleep';
      });
      if (moved.length === pids.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(() => {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
  });

  it('collects qdiscs in every namespace that has a process and reports each one', async () => {
    const targets = listNetns(src);
    expect(targets.status).toBe('ok');
    if (targets.status !== 'ok') return;
    const ours = new Map<string, number>();
    for (const p of pids) {
      const n = netnsOfPid(src, p);
      if (n.status === 'ok') ours.set(n.value, p);
    }
    expect(ours.size).toBe(100);
    for (const inode of ours.keys()) expect(targets.value.some((t) => t.inode === inode)).toBe(true);
    const out = await acrossNetns(qdiscsCollector, targets.value).collect(src, { sampleIndex: 0 });
    const status = out[netnsStatusTable('qdiscs')]!;
    expect(status.status).toBe('ok');
    if (status.status !== 'ok') return;
    expect(status.value).toHaveLength(targets.value.length);
    for (const inode of ours.keys()) {
      expect(status.value.find((r) => r.key === inode)?.labels?.status).toBe('ok');
    }
    const rows = out.qdiscs!.status === 'ok' ? out.qdiscs!.value : [];
    // a fresh namespace has only lo, with its noqueue root qdisc
    for (const inode of ours.keys()) expect(rows.find((r) => r.key === `${inode}/lo 0: root`)?.labels?.kind).toBe('noqueue');
  });
});
