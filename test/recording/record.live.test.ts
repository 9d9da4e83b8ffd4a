import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTORS } from '../../collectors/index.js';
import { deriveModel } from '../../src/core/derive.js';
import { Sampler } from '../../src/core/sampler.js';
import { History } from '../../src/recording/history.js';
import { recordedLane } from '../../src/recording/lanes.js';
import { DirStore } from '../../src/recording/store.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { DIAG, builtCli, until } from '../scenarios/helpers.js';

/**
 * `diag record` on this host at a 1 s interval: killed with SIGKILL while it writes, the
 * recording stays readable up to the last whole sample; a second recorder takes over the stale
 * lock and stops cleanly on SIGTERM. Every recorder is ours, killed by PID.
 */
const req = liveRequirement('root');
const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), `diagt-rec-${process.pid}-`));

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function recorder(args: readonly string[]): ChildProcess {
  builtCli();
  const c = spawn(process.execPath, [DIAG, 'record', '--dir', dir, '--interval', '1s', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(c);
  return c;
}

const samplesIn = (d: string) => {
  const store = new DirStore(d);
  const meta = store.meta();
  return meta ? new History(store, meta).samples().length : 0;
};
const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

describe.skipIf(req.skip)('diag record (live)', () => {
  it('kill -9 mid-recording leaves every stored sample readable; a new recorder takes over and stops on SIGTERM', async () => {
    const a = recorder(['--slow-interval', '3s']);
    await until(() => samplesIn(dir) >= 5, 90_000, 'five recorded samples');
    a.kill('SIGKILL');
    await exited(a);
    const store = new DirStore(dir);
    const h = new History(store, store.meta()!);
    const first = h.samples();
    expect(first.length).toBeGreaterThanOrEqual(5);
    for (const s of first) {
      const src = h.source(s)!;
      expect(src.readFile('/proc/loadavg').status).toBe('ok');
      expect(src.readFile('/proc/stat')).toMatchObject({ status: 'ok', value: expect.stringMatching(/^cpu /) });
      // processes are there, with their stat
      const pids = src.readDir('/proc');
      expect(pids.status).toBe('ok');
      if (pids.status === 'ok') expect(pids.value.filter((p) => /^\d+$/.test(p)).length).toBeGreaterThan(10);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const n of readdirSync(dir)) expect(statSync(join(dir, n)).mode & 0o077).toBe(0);

    // the slow lane (--slow-interval 3s): read at the first sample and every third after it,
    // carried between; a window between readings takes the lane's rates over its readings
    const meta = store.meta()!;
    expect(meta.lane?.intervalMs).toBe(3000);
    expect(meta.lane?.collectors).toEqual(expect.arrayContaining(['sockets', 'qdiscs', 'firewall', 'nic', 'conntrack', 'namespaces']));
    expect(meta.lane?.collectors).not.toContain('processes');
    expect(first.map((r, i) => r.lane === (i % 3 === 0))).not.toContain(false);
    const between = first.findIndex((r, i) => i > 0 && !r.lane && first[i + 1] !== undefined && !first[i + 1]!.lane);
    expect(between).toBe(1);
    {
      const own = [h.source(first[between]!)!, h.source(first[between + 1]!)!] as const;
      const laneCollectors = COLLECTORS.filter((c) => meta.lane!.collectors.includes(c.id));
      const plain = deriveModel(laneCollectors, await new Sampler([own[0], own[1]]).window(laneCollectors, 1000));
      const tablesOf = (m: typeof plain) => Object.values(m.tables).filter((t) => t.rows.status === 'ok');
      // the same reading twice: no rates (never a zero)
      expect(tablesOf(plain).length).toBeGreaterThan(0);
      expect(tablesOf(plain).map((t) => t.seconds ?? 'none')).toEqual(tablesOf(plain).map(() => 'none'));
      const rl = recordedLane(h, first, between, between + 1, own)!;
      expect(rl.note).toMatch(/slow lane \(read every 3 s\)/);
      const laned = deriveModel(laneCollectors, await new Sampler([own[0], own[1]], { lane: rl }).window(laneCollectors, 1000));
      // every lane table with a window spans the readings (3 samples of 1 s), and some have one
      const windowed = tablesOf(laned).filter((t) => t.seconds !== undefined);
      expect(windowed.length).toBeGreaterThan(0);
      for (const t of windowed) expect(t.seconds, t.id).toBeGreaterThan(2);
    }

    const b = recorder(['--max-size', '64MiB', '--max-age', '1h']);
    await until(() => samplesIn(dir) >= first.length + 2, 20_000, 'two more samples from the second recorder');
    b.kill('SIGTERM');
    expect(await exited(b)).toBe(0);
    const again = new History(store, store.meta()!).samples();
    expect(again.slice(0, first.length).map((s) => s.wallMs)).toEqual(first.map((s) => s.wallMs));
    expect(new Set(again.map((s) => s.segment)).size).toBe(2);
  });
});
