import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { History } from '../../src/recording/history.js';
import { DirStore } from '../../src/recording/store.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { cgroupDirs, cgroupVersion, enableV2Controllers } from '../helpers/cgroup-fs.js';
import { diag } from '../helpers/diag-cli.js';
import { TmuxTui } from '../helpers/tmux.js';
import { builtCli, DIAG, PREFIX, sleep, until, Workloads } from '../scenarios/helpers.js';
import { plantFdHog, type Planted } from './plant.js';

/**
 * Time travel in the TUI on a real recording: a recorder at 1 s while a fault is planted and
 * removed (two busy loops bounded by timeout(1) in a cgroup of ours, and a process holding 49 of
 * its 50 file descriptors: a critical finding scoped to that process alone, so where it starts
 * is known), then `diag open --recording DIR` in tmux: stepping moves the header's moment, n
 * lands on the window where the planted finding starts (the period `run --since` finds) and
 * shows it, the history charts are drawn; then the same on a bundle made from the recording.
 */
const req = liveRequirement('root', 'cmd:tmux', 'cmd:python3', 'cmd:timeout', 'cgroup:cpu');
const loops = new Workloads();
const HEAVY_DIR = req.skip ? '' : cgroupDirs(['cpu'], `${PREFIX}-ttheavy`)[0]!;
const REC_DIR = req.skip ? '' : cgroupDirs(['cpu'], `${PREFIX}-ttrec`)[0]!;
const dir = mkdtempSync(join(tmpdir(), `diagt-tt-${process.pid}-`));
let recorder: ChildProcess | undefined;
let hog: Planted | undefined;
let tui: TmuxTui | undefined;

