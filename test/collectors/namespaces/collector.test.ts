import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../../collectors/cgroup/mountinfo.js';
import { collectNamespaces, namespacesCollector } from '../../../collectors/namespaces/collector.js';
import { namedNamespaces, parseNsLink } from '../../../collectors/namespaces/parse.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const HOST_NET = '4026531840';
const BLUE_NET = '4026532290';
const EMPTY_NET = '4026532351';

const netDev = (lo: number, veth: number) => `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: ${lo} 10 0 0 0 0 0 0 ${lo} 10 0 0 0 0 0 0
veth-b: ${veth} 20 0 3 0 0 0 0 1000 5 0 0 0 0 0 0
`;
const snmp = (retrans: number) => `Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates
Ip: 2 64 100 0 0 0 0 0 100 90 0 0 0 0 0 0 0 0 0
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 5 5 0 0 2 1000 1000 ${retrans} 0 0 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 0 0 0 0 0 0 0 0 0
`;
const sockstat = 'sockets: used 3\nTCP: inuse 2 orphan 0 tw 0 alloc 2 mem 1\nUDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n';
const mountinfo = readFileSync(new URL('../../fixtures/cgroup/mountinfo-unified-debian12.txt', import.meta.url), 'utf8');

/** Host: PIDs 1 and 2 in the host namespaces, 300 in "blue" (its own net and mnt, host pid ns), 400 unreadable. */
function host(t: 0 | 1) {
  const links: Record<string, string> = {};
  const member = (pid: number, net: string, mnt: string) => {
    links[`/proc/${pid}/ns/net`] = `net:[${net}]`;
    links[`/proc/${pid}/ns/pid`] = 'pid:[4026531836]';
    links[`/proc/${pid}/ns/mnt`] = `mnt:[${mnt}]`;
  };
  member(1, HOST_NET, '4026531841');
  member(2, HOST_NET, '4026531841');
  member(300, BLUE_NET, '4026532400');
  links['/proc/self/ns/net'] = `net:[${HOST_NET}]`;
  links['/proc/self/ns/pid'] = 'pid:[4026531836]';
  links['/proc/self/ns/mnt'] = 'mnt:[4026531841]';
  return fixtureTree(
    {
      '/proc/self/mountinfo': mountinfo,
      '/proc/1/cgroup': '0::/init.scope\n',
      '/proc/2/cgroup': '0::/\n',
      '/proc/300/cgroup': '0::/system.slice/blue.service\n',
      '/proc/1/net/dev': netDev(1000, 0),
      '/proc/1/net/snmp': snmp(0),
      '/proc/1/net/sockstat': sockstat,
      '/proc/300/net/dev': netDev(50, t === 0 ? 1_000_000 : 1_000_000 + 2048 * 1024),
      '/proc/300/net/snmp': snmp(t === 0 ? 10 : 15),
      '/proc/300/net/sockstat': sockstat,
    },
    {
      'links.json': links,
      'dirs.json': { '/proc': ['1', '2', '300', '400', 'self', 'net', 'stat'] },
      'missing.json': { '/proc/400/ns/net': { status: 'unavailable', reason: '/proc/400/ns/net: permission denied', hint: 'run diag as root' } },
      'clock.json': { monoMs: t * 1000, wall: new Date(t * 1000).toISOString() },
    },
  );
}

const trees = [host(0), host(1)];
afterAll(() => trees.forEach((t) => t.cleanup()));

describe('namespace links and bind mounts', () => {
  it('parses /proc/PID/ns links', () => {
    expect(parseNsLink('net:[4026531840]')).toEqual({ ok: true, value: { type: 'net', inode: '4026531840' } });
    expect(parseNsLink('pid_for_children:[4026531836]').ok).toBe(true);
    expect(parseNsLink('net:[abc]').ok).toBe(false);
    expect(parseNsLink('').ok).toBe(false);
    fuzzParser(parseNsLink, ['net:[4026531840]', 'mnt:[4026531841]']);
  });
  it('names network namespaces from nsfs bind mounts in mountinfo (escaped names too)', () => {
    const m = parseMountinfo(mountinfo);
    expect(m.ok && Object.fromEntries(namedNamespaces(m.value))).toEqual({ [BLUE_NET]: ['blue'], [EMPTY_NET]: ['with space'] });
  });
});

describe('namespaces collector on a fixture host', async () => {
  const m = deriveModel([namespacesCollector], await collectWindow([namespacesCollector], [trees[0]!.source, trees[1]!.source], 1000));
  const rows = (t: string) => {
    const o = m.tables[t]!.rows;
    if (o.status !== 'ok') throw new Error(`${t}: ${o.reason}`);
    return new Map(o.value.map((r) => [r.key, r]));
  };

  it('lists net, pid and mnt namespaces with their processes, cgroups and names', () => {
    const inv = rows('namespaces');
    expect(inv.get(`net:${HOST_NET}`)).toMatchObject({ labels: { type: 'net', pids: '1 2', cgroups: '/ /init.scope', self: 'yes', stack_pid: '1' }, values: { procs: 2, cgroups: 2, cgroups_of: 2 } });
    expect(inv.get(`net:${BLUE_NET}`)).toMatchObject({ labels: { names: 'blue', pids: '300', cgroups: '/system.slice/blue.service', stack_pid: '300' }, values: { procs: 1 } });
    expect(inv.get('pid:4026531836')!.values.procs).toBe(3);
    expect(inv.get('mnt:4026532400')!.labels.pids).toBe('300');
    // held only by a bind mount: listed, no process, no counters
    expect(inv.get(`net:${EMPTY_NET}`)).toMatchObject({ labels: { names: 'with space', pids: '' }, values: { procs: 0 } });
    expect(rows('namespaces_scan').get('host')!.values).toMatchObject({ processes: 3, denied: 1, net: 3, pid: 1, mnt: 2, netns_visited: 2, truncated: 0 });
  });

  it("reads each network namespace's own counters from a member's /proc/PID/net", () => {
    const dev = rows('netns_netdev');
    const veth = dev.get(`${BLUE_NET}/veth-b`)!;
    expect(veth.labels).toMatchObject({ netns: BLUE_NET, interface: 'veth-b', netns_name: 'blue' });
    expect(veth.values.rxkB_s).toBeCloseTo(2048);
    expect(dev.get(`${HOST_NET}/veth-b`)!.values.rxkB_s).toBe(0);
    expect(rows('netns_tcp').get(BLUE_NET)!.deltas.RetransSegs).toBe(5);
    expect(rows('netns_sockstat').get(HOST_NET)!.values.tcp_inuse).toBe(2);
  });

  it("bounds the namespaces whose counters are read and says how many were skipped", async () => {
    const out = await collectNamespaces(trees[0]!.source, { maxNetns: 1 });
    const scan = out.namespaces_scan!;
    expect(scan.status === 'ok' && scan.value[0]!.values).toMatchObject({ netns_visited: 1, netns_skipped: 2, truncated: 1 });
  });

  it("without /proc every table is unavailable", async () => {
    const empty = fixtureTree({ '/etc/hostname': 'x\n' });
    try {
      const out = await collectNamespaces(empty.source);
      expect(out.namespaces!.status).toBe('unavailable');
      expect(out.netns_netdev!.status).toBe('unavailable');
    } finally {
      empty.cleanup();
    }
  });
});
