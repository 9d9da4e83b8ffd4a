import { describe, expect, it } from 'vitest';
import type { TableSpec } from '../../src/core/collector.js';
import { counter, derived, gauge } from '../../src/core/fields.js';
import { parseDuration } from '../../src/core/duration.js';
import { UsageError } from '../../src/core/errors.js';
import { treePath } from '../../src/core/tree-meta.js';
import { fieldNeedsWindow } from '../../src/engine/window-needs.js';

/**
 * Direct tests of modules the audit found exercised only indirectly: whether a value needs two
 * samples (if wrong, rate checks silently become unknown, or a one-sample run judges a rate it
 * does not have), the duration parser behind --window/--timeout, and the fixture tree's paths.
 */
const spec: TableSpec = {
  title: 'test',
  scope: 'host',
  fields: { reads: counter('reads'), limit: gauge('limit'), used: gauge('used') },
  derived: { used_pct: derived('used of the limit', 'percent'), read_rate: derived('reads per second', 'count/s') },
  derive: (w) => ({ used_pct: w.value('limit') ? (100 * (w.value('used') ?? 0)) / w.value('limit')! : undefined, read_rate: w.rate('reads') }),
};

describe('fieldNeedsWindow: which values need two samples', () => {
  it('counters need a window, gauges do not', () => {
    expect(fieldNeedsWindow(spec, 'reads')).toBe(true);
    expect(fieldNeedsWindow(spec, 'limit')).toBe(false);
  });

  it('a derived value needs one exactly when levels alone cannot compute it', () => {
    expect(fieldNeedsWindow(spec, 'used_pct')).toBe(false); // used / limit: levels
    expect(fieldNeedsWindow(spec, 'read_rate')).toBe(true); // a rate: two samples
    expect(fieldNeedsWindow(spec, 'unknown_field')).toBe(true); // nothing computes it from levels
  });

  it('a derive function that throws on levels alone needs a window for everything it derives', () => {
    const throwing: TableSpec = { ...spec, derive: () => { throw new Error('needs a previous sample'); } };
    expect(fieldNeedsWindow(throwing, 'used_pct')).toBe(true);
    expect(fieldNeedsWindow(throwing, 'limit')).toBe(false);
  });
});

describe('parseDuration (--window, --timeout)', () => {
  it.each([
    ['500ms', 500],
    ['1s', 1000],
    ['1.5s', 1500],
    ['2', 2000],
    ['60m', 3_600_000],
    ['1h', 3_600_000],
    ['0.5h', 1_800_000],
    [' 1s ', 1000],
  ])('%j is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['0', '0s', '61m', '1.1h', '2h', '1d', '-1s', '1e3', 'soon', '', '1.s'])('%j is a usage error naming the option', (text) => {
    expect(() => parseDuration(text, '--window')).toThrow(UsageError);
    expect(() => parseDuration(text, '--window')).toThrow(/^--window: /);
  });
});

describe('treePath: host paths inside a fixture tree', () => {
  it('normalises, and refuses to leave the tree or read its metadata', () => {
    expect(treePath('/proc/stat')).toBe('/proc/stat');
    expect(treePath('proc//net/../stat')).toBe('/proc/stat');
    expect(treePath('/../etc/shadow')).toBe('/etc/shadow'); // "/.." is "/" (as the kernel resolves it)
    expect(treePath('/.diag/clock.json')).toBeUndefined();
    expect(treePath('/.diag')).toBeUndefined();
  });
});
