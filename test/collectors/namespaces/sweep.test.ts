import { afterAll, describe, expect, it } from 'vitest';
import { collectNamespaces, namespacesCollector } from '../../../collectors/namespaces/collector.js';
import { netnsDisplay } from '../../../collectors/namespaces/naming.js';
import { troubleOf, unaccountedInput } from '../../../collectors/namespaces/signals.js';
import { splitHeadOutput, stackByCommand, stackCommandArgs } from '../../../collectors/namespaces/stack.js';
import { planVisits, type NetnsCandidate } from '../../../collectors/namespaces/views.js';
import type { Row } from '../../../src/core/collector.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { BLUE_NET, BLUE_PATH, EMPTY_NET, EMPTY_PATH, HEAD, headFiles, HOST_NET, sweepHost } from './sweep-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

/**
 * The namespaces sweep: counters of every network namespace (through a member's /proc/PID/net, or
 * one `head` inside a namespace without a process), which namespaces are entered and why, and
 * the views (tc, nft, ss) of the ones entered, on fixture hosts built from real 6.18 output: a
 * namespace with a tbf qdisc dropping 995 packets, an nft rule dropping UDP port 5002 (1000
 * hits), and a UDP socket that never reads (495 receive-buffer drops).
 */


const files = headFiles;

