import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { basisText } from '../../collectors/procfs/memory/available.js';
import { memoryCollector } from '../../collectors/procfs/memory/collector.js';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import type { Report } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/**
 * A 16 GB host on a kernel without MemAvailable (2.6.32, RHEL 6) judged by the built-in memory
 * playbook. Before diag estimated MemAvailable it took MemFree, as procps-ng 4 does: a host
 * with 15 of 16 GB in page cache was "98 % used", critical. The /proc texts follow the 2.6.32
 * formats of test/fixtures/procfs/meminfo-2.6.32.txt and zoneinfo-2.6.32.txt.
 */
const GiB = 1024 * 1024; // in kB
const vmstat = readFileSync(new URL('../fixtures/procfs/vmstat-3.10.txt', import.meta.url), 'utf8');
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

interface Host {
  /** kB */
  free: number;
  buffers: number;
  activeFile: number;
  inactiveFile: number;
  anon: number;
  sreclaimable: number;
}
const TOTAL = 16 * GiB - 200 * 1024;

function meminfo(h: Host): string {
  const cached = h.activeFile + h.inactiveFile - h.buffers;
  const line = (k: string, v: number, unit = ' kB') => `${`${k}:`.padEnd(16)}${String(v).padStart(8)}${unit}`;
  return [
    line('MemTotal', TOTAL),
    line('MemFree', h.free),
    line('Buffers', h.buffers),
    line('Cached', cached),
    line('SwapCached', 0),
    line('Active', Math.round(h.anon * 0.7) + h.activeFile),
    line('Inactive', Math.round(h.anon * 0.3) + h.inactiveFile),
    line('Active(anon)', Math.round(h.anon * 0.7)),
    line('Inactive(anon)', Math.round(h.anon * 0.3)),
    line('Active(file)', h.activeFile),
    line('Inactive(file)', h.inactiveFile),
    line('Unevictable', 0),
    line('Mlocked', 0),
    line('SwapTotal', 0),
    line('SwapFree', 0),
    line('Dirty', 412),
    line('Writeback', 0),
    line('AnonPages', h.anon),
    line('Mapped', 81244),
    line('Shmem', 5880),
    line('Slab', h.sreclaimable + 61220),
    line('SReclaimable', h.sreclaimable),
    line('SUnreclaim', 61220),
    line('KernelStack', 3184),
    line('PageTables', 21556),
    line('CommitLimit', Math.round(TOTAL / 2)),
    line('Committed_AS', h.anon + 400000),
    line('HugePages_Total', 0, ''),
    line('HugePages_Free', 0, ''),
    line('Hugepagesize', 2048),
    '',
  ].join('\n');
}

/** zoneinfo of the same host, 2.6.32 layout; file LRU split 1/5 DMA32, 4/5 Normal; min_free_kbytes 67584. */
function zoneinfo(h: Host): string {
  const pages = (kB: number) => Math.round(kB / 4);
  const zone = (name: string, free: number, min: number, present: number, act: number, inact: number) =>
    [
      `Node 0, zone ${name.padStart(8)}`,
      `  pages free     ${free}`,
      `        min      ${min}`,
      `        low      ${min + Math.floor(min / 4)}`,
      `        high     ${min + Math.floor(min / 2)}`,
      '        scanned  0',
      `        spanned  ${present}`,
      `        present  ${present}`,
      `    nr_free_pages ${free}`,
      `    nr_inactive_file ${inact}`,
      `    nr_active_file ${act}`,
      '        protection: (0, 0, 0, 0)',
      '  pagesets',
      '    cpu: 0',
      '              count: 31',
      '              high:  186',
      '              batch: 31',
      '  vm stats threshold: 8',
      '  all_unreclaimable: 0',
      '  prev_priority:     12',
      '  start_pfn:         4096',
      '  inactive_ratio:    5',
    ].join('\n');
  const fa = pages(h.activeFile);
  const fi = pages(h.inactiveFile);
  return [
    zone('DMA', 3817, 16, 3832, 0, 0),
    zone('DMA32', Math.round(pages(h.free) / 5), 3360, 783000, Math.round(fa / 5), Math.round(fi / 5)),
    zone('Normal', pages(h.free) - 3817 - Math.round(pages(h.free) / 5), 13520, 3407872, fa - Math.round(fa / 5), fi - Math.round(fi / 5)),
    '',
  ].join('\n');
}

