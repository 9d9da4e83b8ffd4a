import { readFileSync } from 'node:fs';
import { NFT_ARGS } from '../../../collectors/commands/firewall/collector.js';
import { TC_JSON_ARGS } from '../../../collectors/commands/qdiscs/collector.js';
import { SS_UDP_ARGS } from '../../../collectors/commands/sockets/collector.js';
import { splitHeadOutput, stackCommandArgs } from '../../../collectors/namespaces/stack.js';
import { commandKey, type CommandSpec } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

/**
 * A fixture host for the namespaces sweep, built from real 6.18 output of a namespace with a
 * tbf qdisc dropping 995 packets, an nft rule dropping UDP port 5002 (1000 hits) and a UDP socket
 * that never reads (495 receive-buffer drops): PID 1 in the host's namespace, PID 300 in "blue"
 * (bind-mounted at /run/netns/blue too), "with space" held by a bind mount only, and a stale
 * name in /run/netns. Sample 1 (t = 1) adds 1000 qdisc drops, 600 rule hits and 400 socket drops.
 */
export const fx = (f: string) => readFileSync(new URL(`../../fixtures/namespaces/${f}`, import.meta.url), 'utf8');
export const HEAD = fx('head-netns-6.18.txt');
const TC = fx('tc-qdisc-tbf-netns-6.18.json');
const NFT = fx('nft-drop-netns-6.18.json');
const SS_UDP = fx('ss-udp-netns-6.18.txt');
const mountinfo = readFileSync(new URL('../../fixtures/cgroup/mountinfo-unified-debian12.txt', import.meta.url), 'utf8');

export const HOST_NET = '4026531840';
export const BLUE_NET = '4026532290';
export const EMPTY_NET = '4026532351';
export const EMPTY_PATH = '/run/netns/with space';
export const BLUE_PATH = '/run/netns/blue';

export const headFiles = (text: string) => {
  const p = splitHeadOutput(text);
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
};

/** Host: PID 1 (host netns), 300 in "blue" (a process, troubled), and "with space" held by a bind mount only. */
export function sweepHost(t: 0 | 1) {
  const bump = (text: string, pairs: [string, string][]) => pairs.reduce((s, [a, b]) => (t === 0 ? s : s.replace(a, b)), text);
  const tc = bump(TC, [['"drops":995', '"drops":1995']]);
  const nft = bump(NFT, [['"packets": 1000', '"packets": 1600']]);
  const ss = bump(SS_UDP, [['d495)', 'd895)']]);
  // The same counters for blue through its process, the udp errors growing over the window.
  const f = headFiles(HEAD);
  const snmp = bump(f.get('/proc/net/snmp')!, [['Udp: 505 0 495 2005 495 995', 'Udp: 505 0 895 2005 895 995']]);
  const links: Record<string, string> = {
    '/proc/1/ns/net': `net:[${HOST_NET}]`, '/proc/1/ns/pid': 'pid:[4026531836]', '/proc/1/ns/mnt': 'mnt:[4026531841]',
    '/proc/300/ns/net': `net:[${BLUE_NET}]`, '/proc/300/ns/pid': 'pid:[4026531836]', '/proc/300/ns/mnt': 'mnt:[4026532400]',
    '/proc/self/ns/net': `net:[${HOST_NET}]`, '/proc/self/ns/pid': 'pid:[4026531836]', '/proc/self/ns/mnt': 'mnt:[4026531841]',
    '/proc/300/fd/7': 'socket:[779694]',
  };
  const cmd = (spec: CommandSpec, stdout: string) => [`commands/${commandKey(spec)}.json`, { stdout, stderr: '', exitCode: 0 }] as const;
  const four = ['/proc/net/dev', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/sockstat'];
  const meta: Record<string, unknown> = Object.fromEntries([
    // blue has a bind mount: commands enter it by path (it outlives its processes), files come from PID 300
    cmd({ cmd: 'tc', args: TC_JSON_ARGS, netnsPath: BLUE_PATH }, tc),
    cmd({ cmd: 'nft', args: NFT_ARGS, netnsPath: BLUE_PATH }, nft),
    cmd({ cmd: 'ss', args: SS_UDP_ARGS, netnsPath: BLUE_PATH }, ss),
    cmd({ cmd: 'head', args: stackCommandArgs(four), netnsPath: EMPTY_PATH }, HEAD),
    cmd({ cmd: 'tc', args: TC_JSON_ARGS, netnsPath: EMPTY_PATH }, '[]'),
    cmd({ cmd: 'nft', args: NFT_ARGS, netnsPath: EMPTY_PATH }, '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}]}'),
    cmd({ cmd: 'iptables-legacy-save', args: ['-c'], netnsPath: EMPTY_PATH }, ''),
    cmd({ cmd: 'ip6tables-legacy-save', args: ['-c'], netnsPath: EMPTY_PATH }, ''),
    cmd({ cmd: 'ss', args: SS_UDP_ARGS, netnsPath: EMPTY_PATH }, ''),
  ]);
  return fixtureTree(
    {
      '/proc/self/mountinfo': mountinfo,
      '/proc/1/cgroup': '0::/init.scope\n',
      '/proc/300/cgroup': '0::/\n',
      '/proc/300/comm': 'udp-sink\n',
      '/proc/1/net/dev': f.get('/proc/net/dev')!.replace('dnet-va', 'eth0'),
      '/proc/1/net/snmp': f.get('/proc/net/snmp')!,
      '/proc/300/net/dev': f.get('/proc/net/dev')!,
      '/proc/300/net/snmp': snmp,
      '/proc/300/net/netstat': f.get('/proc/net/netstat')!,
      '/proc/300/net/sockstat': f.get('/proc/net/sockstat')!,
      '/proc/300/net/ip_tables_names': '',
      '/proc/300/net/ip6_tables_names': '',
    },
    {
      ...meta,
      'links.json': links,
      'dirs.json': { '/proc': ['1', '300', 'self', 'net'], '/proc/300/fd': ['0', '7'], '/run/netns': ['blue', 'with space', 'stale'] },
      'clock.json': { monoMs: t * 1000, wall: new Date(t * 1000).toISOString() },
    },
  );
}

