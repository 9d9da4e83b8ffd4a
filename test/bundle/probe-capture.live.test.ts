import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../src/bundle/reader.js';
import type { DrilldownResult, Report } from '../../src/engine/report-schema.js';
import { cliSession } from '../../src/cli/session.js';
import { unavailable } from '../../src/core/outcome.js';
import { createGuide, type GuideHost } from '../../src/tui/guide.js';
import { makeTheme } from '../../src/tui/theme.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';
import { until, Workloads } from '../scenarios/helpers.js';

/**
 * A snapshot taken while CPU saturation makes the cpu checks drill down into the runqlat probe:
 * the probe runs live during the snapshot, its capture is stored in the bundle, and the bundle
 * replays that BPF evidence offline (`run playbook --from`, the guide of `diag open`) exactly as
 * the report stored at capture shows it. Six busy loops on this 2-CPU host, each bounded by
 * timeout(1) and killed by process group.
 */
const req = liveRequirement('root', 'cmd:timeout');
const work = mkdtempSync(join(tmpdir(), 'dprobe-capture-'));
const file = join(work, 'dprobe-saturated.tar.gz');
const loops = new Workloads();
let captured: Report;
let manifest: { probes: Array<{ name: string; runs?: Array<{ capture: string; status: string; hook?: string }> }> };

