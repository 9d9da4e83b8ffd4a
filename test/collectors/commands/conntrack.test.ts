import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConntrackStats, parseCount, parseProcConntrackStat } from '../../../collectors/commands/conntrack/parse.js';
import { conntrackCollector } from '../../../collectors/commands/conntrack/collector.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/conntrack/${name}`, import.meta.url), 'utf8');
const s147 = fx('conntrack-S-1.4.7.txt');
const s144 = fx('conntrack-S-1.4.4-kernel4.9.txt');
const proc = fx('proc-net-stat-nf_conntrack-6.18-netns.txt');
const key = commandKey({ cmd: 'conntrack', args: ['-S'] });

describe('conntrack parsers', () => {
  it('sums conntrack -S over CPUs (1.4.7 on 6.18, and 1.4.4 on 4.9 with old counters)', () => {
    expect(parseConntrackStats(s147)).toMatchObject({ ok: true, value: { found: 0, insert_failed: 0, clash_resolve: 0, chaintoolong: 0 } });
    const old = parseConntrackStats(s144);
    expect(old.ok && old.value).toMatchObject({ found: 12304, invalid: 32, insert_failed: 2, drop: 1, search_restart: 4, ignore: 19513 });
    expect(old.ok && old.value.clash_resolve).toBeUndefined();
  });
  it('reads the hex /proc table, entries once', () => {
    const p = parseProcConntrackStat(proc);
    expect(p.ok && p.value).toMatchObject({ entries: 50, clashres: 0, icmp_error: 0 });
    const two = parseProcConntrackStat('entries  found drop\n0000000a  00000010 00000001\n0000000a  00000001 00000002\n');
    expect(two.ok && two.value).toEqual({ entries: 10, found: 17, drop: 3 });
  });
  it('rejects empty, garbled and truncated input', () => {
    expect(parseConntrackStats('').ok).toBe(false);
    expect(parseConntrackStats('conntrack v1.4.7: Operation failed\n').ok).toBe(false);
    expect(parseProcConntrackStat('entries found\n').ok).toBe(false);
    expect(parseProcConntrackStat('x y\n1 2\n').ok).toBe(false);
    const cut = parseConntrackStats('cpu=0   \tfound=3 invalid=1 drop=');
    expect(cut.ok && cut.value).toEqual({ found: 3, invalid: 1 });
    expect(parseCount('262144\n')).toEqual({ ok: true, value: 262144 });
    expect(parseCount('x').ok).toBe(false);
  });
  it('survive fuzzing', () => {
    fuzzParser(parseConntrackStats, [s147, s144]);
    fuzzParser(parseProcConntrackStat, [proc]);
    fuzzParser(parseCount, ['262144\n']);
  });
});

describe('conntrack collector', () => {
  const sys = (count: string) => ({ '/proc/sys/net/netfilter/nf_conntrack_count': count, '/proc/sys/net/netfilter/nf_conntrack_max': '1000\n', '/proc/sys/net/netfilter/nf_conntrack_buckets': '256\n' });
  it('reports fill % and per-second drops and insert failures', async () => {
    const a = fixtureTree(sys('500\n'), { [`commands/${key}.json`]: { stdout: s144, stderr: '', exitCode: 0 }, 'clock.json': { monoMs: 0, wall: 'x' } });
    const b = fixtureTree(sys('900\n'), { [`commands/${key}.json`]: { stdout: s144.replace('insert_failed=2 drop=1', 'insert_failed=12 drop=41'), stderr: '', exitCode: 0 }, 'clock.json': { monoMs: 2000, wall: 'y' } });
    try {
      const m = deriveModel([conntrackCollector], await collectWindow([conntrackCollector], [a.source, b.source], 2000));
      const r = m.tables.conntrack!.rows;
      expect(r.status === 'ok' && r.value[0]!.values).toMatchObject({ count: 900, max: 1000, usage_pct: 90, drop: 20, insert_failed: 5, clash_resolve: undefined });
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('is unavailable when the nf_conntrack module is not loaded', async () => {
    const count = '/proc/sys/net/netfilter/nf_conntrack_count';
    const t = fixtureTree({}, { 'missing.json': { [count]: { status: 'unavailable', code: 'not-found', reason: `${count} does not exist` } } });
    try {
      const out = await conntrackCollector.collect(t.source, { sampleIndex: 0 });
      expect(out.conntrack).toMatchObject({ status: 'unavailable', code: 'not-found', reason: 'nf_conntrack module not loaded' });
    } finally {
      t.cleanup();
    }
  });
  it('says "not captured", not "module not loaded", for a tree that does not hold the sysctl', async () => {
    const t = fixtureTree({}, {});
    try {
      const out = await conntrackCollector.collect(t.source, { sampleIndex: 0 });
      expect(out.conntrack).toEqual({ status: 'unavailable', code: 'not-captured', reason: '/proc/sys/net/netfilter/nf_conntrack_count was not captured in this fixture' });
    } finally {
      t.cleanup();
    }
  });
  it('in another namespace counts from /proc/PID/net/stat and falls back to it without conntrack', async () => {
    const t = fixtureTree({ '/proc/77/net/stat/nf_conntrack': proc, '/proc/sys/net/netfilter/nf_conntrack_max': '262144\n' }, {});
    try {
      const out = await conntrackCollector.collect(t.source, { sampleIndex: 0, netnsPid: 77 });
      const r = out.conntrack!;
      expect(r.status === 'ok' && r.value[0]).toMatchObject({ labels: { stats_from: '/proc/77/net/stat/nf_conntrack' }, values: { count: 50, max: 262144, drop: 0, error: 0 } });
    } finally {
      t.cleanup();
    }
  });
});
