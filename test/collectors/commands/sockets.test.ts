import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bitsPerSecond, parseSsSockets, parseSsSummary, type SsSocket } from '../../../collectors/commands/sockets/parse.js';
import { socketsCollector, SS_TCP_ARGS, SS_UDP_ARGS, tcpRows, udpRows } from '../../../collectors/commands/sockets/collector.js';
import { SocketOwnerScan } from '../../../collectors/commands/sockets/owners.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/ss/${name}`, import.meta.url), 'utf8');
const tcpOne = fx('tcp-6.1-oneline.txt');
const tcpMulti = fx('tcp-6.1-multiline.txt');
const udpOne = fx('udp-6.1-oneline.txt');
const udpMulti = fx('udp-6.1-multiline.txt');
const tcp310 = fx('tcp-3.10-multiline.txt');
const tcp49 = fx('tcp-4.9-multiline.txt');
const sum61 = fx('summary-6.1.txt');
const sum310 = fx('summary-3.10.txt');

function sockets(text: string): SsSocket[] {
  const r = parseSsSockets(text);
  if (!r.ok) throw r.error;
  return r.value.sockets;
}

describe('parseSsSockets on iproute2 6.1 output captured on this host', () => {
  it('reads LISTEN backlog (Recv-Q = accept queue, Send-Q = limit), owner, inode, cgroup and skmem drops', () => {
    const s = sockets(tcpOne);
    expect(s).toHaveLength(12);
    const l = s.find((x) => x.local === '127.0.0.1:44185' && x.state === 'LISTEN')!;
    expect(l).toMatchObject({ recvQ: 2, sendQ: 2, ino: 51322, cgroup: '/', cc: 'bbr', users: [{ name: 'python3', pid: 14400, fd: 3 }] });
    expect(l.skmem?.d).toBe(2);
    expect(l.info.unacked).toBe(2);
  });
  it('keeps a process name holding a quote, comma, parenthesis and a newline intact', () => {
    const s = sockets(tcpOne);
    const w = s.find((x) => x.local === '127.0.0.1:37145')!;
    expect(w.users).toEqual([{ name: 'we"ird,(x\nLISTE', pid: 14401, fd: 3 }]);
    expect(w.ino).toBe(52726);
    // the newline did not create a phantom socket
    expect(s.filter((x) => x.state === 'LISTEN')).toHaveLength(4);
  });
  it('reads TCP internals: rtt/rttvar, retransmits, bytes, cwnd', () => {
    const e = sockets(tcpOne).find((x) => x.local === '127.0.0.1:44185' && x.peer === '127.0.0.1:57926')!;
    expect(e.info).toMatchObject({ rtt: 5.518, rttvar: 11.004, rto: 208, cwnd: 14, bytes_retrans: 34464, retrans: 0, retrans_total: 1, busy: 44 });
    expect(e.flags).toEqual(expect.arrayContaining(['ts', 'sack']));
    const r = sockets(tcpOne).find((x) => x.local === '127.0.0.1:57926')!;
    expect(r.recvQ).toBe(100000);
    expect(r.skmem?.r).toBe(102496);
  });
  it('reads the same sockets from the multi-line layout (no -O, with header)', () => {
    const one = sockets(tcpOne);
    const multi = sockets(tcpMulti);
    expect(multi.length).toBe(one.length);
    const w = multi.find((x) => x.local === '127.0.0.1:37145')!;
    expect(w.users[0]!.name).toBe('we"ird,(x\nLISTE');
    expect(w.skmem?.rb).toBe(131072);
    expect(sockets(udpMulti).map((x) => x.skmem?.d)).toEqual(sockets(udpOne).map((x) => x.skmem?.d));
  });
  it('reads UDP drops and the IPv6 v6only flag next to the cgroup', () => {
    const u = sockets(udpOne);
    expect(u.find((x) => x.local === '127.0.0.1:60686')).toMatchObject({ recvQ: 211968, skmem: { r: 211968, rb: 212992, d: 1908 } });
    const v6 = u.find((x) => x.local === '[::1]:34644')!;
    expect(v6.cgroup).toBe('/');
    expect(v6.info.v6only).toBe(1);
  });
});

