// Section "scan": what one full host scan costs (every registered collector collected once
// through the LiveSource, as `diag` does for each sample), against bench/c/procscan.c, a C
// program reading exactly the same inputs with open/read/close and parsing nothing.
//
// The C reader's plan is taken from a trace of a real diag scan (bench/lib/trace-source.mjs),
// so the two always read the same files as collectors are added: host files as they are,
// /proc/PID/x read for most PIDs as per-process templates applied to every PID in /proc.
// Measured at the host's normal process count and with --extra N (default 2000) more sleeping
// processes, in alternating rounds (C batch, diag batch, ...) so load from elsewhere on the
// host hits both alike. Also: the same scan replayed from memory (diag without the syscalls:
// decode + parse + rows), deriveModel over two samples, and the time per collector.
// Flags: --runs N (per figure, default 25), --extra N (0 skips it), --profile.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSleepers, processCounts } from './lib/sleepers.mjs';
import { planFromTrace, ReplaySource, TraceSource } from './lib/trace-source.mjs';
import { profiled, summarise, writeProfile } from './lib/profile.mjs';

/** The issue's goal: diag's scan costs at most this many times the C reader's. */
const GOAL_RATIO = 2;
const ROUNDS = 5;
const WARMUP = 5;

function buildProcscan(ctx) {
  const src = join(ctx.root, 'bench', 'c', 'procscan.c');
  const bin = join(ctx.buildDir, 'procscan');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', bin, src], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return bin;
}

const round2 = (v) => Math.round(v * 100) / 100;
const fmt = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

async function measurePhase(ctx, env, label) {
  const { LiveSource, collectSample, deriveModel, COLLECTORS, bin, runs } = env;
  const live = new LiveSource();
  const counts = processCounts();

  // One traced scan: the C reader's plan and the answers for the in-memory replay.
  const trace = new TraceSource(live);
  await collectSample(COLLECTORS, trace);
  const plan = planFromTrace(trace.calls);
  const planFile = join(ctx.buildDir, `scan-plan-${label}.txt`);
  writeFileSync(planFile, plan.text);

  const timeDiag = async (src) => {
    const t0 = performance.now();
    const s = await collectSample(COLLECTORS, src);
    return [performance.now() - t0, s];
  };
  // Warm-up (JIT), keeping two samples for the derive figure.
  const warm = [];
  for (let i = 0; i < WARMUP; i++) warm.push((await timeDiag(live))[1]);

  const diagMs = [];
  const cMs = [];
  const perCollector = new Map(COLLECTORS.map((c) => [c.id, []]));
  let cInfo;
  const perRound = Math.max(1, Math.ceil(runs / ROUNDS));
  for (let r = 0; r < ROUNDS; r++) {
    const out = JSON.parse(execFileSync(bin, [planFile, String(perRound), '2'], { encoding: 'utf8', timeout: 120_000 }));
    cMs.push(...out.runs_ms);
    cInfo = out;
    for (let i = 0; i < perRound; i++) {
      const [ms, s] = await timeDiag(live);
      diagMs.push(ms);
      for (const [id, o] of Object.entries(s.collectors)) if (o.status === 'ok') perCollector.get(id)?.push(o.value.durationMs);
    }
  }

  // diag without the syscalls: the traced answers replayed from memory.
  const replay = new ReplaySource(trace, live);
  for (let i = 0; i < WARMUP; i++) await timeDiag(replay);
  const replayMs = [];
  for (let i = 0; i < runs; i++) replayMs.push((await timeDiag(replay))[0]);

  // deriveModel over a window of two live samples.
  const window = { first: warm[warm.length - 2] ?? warm[0], second: warm[warm.length - 1] };
  for (let i = 0; i < WARMUP; i++) deriveModel(COLLECTORS, window);
  const deriveMs = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    deriveModel(COLLECTORS, window);
    deriveMs.push(performance.now() - t0);
  }

  let profile;
  if (ctx.profile) {
    const { profile: p } = await profiled(async () => {
      for (let i = 0; i < Math.max(runs, 20); i++) await collectSample(COLLECTORS, live);
    });
    const file = join(ctx.buildDir, `scan-${label}.cpuprofile`);
    writeProfile(file, p);
    profile = { file, ...summarise(p, ctx.root) };
  }

  const diag = ctx.stats(diagMs);
  const c = ctx.stats(cMs);
  const res = {
    processes: counts.processes,
    threads: counts.threads,
    diagMs: diag,
    cMs: c,
    ratio: round2(diag.median / c.median),
    ratioOfMins: round2(diag.min / c.min),
    replayMs: ctx.stats(replayMs),
    deriveMs: ctx.stats(deriveMs),
    perCollectorMedianMs: Object.fromEntries([...perCollector].map(([id, v]) => [id, ctx.stats(v).median])),
    plan: { hostItems: plan.hostItems, perPid: plan.templates, pidsSeen: plan.pidsSeen, duplicateReads: plan.duplicates, commandsRun: trace.commands.length, skipped: plan.skipped.length },
    cReader: { pids: cInfo?.pids, inputs: cInfo?.files, bytes: cInfo?.bytes, gone: cInfo?.gone },
    ...(profile ? { profile } : {}),
  };

  ctx.log(`${label}: ${res.processes} processes, ${res.threads ?? '?'} threads; C read ${res.cReader.inputs} inputs, ${Math.round(res.cReader.bytes / 1024)} KiB`);
  ctx.log(`  diag scan  ${fmt(diag.median)} ms median (p10 ${fmt(diag.p10)}, p90 ${fmt(diag.p90)}, n=${diag.n})`);
  ctx.log(`  C reader   ${fmt(c.median)} ms median (p10 ${fmt(c.p10)}, p90 ${fmt(c.p90)}, n=${c.n})`);
  ctx.log(`  ratio      ${res.ratio}x (min/min ${res.ratioOfMins}x); goal <= ${GOAL_RATIO}x: ${res.ratio <= GOAL_RATIO ? 'met' : 'NOT met'}`);
  ctx.log(`  replay from memory (no syscalls) ${fmt(res.replayMs.median)} ms; deriveModel of 2 samples ${fmt(res.deriveMs.median)} ms`);
  ctx.log(`  per collector (median ms): ${Object.entries(res.perCollectorMedianMs).map(([id, v]) => `${id} ${fmt(v)}`).join(', ')}`);
  if (plan.duplicates > 0) ctx.log(`  note: diag read ${plan.duplicates} inputs more than once in one scan`);
  if (trace.commands.length > 0) ctx.log(`  note: the scan ran ${trace.commands.length} command(s) (${[...new Set(trace.commands.map((s) => s.cmd))].join(', ')}); the C reader runs none`);
  if (profile) {
    ctx.log(`  profile: ${profile.file} (${profile.samples} samples); self time by file:`);
    for (const f of profile.files.slice(0, 8)) ctx.log(`    ${String(f.selfPct).padStart(5)} %  ${f.what}`);
    ctx.log('  hottest functions (self time):');
    for (const f of profile.functions.slice(0, 12)) ctx.log(`    ${String(f.selfPct).padStart(5)} %  ${f.what}`);
  }
  return res;
}

