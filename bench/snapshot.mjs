// Section "snapshot": `diag snapshot --window 1s` (a fresh process, as on a ticket: bundle with
// the raw inputs of both samples, the records, the use report, redacted) against the default
// `sos report --batch` (Debian package sosreport) on the same host in the same run, alternating
// the two so load from elsewhere hits both alike. The issue's goals: at most 1.5 s plus the
// window, at least 3x faster than sos, and a smaller bundle.
//
// Figures: wall time, child CPU time (user + system, from /usr/bin/time when present) and the
// archive's size, each as medians; diag's own phases (sample0, wait, sample1, redact, report,
// probes, pack) from its progress line; the ratios sos/diag.
// sos writes into a private temporary folder (--tmp-dir) that is removed after each run; both
// are bounded in time and killed by process group if they overrun.
// Scale (issue 13): the runs are repeated with extra sleeping processes started by the bench in a
// session of their own (bench/lib/session-sleepers.mjs, ended by session id): at 2,000 extra
// processes diag against sos (goals: >= 3x faster, peak RSS no higher than sos's), at 10,000 and
// 20,000 diag alone (goal: completes; 10,000 within 15 s and 600 MB). Peak RSS is the child's
// maximum resident set (/usr/bin/time %M, from wait4), the same measure for both tools.
// Flags: --runs N (default 3; sos takes seconds per run), --no-sos (diag only), --extra LIST
// (extra processes per level, default 2000,10000,20000; 0 for the host as it is), --sos-up-to N
// (levels with at most N extra processes compare with sos; default 2000), --scale-runs N (runs
// at the levels without sos, default 1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSleepers, startSessionSleepers } from './lib/session-sleepers.mjs';
import { processCounts } from './lib/sleepers.mjs';

const WINDOW_MS = 1000;
const GOAL_OVERHEAD_MS = 1500;
const DIAG_TIMEOUT_MS = 300_000;
const SOS_TIMEOUT_MS = 600_000;

function timeTool() {
  return existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%U', 'true'], { stdio: 'ignore' }).status === 0 ? '/usr/bin/time' : undefined;
}

function sosCommand() {
  for (const c of ['sos', 'sosreport']) if (spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0) return c;
  return undefined;
}

/** Install sosreport when root and missing (the reference must exist to compare with). */
function ensureSos(ctx) {
  let cmd = sosCommand();
  if (cmd) return { cmd };
  if (process.getuid?.() !== 0) return { reason: 'sos is not installed and the bench is not root (apt-get install sosreport)' };
  ctx.log('installing sosreport (the reference) with apt-get');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'sosreport'], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  cmd = sosCommand();
  return cmd ? { cmd } : { reason: `apt-get install sosreport failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}` };
}

