import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyCounter } from '../../../collectors/commands/nic/counter-classes.js';
import { parseEthtoolInfo, parseEthtoolRings, parseEthtoolStats, type EthtoolStat } from '../../../collectors/commands/nic/parse.js';
import { nicCollector, parseNetDevNames, troubleTotals } from '../../../collectors/commands/nic/collector.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/ethtool/${name}`, import.meta.url), 'utf8');

function stats(name: string): EthtoolStat[] {
  const r = parseEthtoolStats(fx(name));
  if (!r.ok) throw r.error;
  return r.value;
}
const classOf = (n: string) => classifyCounter(n).cls;

describe('ethtool parsers', () => {
  it('reads driver identity; empty firmware stays undefined', () => {
    expect(parseEthtoolInfo(fx('info-virtio_net-6.18.txt'))).toEqual({ ok: true, value: { driver: 'virtio_net', version: '1.0.0', firmware: undefined, bus: '0000:00:03.0' } });
    expect(parseEthtoolInfo(fx('info-mlx5.txt'))).toMatchObject({ ok: true, value: { driver: 'mlx5_core', firmware: '16.35.2000 (MT_0000000080)' } });
    expect(parseEthtoolInfo('Cannot get driver information: Operation not supported\n').ok).toBe(false);
  });
  it('reads ring sizes from ethtool 5 and 6 layouts; n/a stays undefined', () => {
    expect(parseEthtoolRings(fx('rings-ixgbe-ethtool5.txt'))).toEqual({ ok: true, value: { rxMax: 4096, txMax: 4096, rx: 512, tx: 512 } });
    expect(parseEthtoolRings(fx('rings-virtio_net-6.18.txt'))).toEqual({ ok: true, value: { rxMax: 256, txMax: 256, rx: 256, tx: 256 } });
    expect(parseEthtoolRings(fx('rings-mlx5.txt'))).toEqual({ ok: true, value: { rxMax: 8192, txMax: 8192, rx: 1024, tx: 1024 } });
    expect(parseEthtoolRings('Pre-set maximums:\nRX:\tn/a\n')).toEqual({ ok: true, value: { rxMax: undefined, txMax: undefined, rx: undefined, tx: undefined } });
    expect(parseEthtoolRings('netlink error: Operation not supported').ok).toBe(false);
  });
  it('reads every counter, including bnxt names that hold ": "', () => {
    expect(stats('stats-virtio_net-6.18.txt')).toHaveLength(20);
    expect(stats('stats-ixgbe.txt').find((s) => s.name === 'rx_missed_errors')!.value).toBe(418839);
    expect(stats('stats-bnxt_en.txt')[0]).toEqual({ name: '[0]: rx_ucast_packets', value: 18831172 });
    expect(stats('stats-veth-6.18.txt')[0]).toEqual({ name: 'peer_ifindex', value: 5 });
  });
  it('skips garbled values instead of reading them as zero, and needs the header', () => {
    const r = parseEthtoolStats('NIC statistics:\n     rx_dropped: x\n     rx_errors: 3\n     rx_err');
    expect(r.ok && r.value).toEqual([{ name: 'rx_errors', value: 3 }]);
    expect(parseEthtoolStats('no stats available\n').ok).toBe(false);
    expect(parseEthtoolStats('NIC statistics:\n')).toEqual({ ok: true, value: [] });
  });
  it('survive fuzzing', () => {
    fuzzParser(parseEthtoolStats, [fx('stats-mlx5.txt'), fx('stats-bnxt_en.txt'), fx('stats-virtio_net-6.18.txt')]);
    fuzzParser(parseEthtoolRings, [fx('rings-mlx5.txt'), fx('rings-ixgbe-ethtool5.txt')]);
    fuzzParser(parseEthtoolInfo, [fx('info-ixgbe.txt')]);
  });
});

