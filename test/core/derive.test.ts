import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Collector, Sample } from '../../src/core/collector.js';
import { counterDelta, deriveModel } from '../../src/core/derive.js';
import { counter, derived, gauge } from '../../src/core/fields.js';
import { ok } from '../../src/core/outcome.js';

describe('counterDelta', () => {
  it('is the plain difference when the counter grew', () => {
    expect(counterDelta(100, 250)).toBe(150);
    expect(counterDelta(5, 5)).toBe(0);
  });
  it('recognises a 32-bit wrap', () => {
    expect(counterDelta(2 ** 32 - 10, 5, 32)).toBe(15);
  });
  it('treats a decrease of a 64-bit counter as a reset: undefined, never negative', () => {
    expect(counterDelta(1000, 10)).toBeUndefined();
    expect(counterDelta(1000, 10, 64)).toBeUndefined();
  });
  it('treats an implausible 32-bit "wrap" as a reset', () => {
    expect(counterDelta(3_000_000_000, 1_000_000_000, 32)).toBeUndefined();
  });
  it('keeps missing missing', () => {
    expect(counterDelta(undefined, 10)).toBeUndefined();
    expect(counterDelta(10, undefined)).toBeUndefined();
    expect(counterDelta(Number.NaN, 10)).toBeUndefined();
  });
  it('is never negative for any pair of readings', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.constantFrom<32 | 64 | undefined>(32, 64, undefined), (a, b, bits) => {
        const d = counterDelta(a, b, bits);
        return d === undefined || d >= 0;
      }),
    );
  });
});

const testCollector: Collector = {
  id: 't',
  title: 'test',
  origin: 'procfs',
  resources: ['cpu'],
  inputs: [],
  tables: {
    things: {
      title: 'things',
      scope: 'thing',
      identity: ['start'],
      fields: { n: counter('events'), level: gauge('level'), w: counter('wrapping', 'count', { bits: 32 }) },
      derived: { half_rate: derived('half the event rate', 'count/s') },
      derive: (w) => ({ half_rate: w.rate('n') === undefined ? undefined : w.rate('n')! / 2 }),
    },
  },
  collect: () => ({}),
};

function sample(monoMs: number, rows: Array<{ key: string; start?: string; n?: number; level?: number; w?: number }>): Sample {
  return {
    clock: { monoMs, wall: new Date(monoMs).toISOString() },
    collectors: {
      t: ok({
        clock: { monoMs, wall: '' },
        durationMs: 0,
        tables: { things: ok(rows.map((r) => ({ key: r.key, labels: (r.start ? { start: r.start } : {}) as Record<string, string>, values: { n: r.n, level: r.level, w: r.w } }))) },
      }),
    },
  };
}

describe('deriveModel', () => {
  it('turns counters into per-second rates and keeps gauges', () => {
    const m = deriveModel([testCollector], { first: sample(0, [{ key: 'a', n: 10, level: 3 }]), second: sample(2000, [{ key: 'a', n: 30, level: 4 }]) });
    const t = m.tables.things!;
    expect(t.seconds).toBe(2);
    expect(t.rows.status).toBe('ok');
    if (t.rows.status !== 'ok') return;
    const row = t.rows.value[0]!;
    expect(row.values.n).toBe(10);
    expect(row.deltas.n).toBe(20);
    expect(row.values.level).toBe(4);
    expect(row.values.half_rate).toBe(5);
    expect(row.scope).toBe('thing:a');
  });
  it('gives a new entity no rate instead of a made-up one', () => {
    const m = deriveModel([testCollector], { first: sample(0, []), second: sample(1000, [{ key: 'b', n: 99 }]) });
    const rows = m.tables.things!.rows;
    expect(rows.status === 'ok' && rows.value[0]!.values.n).toBeUndefined();
  });
  it('never pairs rows whose identity changed (a reused PID)', () => {
    const m = deriveModel([testCollector], {
      first: sample(0, [{ key: '42', start: '100', n: 5 }]),
      second: sample(1000, [{ key: '42', start: '900', n: 50 }]),
    });
    const rows = m.tables.things!.rows;
    expect(rows.status === 'ok' && rows.value[0]!.values.n).toBeUndefined();
  });
  it('survives a 32-bit wrap inside the window', () => {
    const m = deriveModel([testCollector], { first: sample(0, [{ key: 'a', w: 2 ** 32 - 1 }]), second: sample(1000, [{ key: 'a', w: 9 }]) });
    const rows = m.tables.things!.rows;
    expect(rows.status === 'ok' && rows.value[0]!.values.w).toBe(10);
  });
  it('with one sample has gauges and no rates', () => {
    const m = deriveModel([testCollector], sample(0, [{ key: 'a', n: 10, level: 3 }]));
    const rows = m.tables.things!.rows;
    expect(rows.status).toBe('ok');
    if (rows.status !== 'ok') return;
    expect(rows.value[0]!.values).toEqual({ n: undefined, level: 3, w: undefined, half_rate: undefined });
  });
});
