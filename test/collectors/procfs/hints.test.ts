import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuCollector } from '../../../collectors/procfs/cpu/collector.js';
import { netstackCollector } from '../../../collectors/procfs/netstack/collector.js';
import type { Collector, TableOutcomes } from '../../../src/core/collector.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { fixtureTree, notFound } from '../../helpers/fixture-host.js';

/**
 * Kernel hints are for a host seen to lack a file ('not-found', on the live host or as a recording
 * of it said). A tree that simply does not hold the file ('not-captured': a copied tree, a partial
 * archive) says so, and no kernel hint is made up.
 */
async function collect(c: Collector, files: Record<string, string>, missing: Record<string, unknown>): Promise<TableOutcomes> {
  const t = fixtureTree(files, { 'missing.json': missing });
  try {
    return await c.collect(t.source, { sampleIndex: 0 });
  } finally {
    t.cleanup();
  }
}

describe('hints right for the input', () => {
  const stat = { '/proc/stat': 'cpu  1 2 3 4 5 6 7 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\nctxt 1\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n' };
  const psi = ['/proc/pressure/cpu', '/proc/pressure/memory', '/proc/pressure/io'];

  it('PSI missing on the host: the kernel hint', async () => {
    const out = await collect(cpuCollector, stat, notFound(...psi));
    expect(out.psi).toEqual({
      status: 'unavailable',
      code: 'not-found',
      reason: '/proc/pressure/cpu does not exist (kernel without PSI, or booted with psi=0)',
      hint: 'PSI needs Linux >= 4.20 with CONFIG_PSI; add psi=1 to the kernel command line',
    });
  });
  it('PSI not in the tree: "not captured", no kernel hint', async () => {
    const out = await collect(cpuCollector, stat, {});
    expect(out.psi).toEqual({ status: 'unavailable', code: 'not-captured', reason: '/proc/pressure/cpu was not captured in this fixture' });
  });
  it('PSI unreadable: the permission outcome as read, not a kernel hint', async () => {
    const denied = Object.fromEntries(psi.map((p) => [p, { status: 'unavailable', code: 'permission', reason: `${p}: permission denied`, hint: 'run diag as root' }]));
    const out = await collect(cpuCollector, stat, denied);
    expect(out.psi).toEqual({ status: 'unavailable', code: 'permission', reason: '/proc/pressure/cpu: permission denied', hint: 'run diag as root' });
  });
  it('no /proc/net/snmp6 on the host: IPv6 disabled; not in the tree: not captured', async () => {
    const off = await collect(netstackCollector, {}, notFound('/proc/net/snmp6'));
    expect(off.udp6).toMatchObject({ status: 'unavailable', code: 'not-found', reason: '/proc/net/snmp6 does not exist (IPv6 disabled on this host or namespace)' });
    const absent = await collect(netstackCollector, {}, {});
    expect(absent.udp6).toEqual({ status: 'unavailable', code: 'not-captured', reason: '/proc/net/snmp6 was not captured in this fixture' });
  });
  it('--root on a copied tree (not a mounted procfs): not captured, no kernel hint, no command run here', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dcodes-copied-'));
    try {
      mkdirSync(join(root, 'proc'));
      writeFileSync(join(root, 'proc', 'stat'), stat['/proc/stat']);
      const src = new LiveSource({ root });
      const out = await cpuCollector.collect(src, { sampleIndex: 0 });
      expect(out.psi).toEqual({ status: 'unavailable', code: 'not-captured', reason: '/proc/pressure/cpu was not captured in this copied tree' });
      expect(await src.run({ cmd: 'ss', args: ['-s'] })).toMatchObject({ status: 'unavailable', code: 'not-captured' });
      expect(src.statfs('/')).toMatchObject({ status: 'unavailable', code: 'not-captured' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