export async function run(ctx) {
  const [{ LiveSource }, { collectSample }, { deriveModel }, { COLLECTORS }] = await Promise.all([
    ctx.dist('src/core/live-source.js'),
    ctx.dist('src/core/sample.js'),
    ctx.dist('src/core/derive.js'),
    ctx.dist('collectors/index.js'),
  ]);
  const extra = ctx.flags.extra === undefined ? 2000 : Number(ctx.flags.extra);
  if (!Number.isInteger(extra) || extra < 0 || extra > 10_000) throw new Error(`--extra wants 0..10000, got ${JSON.stringify(ctx.flags.extra)}`);
  const runs = ctx.runs ?? 25;
  const bin = buildProcscan(ctx);
  ctx.log(`collectors: ${COLLECTORS.map((c) => c.id).join(', ')} (${COLLECTORS.length})`);
  const env = { LiveSource, collectSample, deriveModel, COLLECTORS, bin, runs };

  const normal = await measurePhase(ctx, env, 'normal');
  ctx.log(`  C plan: ${normal.plan.hostItems} host inputs + per PID: ${normal.plan.perPid.join(', ') || '(nothing)'}`);
  let extraRes;
  if (extra > 0) {
    const t0 = performance.now();
    const sleepers = await startSleepers(extra, { onCleanup: ctx.onCleanup });
    ctx.log(`started ${sleepers.pids.length} sleeping processes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      extraRes = await measurePhase(ctx, env, `+${extra}`);
    } finally {
      await sleepers.kill();
      ctx.log(`stopped the ${sleepers.pids.length} sleeping processes`);
    }
  }
  return {
    collectors: COLLECTORS.map((c) => c.id),
    goalRatio: GOAL_RATIO,
    normal,
    ...(extraRes ? { extra: { count: extra, ...extraRes } } : {}),
  };
}