describe('parseSsSockets on older iproute2', () => {
  it('reads iproute2 3.10 (users without pid=/fd=, :::22, Mbps/Kbps rates, retrans a/b)', () => {
    const s = sockets(tcp310);
    expect(s).toHaveLength(5);
    expect(s[1]).toMatchObject({ state: 'LISTEN', recvQ: 129, sendQ: 128, local: '*:8080' });
    expect(s[1]!.users).toEqual([{ name: 'java', pid: 2211, fd: 41 }, { name: 'java', pid: 2211, fd: 42 }]);
    const curl = s[3]!;
    expect(curl.info).toMatchObject({ rtt: 204, rttvar: 102, cwnd: 1, ssthresh: 7, unacked: 2, retrans: 1, retrans_total: 9, lost: 1, backoff: 3 });
    expect(curl.info.send).toBeCloseTo(56_800);
    expect(s[4]!.local).toBe(':::22');
    expect(curl.ino).toBeUndefined();
  });
  it('reads iproute2 4.9 (-e with uid and shutdown markers, skmem on the detail line)', () => {
    const s = sockets(tcp49);
    expect(s).toHaveLength(4);
    expect(s[1]!.users.map((u) => u.pid)).toEqual([812, 799]);
    expect(s[2]).toMatchObject({ uid: 1000, ino: 20114, skmem: { d: 14 }, info: { retrans: 0, retrans_total: 4, rtt: 28.5 } });
    expect(s[2]!.info.pacing_rate).toBeCloseTo(3.4e6);
    expect(s[3]!.info.v6only).toBe(1);
  });
  it('accepts a Netid column (ss -tu)', () => {
    const s = sockets('tcp   LISTEN 0      4096   127.0.0.53%lo:53  0.0.0.0:*\nudp   UNCONN 0      0      0.0.0.0:68  0.0.0.0:*\n');
    expect(s.map((x) => [x.netid, x.state, x.local])).toEqual([['tcp', 'LISTEN', '127.0.0.53%lo:53'], ['udp', 'UNCONN', '0.0.0.0:68']]);
  });
});

describe('parseSsSockets on bad input', () => {
  it('treats empty output as no sockets', () => {
    expect(parseSsSockets('')).toEqual({ ok: true, value: { sockets: [], skipped: 0 } });
  });
  it('rejects text with no socket line', () => {
    expect(parseSsSockets('ss: invalid option -- O\nUsage: ss [ OPTIONS ]\n').ok).toBe(false);
    expect(parseSsSockets('\u0000\u0001garbage').ok).toBe(false);
  });
  it('reads what it can of truncated output and never invents numbers', () => {
    const cut = tcpOne.slice(0, tcpOne.indexOf('rtt:5.518') + 4);
    const s = sockets(cut);
    const last = s[s.length - 1]!;
    expect(last.info.rtt).toBeUndefined(); // "rtt:5." was cut mid-number: missing, not 5
    expect(last.info.cwnd).toBeUndefined();
    expect(sockets('LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1').at(0)!.users).toEqual([]);
  });
  it('drops a negative time or count (found by fuzzing: data_segs_in:-1699, rtt:-1/2): ss never prints one', () => {
    const s = sockets('ESTAB 0 0 10.0.0.1:22 10.0.0.2:50412 ino:17290 sk:2 <->\n\t ts sack cubic rtt:-1.5/-0.1 mss:1448 data_segs_in:-1699 data_segs_out:21 busy:-4ms\n');
    expect(s[0]!.info.data_segs_in).toBeUndefined();
    expect(s[0]!.info.rtt).toBeUndefined();
    expect(s[0]!.info.rttvar).toBeUndefined();
    expect(s[0]!.info.busy).toBeUndefined();
    expect(s[0]!.info.data_segs_out).toBe(21);
    expect(s[0]!.info.mss).toBe(1448);
  });
  it('parses rates with units', () => {
    expect(bitsPerSecond('1.5Gbps')).toBe(1.5e9);
    expect(bitsPerSecond('70849729730bps')).toBe(70849729730);
    expect(bitsPerSecond('fast')).toBeUndefined();
  });
  it('survives fuzzing', () => fuzzParser(parseSsSockets, [tcpOne, tcpMulti, udpOne, tcp310, tcp49]));
});

