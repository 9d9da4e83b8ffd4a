import { describe, expect, it } from 'vitest';
import { jsonParts } from '../../src/core/json-parts.js';

const whole = (v: unknown) => [...jsonParts(v)].join('');

describe('jsonParts', () => {
  it('joins to exactly JSON.stringify of plain data, large or small', () => {
    const row = (i: number) => ({ key: String(i), labels: { comm: `w"${i}\u202e`, cgroup: '/a/b' }, values: { a: i, b: undefined, c: null, d: 1.5e-7, e: Number.NaN }, deltas: {} });
    const docs: unknown[] = [
      null,
      0,
      'text',
      [],
      {},
      { a: undefined, f: () => 1, s: Symbol('x'), d: new Date(0), n: [1, undefined, () => 2] },
      { schema: 'm', tables: { processes: { rows: Array.from({ length: 500 }, (_, i) => row(i)), seconds: 1 }, empty: { rows: [] } } },
      Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? undefined : i % 3 === 1 ? [i, Array.from({ length: 100 }, (_, j) => j)] : { i })),
      { deep: { deeper: { rows: Array.from({ length: 65 }, (_, i) => i) } }, after: 'x', gone: undefined },
    ];
    for (const d of docs) expect(whole(d)).toBe(JSON.stringify(d));
  });

  it('writes a large array element by element (no part holds the whole document)', () => {
    const doc = { rows: Array.from({ length: 10_000 }, (_, i) => ({ key: String(i), values: { x: i } })) };
    const parts = [...jsonParts(doc)];
    expect(parts.length).toBeGreaterThan(10_000);
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThan(100);
  });
});
