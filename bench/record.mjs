// `npm run bench -- record`: the flight recorder (diag record) side by side with atop -w (its
// raw log) and sadc (what sar -o runs: sadc -S ALL), at the same interval, in the same run, with
// 2,000 extra sleeping processes on the host. Per interval (10 s, then 1 s):
//   CPU per sample   utime+stime of each recorder over the measured time, its reaped children
//                    included (diag's commands: ss, tc, nft... in its slow lane), / samples taken
//   bytes per hour   atop's and sadc's files: growth over the measured time, per hour. diag's
//                    recording: from its frames (a key frame per segment of ten minutes, at most
//                    360 samples, the rest deltas): key bytes x segments per hour + mean delta x
//                    the other samples, so the key frames an hour holds are counted even when the
//                    run is shorter than a segment
// All three start together and run at the same time (the host's other load hits them alike);
// the first sample of each (start-up, diag's JIT and key frame) is outside the measured time.
// Flags: --seconds10 N (default 120), --seconds1 N (default 40), --extra N (default 2000),
// --only 1s|10s. Goals (issue 16): CPU per sample <= atop's, bytes per hour <= atop's raw log.
// Every recorder is ours, bounded by timeout(1) and killed by PID.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { processCounts, startSleepers } from './lib/sleepers.mjs';

const TICK = 100; // USER_HZ
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** utime + stime + cutime + cstime of a process, in ms (its reaped children included). */
function cpuMs(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / TICK;
}

function bytesOf(path) {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size;
    return readdirSync(path).reduce((a, n) => a + statSync(join(path, n)).size, 0);
  } catch {
    return 0;
  }
}

function which(cmd) {
  for (const p of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    try {
      if (statSync(join(p, cmd)).isFile()) return join(p, cmd);
    } catch {
      // not here
    }
  }
  return undefined;
}

function start(ctx, name, cmd, args, boundS) {
  // bounded whatever happens to the bench: timeout(1) ends it
  const child = spawn('timeout', ['-s', 'KILL', String(boundS), cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  const kill = (sig = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, sig);
      } catch {
        // gone
      }
    }
  };
  ctx.onCleanup(() => kill('SIGKILL'));
  const exited = new Promise((r) => child.once('exit', r));
  return { name, child, exited, stderr: () => err, kill };
}

/** The process timeout(1) runs (its child): the recorder itself. */
async function recorderPid(t) {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('pgrep', ['-P', String(t.child.pid)], { encoding: 'utf8' });
    const pid = r.stdout.trim().split('\n').find((p) => /^\d+$/.test(p));
    if (pid) return Number(pid);
    await sleep(50);
  }
  throw new Error(`${t.name} did not start: ${t.stderr()}`);
}

