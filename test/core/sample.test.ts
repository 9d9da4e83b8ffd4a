import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/core/collector.js';
import { gauge } from '../../src/core/fields.js';
import { ok } from '../../src/core/outcome.js';
import { collectSample } from '../../src/core/sample.js';
import { LiveSource } from '../../src/core/live-source.js';

const table = { t: { title: 't', scope: 'host', fields: { v: gauge('v') } } };
const make = (id: string, collect: Collector['collect']): Collector => ({ id, title: id, origin: 'procfs', resources: ['cpu'], inputs: [], tables: table, collect });

describe('collectSample', () => {
  it('isolates a crashing collector and keeps the others', async () => {
    const s = await collectSample(
      [
        make('boom', () => {
          throw new Error('bug');
        }),
        make('fine', () => ({ t: ok([{ key: 'host', values: { v: 1 } }]) })),
        make('async-boom', () => Promise.reject(new Error('async bug'))),
      ],
      new LiveSource(),
    );
    expect(s.collectors.boom).toMatchObject({ status: 'error' });
    expect(s.collectors['async-boom']).toMatchObject({ status: 'error' });
    expect(s.collectors.fine).toMatchObject({ status: 'ok' });
    expect(Object.keys(s.collectors)).toEqual(['boom', 'fine', 'async-boom']);
  });
  it('reports a slow asynchronous collector as timed out, not as zero', async () => {
    const slow = make('slow', () => new Promise((r) => setTimeout(() => r({ t: ok([]) }), 2000)));
    const s = await collectSample([slow], new LiveSource(), { sampleIndex: 0 }, { collectorTimeoutMs: 50 });
    expect(s.collectors.slow).toMatchObject({ status: 'unavailable' });
    expect(s.collectors.slow?.status === 'unavailable' && s.collectors.slow.reason).toMatch(/timed out/);
  });
});
