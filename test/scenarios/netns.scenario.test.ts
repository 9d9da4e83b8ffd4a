import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/report-schema.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { DIAG, expectFinding, runDiag, sh, shQuiet, until, Workloads, type DiagRun } from './helpers.js';

/**
 * Every network namespace in the default sweep (`use`) and in `network`, with no --pid: faults
 * planted for real in namespaces of our own, joined by veth pairs with link-local addresses
 * (169.254.0.0/16, never routed) or on a namespace's own loopback; no traffic leaves them.
 *  (a) a tbf qdisc dropping most packets on the veth of a namespace that a process holds;
 *  (b) an nftables rule dropping a UDP port inside a namespace;
 *  (c) a UDP socket that never reads, flooded over the namespace's loopback;
 *  (d) the tbf fault in an `ip netns add` namespace that no process lives in (a peer's TCP SYNs
 *      make it send resets through the tbf);
 *  (e) 20 quiet namespaces (10 held by a process, 10 by a bind mount) raise nothing.
 * Each asserts the finding at the namespace's exact scope (its inode, read with stat or from
 * /proc/PID/ns/net) and the culprit diag names. Workloads end by themselves (sleep, timeouts in
 * the scripts) and are killed by process group; namespaces are deleted in afterAll.
 */
const req = liveRequirement('root', 'cmd:ip', 'cmd:tc', 'cmd:nft', 'cmd:nsenter', 'cmd:unshare');
const TAG = `dnet-${process.pid}`;
/** Interface names stay under 15 characters. */
const IF = `dn${process.pid % 100000}`;
const NET = 100 + (process.pid % 100);
const work = new Workloads();
const named: string[] = [];

/** Each scenario alone: the floods of one must not load the host while the next is measured. */
async function cleanUp(): Promise<void> {
  await work.stop();
  for (const n of named.splice(0)) shQuiet('ip', ['netns', 'delete', n]);
}
afterEach(cleanUp);
afterAll(cleanUp);

const inodeOfPid = (pid: number) => /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]!;
/** The inode of an `ip netns add` namespace: stat of its bind mount (nsfs) gives it. */
const inodeOfName = (name: string) => String(statSync(`/run/netns/${name}`).ino);

function addNamed(name: string): string {
  sh('ip', ['netns', 'add', name]);
  named.push(name);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return inodeOfName(name);
}

/** A namespace held by a process of ours (no ip-netns name): `unshare --net sleep`, its lo up. */
async function holder(seconds = 120): Promise<{ pid: number; inode: string }> {
  const c = work.start('unshare', ['--net', '--', 'sleep', String(seconds)]);
  const pid = c.pid!;
  const own = readlinkSync('/proc/self/ns/net');
  await until(() => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) !== own && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    } catch {
      return false;
    }
  });
  sh('nsenter', ['-t', String(pid), '-n', 'ip', 'link', 'set', 'lo', 'up']);
  return { pid, inode: inodeOfPid(pid) };
}

/** `ip ARGS` inside a namespace given by name or by a process in it. */
const ipIn = (ns: string | number, args: readonly string[]) => (typeof ns === 'number' ? sh('nsenter', ['-t', String(ns), '-n', 'ip', ...args]) : sh('ip', ['-n', ns, ...args]));
const tcIn = (ns: string | number, args: readonly string[]) => (typeof ns === 'number' ? sh('nsenter', ['-t', String(ns), '-n', 'tc', ...args]) : sh('ip', ['netns', 'exec', ns, 'tc', ...args]));

/**
 * A veth pair between two namespaces, link-local addresses, and static neighbours on both ends
 * (a tbf that drops nearly everything would drop the ARP too). Returns the two addresses.
 */
function vethPair(a: string | number, b: string | number, ifA: string, ifB: string, subnet: number): [string, string] {
  const mac = (n: number) => `02:00:00:${(NET % 256).toString(16).padStart(2, '0')}:${subnet.toString(16).padStart(2, '0')}:0${n}`;
  sh('ip', ['link', 'add', ifA, 'address', mac(1), 'type', 'veth', 'peer', 'name', ifB, 'address', mac(2)]);
  const move = (ifn: string, ns: string | number) => sh('ip', ['link', 'set', ifn, 'netns', String(ns)]);
  move(ifA, a);
  move(ifB, b);
  const addrA = `169.254.${NET}.${subnet * 4 + 1}`;
  const addrB = `169.254.${NET}.${subnet * 4 + 2}`;
  ipIn(a, ['addr', 'add', `${addrA}/30`, 'dev', ifA]);
  ipIn(b, ['addr', 'add', `${addrB}/30`, 'dev', ifB]);
  ipIn(a, ['link', 'set', ifA, 'up']);
  ipIn(b, ['link', 'set', ifB, 'up']);
  ipIn(a, ['neigh', 'replace', addrB, 'lladdr', mac(2), 'dev', ifA, 'nud', 'permanent']);
  ipIn(b, ['neigh', 'replace', addrA, 'lladdr', mac(1), 'dev', ifB, 'nud', 'permanent']);
  return [addrA, addrB];
}

