import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { History } from '../../src/recording/history.js';
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
    const a = recorder([]);
    await until(() => samplesIn(dir) >= 3, 20_000, 'three recorded samples');
    a.kill('SIGKILL');
    await exited(a);
    const store = new DirStore(dir);
    const h = new History(store, store.meta()!);
    const first = h.samples();
    expect(first.length).toBeGreaterThanOrEqual(3);
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

    const b = recorder(['--max-size', '64MiB', '--max-age', '1h']);
    await until(() => samplesIn(dir) >= first.length + 2, 20_000, 'two more samples from the second recorder');
    b.kill('SIGTERM');
    expect(await exited(b)).toBe(0);
    const again = new History(store, store.meta()!).samples();
    expect(again.slice(0, first.length).map((s) => s.wallMs)).toEqual(first.map((s) => s.wallMs));
    expect(new Set(again.map((s) => s.segment)).size).toBe(2);
  });
});
