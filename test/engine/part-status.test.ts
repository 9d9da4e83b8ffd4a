import { describe, expect, it } from 'vitest';
import type { Collector, Row, Sample } from '../../src/core/collector.js';
import { deriveModel } from '../../src/core/derive.js';
import { gauge } from '../../src/core/fields.js';
import { ok } from '../../src/core/outcome.js';
import { partsNotDone } from '../../src/engine/part-status.js';

/** A table that reports on the collection (partStatus) lists every part not done, grouped by reason. */
const c: Collector = {
  id: 'walker',
  title: 'walks parts',
  origin: 'namespaces',
  resources: ['network'],
  inputs: [],
  tables: {
    parts: { title: 'parts', scope: 'netns_visit', partStatus: { what: 'network namespaces', name: 'netns_display' }, fields: { n: gauge('n') } },
    plain: { title: 'plain', scope: 'netns', fields: { n: gauge('n') } },
  },
  collect: () => ({}),
};
const row = (key: string, status: string, reason?: string, code?: string): Row => ({ key, labels: { netns_display: `ns-${key}`, status, ...(reason ? { reason } : {}), ...(code ? { code } : {}) }, values: { n: 1 } });
const sample = (rows: Row[]): Sample => {
  const clock = { monoMs: 0, wall: '2026-01-01T00:00:00.000Z' };
  return { clock, collectors: { walker: ok({ clock, durationMs: 1, tables: { parts: ok(rows), plain: ok([row('x', 'skipped', 'not a part table')]) } }) } };
};

describe('parts not done', () => {
  it('are one unavailable entry per status and reason, naming the first six', () => {
    const quiet = Array.from({ length: 9 }, (_, i) => row(String(i), 'skipped', 'not entered: quiet', 'not-run'));
    const m = deriveModel([c], sample([row('a', 'ok'), ...quiet, row('b', 'timeout', 'slow', 'timeout'), row('c', 'skipped'), row('d', 'unavailable', 'x', 'no-such-code')]));
    expect(partsNotDone(m)).toEqual([
      { collector: 'walker', table: 'parts', status: 'unavailable', code: 'not-run', reason: '9 network namespaces skipped: not entered: quiet (ns-0, ns-1, ns-2, ns-3, ns-4, ns-5 +3 more)' },
      { collector: 'walker', table: 'parts', status: 'unavailable', code: 'timeout', reason: '1 network namespaces timeout: slow (ns-b)' },
      { collector: 'walker', table: 'parts', status: 'unavailable', reason: '1 network namespaces skipped: no reason given (ns-c)' },
      // a label is host-derived text: only a known code is passed on
      { collector: 'walker', table: 'parts', status: 'unavailable', reason: '1 network namespaces unavailable: x (ns-d)' },
    ]);
  });
  it('are nothing when every part was done', () => {
    expect(partsNotDone(deriveModel([c], sample([row('a', 'ok')])))).toEqual([]);
  });
});