/** A tbf that lets ~1 kB/s through and queues 1600 bytes: nearly everything is dropped. */
const TBF = ['root', 'handle', '1:', 'tbf', 'rate', '8kbit', 'burst', '1600', 'limit', '1600'];

/** Start `node -e script` inside a namespace (nsenter execs node: the child is node itself). */
function nodeIn(ns: string | number, script: string): ChildProcess {
  const enter = typeof ns === 'number' ? ['-t', String(ns), '-n'] : [`--net=/run/netns/${ns}`];
  return work.start('nsenter', [...enter, '--', process.execPath, '-e', script]);
}

/** UDP datagrams to ADDR:PORT, ~1,000/s, for `seconds`. */
const udpFlood = (addr: string, port: number, seconds = 40) => `
const s = require('dgram').createSocket('udp4');
const m = Buffer.alloc(256, 65);
setInterval(() => { for (let i = 0; i < 10; i++) s.send(m, ${port}, '${addr}', () => {}); }, 10);
setTimeout(() => process.exit(0), ${seconds * 1000});`;

/** TCP connection attempts to a closed port (each answered by a reset), ~1,000/s, for `seconds`. */
const synFlood = (addr: string, seconds = 40) => `
const net = require('net');
setInterval(() => { for (let i = 0; i < 10; i++) { const c = net.connect({ host: '${addr}', port: 7 }); c.on('error', () => {}); setTimeout(() => c.destroy(), 1500); } }, 10);
setTimeout(() => process.exit(0), ${seconds * 1000});`;

/** Bind 127.0.0.1:PORT with a tiny receive buffer, then never read (the event loop blocked). */
const deafSink = (port: number, seconds = 60) => `
const s = require('dgram').createSocket('udp4');
s.bind(${port}, '127.0.0.1', () => { s.setRecvBufferSize(4096); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${seconds * 1000}); process.exit(0); });`;

/** Wait (at most 15 s) until `count` grows by more than 100 in 300 ms: the workload is running. */
async function growing(what: string, count: () => number | undefined): Promise<void> {
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    const a = count();
    await new Promise((r) => setTimeout(r, 300));
    const b = count();
    if (a !== undefined && b !== undefined && b - a > 100) return;
  }
  throw new Error(`${what} did not start growing within 15 s`);
}

/** Dropped packets of the root qdisc of IFACE in the namespace (tc -s -j). */
function qdiscDrops(ns: string | number, iface: string): number | undefined {
  try {
    const q = JSON.parse(tcIn(ns, ['-s', '-j', 'qdisc', 'show', 'dev', iface])) as { root?: boolean; drops?: number }[];
    return q.find((x) => x.root)?.drops;
  } catch {
    return undefined;
  }
}

/** A counter of /proc/PID/net/snmp ("Udp", "RcvbufErrors"). */
function snmp(pid: number, proto: string, field: string): number | undefined {
  try {
    const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith(`${proto}:`));
    const i = lines[0]!.split(/\s+/).indexOf(field);
    return Number(lines[1]!.split(/\s+/)[i]);
  } catch {
    return undefined;
  }
}

/** The one finding of `check` at exactly `scope`, in a run of both playbooks. */
function at(r: DiagRun, check: string, scope: string, resource: Finding['resource'] = 'network'): Finding {
  const kind = r.report.findings.find((f) => f.check === check)?.kind ?? 'saturation';
  const hits = expectFinding(r, { resource, kind, check, scope });
  expect(hits).toHaveLength(1);
  return hits[0]!;
}

