import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseInterval } from '../../src/cli/interval.js';
import { diag } from '../helpers/diag-cli.js';

/** sar-style INTERVAL [COUNT] for collect and overview. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('interval mode', () => {
  it('reads INTERVAL [COUNT] as sar does, and refuses what is not', () => {
    expect(parseInterval([], 'collect')).toBeUndefined();
    expect(parseInterval(['1', '5'], 'collect')).toEqual({ intervalMs: 1000, count: 5 });
    expect(parseInterval(['0.5'], 'collect')).toEqual({ intervalMs: 500, count: undefined });
    for (const bad of [['0'], ['-1'], ['1s'], ['1', '0'], ['1', '2.5'], ['1', '2', '3'], ['100000']]) expect(() => parseInterval(bad, 'collect'), bad.join(' ')).toThrow(/collect: /);
  });

  it('collect prints COUNT records, each over its interval', async () => {
    const r = await diag(['collect', 'memory', '0.3', '3']);
    expect(r.exitCode, r.stderr).toBe(0);
    const heads = r.stdout.match(/^\d\d:\d\d:\d\d {2}memory over (\d+\.\d\d) s$/gm) ?? [];
    expect(heads).toHaveLength(3);
    for (const h of heads) expect(Number(/over (\S+) s/.exec(h)![1])).toBeGreaterThanOrEqual(0.29);
    expect(r.stdout.match(/^meminfo: Memory .*\(rates over \d/gm)).toHaveLength(3);
  });

  it('collect --json writes one document per line with its time', async () => {
    const r = await diag(['collect', 'cpu', '0.2', '2', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { at: string });
    expect(docs).toHaveLength(2);
    expect(Date.parse(docs[1]!.at)).toBeGreaterThan(Date.parse(docs[0]!.at));
  });

  it('without a count it runs until Ctrl-C and ends with 0', async () => {
    const child = spawn(process.execPath, ['bin/diag.js', 'collect', 'cpu', '0.2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const firstRecord = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (/cpu over/.test(out)) resolve();
      });
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await firstRecord;
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out).toMatch(/cpu over/);
  });

  it('overview takes an interval too, and its help says so', async () => {
    const help = await diag(['overview', '--help']);
    expect(help.stdout).toMatch(/^Usage: diag overview \[--window 1s\] \[--root DIR\] \[INTERVAL \[COUNT\]\]/);
    const r = await diag(['overview', '0.3', '1']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.match(/^--- \d{4}-\d\d-\d\dT/gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/^cpu: /m);
  });
});
