import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectNetdev, ifutilPercent, netdevCollector } from '../../../collectors/procfs/netdev/collector.js';
import { parseNetDev, parseSpeed, parseSysfsWord } from '../../../collectors/procfs/netdev/parse.js';
import { deriveModel, type ModelRow } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fuzzParser } from '../../helpers/fuzz.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/procfs/net/${name}`, import.meta.url), 'utf8');
const dev618 = fx('dev-6.18.txt');
const dev22 = fx('dev-2.2.txt');

const HEADER = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const devLine = (name: string, n: readonly number[]) => `${name.padStart(6)}: ${n.join(' ')}\n`;
const nums = (rxB: number, rxP: number, txB: number, txP: number, extra = 0) => [rxB, rxP, extra, extra, 0, 0, 0, 0, txB, txP, extra, extra, 0, 0, 0, 0];

describe('parseNetDev', () => {
  it('reads every interface of a 6.18 file with the 16 counters', () => {
    const r = parseNetDev(dev618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((i) => i.name)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    const eth0 = r.value[3]!;
    expect(eth0.counters).toMatchObject({ rx_bytes: 324055326, rx_packets: 9871, tx_bytes: 816273, tx_packets: 6138, tx_carrier: 0, tx_compressed: 0 });
    expect(Object.keys(eth0.counters)).toHaveLength(16);
  });

  it('reads a 2.2 kernel without byte columns by the header, leaving bytes missing', () => {
    const r = parseNetDev(dev22);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const eth0 = r.value.find((i) => i.name === 'eth0')!;
    expect(eth0.counters.rx_bytes).toBeUndefined();
    expect(eth0.counters).toMatchObject({ rx_packets: 105634, rx_errs: 3, rx_drop: 1, rx_frame: 2, tx_packets: 82120, tx_colls: 17, tx_carrier: 1 });
  });

  it('separates long names glued to their numbers, and names with spaces, colons and odd bytes', () => {
    const text =
      HEADER +
      // the kernel prints "%6s:%7llu": a 15-byte name and a wide counter leave no blank at all
      'verylongname015:1234567890 12 0 0 0 0 0 0 99 3 0 0 0 0 0 0\n' +
      devLine('my if:0', nums(10, 1, 20, 2)) +
      devLine('tab\there', nums(30, 3, 40, 4)) +
      devLine('\u00e9th\u00f8', nums(50, 5, 60, 6)) +
      devLine('a|b', nums(70, 7, 80, 8));
    const r = parseNetDev(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((i) => i.name)).toEqual(['verylongname015', 'my if:0', 'tab\there', '\u00e9th\u00f8', 'a|b']);
    expect(r.value[0]!.counters).toMatchObject({ rx_bytes: 1234567890, rx_packets: 12, tx_bytes: 99, tx_packets: 3 });
    expect(r.value[1]!.counters).toMatchObject({ rx_bytes: 10, tx_packets: 2 });
  });

  it('keeps a garbled counter missing instead of zero', () => {
    const r = parseNetDev(HEADER + '  eth0: 100 x 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n');
    expect(r.ok && r.value[0]!.counters.rx_packets).toBeUndefined();
    expect(r.ok && r.value[0]!.counters.rx_bytes).toBe(100);
  });

  it('rejects empty, truncated and garbled input with a ParseError', () => {
    expect(parseNetDev('').ok).toBe(false);
    expect(parseNetDev(HEADER + '  eth0: 1 2 3\n').ok).toBe(false);
    expect(parseNetDev(HEADER + 'no colon here 1 2 3\n').ok).toBe(false);
    expect(parseNetDev(HEADER + devLine('eth0', nums(1, 1, 1, 1)) + devLine('eth0', nums(1, 1, 1, 1))).ok).toBe(false);
    expect(parseNetDev(HEADER + '  eth0: a b c d e f g h i j k l m n o p\n').ok).toBe(false);
    // only the header (no interfaces at all, as in a fresh namespace before lo exists) is fine
    expect(parseNetDev(HEADER)).toEqual({ ok: true, value: [] });
  });

  it('survives fuzzing', () => fuzzParser(parseNetDev, [dev618, dev22, HEADER + 'verylongname015:1234567890 12 0 0 0 0 0 0 99 3 0 0 0 0 0 0\n']));
});

describe('sysfs attribute parsing and %ifutil', () => {
  it('treats speed -1, 0 and garbage as unknown', () => {
    expect(parseSpeed('-1\n')).toBeUndefined();
    expect(parseSpeed('0\n')).toBeUndefined();
    expect(parseSpeed('fast')).toBeUndefined();
    expect(parseSpeed('10000\n')).toBe(10000);
    expect(parseSysfsWord('up\n')).toBe('up');
    expect(parseSysfsWord('\u001b[2J')).toBeUndefined();
  });
  it('computes %ifutil as sysstat does: full duplex the busier direction, else the sum', () => {
    // 12.5 MB/s on a 1000 Mb/s link is 10 %
    expect(ifutilPercent(12.5e6, 1e6, 1000, 'full')).toBeCloseTo(10);
    expect(ifutilPercent(12.5e6, 12.5e6, 1000, 'half')).toBeCloseTo(20);
    expect(ifutilPercent(12.5e6, 12.5e6, 1000, undefined)).toBeCloseTo(20);
    expect(ifutilPercent(12.5e6, 1e6, undefined, 'full')).toBeUndefined();
  });
});

function sysfs(iface: string, a: { operstate: string; speed: string; duplex: string; ifindex: number; carrier?: string; changes: number }): Record<string, string> {
  const d = `/sys/class/net/${iface}`;
  const out: Record<string, string> = {
    [`${d}/operstate`]: `${a.operstate}\n`,
    [`${d}/speed`]: `${a.speed}\n`,
    [`${d}/duplex`]: `${a.duplex}\n`,
    [`${d}/ifindex`]: `${a.ifindex}\n`,
    [`${d}/mtu`]: '1500\n',
    [`${d}/type`]: '1\n',
    [`${d}/tx_queue_len`]: '1000\n',
    [`${d}/carrier_changes`]: `${a.changes}\n`,
  };
  if (a.carrier !== undefined) out[`${d}/carrier`] = `${a.carrier}\n`;
  return out;
}

async function windowRows(first: Record<string, string>, second: Record<string, string>, links: Record<string, string>): Promise<Map<string, ModelRow>> {
  const a = fixtureTree(first, { 'clock.json': { monoMs: 0, wall: '2026-01-01T00:00:00Z' }, 'links.json': links });
  const b = fixtureTree(second, { 'clock.json': { monoMs: 2000, wall: '2026-01-01T00:00:02Z' }, 'links.json': links });
  try {
    const m = deriveModel([netdevCollector], await collectWindow([netdevCollector], [a.source, b.source], 2000));
    const rows = m.tables.netdev!.rows;
    if (rows.status !== 'ok') throw new Error(`netdev table: ${rows.reason}`);
    return new Map(rows.value.map((r) => [r.key, r]));
  } finally {
    a.cleanup();
    b.cleanup();
  }
}

describe('netdev collector on fixture trees', () => {
  const links = {
    '/sys/class/net/eth0': '../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0',
    '/sys/class/net/veth0': '../../devices/virtual/net/veth0',
  };

  it('computes sar -n DEV rates, %ifutil and EDEV errors over a 2 s window', async () => {
    const rows = await windowRows(
      {
        '/proc/net/dev': HEADER + devLine('eth0', nums(1_000_000, 1000, 500_000, 800, 5)) + devLine('veth0', nums(0, 0, 0, 0)),
        ...sysfs('eth0', { operstate: 'up', speed: '1000', duplex: 'full', ifindex: 2, carrier: '1', changes: 1 }),
        ...sysfs('veth0', { operstate: 'down', speed: '-1', duplex: 'unknown', ifindex: 7, changes: 0 }),
      },
      {
        // +250,000,000 rx bytes in 2 s = 125 MB/s = 100 % of 1000 Mb/s full duplex
        '/proc/net/dev': HEADER + devLine('eth0', nums(251_000_000, 3000, 2_548_000, 1800, 9)) + devLine('veth0', nums(0, 0, 0, 0)),
        ...sysfs('eth0', { operstate: 'up', speed: '1000', duplex: 'full', ifindex: 2, carrier: '1', changes: 3 }),
        ...sysfs('veth0', { operstate: 'down', speed: '-1', duplex: 'unknown', ifindex: 7, changes: 0 }),
      },
      links,
    );
    const eth0 = rows.get('eth0')!;
    expect(eth0.labels).toMatchObject({ operstate: 'up', duplex: 'full', ifindex: '2', link_type: 'ether', virtual: 'no' });
    expect(eth0.values.rx_packets).toBeCloseTo(1000);
    expect(eth0.values.tx_packets).toBeCloseTo(500);
    expect(eth0.values.rxkB_s).toBeCloseTo(250_000_000 / 2 / 1024);
    expect(eth0.values.txkB_s).toBeCloseTo(2_048_000 / 2 / 1024);
    expect(eth0.values.ifutil_pct).toBeCloseTo(100);
    expect(eth0.values.rx_errs).toBeCloseTo(2);
    expect(eth0.values.errors_s).toBeCloseTo(4);
    expect(eth0.values.drops_s).toBeCloseTo(4);
    expect(eth0.values.carrier_changes).toBeCloseTo(1);
    expect(eth0.values.speed).toBe(1000);
    const veth = rows.get('veth0')!;
    expect(veth.labels.virtual).toBe('yes');
    // speed -1 and an unreadable carrier (link down) stay missing, never 0
    expect(veth.values.speed).toBeUndefined();
    expect(veth.values.carrier).toBeUndefined();
    expect(veth.values.ifutil_pct).toBeUndefined();
    expect(veth.values.rx_packets).toBe(0);
  });

  it('gives no rate for an interface that was deleted and re-created under the same name', async () => {
    const rows = await windowRows(
      { '/proc/net/dev': HEADER + devLine('veth0', nums(1000, 10, 1000, 10)), ...sysfs('veth0', { operstate: 'up', speed: '10000', duplex: 'full', ifindex: 7, changes: 0 }) },
      // new ifindex, counters restarted but already above the old ones
      { '/proc/net/dev': HEADER + devLine('veth0', nums(5000, 50, 5000, 50)), ...sysfs('veth0', { operstate: 'up', speed: '10000', duplex: 'full', ifindex: 9, changes: 0 }) },
      links,
    );
    expect(rows.get('veth0')!.values.rx_packets).toBeUndefined();
    expect(rows.get('veth0')!.values.rxkB_s).toBeUndefined();
  });

  it('reads another namespace from /proc/PID/net/dev without borrowing the host sysfs attributes', () => {
    const t = fixtureTree({
      '/proc/4242/net/dev': HEADER + devLine('eth0', nums(10, 1, 20, 2)),
      ...sysfs('eth0', { operstate: 'up', speed: '1000', duplex: 'full', ifindex: 2, changes: 1 }),
    });
    try {
      const r = collectNetdev(t.source, '/proc/4242/net');
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value[0]!.values.rx_bytes).toBe(10);
      expect(r.value[0]!.values.speed).toBeUndefined();
      expect(r.value[0]!.labels).toBeUndefined();
      expect(netdevCollector.collect(t.source, { sampleIndex: 0, netnsPid: 4242 })).toEqual({ netdev: r });
    } finally {
      t.cleanup();
    }
  });

  it('never reads outside /sys/class/net for a hostile interface name', () => {
    const t = fixtureTree({ '/proc/net/dev': HEADER + devLine('..', nums(1, 1, 1, 1)) + devLine('a/../../x', nums(1, 1, 1, 1)) });
    try {
      const r = collectNetdev(t.source);
      expect(r.status).toBe('ok');
      if (r.status === 'ok') expect(r.value.map((x) => x.labels)).toEqual([undefined, undefined]);
    } finally {
      t.cleanup();
    }
  });

  it('is unavailable, not an error, without /proc/net/dev', () => {
    const t = fixtureTree({});
    try {
      expect(collectNetdev(t.source).status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });
});
