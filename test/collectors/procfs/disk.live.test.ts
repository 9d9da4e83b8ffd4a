import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { diskCollector } from '../../../collectors/procfs/disk/collector.js';
import { deriveModel, type ModelRow } from '../../../src/core/derive.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { collectSample } from '../../../src/core/sample.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { liveRequirement } from '../../helpers/capabilities.js';

/*
 * Live: a loop device of our own (direct I/O to a preallocated file in a temp dir), steady
 * direct-I/O writes on it from 4 bounded dd processes, and diag's 1 s window compared with
 * `iostat -dxy -o JSON <dev> 1 1` started at the same moment. A second loop device gets a
 * partition through the BLKPG ioctl (addpart): this test kernel has no partition-table parsers
 * (CONFIG_MSDOS_PARTITION and CONFIG_EFI_PARTITION unset), and addpart needs none.
 */
const need = liveRequirement('root', 'cmd:losetup', 'cmd:iostat', 'cmd:dd', 'cmd:timeout', 'cmd:fallocate', 'cmd:addpart', 'cmd:chrt');
const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const iostatJson = z.object({
  sysstat: z.object({
    hosts: z.array(z.object({ statistics: z.array(z.object({ disk: z.array(z.record(z.string(), z.union([z.string(), z.number()]))) })) })),
  }),
});

let dir = '';
const loops: string[] = [];
const workers: ChildProcess[] = [];

function attach(file: string, ...opts: string[]): string {
  const dev = execFileSync('losetup', ['--find', '--show', ...opts, file], { encoding: 'utf8' }).trim();
  if (!/^\/dev\/loop\d+$/.test(dev)) throw new Error(`losetup printed ${JSON.stringify(dev)}`);
  loops.push(dev);
  return dev;
}

/** Stop the dd workers and wait (bounded) until they are gone, so the loop device can be detached. */
async function stopWorkers(): Promise<void> {
  const alive = workers.filter((w) => w.exitCode === null && w.signalCode === null && w.pid !== undefined);
  // SIGTERM to timeout(1) is forwarded to its dd; SIGKILL would leave dd running unbounded by time.
  const exits = alive.map((w) => new Promise<void>((r) => w.once('exit', () => r())));
  for (const w of alive) process.kill(w.pid!, 'SIGTERM');
  await Promise.race([Promise.all(exits), sleep(5_000)]);
}

/**
 * diag's value within `rel` of iostat's, plus half of iostat's last printed digit: iostat's JSON
 * carries two decimals, so an aqu-sz of 0.0447 prints as 0.04 and is exact only to ±0.005.
 */
const IOSTAT_HALF_UNIT = 0.005;
const within = (actual: number | undefined, expected: number, rel: number) => {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + IOSTAT_HALF_UNIT);
};

