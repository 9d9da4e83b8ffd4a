import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportSchema, type Report } from '../../src/engine/report-schema.js';
import { History } from '../../src/recording/history.js';
import { DirStore } from '../../src/recording/store.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { cgroupDirs, cgroupVersion, enableV2Controllers } from '../helpers/cgroup-fs.js';
import { diag } from '../helpers/diag-cli.js';
import { builtCli, DIAG, PREFIX, sleep, until, Workloads } from '../scenarios/helpers.js';

/**
 * Judging the past: a recorder at a 1 s interval while six busy loops (bounded by timeout(1),
 * in a cgroup of ours weighing as 16 processes, killed by PID/session) saturate this 2-CPU host,
 * then after they are gone. `--at` the fault's time finds CPU saturation and names the loops as
 * culprits; `--at` after it does not; `--since` lists the saturation period with its start and
 * end within one sample interval of when the loops started and ended.
 */
const req = liveRequirement('root', 'cmd:timeout', 'cmd:pgrep', 'cgroup:cpu');
const loops = new Workloads();
const HEAVY_DIR = req.skip ? '' : cgroupDirs(['cpu'], `${PREFIX}-recheavy`)[0]!;
// the recorder weighs as much as the loops: it must keep sampling through the fault it records
const REC_DIR = req.skip ? '' : cgroupDirs(['cpu'], `${PREFIX}-recorder`)[0]!;
const dir = mkdtempSync(join(tmpdir(), `diagt-rec-${process.pid}-`));
let recorder: ChildProcess | undefined;

afterAll(async () => {
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

function cpuTicks(pid: string): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return -1;
  }
}
const pgrep = (args: string[]) => spawnSync('pgrep', args, { encoding: 'utf8' }).stdout.trim().split('\n').filter((p) => /^\d+$/.test(p));
const samples = () => {
  const store = new DirStore(dir);
  const meta = store.meta();
  return meta ? new History(store, meta).samples() : [];
};
const samplesAfter = (ms: number) => samples().filter((s) => s.wallMs > ms).length;

async function judge(args: string[]): Promise<{ code: number | null; report: Report }> {
  const r = await diag(['run', 'playbook', 'use', '--recording', dir, '--json', ...args], { timeoutMs: 60_000 });
  try {
    return { code: r.exitCode, report: reportSchema.parse(JSON.parse(r.stdout)) };
  } catch (e) {
    throw new Error(`no report (exit ${r.exitCode}): ${e instanceof Error ? e.message : String(e)}\n${r.stderr}\n${r.stdout.slice(0, 1000)}`);
  }
}

interface Period {
  check: string;
  scope: string;
  start: string;
  end: string;
  worst: string;
  windows: number;
  culprits: Array<{ id: string; windows: number }>;
}

