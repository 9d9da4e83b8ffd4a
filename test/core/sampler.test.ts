import { describe, expect, it } from 'vitest';
import { processesCollector } from '../../collectors/procfs/processes/collector.js';
import type { CollectContext, Collector } from '../../src/core/collector.js';
import { CollectorMemo } from '../../src/core/collector-memo.js';
import { deriveModel, type ModelRow } from '../../src/core/derive.js';
import { counter, gauge } from '../../src/core/fields.js';
import { ok, unavailable } from '../../src/core/outcome.js';
import { needsWindow, Sampler, type SamplerClock } from '../../src/core/sampler.js';
import type { Clock, Source } from '../../src/core/source.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/**
 * The Sampler alone: a fake clock that only moves when a collector "takes time" or the sampler
 * sleeps, a fake source, and collectors that log when they ran, for which sample, from which
 * source and in which network namespace.
 */
class FakeClock implements SamplerClock {
  t = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    return Promise.resolve();
  }
}

interface Ran {
  readonly id: string;
  readonly index: number;
  readonly at: number;
  readonly from: string;
  readonly netnsPid?: number;
}

function fakeSource(name: string, clock: FakeClock, replay: boolean): Source {
  const none = () => unavailable('not-captured', 'not in this fake');
  return {
    kind: replay ? 'fixture' : 'live',
    replay,
    description: name,
    readFile: none,
    readDir: none,
    readLink: none,
    statfs: none,
    run: () => Promise.resolve(none()),
    now: (): Clock => ({ monoMs: clock.t, wall: new Date(clock.t).toISOString() }),
  };
}

/** A collector that logs each run and takes `costMs` of the fake clock. */
function logging(id: string, kind: 'counter' | 'gauge', clock: FakeClock, log: Ran[], costMs = 0): Collector {
  return {
    id,
    title: id,
    origin: 'procfs',
    resources: ['cpu'],
    inputs: [],
    tables: { [id]: { title: id, scope: 'host', fields: { v: kind === 'counter' ? counter('v') : gauge('v') } } },
    collect: (src: Source, ctx: CollectContext) => {
      log.push({ id, index: ctx.sampleIndex, at: clock.t, from: src.description, ...(ctx.netnsPid !== undefined ? { netnsPid: ctx.netnsPid } : {}) });
      clock.t += costMs;
      return { [id]: ok([{ key: 'host', values: { v: clock.t } }]) };
    },
  };
}