describe.skipIf(req.skip)('scenario: every network namespace, by default (no --pid)', () => {
  it('(a) a tbf qdisc dropping most packets in a namespace a process holds: the qdisc, at the namespace\'s scope, with its device', async () => {
    const ns = await holder();
    const peer = addNamed(`${TAG}-ap`);
    const [, addrB] = vethPair(ns.pid, `${TAG}-ap`, `${IF}a`, `${IF}b`, 0);
    tcIn(ns.pid, ['qdisc', 'add', 'dev', `${IF}a`, ...TBF]);
    nodeIn(ns.pid, udpFlood(addrB, 9));
    await growing('tbf drops', () => qdiscDrops(ns.pid, `${IF}a`));
    const scope = `netns:${ns.inode}/qdisc:${IF}a 1: root`;
    for (const playbook of ['use', 'network']) {
      const r = await runDiag(playbook);
      const f = at(r, 'netns-qdisc-drops', scope);
      expect(f.title).toContain(`qdisc tbf on ${IF}a in `);
      // named by its process (it has no ip-netns name), the inode beside it, never alone
      expect(f.title).toContain(`(netns ${ns.inode})`);
      expect(f.title).not.toContain(`in ${ns.inode}`);
      expect(f.evidence.labels).toMatchObject({ netns: ns.inode, dev: `${IF}a`, kind: 'tbf' });
      expect(f.culprits?.[0]).toMatchObject({ entity: { kind: 'qdisc', id: scope }, identity: { dev: `${IF}a`, kind: 'tbf', netns: ns.inode } });
      expect(f.evidence.value).toBeGreaterThan(100);
      // the peer namespace receives what passes: nothing of its own to report
      expect(r.report.findings.filter((x) => x.scope.includes(peer))).toEqual([]);
    }
  });

  it('(b) an nftables rule dropping a UDP port in a namespace: the rule, its text and its hits', async () => {
    const name = `${TAG}-fw`;
    const inode = addNamed(name);
    const nft = (...args: string[]) => sh('ip', ['netns', 'exec', name, 'nft', ...args]);
    nft('add', 'table', 'inet', 'dnetfw');
    nft('add', 'chain', 'inet', 'dnetfw', 'in', '{ type filter hook input priority 0; }');
    nft('add', 'rule', 'inet', 'dnetfw', 'in', 'udp', 'dport', '5002', 'counter', 'drop');
    const rules = JSON.parse(nft('-j', 'list', 'chain', 'inet', 'dnetfw', 'in')) as { nftables: { rule?: { handle: number } }[] };
    const handle = rules.nftables.find((x) => x.rule)!.rule!.handle;
    const sender = nodeIn(name, udpFlood('127.0.0.1', 5002));
    const hits = () => {
      const j = JSON.parse(nft('-j', 'list', 'chain', 'inet', 'dnetfw', 'in')) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
      return j.nftables.find((x) => x.rule)?.rule?.expr.find((e) => e.counter)?.counter?.packets;
    };
    await growing('rule hits', hits);
    expect(sender.pid).toBeDefined();
    const scope = `netns:${inode}/rule:nft:inet dnetfw:in:${handle}`;
    for (const playbook of ['use', 'network']) {
      const r = await runDiag(playbook);
      const f = at(r, 'netns-firewall-drops', scope);
      expect(f.kind).toBe('errors');
      expect(f.title).toMatch(new RegExp(`^Firewall rule in ${name} \\(netns ${inode}\\) dropped \\d+ packets: udp dport 5002 counter drop$`));
      expect(f.evidence.value).toBeGreaterThan(100);
      expect(f.culprits?.[0]).toMatchObject({ entity: { kind: 'rule', id: scope }, identity: { rule: 'udp dport 5002 counter drop', table: 'inet dnetfw', chain: 'in', netns_name: name } });
    }
  });

  it('(c) a UDP socket that never reads, flooded inside its namespace: receive-buffer errors there, the socket and its owner', async () => {
    const ns = await holder();
    const sink = nodeIn(ns.pid, deafSink(5003));
    const sinkPid = sink.pid!;
    await until(() => {
      try {
        return readlinkSync(`/proc/${sinkPid}/ns/net`) === `net:[${ns.inode}]` && readFileSync(`/proc/${sinkPid}/net/udp`, 'utf8').includes(':138B ');
      } catch {
        return false;
      }
    });
    nodeIn(ns.pid, udpFlood('127.0.0.1', 5003));
    await growing('UDP receive-buffer errors', () => snmp(ns.pid, 'Udp', 'RcvbufErrors'));
    for (const playbook of ['use', 'network']) {
      const r = await runDiag(playbook);
      const f = at(r, 'netns-udp-rcvbuf-errors', `netns:${ns.inode}`);
      expect(f.severity).toBe('critical');
      expect(f.title).toContain(`(netns ${ns.inode}): `);
      const [self, socket] = f.culprits ?? [];
      expect(self).toMatchObject({ entity: { kind: 'netns', id: `netns:${ns.inode}` } });
      expect(self!.entity.name).toContain(`(netns ${ns.inode})`);
      expect(socket).toMatchObject({ entity: { kind: 'socket' }, identity: { local: '127.0.0.1:5003', pid: String(sinkPid), process: 'node', netns: ns.inode } });
      expect(socket!.entity.id.startsWith(`netns:${ns.inode}/socket:127.0.0.1:5003 `)).toBe(true);
      expect(socket!.value).toBeGreaterThan(100);
    }
  });

  it('(d) the tbf fault in an `ip netns add` namespace no process lives in: found, named by its ip-netns name', async () => {
    const name = `${TAG}-d`;
    const inode = addNamed(name);
    const client = await holder();
    const [addrD] = vethPair(name, client.pid, `${IF}d`, `${IF}e`, 1);
    tcIn(name, ['qdisc', 'add', 'dev', `${IF}d`, ...TBF]);
    // the client's SYNs to a closed port make the namespace answer with resets, through the tbf
    nodeIn(client.pid, synFlood(addrD));
    await growing('tbf drops', () => qdiscDrops(name, `${IF}d`));
    expect(sh('ip', ['netns', 'pids', name]).trim()).toBe('');
    const scope = `netns:${inode}/qdisc:${IF}d 1: root`;
    for (const playbook of ['use', 'network']) {
      const r = await runDiag(playbook);
      const f = at(r, 'netns-qdisc-drops', scope);
      expect(f.title).toMatch(new RegExp(`^qdisc tbf on ${IF}d in ${name} \\(netns ${inode}\\): [\\d.]+ packets/s dropped$`));
      expect(f.culprits?.[0]).toMatchObject({ entity: { kind: 'qdisc', id: scope }, identity: { dev: `${IF}d`, kind: 'tbf', netns: inode, netns_name: name } });
    }
  });
});