/** One run in its own process group (so a timeout kills sos's plugin children too). */
function once(ctx, cmd, args, time, timeoutMs) {
  return new Promise((resolve, reject) => {
    const [file, argv] = time ? [time, ['-f', 'BENCHTIME %U %S %M', cmd, ...args]] : [cmd, args];
    const t0 = performance.now();
    const c = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = () => {
      try {
        if (c.pid && c.exitCode === null) process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const unregister = ctx.onCleanup(killGroup);
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(killGroup, timeoutMs);
    c.on('error', (e) => {
      clearTimeout(timer);
      unregister();
      reject(e);
    });
    c.on('close', (code) => {
      clearTimeout(timer);
      unregister();
      const wallMs = performance.now() - t0;
      const m = /BENCHTIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(err);
      resolve({ code, wallMs, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined, rssBytes: m ? Number(m[3]) * 1024 : undefined, out, err });
    });
  });
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x) => (x === undefined ? null : Math.round(x * 10) / 10);
const kib = (b) => (b === undefined ? 'n/a' : `${(b / 1024).toFixed(0)} KiB`);

function sosArchive(dir) {
  const name = readdirSync(dir).find((n) => /^sosreport-.*\.tar(\.(xz|gz|bz2|zst))?$/.test(n));
  return name ? join(dir, name) : undefined;
}

/** One level: `runs` snapshots (and sos runs when `sos.cmd`), alternating; medians and ratios. */
async function measureLevel(ctx, { runs, sos, time, label }) {
  const diag = join(ctx.root, 'bin', 'diag.js');
  const scratch = mkdtempSync(join(ctx.buildDir, 'snapshot-'));
  const unregisterScratch = ctx.onCleanup(() => rmSync(scratch, { recursive: true, force: true }));
  const loadBefore = loadavg()[0];
  const res = { diag: { wall: [], cpu: [], rss: [], bytes: [], phases: [] }, sos: { wall: [], cpu: [], rss: [], bytes: [] } };
  try {
    for (let i = 0; i < runs; i++) {
      const out = join(scratch, `diag-${i}.tar.gz`);
      // the command as installed (its launcher gives snapshot V8's --optimize-for-size), not `node bin/diag.js`
      const d = await once(ctx, diag, ['snapshot', '-o', out, '--window', `${WINDOW_MS}ms`], time, DIAG_TIMEOUT_MS);
      if (d.code !== 0) throw new Error(`diag snapshot exited ${d.code}: ${d.err.slice(-500)}`);
      res.diag.wall.push(d.wallMs);
      res.diag.cpu.push(d.cpuMs);
      res.diag.rss.push(d.rssBytes);
      res.diag.bytes.push(statSync(out).size);
      const ph = /time \(ms\): (.*); total (\d+)/.exec(d.err);
      if (ph) res.diag.phases.push(Object.fromEntries(ph[1].split(', ').map((kv) => kv.split(' ')).map(([k, v]) => [k, Number(v)])));
      rmSync(out, { force: true });

      if (sos.cmd) {
        const tmp = mkdtempSync(join(scratch, 'sos-'));
        try {
          const args = sos.cmd === 'sos' ? ['report', '--batch', '--tmp-dir', tmp] : ['--batch', '--tmp-dir', tmp];
          const s = await once(ctx, sos.cmd, args, time, SOS_TIMEOUT_MS);
          const archive = sosArchive(tmp);
          if (s.code !== 0 || !archive) throw new Error(`sos report exited ${s.code} without an archive: ${(s.err || s.out).slice(-500)}`);
          res.sos.wall.push(s.wallMs);
          res.sos.cpu.push(s.cpuMs);
          res.sos.rss.push(s.rssBytes);
          res.sos.bytes.push(statSync(archive).size);
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      }
      ctx.log(
        `${label} run ${i + 1}/${runs}: diag ${Math.round(res.diag.wall.at(-1))} ms ${kib(res.diag.bytes.at(-1))}` +
          (sos.cmd ? `; sos ${Math.round(res.sos.wall.at(-1))} ms ${kib(res.sos.bytes.at(-1))}` : '') +
          ` (load ${loadavg()[0].toFixed(1)})`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    unregisterScratch();
  }

  const phaseNames = [...new Set(res.diag.phases.flatMap((p) => Object.keys(p)))];
  const phases = Object.fromEntries(phaseNames.map((k) => [k, median(res.diag.phases.map((p) => p[k]))]));
  const dWall = median(res.diag.wall);
  const sWall = median(res.sos.wall);
  const dBytes = median(res.diag.bytes);
  const sBytes = median(res.sos.bytes);
  const dCpu = median(res.diag.cpu);
  const sCpu = median(res.sos.cpu);
  const dRss = median(res.diag.rss);
  const sRss = median(res.sos.rss);
  const mb = (b) => (b === undefined ? 'n/a' : `${(b / 1e6).toFixed(0)} MB`);
  const figures = {
    runs,
    processes: processCounts().processes,
    windowMs: WINDOW_MS,
    loadavg: { before: r1(loadBefore), after: r1(loadavg()[0]) },
    diag: { wallMs: r1(dWall), cpuMs: r1(dCpu), peakRssBytes: dRss ?? null, bytes: dBytes ?? null, phasesMs: phases },
    sos: sos.cmd ? { wallMs: r1(sWall), cpuMs: r1(sCpu), peakRssBytes: sRss ?? null, bytes: sBytes ?? null } : { skipped: sos.reason },
    ratio: sos.cmd
      ? { wall: r1(sWall / dWall), cpu: dCpu && sCpu ? r1(sCpu / dCpu) : null, peakRss: dRss && sRss ? Math.round((sRss / dRss) * 100) / 100 : null, bytes: r1(sBytes / dBytes) }
      : null,
    goal: {
      wallMs: WINDOW_MS + GOAL_OVERHEAD_MS,
      met: dWall <= WINDOW_MS + GOAL_OVERHEAD_MS,
      fasterThanSos3x: sos.cmd ? sWall / dWall >= 3 : null,
      rssNotAboveSos: sos.cmd && dRss && sRss ? dRss <= sRss : null,
      smallerThanSos: sos.cmd ? dBytes < sBytes : null,
    },
  };
  ctx.log(`${label} diag snapshot --window 1s: ${Math.round(dWall)} ms wall, ${dCpu === undefined ? 'n/a' : Math.round(dCpu)} ms CPU, peak RSS ${mb(dRss)}, ${kib(dBytes)} (goal <= ${WINDOW_MS + GOAL_OVERHEAD_MS} ms: ${figures.goal.met ? 'met' : 'NOT met'})`);
  ctx.log(`  phases (ms): ${phaseNames.map((k) => `${k} ${Math.round(phases[k])}`).join(', ')}`);
  if (sos.cmd) {
    ctx.log(`${label} sos report --batch: ${Math.round(sWall)} ms wall, ${sCpu === undefined ? 'n/a' : Math.round(sCpu)} ms CPU, peak RSS ${mb(sRss)}, ${kib(sBytes)}`);
    ctx.log(
      `${label} ratio sos/diag: wall ${figures.ratio.wall}x, CPU ${figures.ratio.cpu ?? 'n/a'}x, peak RSS ${figures.ratio.peakRss ?? 'n/a'}x, size ${figures.ratio.bytes}x (goals: >= 3x faster ${figures.goal.fasterThanSos3x ? 'met' : 'NOT met'}, peak RSS <= sos ${figures.goal.rssNotAboveSos ? 'met' : 'NOT met'}, smaller ${figures.goal.smallerThanSos ? 'met' : 'NOT met'})`,
    );
  }
  return figures;
}

export async function run(ctx) {
  const time = timeTool();
  const sosWanted = ctx.flags['no-sos'] ? { reason: '--no-sos' } : ensureSos(ctx);
  if (!sosWanted.cmd) ctx.log(`sos: not measured (${sosWanted.reason})`);
  const levels = String(ctx.flags.extra ?? '2000,10000,20000')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0)
    .sort((a, b) => a - b);
  const sosUpTo = Number(ctx.flags['sos-up-to'] ?? 2000);
  const scaleRuns = Number(ctx.flags['scale-runs'] ?? 1);
  const sessions = [];
  const out = { levels: {} };
  const binary = levels.some((n) => n > 0) ? buildSleepers(ctx) : undefined;
  try {
    let started = 0;
    for (const extra of levels) {
      if (extra > started) {
        const t0 = performance.now();
        sessions.push(await startSessionSleepers(extra - started, { binary, onCleanup: ctx.onCleanup }));
        ctx.log(`started ${extra - started} sleeping processes in session ${sessions.at(-1).sid} (${extra} extra in all, ${processCounts().processes} processes) in ${Math.round(performance.now() - t0)} ms`);
        started = extra;
      }
      const withSos = extra <= sosUpTo && sosWanted.cmd;
      const label = `+${extra}:`;
      out.levels[extra] = await measureLevel(ctx, { runs: withSos ? (ctx.runs ?? 3) : scaleRuns, sos: withSos ? sosWanted : { reason: `more than ${sosUpTo} extra processes` }, time, label });
    }
  } finally {
    for (const s of sessions.reverse()) await s.kill();
  }
  const at10k = out.levels[10000];
  if (at10k) {
    const met = at10k.diag.wallMs <= 15_000 && (at10k.diag.peakRssBytes ?? Infinity) <= 600e6;
    out.goal10k = { wallMs: 15_000, peakRssBytes: 600e6, met };
    ctx.log(`+10000: goal <= 15 s and <= 600 MB: ${met ? 'met' : 'NOT met'}`);
  }
  return out;
}