describe('Sampler.window', () => {
  it('reads a levels-only collector once, during the wait, for the second sample', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const rates = logging('rates', 'counter', clock, log, 100);
    const levels = logging('levels', 'gauge', clock, log, 50);
    const w = await new Sampler(fakeSource('host', clock, false), { clock }).window([rates, levels], 1000, { once: (c) => !needsWindow(c) });
    expect(log).toEqual([
      { id: 'rates', index: 0, at: 0, from: 'host' },
      { id: 'levels', index: 1, at: 100, from: 'host' },
      { id: 'rates', index: 1, at: 1000, from: 'host' },
    ]);
    // the wait counted the first sample (100) and the read-once collector (50)
    expect(clock.sleeps).toEqual([850]);
    expect(Object.keys(w.first.collectors)).toEqual(['rates']);
    expect(Object.keys(w.second.collectors).sort()).toEqual(['levels', 'rates']);
    // the second sample's clock is the windowed one: rates span exactly the window
    expect(w.second.clock.monoMs - w.first.clock.monoMs).toBe(1000);
  });

  it('reads a host-load collector again after the read-once collectors, so its window holds only the wait', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const load = { ...logging('load', 'counter', clock, log, 10), hostLoad: true };
    const levels = logging('levels', 'gauge', clock, log, 200);
    const w = await new Sampler(fakeSource('host', clock, false), { clock }).window([load, levels], 1000, { once: (c) => !needsWindow(c) });
    expect(log.map((r) => [r.id, r.index, r.at])).toEqual([
      ['load', 0, 0],
      ['levels', 1, 10],
      ['load', 0, 210],
      ['load', 1, 1000],
    ]);
    const retaken = w.first.collectors.load;
    expect(retaken?.status === 'ok' ? retaken.value.clock.monoMs : undefined).toBe(210);
    // too little of the window left (under 40 %): the first reading stands
    const late = new FakeClock();
    const lateLog: Ran[] = [];
    await new Sampler(fakeSource('host', late, false), { clock: late }).window([{ ...logging('load', 'counter', late, lateLog, 10), hostLoad: true }, logging('levels', 'gauge', late, lateLog, 700)], 1000, { once: (c) => !needsWindow(c) });
    expect(lateLog.map((r) => [r.id, r.index, r.at])).toEqual([
      ['load', 0, 0],
      ['levels', 1, 10],
      ['load', 1, 1000],
    ]);
  });

  it('starts the second sample windowMs after the start of the first, however long the first took', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const slow = logging('slow', 'counter', clock, log, 300);
    await new Sampler(fakeSource('host', clock, false), { clock }).window([slow], 1000);
    expect(clock.sleeps).toEqual([700]);
    expect(log.map((r) => [r.index, r.at])).toEqual([
      [0, 0],
      [1, 1000],
    ]);
    // a first sample longer than the window: no wait at all
    const late = new FakeClock();
    await new Sampler(fakeSource('host', late, false), { clock: late }).window([logging('slower', 'counter', late, [], 1500)], 1000);
    expect(late.sleeps).toEqual([]);
  });

  it('never waits on a replay, and reads the second sample (read-once collectors too) from the second recording', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const rates = logging('rates', 'counter', clock, log, 100);
    const levels = logging('levels', 'gauge', clock, log, 50);
    const phases: string[] = [];
    const sampler = new Sampler([fakeSource('sample0', clock, true), fakeSource('sample1', clock, true)], { clock });
    expect(sampler.replay).toBe(true);
    await sampler.window([rates, levels], 1000, { once: (c) => !needsWindow(c), onPhase: (p) => phases.push(p) });
    expect(clock.sleeps).toEqual([]);
    expect(log.map((r) => `${r.id}@${r.index} from ${r.from}`)).toEqual(['rates@0 from sample0', 'rates@1 from sample1', 'levels@1 from sample1']);
    expect(phases).toEqual(['first', 'wait', 'second']);
  });

  it('samples a second collector set inside a network namespace over the same window', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const host = logging('host', 'counter', clock, log, 10);
    const nsRates = logging('ns_rates', 'counter', clock, log, 10);
    const nsLevels = logging('ns_levels', 'gauge', clock, log, 10);
    const w = await new Sampler(fakeSource('live', clock, false), { clock }).window([host], 1000, {
      once: (c) => !needsWindow(c),
      netns: { pid: 4242, collectors: [nsRates, nsLevels] },
    });
    expect(log.map((r) => `${r.id}@${r.index}${r.netnsPid ? ` in ${r.netnsPid}` : ''}`)).toEqual(['host@0', 'ns_rates@0 in 4242', 'ns_levels@1 in 4242', 'host@1', 'ns_rates@1 in 4242']);
    expect(Object.keys(w.netns!.first.collectors)).toEqual(['ns_rates']);
    expect(Object.keys(w.netns!.second.collectors).sort()).toEqual(['ns_levels', 'ns_rates']);
    expect(Object.keys(w.second.collectors)).toEqual(['host']);
  });

  it('gives a namespace view of read-once collectors an empty first sample at the second one\'s time', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const w = await new Sampler(fakeSource('live', clock, false), { clock }).window([logging('host', 'counter', clock, log)], 500, {
      once: (c) => !needsWindow(c),
      netns: { pid: 7, collectors: [logging('ns_levels', 'gauge', clock, log)] },
    });
    expect(w.netns!.first).toEqual({ clock: w.netns!.second.clock, collectors: {} });
    expect(log.filter((r) => r.id === 'ns_levels').map((r) => r.index)).toEqual([1]);
  });

  it('lets work overlap the wait with the first sample in hand (a snapshot packs it there)', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const seen: string[] = [];
    await new Sampler(fakeSource('live', clock, false), { clock }).window([logging('a', 'counter', clock, log, 100)], 1000, {
      duringWait: (first) => {
        seen.push(`first has ${Object.keys(first.collectors).join(',')} at ${clock.t}`);
        clock.t += 200; // the packing's own time is in the window too
      },
    });
    expect(seen).toEqual(['first has a at 100']);
    expect(clock.sleeps).toEqual([700]);
  });
});

