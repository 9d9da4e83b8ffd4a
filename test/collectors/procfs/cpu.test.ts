import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLoadAvg, parsePressure, parseProcStat } from '../../../collectors/procfs/cpu/parse.js';
import { cpuCollector } from '../../../collectors/procfs/cpu/collector.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fuzzParser } from '../../helpers/fuzz.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

const stat618 = readFileSync(new URL('../../fixtures/procfs/stat-6.18.txt', import.meta.url), 'utf8');
const stat269 = readFileSync(new URL('../../fixtures/procfs/stat-2.6.9.txt', import.meta.url), 'utf8');
const psi = 'some avg10=1.50 avg60=0.20 avg300=0.05 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n';

describe('parseProcStat', () => {
  it('reads the aggregate and per-CPU lines and the scheduler counters', () => {
    const r = parseProcStat(stat618);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.cpus.map((c) => c.cpu)).toEqual(['all', '0', '1']);
    expect(r.value.cpus[0]!.times).toMatchObject({ user: 2255, nice: 34, system: 2290, idle: 22625563, iowait: 6290, guest_nice: 0 });
    expect(r.value).toMatchObject({ ctxt: 1990473, processes: 2915, procsRunning: 1, procsBlocked: 0 });
  });
  it('reads an old kernel without steal and guest columns, leaving them missing', () => {
    const r = parseProcStat(stat269);
    expect(r.ok && r.value.cpus[0]!.times.steal).toBeUndefined();
    expect(r.ok && r.value.cpus[0]!.times.softirq).toBe(94);
  });
  it('rejects empty, truncated and garbled input with a ParseError', () => {
    expect(parseProcStat('').ok).toBe(false);
    expect(parseProcStat('cpu  12 3').ok).toBe(false);
    expect(parseProcStat('cpu  a b c d e\n').ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parseProcStat, [stat618, stat269]));
});

describe('parseLoadAvg and parsePressure', () => {
  it('parses /proc/loadavg', () => {
    expect(parseLoadAvg('0.52 0.58 0.59 3/612 12345\n')).toEqual({ ok: true, value: { load1: 0.52, load5: 0.58, load15: 0.59, runnable: 3, threads: 612, lastPid: 12345 } });
    expect(parseLoadAvg('0.52 0.58').ok).toBe(false);
  });
  it('parses PSI with and without a full line', () => {
    const r = parsePressure(psi);
    expect(r.ok && r.value.some).toEqual({ avg10: 1.5, avg60: 0.2, avg300: 0.05, total: 123456 });
    expect(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n').ok).toBe(true);
    expect(parsePressure('some avg10=x\n').ok).toBe(false);
    expect(parsePressure('').ok).toBe(false);
  });
  it('survives fuzzing', () => {
    fuzzParser(parseLoadAvg, ['0.52 0.58 0.59 3/612 12345\n'], 400, { check: (v) => expect(v.lastPid).toBeLessThanOrEqual(4_194_304) });
    // a negative load average, or a last PID past PID_MAX_LIMIT, is not something the kernel prints
    expect(parseLoadAvg('-10.52 0.58 0.59 3/612 12345\n').ok).toBe(false);
    expect(parseLoadAvg('0.52 0.58 0.59 3/612 18446744073709551615\n').ok).toBe(false);
    fuzzParser(parsePressure, [psi]);
  });
});

describe('cpu collector on fixture trees', () => {
  it('computes mpstat percentages from two samples', async () => {
    const a = fixtureTree({ '/proc/stat': 'cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 100 0 100 700 100 0 0 0 0 0\n', '/proc/loadavg': '1.00 0.50 0.25 2/100 99\n' }, { 'clock.json': { monoMs: 0, wall: '2026-01-01T00:00:00Z' } });
    const b = fixtureTree({ '/proc/stat': 'cpu  160 0 120 710 110 0 0 0 0 0\ncpu0 160 0 120 710 110 0 0 0 0 0\n', '/proc/loadavg': '1.00 0.50 0.25 2/100 99\n' }, { 'clock.json': { monoMs: 1000, wall: '2026-01-01T00:00:01Z' } });
    try {
      const m = deriveModel([cpuCollector], await collectWindow([cpuCollector], [a.source, b.source], 1000));
      const rows = m.tables.cpu!.rows;
      expect(rows.status).toBe('ok');
      if (rows.status !== 'ok') return;
      const all = rows.value.find((r) => r.key === 'all')!;
      // deltas: user 60, system 20, idle 10, iowait 10 -> total 100
      expect(all.values.usr_pct).toBeCloseTo(60);
      expect(all.values.sys_pct).toBeCloseTo(20);
      expect(all.values.idle_pct).toBeCloseTo(10);
      expect(all.values.iowait_pct).toBeCloseTo(10);
      expect(all.values.busy_pct).toBeCloseTo(80);
      // PSI files absent: unavailable with a reason, never zeros
      expect(m.tables.psi!.rows.status).toBe('unavailable');
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