describe.skipIf(req.skip)('scenario: quiet namespaces', () => {
  it('(e) 20 quiet namespaces (10 held by a process, 10 by a bind mount) raise nothing, and each is listed', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 10; i++) mine.add((await holder()).inode);
    for (let i = 0; i < 10; i++) mine.add(addNamed(`${TAG}-q${i}`));
    expect(mine.size).toBe(20);
    for (const playbook of ['use', 'network']) {
      const r = await runDiag(playbook);
      const ours = r.report.findings.filter((f) => [...mine].some((i) => f.scope.includes(i) || f.evidence.labels?.netns === i));
      expect(ours.map((f) => `${f.id}: ${f.title}`)).toEqual([]);
      expect(r.report.coverage.find((c) => c.resource === 'network' && c.kind === 'errors')?.status).not.toBe('unknown');
    }
    // every one of them was seen and its counters read; none entered with commands (quiet, and more than 8)
    const out = spawnSync(process.execPath, [DIAG, 'collect', 'namespaces', '--json'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    const visits = (JSON.parse(out.stdout) as { tables: Record<string, { rows?: { key: string; labels: Record<string, string> }[] }> }).tables.netns_visits?.rows ?? [];
    const seen = new Map(visits.filter((v) => mine.has(v.key)).map((v) => [v.key, v.labels]));
    expect(seen.size).toBe(20);
    for (const [inode, l] of seen) {
      // a process's namespace is read from files; one held by a bind mount costs a command, which a
      // loaded host may not fit in the sample's budget: then it says so
      expect(l.counters, `netns ${inode}`).toMatch(/^(read \((process \d+|bind mount \/run\/netns\/dnet-\d+-q\d)\)|not read: the \d+ ms budget for reading namespaces without a process was spent)$/);
      expect(l.status, `netns ${inode}`).toBe('skipped');
      expect(l.code, `netns ${inode}`).toBe('not-run');
      expect(l.reason, `netns ${inode}`).toMatch(/not entered: (no drops or errors in its counters|its counters could not be read), and with \d+ namespaces \(more than 8\)/);
    }
    expect([...seen.values()].filter((l) => l.counters?.startsWith('read (')).length).toBeGreaterThanOrEqual(10);
  });
});