describe('Sampler.cadence', () => {
  it('takes one sample per interval, counting the sample and its consumer into the wait', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const cadence = new Sampler(fakeSource('live', clock, false), { clock }).cadence([logging('c', 'counter', clock, log, 200)]);
    const stop = new AbortController();
    const consumerMs = [100, 900, 0];
    const indexes: number[] = [];
    for await (const step of cadence.every(1000, stop.signal)) {
      indexes.push(step.index);
      clock.t += consumerMs[step.index]!;
      if (step.index === 2) stop.abort();
    }
    expect(indexes).toEqual([0, 1, 2]);
    // 1000 - (200 + 100); 1000 - (200 + 900); after the third, stopped: no wait
    expect(clock.sleeps).toEqual([700]);
    expect(log.map((r) => r.at)).toEqual([0, 1000, 2100]);
    expect(cadence.done).toBe(false);
  });

  it('pairs each sample with the one before: a vanished process is gone, a reused PID gets no rate', async () => {
    // Three recorded samples one second apart. 100 runs in samples 0-1 and then exits; 200 is
    // "old" in 0-1 and a new process ("new", another start time) in 2; 300 starts in 1.
    const stat = (pid: number, comm: string, utime: number, start: number) =>
      `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194304 100 0 2 0 ${utime} 0 0 0 20 0 1 0 ${start} 2990080 429 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;
    const procs: Array<Record<number, [string, number, number]>> = [
      { 100: ['worker', 0, 5000], 200: ['old', 9000, 1000] },
      { 100: ['worker', 100, 5000], 200: ['old', 9050, 1000], 300: ['late', 0, 8000] },
      { 200: ['new', 10, 7000], 300: ['late', 50, 8000] },
    ];
    const trees = procs.map((ps, i) =>
      fixtureTree(Object.fromEntries(Object.entries(ps).map(([pid, [comm, utime, start]]) => [`/proc/${pid}/stat`, stat(Number(pid), comm, utime, start)])), {
        'clock.json': { monoMs: i * 1000, wall: `2026-01-01T00:00:0${i}.000Z` },
        'dirs.json': { '/proc': Object.keys(ps) },
      }),
    );
    try {
      const clock = new FakeClock();
      const sampler = new Sampler([trees[0]!.source, trees[1]!.source, trees[2]!.source], { clock });
      const cadence = sampler.cadence([processesCollector]);
      const rowsOf = (m: ReturnType<typeof deriveModel>): ModelRow[] => {
        const t = m.tables.processes?.rows;
        return t?.status === 'ok' ? t.value : [];
      };
      const steps = [];
      for await (const step of cadence.every(1000)) steps.push(step);
      expect(steps.map((s) => s.index)).toEqual([0, 1, 2]);
      expect(cadence.done).toBe(true);
      expect(clock.sleeps).toEqual([]);
      expect(steps[0]!.prev).toBeUndefined();
      expect(steps[0]!.window).toBe(steps[0]!.sample);
      expect(steps[2]!.prev).toBe(steps[1]!.sample);

      const m1 = deriveModel([processesCollector], steps[1]!.window);
      // 100 ticks in 1 s at USER_HZ 100: one CPU
      expect(rowsOf(m1).find((r) => r.key === '100')?.values.cpu_pct).toBeCloseTo(100);
      expect(rowsOf(m1).find((r) => r.key === '300')?.values.cpu_pct).toBeUndefined();

      const m2 = deriveModel([processesCollector], steps[2]!.window);
      expect(rowsOf(m2).map((r) => r.key).sort()).toEqual(['200', '300']);
      const reused = rowsOf(m2).find((r) => r.key === '200')!;
      expect(reused.labels.comm).toBe('new');
      expect(reused.values.cpu_pct).toBeUndefined(); // not (10 - 9050) ticks: not the same process
      expect(rowsOf(m2).find((r) => r.key === '300')?.values.cpu_pct).toBeCloseTo(50);
      await expect(cadence.next()).rejects.toThrow(/holds 3 samples/);
    } finally {
      for (const t of trees) t.cleanup();
    }
  });

  it('narrows one sample on request and lends its memo to every sample', async () => {
    const clock = new FakeClock();
    const log: Ran[] = [];
    const a = logging('a', 'counter', clock, log);
    const b = logging('b', 'counter', clock, log);
    const lent: unknown[] = [];
    const spy: Collector = { ...a, id: 'spy', collect: (_src, ctx) => (lent.push(ctx.memo), {}) };
    const memo = new CollectorMemo();
    const cadence = new Sampler(fakeSource('live', clock, false), { clock }).cadence([a, b, spy], { memo });
    const first = await cadence.next([a]);
    const second = await cadence.next();
    expect(Object.keys(first.sample.collectors)).toEqual(['a']);
    expect(Object.keys(second.sample.collectors)).toEqual(['a', 'b', 'spy']);
    expect(lent).toEqual([memo]);
    expect(lent[0]).toBe(memo);
    expect(second.window).toEqual({ first: first.sample, second: second.sample });
    expect(cadence.taken).toBe(2);
    expect(log.map((r) => `${r.id}@${r.index}`)).toEqual(['a@0', 'a@1', 'b@1']);
  });
});