describe.skipIf(need.skip)('disk collector, live on a loop device', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `diagt-disk-${process.pid}-`));
    execFileSync('fallocate', ['-l', '256M', join(dir, 'io.img')]);
    execFileSync('fallocate', ['-l', '8M', join(dir, 'parted.img')]);
  });

  afterAll(async () => {
    await stopWorkers();
    for (const dev of loops.reverse()) {
      try {
        execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * diag's 1 s window and `iostat -dxy -o JSON <dev> 1 1`, started together, while `during`
   * runs. iostat and this thread run SCHED_FIFO for the window so that on a busy 2-core host
   * neither sample is late (windows tens of ms apart see different I/O under a steady load).
   */
  async function sameWindow(name: string, during: () => Promise<void>): Promise<{ v: ModelRow['values']; labels: ModelRow['labels']; ref: (col: string) => number }> {
    execFileSync('chrt', ['-f', '-p', '20', String(process.pid)]);
    let win;
    let iostat;
    try {
      iostat = run('chrt', ['-f', '20', 'iostat', '-dxy', '-o', 'JSON', name, '1', '1'], { timeout: 10_000, env: { ...process.env, LC_ALL: 'C', S_COLORS: 'never' } });
      [win] = await Promise.all([collectWindow([diskCollector], new LiveSource(), 1000), during()]);
    } finally {
      execFileSync('chrt', ['-o', '-p', '0', String(process.pid)]);
    }
    const io = iostatJson.parse(JSON.parse((await iostat).stdout)).sysstat.hosts[0]!.statistics[0]!.disk.find((d) => d.disk_device === name);
    if (io === undefined) throw new Error(`iostat did not report ${name}`);
    const rows = deriveModel([diskCollector], win).tables.disk!.rows;
    if (rows.status !== 'ok') throw new Error(`disk table: ${rows.reason}`);
    const row = rows.value.find((r) => r.labels.kernel === name);
    if (row === undefined) throw new Error(`diag did not report ${name}`);
    const ref = (col: string) => Number(io[col]);
    process.stderr.write(`disk live: diag w/s ${row.values.writes?.toFixed(1)} w_await ${row.values.w_await?.toFixed(3)} %util ${row.values.util_pct?.toFixed(2)} aqu-sz ${row.values.aqu_sz?.toFixed(2)} | iostat w/s ${ref('w/s')} w_await ${ref('w_await')} %util ${ref('util')} aqu-sz ${ref('aqu-sz')}\n`);
    return { v: row.values, labels: row.labels, ref };
  }

  /** 4 SCHED_FIFO direct-I/O writers, 64 MiB apart, bounded by timeout(1) and by count. */
  function startWriters(dev: string, seconds: string): ChildProcess[] {
    const started: ChildProcess[] = [];
    for (let i = 0; i < 4; i++) {
      started.push(spawn('chrt', ['-f', '10', 'timeout', seconds, 'dd', 'if=/dev/zero', `of=${dev}`, 'bs=4k', 'oflag=direct', `seek=${i * 16384}`, 'count=16384', 'status=none'], { stdio: 'ignore' }));
    }
    workers.push(...started);
    return started;
  }

  it('matches iostat -x on a burst of writes inside the window: same I/Os, %util well below 100', async () => {
    const dev = attach(join(dir, 'io.img'), '--direct-io=on');
    const name = basename(dev);
    try {
      // The burst starts 250 ms into the window and stops 450 ms later: both tools count exactly
      // the same I/Os, whatever the few ms between their samples.
      const { v, labels, ref } = await sameWindow(name, async () => {
        await sleep(250);
        const burst = startWriters(dev, '0.45');
        await Promise.race([Promise.all(burst.map((w) => new Promise((r) => w.once('exit', r)))), sleep(700)]);
      });
      expect(labels).toMatchObject({ kind: 'loop', backing_file: join(dir, 'io.img') });
      expect(v.size_bytes).toBe(256 * 1024 * 1024);
      expect(ref('w/s')).toBeGreaterThan(200); // the load really ran
      expect(ref('util')).toBeLessThan(80); // and left the device idle part of the window
      within(v.writes, ref('w/s'), 0.05);
      within(v.wkB_s, ref('wkB/s'), 0.05);
      within(v.w_await, ref('w_await'), 0.05);
      within(v.util_pct, ref('util'), 0.05);
      within(v.aqu_sz, ref('aqu-sz'), 0.05);
      expect(v.wareq_sz).toBeCloseTo(ref('wareq-sz'), 2);
      expect(v.reads).toBe(0);
      expect(v.r_await).toBeUndefined();
    } finally {
      await stopWorkers();
    }
  });

  it('matches iostat -x under a steady load spanning the whole window', async () => {
    const dev = attach(join(dir, 'io.img'), '--direct-io=on');
    const name = basename(dev);
    startWriters(dev, '4');
    try {
      await sleep(700); // steady state
      const { v, ref } = await sameWindow(name, () => Promise.resolve());
      expect(ref('w/s')).toBeGreaterThan(200);
      within(v.writes, ref('w/s'), 0.05);
      within(v.w_await, ref('w_await'), 0.05);
      within(v.util_pct, ref('util'), 0.05);
      within(v.aqu_sz, ref('aqu-sz'), 0.1);
    } finally {
      await stopWorkers();
    }
  });

  it('recognises the partitions of a partitioned loop device', async () => {
    const dev = attach(join(dir, 'parted.img'), '--partscan');
    const name = basename(dev);
    execFileSync('addpart', [dev, '1', '2048', '14336']);
    const s = await collectSample([diskCollector], new LiveSource());
    const c = s.collectors.disk!;
    const rows = c.status === 'ok' ? c.value.tables.disk! : undefined;
    expect(rows?.status).toBe('ok');
    if (rows?.status !== 'ok') return;
    const part = rows.value.find((r) => r.key === `${name}p1`);
    expect(part?.labels).toMatchObject({ kind: 'partition', parent: name, kernel: `${name}p1` });
    expect(part?.values.size_bytes).toBe(14336 * 512);
    expect(rows.value.find((r) => r.key === name)?.labels).toMatchObject({ kind: 'loop' });
  });
});