async function judge(h: Host, withWatermarks: boolean): Promise<Report> {
  const files = (mono: number) => ({
    files: {
      '/proc/meminfo': meminfo(h),
      '/proc/vmstat': vmstat,
      '/proc/swaps': 'Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n',
      ...(withWatermarks ? { '/proc/zoneinfo': zoneinfo(h), '/proc/sys/vm/min_free_kbytes': '67584\n' } : {}),
    },
    meta: { 'clock.json': { monoMs: mono, wall: new Date(1_700_000_000_000 + mono).toISOString() } },
  });
  const a = files(0);
  const b = files(1000);
  const ta = fixtureTree(a.files, a.meta);
  const tb = fixtureTree(b.files, b.meta);
  cleanups.push(ta.cleanup, tb.cleanup);
  const pb = loaded.playbooks.get('memory');
  if (!pb) throw new Error(`no memory playbook: ${loaded.errors.join('; ')}`);
  return runPlaybook({ playbook: pb, catalogue: cat, collectors: [memoryCollector], sources: [ta.source, tb.source], windowMs: 1000 });
}

const memoryFindings = (r: Report) => r.findings.filter((f) => f.resource === 'memory').map((f) => `${f.check}: ${f.title}`);

describe('memory playbook on a 2.6.32 host without MemAvailable', () => {
  // 300 MB free, 15 GB of page cache (most of it inactive), 500 MB of programs
  const cacheHeavy: Host = { free: 300 * 1024, buffers: 180 * 1024, activeFile: 4 * GiB, inactiveFile: 11 * GiB, anon: 500 * 1024, sreclaimable: 250 * 1024 };

  it('15 of 16 GB in page cache: no memory finding, memory utilisation judged ok', async () => {
    // what procps-ng 4 (MemFree as available) would say: critical
    expect((100 * (TOTAL - cacheHeavy.free)) / TOTAL).toBeGreaterThan(97);
    const r = await judge(cacheHeavy, true);
    expect(memoryFindings(r)).toEqual([]);
    expect(r.coverage.find((c) => c.resource === 'memory' && c.kind === 'utilization')?.status).toBe('ok');
  });

  it('without zoneinfo and min_free_kbytes (a partial copy): still no finding, from the upper-bound estimate', async () => {
    const r = await judge(cacheHeavy, false);
    expect(memoryFindings(r)).toEqual([]);
    expect(r.coverage.find((c) => c.resource === 'memory' && c.kind === 'utilization')?.status).toBe('ok');
  });

  it('memory really used by programs: critical, and the finding says its number is diag\'s estimate', async () => {
    const full: Host = { free: 120 * 1024, buffers: 2 * 1024, activeFile: 60 * 1024, inactiveFile: 40 * 1024, anon: 15 * GiB + 500 * 1024, sreclaimable: 30 * 1024 };
    const r = await judge(full, true);
    const f = r.findings.find((x) => x.check === 'memory-used');
    expect(f?.severity).toBe('critical');
    const from = basisText('zoneinfo');
    expect(f?.title).toMatch(new RegExp(`^Memory 9\\d(\\.\\d)?% used \\(total minus ${from.replace(/[()]/g, '\\$&')}\\)$`));
    expect(f?.evidence.labels).toEqual({ available_from: from });
    // the number judged is the estimate: 120 MB free + file pages and slab above the low watermarks
    const low = 4 * (16 + 4 + 3360 + 840 + 13520 + 3380); // kB: the zones' low watermarks
    expect(low).toBe(84480);
    const available = 120 * 1024 - low + (100 * 1024 - Math.min(50 * 1024, low)) + (30 * 1024 - Math.min(15 * 1024, low));
    expect(f?.evidence.value).toBeCloseTo((100 * (TOTAL - available)) / TOTAL, 1);
  });
});
