import { afterAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/core/collector.js';
import { gauge } from '../../src/core/fields.js';
import { ok } from '../../src/core/outcome.js';
import { SlowLane } from '../../src/tui/slow-lane.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/** The slow lane: command collectors sampled in the background, driven by the refreshes, their rounds kept apart by their cost. */
const tree = fixtureTree({ '/proc/uptime': '1 1\n' }, { 'clock.json': { monoMs: 0, wall: '2026-11-22T04:00:00.000Z' } });
afterAll(() => tree.cleanup());

function counting(id: string, log: string[], cost: () => void = () => undefined): Collector {
  return {
    id,
    title: id,
    origin: 'commands',
    resources: ['network'],
    inputs: [],
    tables: { [`${id}_t`]: { title: id, scope: 'host', fields: { n: gauge('n') } } },
    collect: () => {
      log.push(id);
      cost();
      return Promise.resolve({ [`${id}_t`]: ok([{ key: 'host', values: { n: log.length } }]) });
    },
  };
}

describe('the slow lane', () => {
  it('starts a round on the first poll, answers with its tables once it is done, and the next after everyMs', async () => {
    let t = 0;
    const log: string[] = [];
    const lane = new SlowLane(tree.source, [counting('tc', log)], { everyMs: 10_000, windowMs: 1000, now: () => t });
    expect(lane.poll()).toBeUndefined();
    await lane.settled();
    // a window: two samples of the collector
    expect(log).toEqual(['tc', 'tc']);
    expect(Object.keys(lane.poll() ?? {})).toEqual(['tc_t']);
    t = 9_000;
    lane.poll();
    await lane.settled();
    expect(log).toHaveLength(2);
    t = 10_000;
    lane.poll();
    await lane.settled();
    expect(log).toHaveLength(4);
  });

  it('samples the collectors a poll wants besides its own (culprit tables), once', async () => {
    const log: string[] = [];
    const tc = counting('tc', log);
    const lane = new SlowLane(tree.source, [tc], { now: () => 0 });
    lane.poll([counting('ss', log), tc]);
    await lane.settled();
    expect([...log].sort()).toEqual(['ss', 'ss', 'tc', 'tc']);
    expect(Object.keys(lane.poll() ?? {}).sort()).toEqual(['ss_t', 'tc_t']);
  });

  it('keeps a costly round\'s work to a tenth of the time: the next round waits ten times its work', async () => {
    let t = 0;
    const log: string[] = [];
    // each sample costs 1.5 s of work on this fake clock: 3 s a round, besides the 1 s window
    const lane = new SlowLane(tree.source, [counting('ns', log, () => (t += 1500))], { everyMs: 10_000, windowMs: 1000, now: () => t });
    lane.poll();
    await lane.settled();
    expect(t).toBe(3000);
    // the work is what the round took beyond its window: 2 s, so the next is due at 1 s + 10 x 2 s = 21 s
    t = 20_999;
    lane.poll();
    await lane.settled();
    expect(log).toHaveLength(2);
    t = 21_000;
    lane.poll();
    await lane.settled();
    expect(log).toHaveLength(4);
  });

  it('forgets tables too old to judge with, and polls nothing once closed', async () => {
    let t = 0;
    const log: string[] = [];
    const lane = new SlowLane(tree.source, [counting('tc', log)], { everyMs: 10_000, maxAgeMs: 30_000, now: () => t });
    lane.poll();
    await lane.settled();
    lane.close();
    t = 20_000;
    expect(lane.poll()).toBeDefined();
    t = 40_000;
    expect(lane.poll()).toBeUndefined();
    await lane.settled();
    expect(log).toHaveLength(2);
  });
});