afterAll(async () => {
  tui?.kill();
  hog?.kill();
  await loops.stop();
  if (recorder && recorder.exitCode === null && recorder.signalCode === null) recorder.kill('SIGKILL');
  for (const d of [HEAVY_DIR, REC_DIR]) {
    for (let i = 0; i < 30 && d && existsSync(d); i++) {
      try {
        rmdirSync(d);
      } catch {
        await sleep(100);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const recording = () => join(dir, 'rec');
const times = () => {
  const store = new DirStore(recording());
  const meta = store.meta();
  return meta ? new History(store, meta).samples().map((s) => s.wallMs) : [];
};
const after = (ms: number) => times().filter((t) => t > ms).length;
const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
/** The moment and window the header shows. */
const where = (screen: string) => {
  const m = /(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC) +(\d+)\/(\d+)/.exec(screen.split('\n')[0] ?? '');
  return m ? { at: m[1]!, window: Number(m[2]), windows: Number(m[3]) } : undefined;
};

interface Period {
  check: string;
  scope: string;
  start: string;
  end: string;
}

describe.skipIf(req.skip)('time travel in the TUI (live recording)', () => {
  it('steps, jumps to the planted finding where it starts, draws the charts; the same on a bundle of the history', { timeout: 600_000 }, async () => {
    builtCli();
    enableV2Controllers(['cpu']);
    const weight = (d: string) => writeFileSync(`${d}/${cgroupVersion('cpu') === 1 ? 'cpu.shares' : 'cpu.weight'}`, cgroupVersion('cpu') === 1 ? '16384' : '1600');
    mkdirSync(REC_DIR);
    weight(REC_DIR);
    recorder = spawn(process.execPath, [DIAG, 'record', '--dir', recording(), '--interval', '1s', '--quiet'], { stdio: 'ignore' });
    writeFileSync(`${REC_DIR}/cgroup.procs`, String(recorder.pid));
    await until(() => times().length >= 3, 60_000, 'three baseline samples');

    // the fault: two busy loops (bounded) in a cgroup of ours, and the fd hog (bounded: 90 s)
    mkdirSync(HEAVY_DIR);
    const gate = loops.gated('for i in 1 2; do timeout -s KILL 60 sh -c "while :; do :; done" & done; wait');
    writeFileSync(`${HEAVY_DIR}/cgroup.procs`, String(gate.pid));
    gate.stdin?.end('go\n');
    const name = `diagt-tt-${process.pid}`.slice(0, 15);
    hog = await plantFdHog(name);
    const planted = Date.now();
    await until(() => after(planted) >= 3, 60_000, 'three samples with the fault');
    hog.kill();
    await loops.stop();
    const removed = Date.now();
    await until(() => after(removed) >= 3, 60_000, 'three samples after the fault');
    recorder.kill('SIGTERM');
    await new Promise((r) => (recorder!.exitCode !== null ? r(null) : recorder!.once('exit', r)));

    const all = times();
    const interval = Math.max(...all.slice(1).map((t, i) => t - all[i]!));
    // the reference: the periods `run playbook --recording --since` finds
    const since = await diag(['run', 'playbook', 'use', '--recording', recording(), '--json', '--since', new Date(all[0]!).toISOString()], { timeoutMs: 300_000 });
    const periods = (JSON.parse(since.stdout) as { periods: Period[] }).periods;
    const fault = periods.find((p) => p.check === 'process-fd-limit' && p.scope === `process:${hog!.pid}`);
    expect(fault, JSON.stringify(periods, null, 1)).toBeDefined();
    // the window where it starts: the one that begins at the period's start
    const startWindow = all.findIndex((t) => t === Date.parse(fault!.start)) + 1;
    expect(startWindow).toBeGreaterThan(0);
    expect(all[startWindow]!).toBeGreaterThanOrEqual(planted - interval);
    expect(all[startWindow]!).toBeLessThanOrEqual(planted + 2 * interval);

    // ---- diag open --recording, from the first window ----
    tui = TmuxTui.start({ name: 'tt', cols: 200, rows: 60, args: ['open', '--recording', recording(), '--at', new Date(all[0]!).toISOString()] });
    let s = await tui.waitFor((x) => where(x)?.window === 1, 'the first window', 180_000);
    expect(where(s)).toEqual({ at: utc(all[1]!), window: 1, windows: all.length - 1 });
    expect(s).toMatch(/ History /);
    tui.keys(']');
    s = await tui.waitFor((x) => where(x)?.window === 2, 'one sample forward', 120_000);
    expect(where(s)!.at).toBe(utc(all[2]!));
    tui.keys('Left');
    await tui.waitFor((x) => where(x)?.window === 1, 'one sample back', 120_000);

    // n: windows are judged until a finding starts; other work on this shared host may start
    // findings of its own first: each landing is a period start of the walk, until the planted one
    const starts = new Set(periods.map((p) => Date.parse(p.start)));
    let landed: ReturnType<typeof where>;
    for (let i = 0; i < 12; i++) {
      const before = where(tui.capture())!.window;
      tui.keys('n');
      s = await tui.waitFor((x) => (where(x)?.window ?? 0) > before || /no finding starts after/.test(x), 'the next finding', 240_000);
      landed = where(s);
      expect(landed && landed.window > before, s).toBe(true);
      expect(starts.has(all[landed!.window - 1]!), `window ${landed!.window} starts no period of --since: ${JSON.stringify(periods)}`).toBe(true);
      if (landed!.window >= startWindow) break;
    }
    expect(landed!.window).toBe(startWindow);
    expect(landed!.at).toBe(utc(all[startWindow]!));
    // the planted finding is on screen: the findings panel names the process
    await tui.waitFor((x) => x.includes(`Process ${hog!.pid} (${name})`), 'the planted finding in Findings', 30_000);

    // the charts are drawn once every sample is read: sparklines, the judged windows, the cursor
    // (one column per window: 200 columns leave the charts 175)
    const drawn = new RegExp(`^│CPU busy .*[▁▂▃▄▅▆▇█]{${Math.min(all.length - 1, 175)}}`, 'm');
    s = await tui.waitFor((x) => drawn.test(x) && !/charts \d+\/\d+/.test(x), 'the history charts', 180_000);
    const chart = s.split('\n').filter((l) => /^│(CPU busy|Memory used|Disk busy|Network|Pressure|Findings) /.test(l));
    expect(chart).toHaveLength(6);
    for (const l of chart.slice(0, 5)) expect(l).toMatch(/[▁▂▃▄▅▆▇█]/);
    expect(chart[5]).toMatch(/!/);
    expect(s).toMatch(/▲/);

    // End and Home; the help names the keys
    tui.keys('End');
    await tui.waitFor((x) => where(x)?.window === all.length - 1, 'the last window', 120_000);
    tui.keys('F1');
    await tui.waitFor(/one sample back in the recording/, 'the help');
    tui.keys('x');
    tui.keys('s');
    await tui.waitFor(/snapshots are written from a live host/, 'no snapshot from a recording');
    tui.keys('q');
    expect((await tui.waitExit()).code).toBe(0);
    tui.kill();

    // ---- a bundle of the history opens the same way ----
    const bundle = join(dir, 'hist.tar.gz');
    const snap = await diag(['snapshot', '--recording', recording(), '--since', new Date(all[0]!).toISOString(), '-o', bundle], { timeoutMs: 300_000 });
    expect(snap.exitCode, snap.stderr).toBe(0);
    tui = TmuxTui.start({ name: 'ttb', cols: 200, rows: 60, args: ['open', bundle] });
    s = await tui.waitFor((x) => where(x)?.window === all.length - 1, 'the bundle history at its end', 180_000);
    expect(where(s)!.at).toBe(utc(all.at(-1)!));
    tui.keys('Home');
    await tui.waitFor((x) => where(x)?.window === 1, 'its first window', 120_000);
    tui.keys('}');
    s = await tui.waitFor((x) => (where(x)?.window ?? 1) > 1, 'a minute forward (or the end)', 120_000);
    tui.keys('q');
    expect((await tui.waitExit()).code).toBe(0);
  });
});
