import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cpuCollector } from '../../../collectors/procfs/cpu/collector.js';
import { deriveModel } from '../../../src/core/derive.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { collectSample } from '../../../src/core/sample.js';
import { liveRequirement } from '../../helpers/capabilities.js';

/**
 * diag's CPU percentages against mpstat's over the same window while a known load runs:
 * within 1 point (ISSUE: "CPU busy % vs mpstat within 1 point").
 */
const req = liveRequirement('cmd:mpstat');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const cpuLoad = z.object({ cpu: z.string(), usr: z.number(), nice: z.number(), sys: z.number(), iowait: z.number(), irq: z.number(), soft: z.number(), steal: z.number(), guest: z.number(), gnice: z.number(), idle: z.number() });
const mpstatJson = z.object({
  sysstat: z.object({ hosts: z.array(z.object({ statistics: z.array(z.object({ 'cpu-load': z.array(cpuLoad) })) })) }),
});

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LC_ALL: 'C' } });
    children.push(c);
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

describe.skipIf(req.skip)('cpu collector vs mpstat (live)', () => {
  it('agrees with mpstat within 1 point per CPU and for all CPUs under a known load', async () => {
    // A known load: one busy loop for the whole window (bounded: it exits after 6 s by itself).
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 6000; while (Date.now() < end) {}'], { stdio: 'ignore' });
    children.push(busy);
    await new Promise((r) => setTimeout(r, 300));
    const src = new LiveSource();
    const windowS = 2;
    // mpstat reads /proc/stat when it starts and again after the interval; diag samples at the
    // same two moments. A 2 s window keeps a few ms of start-up skew far below 1 point.
    const mp = run('mpstat', ['-P', 'ALL', '-o', 'JSON', String(windowS), '1']);
    const first = await collectSample([cpuCollector], src, { sampleIndex: 0 });
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const second = await collectSample([cpuCollector], src, { sampleIndex: 1 });
    const ref = mpstatJson.parse(JSON.parse(await mp));
    busy.kill('SIGKILL');
    const loads = ref.sysstat.hosts[0]!.statistics[0]!['cpu-load'];
    const model = deriveModel([cpuCollector], { first, second });
    const rows = model.tables.cpu!.rows;
    expect(rows.status).toBe('ok');
    if (rows.status !== 'ok') return;
    expect(rows.value.length).toBe(loads.length);
    for (const l of loads) {
      const r = rows.value.find((x) => x.key === l.cpu);
      expect(r, `cpu ${l.cpu}`).toBeDefined();
      const v = r!.values;
      const busyRef = 100 - l.idle - l.iowait;
      expect(Math.abs(v.busy_pct! - busyRef), `cpu ${l.cpu} busy ${v.busy_pct} vs mpstat ${busyRef}`).toBeLessThanOrEqual(1);
      expect(Math.abs(v.usr_pct! - l.usr), `cpu ${l.cpu} usr`).toBeLessThanOrEqual(1);
      expect(Math.abs(v.sys_pct! - l.sys), `cpu ${l.cpu} sys`).toBeLessThanOrEqual(1);
      expect(Math.abs(v.idle_pct! - l.idle), `cpu ${l.cpu} idle`).toBeLessThanOrEqual(1);
      expect(Math.abs(v.iowait_pct! - l.iowait), `cpu ${l.cpu} iowait`).toBeLessThanOrEqual(1);
    }
    // The load is really there: at least one CPU's worth of the host is busy.
    const all = rows.value.find((x) => x.key === 'all')!;
    expect(all.values.busy_pct!).toBeGreaterThanOrEqual(100 / loads.filter((l) => l.cpu !== 'all').length - 2);
  }, 30_000);
});