async function oneInterval(ctx, intervalS, seconds) {
  const { History } = await ctx.dist('src/recording/history.js');
  const { DirStore } = await ctx.dist('src/recording/store.js');
  const { segmentLimits } = await ctx.dist('src/recording/recorder.js');
  const work = mkdtempSync(join(tmpdir(), 'diagt-benchrec-'));
  ctx.onCleanup(() => rmSync(work, { recursive: true, force: true }));
  const recDir = join(work, 'diag');
  const atopFile = join(work, 'atop.raw');
  const sadcFile = join(work, 'sa.data');
  const bound = seconds + 120;
  const diagJs = join(ctx.root, 'bin', 'diag.js');
  const runs = [
    start(ctx, 'diag', process.execPath, [diagJs, 'record', '--dir', recDir, '--interval', `${intervalS}s`, '--quiet'], bound),
    start(ctx, 'atop', 'atop', ['-w', atopFile, String(intervalS)], bound),
    start(ctx, 'sadc', '/usr/lib/sysstat/sadc', ['-S', 'ALL', String(intervalS), sadcFile], bound),
  ];
  try {
    const pids = await Promise.all(runs.map(recorderPid));
    const diagSamples = () => {
      const store = new DirStore(recDir);
      const meta = store.meta();
      return meta ? new History(store, meta).samples() : [];
    };
    // the measured time starts once diag stored its first sample (start-up and key frame outside)
    const t0Deadline = Date.now() + 180_000;
    while (diagSamples().length < 1) {
      if (Date.now() > t0Deadline) throw new Error(`diag record stored no sample in 180 s: ${runs[0].stderr()}`);
      await sleep(100);
    }
    const n0 = diagSamples().length;
    const t0 = performance.now();
    const cpu0 = pids.map(cpuMs);
    const bytes0 = [bytesOf(recDir), bytesOf(atopFile), bytesOf(sadcFile)];
    await sleep(seconds * 1000);
    const cpu1 = pids.map(cpuMs);
    const elapsedS = (performance.now() - t0) / 1000;
    const bytes1 = [bytesOf(recDir), bytesOf(atopFile), bytesOf(sadcFile)];
    const refs = diagSamples();
    const diagN = refs.length - n0;
    // atop and sadc sample on their interval whatever the load
    const refN = Math.max(1, Math.round(elapsedS / intervalS));
    const samples = [diagN, refN, refN];
    // diag's bytes per hour from its frames: key frames per segment, deltas between
    const limits = segmentLimits(intervalS * 1000, 2 * 1024 ** 3, 7 * 86_400_000);
    const perHour = 3600 / intervalS;
    const frames = [];
    for (const seg of new DirStore(recDir).segments()) {
      const buf = readFileSync(join(recDir, seg));
      let off = 0;
      while (off + 24 <= buf.length && buf.subarray(off, off + 4).toString('latin1') === 'DGRF') {
        const len = buf.readUInt32LE(off + 8);
        frames.push({ key: buf.readUInt8(off + 4) === 0, bytes: 24 + len });
        off += 24 + len;
      }
    }
    const keys = frames.filter((f) => f.key);
    const deltas = frames.filter((f) => !f.key);
    const keyBytes = keys.reduce((a, f) => a + f.bytes, 0) / Math.max(1, keys.length);
    const deltaBytes = deltas.reduce((a, f) => a + f.bytes, 0) / Math.max(1, deltas.length);
    const segmentsPerHour = Math.ceil(perHour / limits.framesPerSegment);
    const diagPerHour = keyBytes * segmentsPerHour + deltaBytes * (perHour - segmentsPerHour);
    const perHourOf = [diagPerHour, ((bytes1[1] - bytes0[1]) / elapsedS) * 3600, ((bytes1[2] - bytes0[2]) / elapsedS) * 3600];
    const names = ['diag', 'atop', 'sadc'];
    const out = {};
    names.forEach((n, i) => {
      out[n] = { cpuMsPerSample: Math.round(((cpu1[i] - cpu0[i]) / Math.max(1, samples[i])) * 10) / 10, samples: samples[i], bytesPerHour: Math.round(perHourOf[i]) };
    });
    out.diag.keyFrameBytes = Math.round(keyBytes);
    out.diag.deltaFrameBytes = Math.round(deltaBytes);
    out.diag.lane = new DirStore(recDir).meta()?.lane?.intervalMs ?? null;
    out.ratios = {
      cpuVsAtop: Math.round((out.diag.cpuMsPerSample / Math.max(0.1, out.atop.cpuMsPerSample)) * 100) / 100,
      cpuVsSadc: Math.round((out.diag.cpuMsPerSample / Math.max(0.1, out.sadc.cpuMsPerSample)) * 100) / 100,
      bytesVsAtop: Math.round((out.diag.bytesPerHour / Math.max(1, out.atop.bytesPerHour)) * 100) / 100,
      bytesVsSadc: Math.round((out.diag.bytesPerHour / Math.max(1, out.sadc.bytesPerHour)) * 100) / 100,
    };
    out.elapsedS = Math.round(elapsedS);
    out.loadavg = readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
    ctx.log(`interval ${intervalS} s, ${Math.round(elapsedS)} s measured, load ${out.loadavg}:`);
    for (const n of names) ctx.log(`  ${n.padEnd(5)} ${String(out[n].cpuMsPerSample).padStart(7)} ms CPU/sample (${out[n].samples} samples)  ${(out[n].bytesPerHour / 1048576).toFixed(2).padStart(7)} MiB/h`);
    ctx.log(`  diag/atop: CPU ${out.ratios.cpuVsAtop}x, bytes ${out.ratios.bytesVsAtop}x; diag/sadc: CPU ${out.ratios.cpuVsSadc}x, bytes ${out.ratios.bytesVsSadc}x (diag: key frame ${(keyBytes / 1024).toFixed(0)} KiB, delta ${(deltaBytes / 1024).toFixed(1)} KiB, slow lane every ${out.diag.lane / 1000} s)`);
    return out;
  } finally {
    runs[0].kill('SIGTERM');
    runs[1].kill('SIGTERM');
    runs[2].kill('SIGTERM');
    await Promise.race([Promise.all(runs.map((r) => r.exited)), sleep(15_000)]);
    for (const r of runs) r.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

export async function run(ctx) {
  for (const [cmd, pkg] of [
    ['atop', 'atop'],
    ['timeout', 'coreutils'],
    ['pgrep', 'procps'],
  ]) {
    if (!which(cmd)) throw new Error(`${cmd} is not installed (apt-get install ${pkg}; scripts/setup.mjs test installs it)`);
  }
  if (!statSync('/usr/lib/sysstat/sadc', { throwIfNoEntry: false })) throw new Error('sadc is not installed (apt-get install sysstat)');
  const extra = Number(ctx.flags.extra ?? 2000);
  const only = ctx.flags.only;
  const sl = await startSleepers(extra, { seconds: 1200, onCleanup: ctx.onCleanup });
  try {
    const counts = processCounts();
    ctx.log(`${counts.processes} processes on the host (${extra} extra sleepers)`);
    const figures = { processes: counts.processes };
    if (only === undefined || only === '10s') figures.interval10s = await oneInterval(ctx, 10, Number(ctx.flags.seconds10 ?? 120));
    if (only === undefined || only === '1s') figures.interval1s = await oneInterval(ctx, 1, Number(ctx.flags.seconds1 ?? 40));
    return figures;
  } finally {
    await sl.kill();
  }
}