describe.skipIf(req.skip)('judging a recording (live)', () => {
  it('--at the fault finds CPU saturation and names the loops; --at after does not; --since gives the period within one interval', async () => {
    builtCli();
    enableV2Controllers(['cpu']);
    const weight = (d: string) => writeFileSync(`${d}/${cgroupVersion('cpu') === 1 ? 'cpu.shares' : 'cpu.weight'}`, cgroupVersion('cpu') === 1 ? '16384' : '1600');
    mkdirSync(REC_DIR);
    weight(REC_DIR);
    recorder = spawn(process.execPath, [DIAG, 'record', '--dir', dir, '--interval', '1s', '--quiet'], { stdio: 'ignore' });
    writeFileSync(`${REC_DIR}/cgroup.procs`, String(recorder.pid));
    await until(() => samples().length >= 2, 20_000, 'two baseline samples');

    mkdirSync(HEAVY_DIR);
    weight(HEAVY_DIR);
    const gate = loops.gated('for i in 1 2 3 4 5 6; do timeout -s KILL 40 sh -c "while :; do :; done" & done; wait');
    writeFileSync(`${HEAVY_DIR}/cgroup.procs`, String(gate.pid));
    const launched = Date.now();
    gate.stdin?.end('go\n');
    let leaders: string[] = [];
    await until(() => (leaders = pgrep(['-P', String(gate.pid), 'timeout'])).length === 6, 10_000, 'six timeout(1) leaders');
    let mine: string[] = [];
    await until(() => (mine = leaders.flatMap((l) => pgrep(['-P', l, 'sh']))).length === 6 && mine.every((p) => cpuTicks(p) >= 20), 15_000, 'six busy loops with 0.2 s of CPU each');
    const busy = Date.now();
    await until(() => samplesAfter(busy) >= 3, 20_000, 'three samples during the fault');
    const stopping = Date.now();
    await loops.stop();
    await until(() => mine.every((p) => cpuTicks(p) < 0), 10_000, 'the loops gone');
    const gone = Date.now();
    await until(() => samplesAfter(gone) >= 2, 20_000, 'two samples after the fault');
    recorder.kill('SIGTERM');
    await new Promise((r) => (recorder!.exitCode !== null ? r(null) : recorder!.once('exit', r)));

    const all = samples();
    const gaps = all.slice(1).map((s, i) => s.wallMs - all[i]!.wallMs);
    const interval = Math.max(...gaps);

    // at the fault: saturation, the loops named
    const at = await judge(['--at', new Date((busy + stopping) / 2).toISOString()]);
    const sat = at.report.findings.find((f) => f.check === 'cpu-runqueue-saturation');
    expect(sat, at.report.findings.map((f) => f.id).join(', ')).toBeDefined();
    const named = (sat!.culprits ?? []).map((c) => c.entity.id.replace('process:', ''));
    expect(named.filter((p) => mine.includes(p)).length, `culprits ${named.join(' ')} vs loops ${mine.join(' ')}`).toBeGreaterThanOrEqual(3);
    expect(at.code).toBeGreaterThanOrEqual(1);

    // after it: the loops explain nothing (the host is shared: other work may still saturate it)
    const after = await judge(['--at', new Date(all.at(-1)!.wallMs - 1).toISOString()]);
    const ours = after.report.findings.flatMap((f) => (f.culprits ?? []).filter((c) => mine.includes(c.entity.id.replace('process:', ''))).map((c) => `${f.id}: ${c.entity.id}`));
    expect(ours).toEqual([]);

    // the periods since just before the fault
    const since = await diag(['run', 'playbook', 'use', '--recording', dir, '--json', '--since', new Date(launched - 1500).toISOString()], { timeoutMs: 60_000 });
    const h = JSON.parse(since.stdout) as { schema: string; periods: Period[]; status: string };
    expect(h.schema).toBe('diag.history/v1');
    // the period that overlaps the fault; its bounds are checked below, within one interval (the
    // window holding `stopping` may already be too quiet to saturate: CI saw a period end 0.4 s
    // before it)
    const period = h.periods.find((p) => p.check === 'cpu-runqueue-saturation' && p.scope === 'host' && Date.parse(p.start) <= stopping && Date.parse(p.end) >= busy);
    expect(period, JSON.stringify(h.periods, null, 1)).toBeDefined();
    // Within one interval of the planted fault: it cannot start later than one interval after
    // the loops started, nor end earlier than one interval before they were gone. This host is
    // shared: a period may reach further when other work saturated it too; then the windows
    // before (after) ours hold the finding without our loops, which is checked, not assumed.
    const start = Date.parse(period!.start);
    const end = Date.parse(period!.end);
    expect(start, `start ${period!.start} vs launched ${new Date(launched).toISOString()}, interval ${interval}`).toBeLessThanOrEqual(launched + interval);
    expect(end, `end ${period!.end} vs gone ${new Date(gone).toISOString()}`).toBeGreaterThanOrEqual(stopping - interval);
    if (start < launched - interval) {
      const before = await judge(['--at', new Date(start + 1).toISOString()]);
      const f = before.report.findings.find((x) => x.check === 'cpu-runqueue-saturation');
      expect(f, 'the period started before the loops: other work saturated the host then').toBeDefined();
      expect((f!.culprits ?? []).filter((c) => mine.includes(c.entity.id.replace('process:', '')))).toEqual([]);
    }
    expect(end <= gone + interval || after.report.findings.some((x) => x.check === 'cpu-runqueue-saturation'), 'a period past the fault is other work, seen after it').toBe(true);
    // The period carries the culprits named in the most of its windows (each window's top five
    // by CPU). Still open (issue 16): six loops share the slots left by other sessions' busier
    // node processes, so each loop is named in fewer windows than they are and the period may
    // name none of them; the loops' naming stays asserted through --at. Here: processes, counted.
    expect(period!.culprits.length, JSON.stringify(period)).toBeGreaterThan(0);
    expect(period!.culprits.every((c) => /^process:\d+$/.test(c.id) && c.windows >= 1 && c.windows <= period!.windows), JSON.stringify(period!.culprits)).toBe(true);
    expect(since.exitCode).toBe(h.status === 'critical' ? 2 : 1);
  });
});
