// Section "scan": what one host scan costs (every registered collector collected once through
// the LiveSource, as `diag` does for each sample), against bench/c/procscan.c, a C program
// reading exactly the same inputs with open/read/close and parsing nothing.
//
// The C reader's plan is taken from a trace of a real diag scan (bench/lib/trace-source.mjs),
// so the two always read the same files as collectors are added: host files as they are,
// /proc/PID/x read for most PIDs as per-process templates applied to every PID in /proc.
// The headline ratio covers the collectors that only read files (procfs, sysfs, cgroupfs:
// what the C reader can mirror); collectors that run commands (ss, tc, nft, ethtool, dmesg...)
// are timed too (full scan, and each alone) but have no C counterpart.
// Measured at the host's normal process count and with --extra N (default 2000) more sleeping
// processes, in alternating rounds (C batch, diag batch, ...) so load from elsewhere on the
// host hits both alike; CPU time is reported beside wall time for the same reason. Also: the
// file scan replayed from memory (diag without the syscalls: decode + parse + rows) and from a
// fixture tree on disk (FixtureSource, as a snapshot replays), GC,
// deriveModel over two full samples, and each collector alone.
// Flags: --runs N (per figure; default 60 at the normal count, 25 with the extra processes),
// --extra N (0 skips it), --profile.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
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
    try {
      execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', bin, src], { stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (err) {
      const missing = err instanceof Error && 'code' in err && err.code === 'ENOENT';
      throw new Error(missing ? 'no C compiler (cc) to build the reference reader: apt-get install gcc' : `building ${src} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return bin;
}

const round2 = (v) => Math.round(v * 100) / 100;
const fmt = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/**
 * Median wall and CPU ms of `runs` runs of fn after `warmup` unmeasured ones. CPU time is the
 * whole process's (GC threads included), and is what a busy host disturbs least.
 */
async function medianOf(ctx, fn, runs, warmup = 2) {
  for (let i = 0; i < warmup; i++) await fn();
  const ms = [];
  const cpuMs = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return { wall: ctx.stats(ms).median, cpu: ctx.stats(cpuMs).median };
}

/** CPU time of this process's reaped children (cutime + cstime of /proc/self/stat), ms. */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5) are the 14th and 15th after the command name; USER_HZ is 100.
  return (Number(f[13]) + Number(f[14])) * 10;
}

/** Trace one scan of `collectors`, write the C plan; returns { trace, plan, planFile }. */
async function tracePlan(ctx, env, collectors, name) {
  const trace = new TraceSource(env.live);
  await env.collectSample(collectors, trace);
  const plan = planFromTrace(trace.calls);
  const planFile = join(env.outDir, `plan-${name}.txt`);
  writeFileSync(planFile, plan.text);
  return { trace, plan, planFile };
}

function runC(env, planFile, runs, warmup = 2) {
  return JSON.parse(execFileSync(env.bin, [planFile, String(runs), String(warmup)], { encoding: 'utf8', timeout: 120_000 }));
}

/**
 * Each collector alone: diag live, diag replayed from memory, and the C reader on that
 * collector's own inputs (file collectors only), in CPU time (wall time in the JSON). Shows the
 * owners of each collector where a scan's time goes.
 */
async function perCollector(ctx, env, label, runs) {
  const out = {};
  for (const c of env.COLLECTORS) {
    // Traced again right before timing: cgroups, namespaces and devices come and go on a busy
    // host, and the C reader must read what diag reads now.
    const { trace, plan, planFile } = await tracePlan(ctx, env, [c], `${label}-${c.id}`);
    const commands = trace.commands.length;
    const liveRuns = commands > 0 ? Math.min(runs, 5) : runs;
    const children0 = childrenCpuMs();
    const live = await medianOf(ctx, () => env.collectSample([c], env.live), liveRuns);
    // The commands' own CPU (reaped children), averaged over the runs and the 2 warm-ups.
    const childrenMs = (childrenCpuMs() - children0) / (liveRuns + 2);
    const replaySrc = new ReplaySource(trace, env.live);
    const replay = await medianOf(ctx, () => env.collectSample([c], replaySrc), runs);
    const row = {
      diagCpuMs: round3(live.cpu),
      replayCpuMs: round3(replay.cpu),
      diagMs: round3(live.wall),
      replayMs: round3(replay.wall),
      duplicateReads: plan.duplicates,
      commandsRun: commands,
    };
    if (commands === 0) {
      const cOut = runC(env, planFile, runs);
      const cCpu = ctx.stats(cOut.runs_cpu_ms).median;
      Object.assign(row, { cCpuMs: round3(cCpu), cMs: round3(ctx.stats(cOut.runs_ms).median), cpuRatio: round2(live.cpu / cCpu), inputs: cOut.files });
    } else {
      row.commands = [...new Set(trace.commands.map((s) => s.cmd))];
      row.commandsCpuMs = round3(childrenMs);
    }
    out[c.id] = row;
  }
  return out;
}

const round3 = (v) => Math.round(v * 1000) / 1000;

async function measurePhase(ctx, env, label, runs) {
  const { collectSample, deriveModel, COLLECTORS, live } = env;
  const counts = processCounts();

  // Each collector traced alone: its C plan, its replay, and whether it runs commands.
  const traced = new Map();
  for (const c of COLLECTORS) traced.set(c.id, await tracePlan(ctx, env, [c], `${label}-${c.id}`));
  const fileCollectors = COLLECTORS.filter((c) => traced.get(c.id).trace.commands.length === 0);
  const commandCollectors = COLLECTORS.filter((c) => traced.get(c.id).trace.commands.length > 0);

  // One traced scan of the file collectors: the C reader's plan.
  const { trace: planTrace, plan, planFile } = await tracePlan(ctx, env, fileCollectors, label);

  // Wall-clock ms, CPU ms of the whole process (all threads: GC helpers count too).
  const timeDiag = async (list, src) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await collectSample(list, src);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return [wall, (c.user + c.system) / 1000, s];
  };
  for (let i = 0; i < WARMUP; i++) await timeDiag(fileCollectors, live);

  // Alternating rounds, so load from elsewhere on the host hits both readers alike. GC pauses
  // that fall inside diag's runs are summed: with many processes they are a real part of a scan.
  const gcEntries = [];
  const gcObs = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()));
  gcObs.observe({ entryTypes: ['gc'] });
  const diagIntervals = [];
  const diagMs = [];
  const diagCpuMs = [];
  const cMs = [];
  const cCpuMs = [];
  let cInfo;
  const perRound = Math.max(1, Math.ceil(runs / ROUNDS));
  for (let r = 0; r < ROUNDS; r++) {
    const out = runC(env, planFile, perRound);
    cMs.push(...out.runs_ms);
    cCpuMs.push(...out.runs_cpu_ms);
    cInfo = out;
    for (let i = 0; i < perRound; i++) {
      const from = performance.now();
      const [ms, cpu] = await timeDiag(fileCollectors, live);
      diagIntervals.push([from, performance.now()]);
      diagMs.push(ms);
      diagCpuMs.push(cpu);
    }
  }
  await new Promise((r) => setTimeout(r, 0));
  gcObs.disconnect();
  const gcMs = gcEntries.filter((e) => diagIntervals.some(([a, b]) => e.startTime >= a && e.startTime < b)).reduce((sum, e) => sum + e.duration, 0);

  // diag without the syscalls: answers traced just now (the host moves), replayed from memory.
  const replay = new ReplaySource((await tracePlan(ctx, env, fileCollectors, `${label}-replay`)).trace, live);
  for (let i = 0; i < WARMUP; i++) await timeDiag(fileCollectors, replay);
  const replayMs = [];
  const replayCpuMs = [];
  for (let i = 0; i < runs; i++) {
    const [ms, cpu] = await timeDiag(fileCollectors, replay);
    replayMs.push(ms);
    replayCpuMs.push(cpu);
  }

  // The same scan replayed from a fixture tree on disk (what replaying a snapshot costs): a
  // RecordingSource's tree read back through FixtureSource, then removed.
  const rec = new env.RecordingSource(live);
  await collectSample(fileCollectors, rec);
  const treeDir = join(env.outDir, `tree-${label}`);
  let fixture;
  try {
    rec.writeTree(treeDir);
    const fx = new env.FixtureSource(treeDir);
    fixture = await medianOf(ctx, () => collectSample(fileCollectors, fx), Math.max(5, Math.ceil(runs / 2)));
  } finally {
    rmSync(treeDir, { recursive: true, force: true });
  }

  // The full scan, commands included (they run concurrently), and deriveModel over two of them.
  const fullRuns = commandCollectors.length > 0 ? Math.max(3, Math.ceil(runs / 4)) : runs;
  const full = [];
  const fullMs = [];
  for (let i = 0; i < fullRuns + 1; i++) {
    const [ms, , s] = await timeDiag(COLLECTORS, live);
    if (i > 0) fullMs.push(ms);
    full.push(s);
  }
  const window = { first: full[full.length - 2], second: full[full.length - 1] };
  const deriveMed = (await medianOf(ctx, () => deriveModel(COLLECTORS, window), runs, WARMUP)).cpu;

  const collectors = await perCollector(ctx, env, label, Math.max(5, Math.ceil(runs / 2)));

  // --profile: the live file scan (where the whole time goes) and the replay (diag's own work).
  let profile;
  if (ctx.profile) {
    profile = {};
    for (const [what, src] of [['live', live], ['replay', replay]]) {
      const { profile: p } = await profiled(async () => {
        for (let i = 0; i < Math.max(runs, 20); i++) await collectSample(fileCollectors, src);
      });
      const file = join(env.outDir, `${label}-${what}.cpuprofile`);
      writeProfile(file, p);
      profile[what] = { file, ...summarise(p, ctx.root) };
    }
  }

  const diag = ctx.stats(diagMs);
  const c = ctx.stats(cMs);
  const diagCpu = ctx.stats(diagCpuMs);
  const cCpu = ctx.stats(cCpuMs);
  const replayStats = ctx.stats(replayMs);
  const replayCpu = ctx.stats(replayCpuMs);
  const fullStats = ctx.stats(fullMs);
  const res = {
    processes: counts.processes,
    threads: counts.threads,
    fileCollectors: fileCollectors.map((x) => x.id),
    commandCollectors: commandCollectors.map((x) => x.id),
    diagMs: diag,
    cMs: c,
    ratio: round2(diag.median / c.median),
    ratioOfMins: round2(diag.min / c.min),
    diagCpuMs: diagCpu,
    cCpuMs: cCpu,
    cpuRatio: round2(diagCpu.median / cCpu.median),
    gcMsPerScan: round3(gcMs / diagMs.length),
    replayMs: replayStats,
    replayCpuMs: replayCpu,
    fixtureReplayMs: round3(fixture.wall),
    fixtureReplayCpuMs: round3(fixture.cpu),
    fullScanMs: fullStats,
    deriveCpuMs: round3(deriveMed),
    perCollector: collectors,
    plan: { hostItems: plan.hostItems, perPid: plan.templates, pidsSeen: plan.pidsSeen, duplicateReads: plan.duplicates, skipped: plan.skipped.length, boundedStatfs: planTrace.boundedStatfs ?? 0 },
    cReader: { pids: cInfo?.pids, inputs: cInfo?.files, bytes: cInfo?.bytes, gone: cInfo?.gone },
    ...(profile ? { profile } : {}),
  };

  ctx.log(`${label}: ${res.processes} processes, ${res.threads ?? '?'} threads`);
  ctx.log(`  file scan (${fileCollectors.length} collectors reading files; C reads the same ${res.cReader.inputs} inputs, ${Math.round(res.cReader.bytes / 1024)} KiB):`);
  ctx.log(`    diag     ${fmt(diag.median)} ms median (p10 ${fmt(diag.p10)}, p90 ${fmt(diag.p90)}, n=${diag.n})`);
  ctx.log(`    C        ${fmt(c.median)} ms median (p10 ${fmt(c.p10)}, p90 ${fmt(c.p90)}, n=${c.n})`);
  ctx.log(`    ratio    ${res.ratio}x (min/min ${res.ratioOfMins}x); goal <= ${GOAL_RATIO}x: ${res.ratio <= GOAL_RATIO ? 'met' : 'NOT met'}`);
  ctx.log(`    CPU time diag ${fmt(diagCpu.median)} ms, C ${fmt(cCpu.median)} ms: ${res.cpuRatio}x (less disturbed by other load on the host)`);
  ctx.log(`    GC       ${fmt(res.gcMsPerScan)} ms per diag scan on average (inside diag's wall time)`);
  ctx.log(`    replayed from memory (decode + parse + rows, no syscalls): ${fmt(replayStats.median)} ms wall, ${fmt(replayCpu.median)} ms CPU`);
  ctx.log(`    replayed from a fixture tree on disk (FixtureSource, as a snapshot replays): ${fmt(fixture.wall)} ms wall, ${fmt(fixture.cpu)} ms CPU`);
  ctx.log(`  full scan incl. ${commandCollectors.length} command collectors (${commandCollectors.map((x) => x.id).join(', ') || 'none'}): ${fmt(fullStats.median)} ms median (n=${fullStats.n}); deriveModel of 2 full samples ${fmt(res.deriveCpuMs)} ms CPU`);
  ctx.log('  each collector alone (median CPU ms):  diag   replay       C   ratio  inputs');
  for (const [id, v] of Object.entries(collectors)) {
    const notes = [
      v.duplicateReads > 0 ? `${v.duplicateReads} read twice` : '',
      v.commandsRun > 0 ? `runs ${v.commandsRun}x ${v.commands.join(', ')}: their own CPU ${fmt(v.commandsCpuMs)} ms, wall ${fmt(v.diagMs)} ms` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const cCol = v.cCpuMs === undefined ? '-' : fmt(v.cCpuMs);
    const rCol = v.cpuRatio === undefined ? '-' : `${v.cpuRatio}x`;
    ctx.log(`    ${id.padEnd(12)} ${fmt(v.diagCpuMs).padStart(18)} ${fmt(v.replayCpuMs).padStart(8)} ${cCol.padStart(7)} ${rCol.padStart(7)} ${String(v.inputs ?? '-').padStart(7)}${notes ? `  (${notes})` : ''}`);
  }
  ctx.log(`  C plan: ${plan.hostItems} host inputs + for every PID: ${plan.templates.join(', ') || '(nothing)'}`);
  if (planTrace.boundedStatfs) ctx.log(`  note: ${planTrace.boundedStatfs} statfs call(s) of possibly hanging mounts ran as \`stat -f\` child processes (the C reader calls statfs)`);
  if (plan.duplicates > 0) ctx.log(`  note: the file scan read ${plan.duplicates} inputs more than once (the C reader reads each once)`);
  for (const [what, p] of Object.entries(profile ?? {})) {
    ctx.log(`  profile of the ${what === 'live' ? 'live file scan' : 'replay from memory'}: ${p.file} (${p.samples} samples); self time by file:`);
    for (const f of p.files.slice(0, 10)) ctx.log(`    ${String(f.selfPct).padStart(5)} %  ${f.what}`);
    ctx.log('  hottest functions (self time):');
    for (const f of p.functions.slice(0, 15)) ctx.log(`    ${String(f.selfPct).padStart(5)} %  ${f.what}`);
  }
  return res;
}

export async function run(ctx) {
  const [{ LiveSource }, { RecordingSource }, { FixtureSource }, { collectSample }, { deriveModel }, { COLLECTORS }] = await Promise.all([
    ctx.dist('src/core/live-source.js'),
    ctx.dist('src/core/recording-source.js'),
    ctx.dist('src/core/fixture-source.js'),
    ctx.dist('src/core/sample.js'),
    ctx.dist('src/core/derive.js'),
    ctx.dist('collectors/index.js'),
  ]);
  const extra = ctx.flags.extra === undefined ? 2000 : Number(ctx.flags.extra);
  if (!Number.isInteger(extra) || extra < 0 || extra > 10_000) throw new Error(`--extra wants 0..10000, got ${JSON.stringify(ctx.flags.extra)}`);
  const bin = buildProcscan(ctx);
  ctx.log(`collectors: ${COLLECTORS.map((c) => c.id).join(', ')} (${COLLECTORS.length})`);
  // The C reader's plans and the profiles of this run, in a fresh folder each run.
  const outDir = join(ctx.buildDir, 'scan');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const env = { live: new LiveSource(), RecordingSource, FixtureSource, collectSample, deriveModel, COLLECTORS, bin, outDir };

  // A scan at the normal process count is short and noisier: more runs there.
  const normal = await measurePhase(ctx, env, 'normal', ctx.runs ?? 60);
  let extraRes;
  if (extra > 0) {
    const t0 = performance.now();
    const sleepers = await startSleepers(extra, { onCleanup: ctx.onCleanup });
    ctx.log(`started ${sleepers.pids.length} sleeping processes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      extraRes = await measurePhase(ctx, env, `+${extra}`, ctx.runs ?? 25);
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
