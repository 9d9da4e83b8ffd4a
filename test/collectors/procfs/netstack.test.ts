import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectNetstack, collectNetSysctl, collectSoftnet, netstackCollector } from '../../../collectors/procfs/netstack/collector.js';
import { parseSnmp, parseSnmp6, parseSockstat, parseSoftnetStat, parseSysctlInts, parseSysctlOutput } from '../../../collectors/procfs/netstack/parse.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fuzzParser } from '../../helpers/fuzz.js';
import { fixtureTree, notFound } from '../../helpers/fixture-host.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/procfs/net/${name}`, import.meta.url), 'utf8');
const snmp618 = fx('snmp-6.18.txt');
const snmp2632 = fx('snmp-2.6.32.txt');
const netstat618 = fx('netstat-6.18.txt');
const snmp6618 = fx('snmp6-6.18.txt');
const sockstat618 = fx('sockstat-6.18.txt');
const sockstat6618 = fx('sockstat6-6.18.txt');
const softnet = {
  v2632: fx('softnet_stat-2.6.32.txt'),
  v419: fx('softnet_stat-4.19.txt'),
  v510: fx('softnet_stat-5.10-cpu1-offline.txt'),
  v618: fx('softnet_stat-6.18.txt'),
};

describe('parseSnmp', () => {
  it('reads every protocol of /proc/net/snmp generically, with signed values', () => {
    const r = parseSnmp(snmp618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.value.keys()]).toEqual(['Ip', 'Icmp', 'IcmpMsg', 'Tcp', 'Udp', 'UdpLite']);
    const tcp = r.value.get('Tcp')!;
    expect(tcp.get('MaxConn')).toBe(-1);
    expect(tcp.get('RtoMax')).toBe(120000);
    expect(tcp.get('RetransSegs')).toBe(8);
    expect(tcp.get('OutSegs')).toBe(6084);
    expect(r.value.get('Udp')!.get('RcvbufErrors')).toBe(3816);
    expect(r.value.get('IcmpMsg')!.get('InType3')).toBeGreaterThan(0);
  });

  it('reads /proc/net/netstat, including a protocol with an empty value line', () => {
    const r = parseSnmp(netstat618, '/proc/net/netstat');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.get('TcpExt')!.get('ListenOverflows')).toBe(8);
    expect(r.value.get('TcpExt')!.get('TCPSynRetrans')).toBe(4);
    expect(r.value.get('IpExt')!.get('InOctets')).toBe(328305025);
    expect(r.value.has('MPTcpExt')).toBe(true);
  });

  it('reads an old kernel (2.6.32) where newer fields are simply absent', () => {
    const r = parseSnmp(snmp2632);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.get('Tcp')!.get('InCsumErrors')).toBeUndefined();
    expect(r.value.get('Tcp')!.has('InCsumErrors')).toBe(false);
    expect(r.value.get('Udp')!.get('NoPorts')).toBe(102);
  });

  it('keeps unknown extra fields and protocols from a future kernel, and "__proto__" as a plain key', () => {
    const text = 'Tcp: ActiveOpens FutureThing __proto__\nTcp: 5 7 9\nSctp9: A B\nSctp9: 1 2\n';
    const r = parseSnmp(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.get('Tcp')!.get('FutureThing')).toBe(7);
    expect(r.value.get('Tcp')!.get('__proto__')).toBe(9);
    expect(r.value.get('Sctp9')!.get('B')).toBe(2);
  });

  it('rejects empty, truncated and garbled input with a ParseError; a garbled value stays missing', () => {
    expect(parseSnmp('').ok).toBe(false);
    expect(parseSnmp('Tcp: A B C\n').ok).toBe(false);
    expect(parseSnmp('Tcp: A B C\nTcp: 1 2\n').ok).toBe(false);
    expect(parseSnmp('Tcp: A B\nUdp: 1 2\n').ok).toBe(false);
    expect(parseSnmp('garbage\nmore garbage\n').ok).toBe(false);
    const r = parseSnmp('Tcp: A B\nTcp: 1 x\n');
    expect(r.ok && r.value.get('Tcp')!.get('B')).toBeUndefined();
    expect(r.ok && r.value.get('Tcp')!.get('A')).toBe(1);
  });

  it('survives fuzzing', () => {
    fuzzParser(parseSnmp, [snmp618, snmp2632], 400, { signed: ['MaxConn'] });
    fuzzParser(parseSnmp, [netstat618], 200);
    // counters are unsigned: a "-5" is garbage (missing), MaxConn's -1 is the kernel's "no limit"
    const neg = parseSnmp('Tcp: MaxConn InSegs\nTcp: -1 -5\n');
    expect(neg.ok && [neg.value.get('Tcp')?.get('MaxConn'), neg.value.get('Tcp')?.get('InSegs')]).toEqual([-1, undefined]);
  });
});