describe('trouble classification across drivers', () => {
  it('classifies virtio_net counters (6.x totals and per-queue, 5.x per-queue)', () => {
    expect(classOf('rx_drops')).toBe('rx_dropped');
    expect(classifyCounter('rx0_drops')).toEqual({ cls: 'rx_dropped', queue: 0, base: 'rx_drops' });
    expect(classifyCounter('rx_queue_1_drops')).toEqual({ cls: 'rx_dropped', queue: 1, base: 'rx_drops' });
    expect(classOf('rx_queue_0_xdp_drops')).toBe('xdp_drop');
    expect(classOf('tx0_tx_timeouts')).toBe('tx_errors');
    expect(classOf('rx_kicks')).toBe('other');
    expect(classOf('rx_queue_0_packets')).toBe('other');
  });
  it('classifies ixgbe / e1000e counters', () => {
    expect(classOf('rx_missed_errors')).toBe('rx_missed');
    expect(classOf('rx_no_buffer_count')).toBe('rx_no_buffer');
    expect(classOf('rx_no_dma_resources')).toBe('rx_no_buffer');
    expect(classOf('alloc_rx_buff_failed')).toBe('rx_no_buffer');
    expect(classOf('rx_fifo_errors')).toBe('rx_fifo');
    expect(classOf('rx_over_errors')).toBe('rx_fifo');
    expect(classOf('rx_crc_errors')).toBe('rx_crc');
    expect(classOf('rx_length_errors')).toBe('rx_errors');
    expect(classOf('tx_carrier_errors')).toBe('tx_errors');
    expect(classOf('tx_restart_queue')).toBe('tx_busy');
    expect(classOf('tx_busy')).toBe('tx_busy');
    expect(classOf('rx_flow_control_xoff')).toBe('pause');
    expect(classOf('rx_pb_3_pxoff')).toBe('pause');
    expect(classOf('rx_flow_control_xon')).toBe('other');
    expect(classOf('fdir_miss')).toBe('other');
    expect(classOf('tx_deferred_ok')).toBe('other');
  });
  it('classifies i40e and bnxt_en counters', () => {
    expect(classOf('port.rx_dropped')).toBe('rx_dropped');
    expect(classOf('port.tx_dropped_link_down')).toBe('tx_dropped');
    expect(classOf('port.illegal_bytes')).toBe('rx_errors');
    expect(classOf('port.link_xoff_rx')).toBe('pause');
    expect(classifyCounter('rx-3.rx_packets')).toEqual({ cls: 'other', queue: 3, base: 'rx_packets' });
    expect(classifyCounter('[1]: rx_discards')).toEqual({ cls: 'rx_dropped', queue: 1, base: 'rx_discards' });
    expect(classOf('[0]: missed_irqs')).toBe('other');
    expect(classOf('rx_fcs_err_frames')).toBe('rx_crc');
    expect(classOf('rx_pause_frames')).toBe('pause');
  });
  it('classifies mlx5 counters', () => {
    expect(classOf('rx_out_of_buffer')).toBe('rx_no_buffer');
    expect(classOf('rx_discards_phy')).toBe('rx_dropped');
    expect(classOf('rx_crc_errors_phy')).toBe('rx_crc');
    expect(classOf('rx_symbol_err_phy')).toBe('rx_errors');
    expect(classOf('tx_queue_stopped')).toBe('tx_busy');
    expect(classifyCounter('tx1_stopped')).toEqual({ cls: 'tx_busy', queue: 1, base: 'tx_stopped' });
    expect(classifyCounter('rx0_buff_alloc_err')).toMatchObject({ cls: 'rx_no_buffer', queue: 0 });
    expect(classOf('rx0_xdp_drop')).toBe('xdp_drop');
    expect(classOf('rx_corrected_bits_phy')).toBe('other');
    expect(classOf('rx_64_bytes_phy')).toBe('other');
    expect(classOf('ch0_events')).toBe('other');
    expect(classOf('rx_pause_ctrl_phy')).toBe('pause');
  });
  it('sums per-queue counters only when no total exists, and takes the largest name per class', () => {
    const ml = troubleTotals(stats('stats-mlx5.txt'));
    expect(ml).toMatchObject({ rx_no_buffer: 2297, rx_dropped: 5120, tx_busy: 12, rx_crc: 0, pause: 0 });
    const ix = troubleTotals(stats('stats-ixgbe.txt'));
    expect(ix).toMatchObject({ rx_missed: 418839, rx_no_buffer: 2211, rx_crc: 14, tx_busy: 127, pause: 37 });
    const vi = troubleTotals(stats('stats-virtio_net-5.10.txt'));
    expect(vi.rx_dropped).toBe(3); // rx_queue_0_drops 0 + rx_queue_1_drops 3
    const bn = troubleTotals(stats('stats-bnxt_en.txt'));
    expect(bn.rx_dropped).toBe(41);
    expect(bn.pause).toBe(7);
  });
});