describe('parseSsSummary', () => {
  it('reads ss 6.1 and 3.10 totals', () => {
    const a = parseSsSummary(sum61);
    expect(a.ok && a.value).toMatchObject({ total: 33, tcp: { total: 12, estab: 6, timewait: 0 }, transports: { udp: { total: 4, ip: 3, ipv6: 1 } } });
    const b = parseSsSummary(sum310);
    expect(b.ok && b.value).toMatchObject({ total: 187, tcp: { total: 9, estab: 3, synrecv: 0, timewait: 0 }, transports: { tcp: { total: 9, ip: 6, ipv6: 3 } } });
  });
  it('rejects empty and garbled input', () => {
    expect(parseSsSummary('').ok).toBe(false);
    expect(parseSsSummary('Total: x\n').ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parseSsSummary, [sum61, sum310]));
});

describe('sockets collector on recorded command output', () => {
  const cmd = (args: readonly string[], stdout: string) => ({ [`commands/${commandKey({ cmd: 'ss', args })}.json`]: { stdout, stderr: '', exitCode: 0 } });
  it('derives accept-queue fill and drop rates from two samples', async () => {
    const a = fixtureTree({}, { ...cmd(SS_TCP_ARGS, 'LISTEN 3 4 127.0.0.1:80 0.0.0.0:* ino:7 skmem:(r0,rb1,t0,tb1,f0,w0,o0,bl0,d10)\n'), ...cmd(SS_UDP_ARGS, 'UNCONN 0 0 0.0.0.0:53 0.0.0.0:* ino:9 skmem:(r100,rb400,t0,tb1,f0,w0,o0,bl0,d5)\n'), ...cmd(['-s'], sum61), 'clock.json': { monoMs: 0, wall: '2026-01-01T00:00:00Z' } });
    const b = fixtureTree({}, { ...cmd(SS_TCP_ARGS, 'LISTEN 4 4 127.0.0.1:80 0.0.0.0:* ino:7 skmem:(r0,rb1,t0,tb1,f0,w0,o0,bl0,d30)\n'), ...cmd(SS_UDP_ARGS, 'UNCONN 300 0 0.0.0.0:53 0.0.0.0:* ino:9 skmem:(r300,rb400,t0,tb1,f0,w0,o0,bl0,d25)\n'), ...cmd(['-s'], sum61), 'clock.json': { monoMs: 2000, wall: '2026-01-01T00:00:02Z' } });
    try {
      const m = deriveModel([socketsCollector], await collectWindow([socketsCollector], [a.source, b.source], 2000));
      const t = m.tables.tcp_sockets!.rows;
      expect(t.status).toBe('ok');
      if (t.status !== 'ok') return;
      expect(t.value[0]!.key).toBe('127.0.0.1:80 0.0.0.0:* #7');
      expect(t.value[0]!.values).toMatchObject({ accept_queue: 4, accept_limit: 4, accept_queue_pct: 100, drops: 10, recv_q: undefined });
      const u = m.tables.udp_sockets!.rows;
      expect(u.status === 'ok' && u.value[0]!.values).toMatchObject({ drops: 10, rcvbuf_pct: 75 });
      const s = m.tables.socket_summary!.rows;
      expect(s.status === 'ok' && s.value[0]!.values).toMatchObject({ total: 33, tcp_estab: 6, udp: 4 });
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('is unavailable, with the package, when ss was not recorded/installed', async () => {
    // Recorded as a bundle written before outcome codes did: the code is recovered (tree-meta.ts).
    const a = fixtureTree({}, { [`commands/${commandKey({ cmd: 'ss', args: SS_TCP_ARGS })}.json`]: { status: 'unavailable', reason: 'ss is not installed', hint: 'apt-get install iproute2' } });
    try {
      const out = await socketsCollector.collect(a.source, { sampleIndex: 0 });
      expect(out.tcp_sockets).toEqual({ status: 'unavailable', code: 'tool-missing', reason: 'ss is not installed', hint: 'apt-get install iproute2' });
    } finally {
      a.cleanup();
    }
  });
  it('names owners from one /proc/PID/fd scan by socket inode (no ss -p), names with any bytes', async () => {
    const t = fixtureTree({ '/proc/10/comm': 'we"ird,(x\nLISTE\n', '/proc/11/comm': 'nginx\n', '/proc/12/comm': 'late\n' }, {
      ...cmd(SS_TCP_ARGS, 'LISTEN 0 511 0.0.0.0:80 0.0.0.0:* ino:777 sk:1 <->\nESTAB 0 0 10.0.0.1:80 10.0.0.2:5555 ino:0 sk:2 <->\nESTAB 0 0 10.0.0.1:22 10.0.0.3:6666 ino:888 sk:3 <->\n'),
      'dirs.json': { '/proc': ['12', '10', '11', 'self'], '/proc/10/fd': ['0', '3'], '/proc/11/fd': ['6', '7'], '/proc/12/fd': ['1'] },
      'links.json': { '/proc/10/fd/0': '/dev/null', '/proc/10/fd/3': 'socket:[777]', '/proc/11/fd/6': 'socket:[777]', '/proc/11/fd/7': 'socket:[888]', '/proc/12/fd/1': 'socket:[999]' },
    });
    try {
      const out = await socketsCollector.collect(t.source, { sampleIndex: 0 });
      const rows = out.tcp_sockets!.status === 'ok' ? out.tcp_sockets!.value : [];
      // shared listener: both holders read before every wanted inode was found (11 holds 888)
      expect(rows[0]!.labels).toMatchObject({ process: 'we"ird,(x\nLISTE, nginx', pid: '10,11' });
      expect(rows[1]!.labels!.process).toBeUndefined(); // not accepted yet: inode 0, no owner
      expect(rows[2]!.labels).toMatchObject({ process: 'nginx', pid: '11' });
    } finally {
      t.cleanup();
    }
  });
  it('scans processes in PID order only as far as needed, shares the scan, and stops at its budget', () => {
    const t = fixtureTree({ '/proc/1/comm': 'a\n', '/proc/2/comm': 'b\n' }, {
      'dirs.json': { '/proc': ['2', '1'], '/proc/1/fd': ['3'], '/proc/2/fd': ['4'] },
      'links.json': { '/proc/1/fd/3': 'socket:[5]', '/proc/2/fd/4': 'socket:[6]' },
    });
    try {
      const scan = new SocketOwnerScan(t.source);
      expect([...scan.resolve([5]).keys()]).toEqual([5]);
      expect(scan.done).toBe(false); // PID 2 not read yet
      expect(scan.resolve([6]).get(6)).toEqual([{ pid: 2, fd: 4, name: 'b' }]);
      expect(scan.done).toBe(true);
      const broke = new SocketOwnerScan(t.source, -1);
      expect(broke.resolve([5]).size).toBe(0);
      expect(broke.truncated).toBe(true);
    } finally {
      t.cleanup();
    }
  });
  it('gives duplicate keys a suffix and keeps LISTEN queues out of recv_q/send_q', () => {
    const rows = tcpRows(sockets('LISTEN 0 5 0.0.0.0:80 0.0.0.0:*\nLISTEN 0 5 0.0.0.0:80 0.0.0.0:*\n'));
    expect(rows.map((r) => r.key)).toEqual(['0.0.0.0:80 0.0.0.0:*', '0.0.0.0:80 0.0.0.0:* (2)']);
    expect(udpRows(sockets(udpOne)).find((r) => r.labels?.process === 'we"ird,(x\nLISTE')?.labels?.pid).toBe('14401');
  });
});