describe('counters read inside a namespace without a process (head)', () => {
  it('splits head output into its files, each whole', () => {
    const f = files(HEAD);
    expect([...f.keys()]).toEqual(['/proc/net/dev', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/sockstat', '/proc/net/snmp6', '/proc/net/sockstat6']);
    expect(f.get('/proc/net/dev')).toMatch(/^Inter-\|/);
    expect(f.get('/proc/net/dev')!.endsWith('0\n')).toBe(true);
    expect(f.get('/proc/net/snmp')).toMatch(/^Ip: Forwarding/);
    expect([...f.values()].some((t) => t.includes('==>'))).toBe(false);
    expect(f.get('/proc/net/sockstat6')).toMatch(/^TCP6: inuse/);
  });
  it('keeps empty files and rejects output without headers', () => {
    expect(files('==> /proc/net/a <==\n\n==> /proc/net/b <==\nx\n')).toEqual(new Map([['/proc/net/a', ''], ['/proc/net/b', 'x\n']]));
    expect(splitHeadOutput('').ok).toBe(false);
    expect(splitHeadOutput('Inter-| Receive\n').ok).toBe(false);
    expect(splitHeadOutput('junk\n==> /proc/net/dev <==\nx\n').ok).toBe(false);
    fuzzParser(splitHeadOutput, [HEAD, '==> /proc/net/a <==\n\n==> /proc/net/b <==\nx\n']);
  });
  it('reads every per-namespace table from one command', async () => {
    const files4 = ['/proc/net/dev', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/sockstat'];
    const t = fixtureTree({}, { [`commands/${commandKey({ cmd: 'head', args: stackCommandArgs(files4), netnsPath: EMPTY_PATH })}.json`]: { stdout: HEAD, stderr: '', exitCode: 0 } });
    try {
      const r = await stackByCommand(t.source, EMPTY_PATH, files4);
      if (!('tables' in r)) throw new Error(r.status === 'ok' ? '' : r.reason);
      expect(r.via).toBe(`bind mount ${EMPTY_PATH}`);
      const rows = (id: string) => (r.tables[id]?.status === 'ok' ? r.tables[id].value : []);
      expect(rows('netdev').map((x) => x.key)).toEqual(['lo', 'dnet-va']);
      expect(rows('udp')[0]!.values).toMatchObject({ RcvbufErrors: 495, SndbufErrors: 995, InErrors: 495 });
      expect(rows('ip6')[0]!.values.InReceives).toBeDefined();
      const gone = await stackByCommand(t.source, '/run/netns/other', files4);
      expect('status' in gone && gone.status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });
});

describe('trouble in a namespace\'s own counters', () => {
  const tables = async () => {
    const files4 = ['/proc/net/dev', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/sockstat'];
    const t = fixtureTree({}, { [`commands/${commandKey({ cmd: 'head', args: stackCommandArgs(files4), netnsPath: EMPTY_PATH })}.json`]: { stdout: HEAD, stderr: '', exitCode: 0 } });
    try {
      const r = await stackByCommand(t.source, EMPTY_PATH, files4);
      if (!('tables' in r)) throw new Error('unread');
      return Object.fromEntries(Object.entries(r.tables).map(([k, o]) => [k, o.status === 'ok' ? o.value : undefined]));
    } finally {
      t.cleanup();
    }
  };
  it('names the drops the counters show: qdisc drops as UDP send errors, a full receive buffer, netfilter input drops no counter counts', async () => {
    const tr = troubleOf(await tables());
    expect(tr.signals).toEqual(expect.arrayContaining(['udp.SndbufErrors 995', 'udp.RcvbufErrors 495', 'ip input dropped uncounted (netfilter?) 1000']));
    expect(tr.udpSockets).toBe(true);
    expect(tr.tcpSockets).toBe(false);
    expect(tr.score).toBeGreaterThanOrEqual(995 + 495 + 1000);
  });
  it('finds nothing in a quiet namespace', () => {
    const quiet: Row = { key: 'host', values: { InReceives: 10, InDelivers: 10, OutDiscards: 0 } };
    expect(troubleOf({ ip: [quiet], udp: [{ key: 'host', values: { RcvbufErrors: 0 } }] })).toEqual({ score: 0, signals: [], tcpSockets: false, udpSockets: false });
  });
  it('does not mistake fragments, routing and header drops for netfilter', () => {
    const ip: Row = { key: 'host', values: { InReceives: 100, InDelivers: 80, InHdrErrors: 2, InAddrErrors: 3, ReasmReqds: 12, ReasmOKs: 4 } };
    expect(unaccountedInput(ip, { key: 'host', values: { InNoRoutes: 7 } })).toBe(0);
    expect(unaccountedInput({ key: 'host', values: { InReceives: 100, InDelivers: 60 } }, undefined)).toBe(40);
    expect(unaccountedInput({ key: 'host', values: { InReceives: 100 } }, undefined)).toBe(0);
  });
});

describe('which namespaces are entered', () => {
  const cand = (inode: string, score: number | undefined): NetnsCandidate => ({
    inode,
    display: `ns${inode}`,
    names: [],
    pid: Number(inode),
    members: [Number(inode)],
    trouble: score === undefined ? undefined : { score, signals: score > 0 ? [`udp.RcvbufErrors ${score}`] : [], tcpSockets: false, udpSockets: score > 0 },
  });
  it('enters every namespace when there are few, the troubled ones first', () => {
    const p = planVisits([cand('1', 0), cand('2', 50), cand('3', undefined)]);
    expect(p.enter.map((c) => c.inode)).toEqual(['2', '1', '3']);
    expect(p.why.get('2')).toBe('drops or errors in its counters: udp.RcvbufErrors 50');
    expect(p.why.get('1')).toBe('3 namespaces (at most 8: every one is entered)');
    expect(p.notEntered).toEqual([]);
  });
  it('enters only the troubled ones among many, most trouble first, at most ENTER_MAX, and says why the rest were not', () => {
    const many = Array.from({ length: 30 }, (_, i) => cand(String(100 + i), i % 3 === 0 ? i + 1 : 0));
    const p = planVisits(many, { enterMax: 4 });
    expect(p.enter.map((c) => c.inode)).toEqual(['127', '124', '121', '118']);
    const reasons = new Map(p.notEntered.map((n) => [n.candidate.inode, n.reason]));
    expect(reasons.get('115')).toMatch(/^not entered: 10 namespaces show drops or errors in their counters and at most 4 are entered/);
    expect(reasons.get('101')).toBe('not entered: no drops or errors in its counters, and with 30 namespaces (more than 8) only those that show some are');
    expect(p.enter.length + p.notEntered.length).toBe(30);
  });
});

describe('namespace names', () => {
  it('use the ip-netns name, else the container or unit, else the process; never the inode alone', () => {
    expect(netnsDisplay({ inode: '1', names: ['blue'], cgroups: ['/system.slice/docker-' + 'a'.repeat(64) + '.scope'], pid: 5 })).toBe('blue');
    expect(netnsDisplay({ inode: '1', names: [], cgroups: ['/', '/system.slice/docker-' + 'a'.repeat(64) + '.scope'], pid: 5 })).toBe('docker:aaaaaaaaaaaa');
    expect(netnsDisplay({ inode: '1', names: [], cgroups: ['/system.slice/nginx.service'], pid: 5 })).toBe('nginx.service');
    expect(netnsDisplay({ inode: '1', names: [], cgroups: ['/', '/process_api/x'], pid: 4242, comm: 'udp-sink' })).toBe('PID 4242 (udp-sink)');
    expect(netnsDisplay({ inode: '77', names: [], cgroups: [] })).toBe('netns 77');
  });
});

const trees = [sweepHost(0), sweepHost(1)];
afterAll(() => trees.forEach((t) => t.cleanup()));

describe('the sweep on a fixture host', async () => {
  const m = deriveModel([namespacesCollector], await collectWindow([namespacesCollector], [trees[0]!.source, trees[1]!.source], 1000));
  const rows = (t: string) => {
    const o = m.tables[t]!.rows;
    if (o.status !== 'ok') throw new Error(`${t}: ${o.reason}`);
    return o.value;
  };
  it("enters both other namespaces (few), reads the bind-mounted one's counters by command, and lists a stale name", () => {
    const v = new Map(rows('netns_visits').map((r) => [r.key, r]));
    expect([...v.keys()].sort()).toEqual([BLUE_NET, EMPTY_NET, 'unmounted:stale']);
    // named by its ip-netns name (it is bind-mounted as "blue" too), entered through its process
    expect(v.get(BLUE_NET)!.labels).toMatchObject({ netns_display: 'blue', via: `bind mount ${BLUE_PATH}`, counters: 'read (process 300)', status: 'ok', entered: expect.stringMatching(/^drops or errors in its counters: /) });
    expect(v.get(EMPTY_NET)!.labels).toMatchObject({ netns_display: 'with space', netns_name: 'with space', via: `bind mount ${EMPTY_PATH}`, counters: `read (bind mount ${EMPTY_PATH})`, status: 'ok' });
    expect(v.get(BLUE_NET)!.labels.code).toBeUndefined();
    expect(v.get('unmounted:stale')!.labels).toMatchObject({ status: 'unavailable', code: 'not-found', reason: expect.stringContaining('/run/netns/stale is not a mounted network namespace') });
    expect(rows('netns_udp').find((r) => r.key === EMPTY_NET)!.values.RcvbufErrors).toBe(0);
  });
  it('gives the qdisc drops of a namespace their rate, nested in the namespace and labelled with it', () => {
    const q = rows('netns_qdiscs').find((r) => r.labels.kind === 'tbf')!;
    expect(q.key).toBe(`${BLUE_NET}/dnet-va 8013: root`);
    expect(q.scope).toBe(`netns:${BLUE_NET}/qdisc:dnet-va 8013: root`);
    expect(q.labels).toMatchObject({ dev: 'dnet-va', netns: BLUE_NET, netns_name: 'blue', netns_display: 'blue' });
    expect(q.values.drops).toBe(1000);
  });
  it('gives the rule that drops its hits, with its text', () => {
    const r = rows('netns_firewall_rules');
    expect(r.map((x) => [x.scope, x.labels.rule, x.deltas.packets])).toEqual([[`netns:${BLUE_NET}/rule:nft:inet dnet:in:2`, 'udp dport 5002 counter drop', 600]]);
    expect(r[0]!.labels.comment).toBe('dnet fixture');
  });
  it('names the socket that drops and its owner from the namespace\'s own processes', () => {
    const s = rows('netns_udp_sockets');
    expect(s.map((x) => [x.scope, x.labels.pid, x.labels.process, x.deltas.drops])).toEqual([[`netns:${BLUE_NET}/socket:127.0.0.1:5003 0.0.0.0:* #779694`, '300', 'udp-sink', 400]]);
    expect(rows('netns_tcp_sockets')).toEqual([]);
  });
  it('nests every interface in its namespace', () => {
    expect(rows('netns_netdev').find((r) => r.key === `${BLUE_NET}/dnet-va`)!.scope).toBe(`netns:${BLUE_NET}/interface:dnet-va`);
  });
});

describe('many quiet namespaces', () => {
  const quietHost = (n: number) => {
    const links: Record<string, string> = { '/proc/self/ns/net': `net:[${HOST_NET}]` };
    const fls: Record<string, string> = { '/proc/self/mountinfo': '' };
    const pids = ['1'];
    links['/proc/1/ns/net'] = `net:[${HOST_NET}]`;
    fls['/proc/1/net/dev'] = files(HEAD).get('/proc/net/dev')!.replace(/dnet-va.*\n/, '');
    for (let i = 0; i < n; i++) {
      const pid = String(1000 + i);
      pids.push(pid);
      links[`/proc/${pid}/ns/net`] = `net:[${5000 + i}]`;
      fls[`/proc/${pid}/net/dev`] = fls['/proc/1/net/dev'];
      fls[`/proc/${pid}/net/snmp`] = 'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\nUdp: 5 0 0 5 0 0 0 0 0\n';
    }
    return fixtureTree(fls, { 'links.json': links, 'dirs.json': { '/proc': pids } });
  };
  it('are all read, none entered, each listed with why, and nothing runs', async () => {
    const t = quietHost(12);
    try {
      const out = await collectNamespaces(t.source);
      const v = out.netns_visits!;
      if (v.status !== 'ok') throw new Error('no visits');
      expect(v.value).toHaveLength(12);
      expect(new Set(v.value.map((r) => `${r.labels?.status} (${r.labels?.code}): ${r.labels?.reason}`))).toEqual(new Set(['skipped (not-run): not entered: no drops or errors in its counters, and with 12 namespaces (more than 8) only those that show some are']));
      expect(out.netns_qdiscs).toEqual({ status: 'ok', value: [] });
      const scan = out.namespaces_scan!;
      expect(scan.status === 'ok' && scan.value[0]!.values).toMatchObject({ net: 13, netns_visited: 13, netns_entered: 0 });
    } finally {
      t.cleanup();
    }
  });
});