describe('parseSnmp6', () => {
  it('groups "Proto6Name value" lines by protocol prefix', () => {
    const r = parseSnmp6(snmp6618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.value.keys()]).toEqual(['Ip6', 'Icmp6', 'Udp6', 'UdpLite6']);
    expect(r.value.get('Udp6')!.has('NoPorts')).toBe(true);
    expect(r.value.get('Ip6')!.get('InReceives')).toBe(85);
    expect(r.value.get('UdpLite6')!.has('IgnoredMulti')).toBe(false);
  });
  it('rejects empty and garbled input; a garbled value stays missing', () => {
    expect(parseSnmp6('').ok).toBe(false);
    expect(parseSnmp6('Ip6InReceives 1 2\n').ok).toBe(false);
    expect(parseSnmp6('NoDigitHere 1\n').ok).toBe(false);
    const r = parseSnmp6('Udp6NoPorts\tx\nUdp6InErrors 3\n');
    expect(r.ok && r.value.get('Udp6')!.get('NoPorts')).toBeUndefined();
    expect(r.ok && r.value.get('Udp6')!.get('InErrors')).toBe(3);
  });
  it('survives fuzzing', () => fuzzParser(parseSnmp6, [snmp6618]));
});

describe('parseSockstat', () => {
  it('reads sections and key/value pairs', () => {
    const r = parseSockstat(sockstat618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.sections.get('sockets')!.get('used')).toBe(17);
    expect(r.value.sections.get('TCP')!.get('alloc')).toBe(1);
    expect(r.value.sections.get('FRAG')!.get('memory')).toBe(0);
    expect(parseSockstat(sockstat6618).ok).toBe(true);
  });
  it('rejects empty and garbled input', () => {
    expect(parseSockstat('').ok).toBe(false);
    expect(parseSockstat('TCP inuse 1\n').ok).toBe(false);
    expect(parseSockstat('TCP: inuse\n').ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parseSockstat, [sockstat618, sockstat6618]));
});

describe('parseSoftnetStat', () => {
  it('leaves a column JavaScript cannot hold exactly missing (the kernel prints 32-bit columns)', () => {
    const r = parseSoftnetStat('0a3f2c11 00000000 000000f3 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n0b12aa0700000012 00000044 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value[0]!.values.processed).toBe(0x0a3f2c11);
    expect(r.value[1]!.values.processed).toBeUndefined();
    expect(r.value[1]!.values.dropped).toBe(0x44);
  });

  it('reads 15 columns (6.18) with the CPU number from the kernel', () => {
    const r = parseSoftnetStat(softnet.v618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((c) => c.cpu)).toEqual([0, 1]);
    expect(r.value[1]!.cpuFromPosition).toBe(false);
    expect(r.value[1]!.values).toMatchObject({ processed: 0x2e91, dropped: 0, time_squeeze: 1, input_qlen: 0 });
  });
  it('reads 10 (2.6.32) and 11 (4.19) columns, leaving later columns missing', () => {
    const a = parseSoftnetStat(softnet.v2632);
    expect(a.ok && a.value[1]!.values).toMatchObject({ processed: 0x0b12aa07, dropped: 0x12, time_squeeze: 0x44, received_rps: 0 });
    expect(a.ok && a.value[1]!.values.flow_limit_count).toBeUndefined();
    expect(a.ok && a.value[1]!.cpuFromPosition).toBe(true);
    const b = parseSoftnetStat(softnet.v419);
    expect(b.ok && b.value[1]!.values).toMatchObject({ dropped: 3, received_rps: 0x1a, flow_limit_count: 0 });
    expect(b.ok && b.value[1]!.values.backlog_len).toBeUndefined();
  });
  it('uses the printed CPU number when a CPU is offline (5.10)', () => {
    const r = parseSoftnetStat(softnet.v510);
    expect(r.ok && r.value.map((c) => c.cpu)).toEqual([0, 2]);
    expect(r.ok && r.value[1]!.values).toMatchObject({ processed: 100000, dropped: 7, flow_limit_count: 2, backlog_len: 4 });
  });
  it('rejects empty, truncated and garbled input', () => {
    expect(parseSoftnetStat('').ok).toBe(false);
    expect(parseSoftnetStat('0000080c 00000000\n').ok).toBe(false);
    expect(parseSoftnetStat('0000080c zz 00000000\n').ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parseSoftnetStat, Object.values(softnet)));
});

describe('sysctl parsers', () => {
  it('reads one or several integers', () => {
    expect(parseSysctlInts('4096\n')).toEqual({ ok: true, value: [4096] });
    expect(parseSysctlInts('287898\t383867\t575796\n')).toEqual({ ok: true, value: [287898, 383867, 575796] });
    expect(parseSysctlInts('').ok).toBe(false);
    expect(parseSysctlInts('on\n').ok).toBe(false);
  });
  it('reads `sysctl` output and ignores lines that are not key = integers', () => {
    const r = parseSysctlOutput('net.core.somaxconn = 4096\nnet.ipv4.tcp_mem = 1\t2\t3\nsysctl: cannot stat /proc/sys/net/x: No such file\nnet.ipv4.x = y\n');
    expect(r.ok && [...r.value.entries()]).toEqual([['net.core.somaxconn', [4096]], ['net.ipv4.tcp_mem', [1, 2, 3]]]);
    expect(parseSysctlOutput('').ok).toBe(false);
  });
  it('survives fuzzing', () => {
    fuzzParser(parseSysctlInts, ['4096\n', '1\t2\t3\n'], 400, { signed: '*' }); // sysctls may be negative
    fuzzParser(parseSysctlOutput, ['net.core.somaxconn = 4096\nnet.ipv4.tcp_mem = 287898\t383867\t575796\n'], 400, { signed: '*' });
  });
});

const snmpWith = (tcp: { out: number; retrans: number }, noPorts: number) =>
  'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n' +
  `Tcp: 1 200 120000 -1 10 2 0 0 3 1000 ${tcp.out} ${tcp.retrans} 0 0 0\n` +
  'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors FutureUdpThing\n' +
  `Udp: 5 ${noPorts} 0 5 0 0 0 0 0 42\n`;

describe('netstack collector on fixture trees', () => {
  it('computes retransmit %, rates and softnet drops over a window; missing inputs are unavailable', async () => {
    // Recorded on a host without IPv6: /proc/net/snmp6 did not exist there.
    const meta = (ms: number) => ({ 'clock.json': { monoMs: ms, wall: '2026-01-01T00:00:00Z' }, 'missing.json': notFound('/proc/net/snmp6') });
    // 2,000 segments sent in the window, 50 of them retransmissions: 2.5 %; softnet CPU 1
    // dropped goes 0xffffffff -> 0x00000005, a 32-bit wrap of 6
    const a2 = fixtureTree(
      {
        '/proc/net/snmp': snmpWith({ out: 10_000, retrans: 100 }, 7),
        '/proc/net/sockstat': sockstat618,
        '/proc/net/softnet_stat': softnet.v419.replace('00000003', 'ffffffff'),
        '/proc/sys/net/core/somaxconn': '4096\n',
        '/proc/sys/net/ipv4/tcp_mem': '10\t20\t30\n',
      },
      meta(0),
    );
    const b2 = fixtureTree(
      {
        '/proc/net/snmp': snmpWith({ out: 12_000, retrans: 150 }, 27),
        '/proc/net/sockstat': sockstat618,
        '/proc/net/softnet_stat': softnet.v419.replace('00000003', '00000005'),
        '/proc/sys/net/core/somaxconn': '4096\n',
        '/proc/sys/net/ipv4/tcp_mem': '10\t20\t30\n',
      },
      meta(1000),
    );
    try {
      const m = deriveModel([netstackCollector], await collectWindow([netstackCollector], [a2.source, b2.source], 1000));
      const one = (id: string) => {
        const t = m.tables[id]!.rows;
        if (t.status !== 'ok') throw new Error(`${id}: ${t.reason}`);
        return t.value;
      };
      const tcp = one('tcp')[0]!;
      expect(tcp.values.retrans_pct).toBeCloseTo(2.5);
      expect(tcp.values.RetransSegs).toBeCloseTo(50);
      expect(tcp.values.CurrEstab).toBe(3);
      expect(tcp.values.MaxConn).toBe(-1);
      expect(one('udp')[0]!.values.NoPorts).toBeCloseTo(20);
      expect(one('udp')[0]!.deltas.NoPorts).toBe(20);
      expect(one('softnet').find((r) => r.key === '1')!.deltas.dropped).toBe(6);
      expect(one('sockstat')[0]!.values).toMatchObject({ sockets_used: 17, tcp_inuse: 1, tcp_alloc: 1, udp_mem: 0 });
      expect(one('sockstat')[0]!.values.tcp6_inuse).toBeUndefined();
      expect(one('netsysctl')[0]!.values).toMatchObject({ somaxconn: 4096, tcp_mem_min: 10, tcp_mem_pressure: 20, tcp_mem_max: 30 });
      expect(one('netsysctl')[0]!.values.netdev_max_backlog).toBeUndefined();
      // no /proc/net/netstat in this tree: its tables are unavailable, the others unaffected
      expect(m.tables.tcpext!.rows.status).toBe('unavailable');
      expect(m.tables.ipext!.rows.status).toBe('unavailable');
      // no /proc/net/snmp6: IPv6 off, said so
      const u6 = m.tables.udp6!.rows;
      expect(u6.status === 'unavailable' && u6.reason).toMatch(/IPv6 disabled/);
    } finally {
      for (const t of [a2, b2]) t.cleanup();
    }
  });

  it('reports a protocol missing from an old kernel as unavailable and absent fields as missing', () => {
    const t = fixtureTree({ '/proc/net/snmp': snmp2632, '/proc/net/netstat': 'TcpExt: ListenOverflows\nTcpExt: 4\n' });
    try {
      const r = collectNetstack(t.source);
      expect(r.tcp!.status === 'ok' && r.tcp!.value[0]!.values.InCsumErrors).toBeUndefined();
      expect(r.tcp!.status === 'ok' && r.tcp!.value[0]!.values.RetransSegs).toBe(5121);
      expect(r.tcpext!.status === 'ok' && r.tcpext!.value[0]!.values.ListenOverflows).toBe(4);
      expect(r.ipext!.status).toBe('unavailable');
      expect(r.sockstat!.status).toBe('unavailable');
      expect(collectSoftnet(t.source).status).toBe('unavailable');
      expect(collectNetSysctl(t.source).status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });

  it('reads another namespace from /proc/PID/net and its limits through sysctl inside it', async () => {
    const t = fixtureTree({ '/proc/77/net/snmp': snmpWith({ out: 1, retrans: 0 }, 3), '/proc/77/net/sockstat': sockstat618, '/proc/net/softnet_stat': softnet.v618 });
    try {
      const r = await netstackCollector.collect(t.source, { sampleIndex: 0, netnsPid: 77 });
      expect(r.udp!.status === 'ok' && r.udp!.value[0]!.values.NoPorts).toBe(3);
      expect(r.softnet!.status).toBe('ok');
      // the fixture has no recorded sysctl answer: unavailable, not an error and not the host's
      expect(r.netsysctl!.status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });
});