const procsRunning = (): number => Number(/^procs_running (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
const probeDrilldowns = (r: Report): Array<{ check: string; d: DrilldownResult }> =>
  r.findings.flatMap((f) => (f.evidence.drilldown ?? []).filter((d) => d.type === 'probe').map((d) => ({ check: f.check, d })));

describe.skipIf(req.skip)('a snapshot keeps the BPF evidence of its drill-downs', () => {
  beforeAll(async () => {
    for (let i = 0; i < 6; i++) loops.start('timeout', ['-s', 'KILL', '60', 'sh', '-c', 'while :; do :; done']);
    await until(() => procsRunning() >= 6);
    try {
      const snap = await diag(['snapshot', '-o', file, '--window', '500ms', '--timeout', '60s'], { timeoutMs: 90_000 });
      expect(snap.exitCode, snap.stderr).toBe(0);
    } finally {
      await loops.stop();
    }
    captured = JSON.parse(spawnSync('tar', ['-xzOf', file, 'report.json'], { encoding: 'utf8' }).stdout) as Report;
    manifest = JSON.parse(spawnSync('tar', ['-xzOf', file, 'manifest.json'], { encoding: 'utf8' }).stdout) as typeof manifest;
  }, 120_000);

  afterAll(async () => {
    await loops.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('the report made at capture carries the runqlat histogram of the run-queue finding', () => {
    const f = captured.findings.find((x) => x.check === 'cpu-runqueue-saturation');
    expect(f, JSON.stringify(captured.findings.map((x) => x.check))).toBeDefined();
    const d = (f!.evidence.drilldown ?? []).filter((x) => x.type === 'probe' && x.name === 'runqlat');
    expect(d).toHaveLength(1);
    expect(d[0]!.status, d[0]!.reason).toBe('ok');
    const rows = d[0]!.data as Array<{ scope: string; values: { low_us: number; high_us: number; waits: number } }>;
    // the log2 buckets in order from 0-1 µs, and six loops on two CPUs made tasks wait
    expect(rows[0]!.scope).toBe('bucket:0-1');
    rows.forEach((r, k) => expect(r.values.low_us).toBe(k === 0 ? 0 : 2 ** k));
    expect(rows.reduce((a, r) => a + r.values.waits, 0)).toBeGreaterThan(0);
    const summary = (f!.evidence.drilldown ?? []).find((x) => x.name === 'runqlat/runqlat_summary');
    expect(summary?.status).toBe('ok');
    const s = (summary!.data as Array<{ values: Record<string, number> }>)[0]!.values;
    expect(s.waits).toBe(rows.reduce((a, r) => a + r.values.waits, 0));
    expect(s.p99_us).toBeGreaterThanOrEqual(s.p50_us!);
  });

  it('the capture is in the bundle (samples/1/.diag/bpf/) and in the manifest', () => {
    const list = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' }).stdout.split('\n');
    const run = manifest.probes.find((p) => p.name === 'runqlat')?.runs;
    expect(run).toHaveLength(1);
    expect(run![0]).toMatchObject({ status: 'ok', hook: 'tp_btf' });
    for (const f of ['run.json', 'hist.json', 'hist.keys.bin', 'hist.values.bin', 'lost.keys.bin']) expect(list).toContain(`samples/1/.diag/bpf/${run![0]!.capture}/${f}`);
  });

  it('run playbook use --from replays it: the same probe data as the captured report.json, and the same findings', async () => {
    const r = await diag(['run', 'playbook', 'use', '--from', file, '--json']);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    const replayed = JSON.parse(r.stdout) as Report;
    const probes = probeDrilldowns(replayed);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((p) => p.d.status === 'ok')).toBe(true);
    expect(JSON.stringify(replayed)).not.toContain('probes run on a live host');
    expect(probes).toEqual(probeDrilldowns(captured));
    expect(replayed.findings).toEqual(captured.findings);
  });

  it('the cpu playbook replayed from the bundle shows the same capture (a playbook the snapshot did not run)', async () => {
    const r = await diag(['run', 'playbook', 'cpu', '--from', file]);
    expect(r.stdout).toMatch(/drill-down probe runqlat: Run-queue latency histogram[^\n]*\n\s+bucket:0-1\s+low_us=0 high_us=1 waits=\d+/);
  });

  it('diag open: the guide shows the evidence in the step and the captured probe on Enter', async () => {
    const b = await openBundle(file);
    try {
      const session = cliSession(undefined, 'cpu');
      const guide = createGuide({
        session,
        source: b.sources[1],
        sources: b.sources,
        probes: { run: () => Promise.resolve(unavailable('not-captured', 'not on a bundle')) },
        windowMs: b.manifest.windowMs,
      });
      const stack: Array<{ title: string; lines: string[]; selectable: number; selected: number; scroll: number; onEnter?: (i: number) => void }> = [];
      const host: GuideHost = {
        push: (o) => void stack.push({ ...o, selected: 0, scroll: 0 }),
        top: () => stack[stack.length - 1],
        pop: () => void stack.pop(),
        redraw: () => {},
        frame: () => undefined,
        setMessage: (m) => {
          throw new Error(m);
        },
        theme: makeTheme({ color: false, unicode: true }),
      };
      const waitFor = async (what: RegExp) => {
        await until(() => what.test(stack[stack.length - 1]?.title ?? ''), 20_000);
        const top = stack[stack.length - 1]!;
        expect(top.title).toMatch(what);
        return top;
      };
      guide.open(host);
      const pick = await waitFor(/pick a playbook/);
      pick.onEnter!(pick.lines.findIndex((l) => l.startsWith('cpu ')));
      const steps = await waitFor(/^cpu: \w+ - steps/);
      const order = steps.lines.findIndex((l) => l.includes('cpu-runqueue-saturation'));
      steps.onEnter!(order);
      const step = await waitFor(/^cpu \/ cpu-runqueue-saturation(: culprits)?$/);
      const text = step.lines.join('\n');
      expect(text).toMatch(/drill-down probe runqlat: ok\n +bucket:0-1\s+low_us=0 high_us=1 waits=\d+/);
      const choice = step.lines.findIndex((l) => /run BPF probe runqlat for \d+ s: .*\(as captured\)$/.test(l));
      expect(choice).toBeGreaterThanOrEqual(0);
      step.onEnter!(choice);
      const shown = await waitFor(/^probe runqlat \(as captured\)$/);
      await until(() => !shown.lines.includes('reading the capture…'));
      expect(shown.lines.join('\n')).toMatch(/Run-queue latency histogram[^\n]*\n\s*bucket:0-1\s+\n\s+low_us=0 high_us=1 waits=\d+/);
      expect(shown.lines.join('\n')).toMatch(/waits=\d+ p50_us=\d+ p90_us=\d+ p99_us=\d+ max_us=\d+ seconds=[\d.]+ lost_ring=0 lost_map=0/);
    } finally {
      b.close();
    }
  }, 60_000);
});