describe('nic collector on recorded output', () => {
  const rec = (args: readonly string[], answer: object) => ({ [`commands/${commandKey({ cmd: 'ethtool', args })}.json`]: answer });
  const okOut = (stdout: string) => ({ stdout, stderr: '', exitCode: 0 });
  const tree = (mlxStats: string, ms: number) => fixtureTree({}, {
    'dirs.json': { '/sys/class/net': ['lo', 'ens1f0np0', 'bonding_masters', 'eth0', 'veth9'] },
    ...rec(['-i', 'veth9'], okOut(fx('info-veth-6.18.txt'))),
    ...rec(['-S', 'veth9'], okOut(fx('stats-veth-6.18.txt'))),
    ...rec(['-i', 'lo'], { stdout: '', stderr: 'Cannot get driver information: Operation not supported\n', exitCode: 71 }),
    ...rec(['-i', 'ens1f0np0'], okOut(fx('info-mlx5.txt'))),
    ...rec(['-g', 'ens1f0np0'], okOut(fx('rings-mlx5.txt'))),
    ...rec(['-S', 'ens1f0np0'], okOut(mlxStats)),
    ...rec(['-i', 'eth0'], okOut(fx('info-virtio_net-6.18.txt'))),
    ...rec(['-g', 'eth0'], okOut(fx('rings-virtio_net-6.18.txt'))),
    ...rec(['-S', 'eth0'], okOut(fx('stats-virtio_net-6.18.txt'))),
    'clock.json': { monoMs: ms, wall: 'x' },
  });
  it('reports rates of trouble classes, rings, and lo as unavailable for that interface only', async () => {
    const base = fx('stats-mlx5.txt');
    const a = tree(base, 0);
    const b = tree(base.replace('rx_out_of_buffer: 2297', 'rx_out_of_buffer: 2797'), 1000);
    try {
      const m = deriveModel([nicCollector], await collectWindow([nicCollector], [a.source, b.source], 1000));
      const rows = m.tables.nic!.rows;
      expect(rows.status).toBe('ok');
      if (rows.status !== 'ok') return;
      expect(rows.value.map((r) => `${r.key}:${r.labels.status}`)).toEqual(['ens1f0np0:ok', 'eth0:ok', 'lo:unavailable', 'veth9:ok']);
      // a veth has no rings: -g is not even asked (nothing recorded for it, no complaint)
      expect(rows.value[3]!.labels.reason).toBeUndefined();
      expect(rows.value[3]!.values.counters).toBe(10);
      const mlx = rows.value[0]!;
      expect(mlx.labels).toMatchObject({ driver: 'mlx5_core', bus: '0000:3b:00.0' });
      expect(mlx.values).toMatchObject({ rx_no_buffer: 500, ring_rx: 1024, ring_rx_max: 8192, ring_rx_pct: 12.5 });
      expect(mlx.values.rx_fifo).toBeUndefined(); // mlx5 has no counter of that class
      expect(rows.value[2]!.labels.reason).toMatch(/Operation not supported/);
      const c = m.tables.nic_counters!.rows;
      expect(c.status === 'ok' && c.value.find((r) => r.key === 'ens1f0np0/rx_out_of_buffer')).toMatchObject({ labels: { class: 'rx_no_buffer' }, values: { value: 500 } });
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('reads the interfaces of another namespace from /proc/PID/net/dev', async () => {
    // lo answered "not supported" when recorded; nothing was recorded for "veth 1"
    const lo = { [`commands/${commandKey({ cmd: 'ethtool', args: ['-i', 'lo'], netnsPid: 42 })}.json`]: { stdout: '', stderr: 'Cannot get driver information: Operation not supported\n', exitCode: 71 } };
    const t = fixtureTree({ '/proc/42/net/dev': 'Inter-|   Receive\n face |bytes\n    lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nveth 1: 5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n' }, lo);
    try {
      const out = await nicCollector.collect(t.source, { sampleIndex: 0, netnsPid: 42 });
      // each interface is unavailable, named exactly
      expect(out.nic!.status === 'ok' && out.nic!.value.map((r) => r.key)).toEqual(['lo', 'veth 1']);
    } finally {
      t.cleanup();
    }
    expect(parseNetDevNames('h1\nh2\n  eth0: 1 2\nbad line\n')).toEqual(['eth0']);
  });
  it('no ethtool answer captured for any interface (a copied tree, a bundle without them): the table says so once', async () => {
    const t = fixtureTree({ '/proc/42/net/dev': 'Inter-|   Receive\n face |bytes\n    lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n' }, {});
    try {
      const out = await nicCollector.collect(t.source, { sampleIndex: 0, netnsPid: 42 });
      expect(out.nic).toMatchObject({ status: 'unavailable', code: 'not-captured' });
      expect(out.nic_counters).toEqual(out.nic);
    } finally {
      t.cleanup();
    }
  });
});
