// Section "tui": what the terminal UI costs while it refreshes, against htop and btop on the
// same host in the same run (issue 7: "CPU used by the TUI over 30 s at 1 Hz with 2,000 extra
// processes, against htop and btop; first paint; peak RSS").
//
// Each tool runs in a tmux server of its own at the same size (200x60 by default), refreshing
// once a second (htop -d 10; btop with update_ms = 1000 in a config of its own; diag's default).
//   first paint  from spawning the tool (tmux new-session) until capture-pane shows its header
//                with data (diag: the status word; htop: "Load average: N"; btop: its cpu box
//                with a percentage), one tool at a time, median of --runs starts
//   CPU          utime+stime of the tool's process (/proc/PID/stat, all its threads) over the
//                same --seconds window (default 30) for the three at once, after a warm-up
//   peak RSS     VmHWM of /proc/PID/status at the end of the window
// With --extra N (default 2000) sleeping processes of ours (killed by PID after).
// Flags: --runs N (first-paint starts, default 3), --seconds S, --extra N, --cols C --rows R.
// --profile: diag runs under --cpu-prof; the hottest functions of its window are printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { summarise } from './lib/profile.mjs';
import { processCounts, startSleepers } from './lib/sleepers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // USER_HZ: /proc/PID/stat counts clock ticks of 1/100 s on Linux
const DIAG_HEADER = /^ diag .*\b(OK|WARNING|CRITICAL|UNKNOWN)\b/;

function have(cmd) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

function cpuTicks(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
}

function status(pid, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) * 1024 : undefined;
}

/** One tool in its own tmux server; kill() is synchronous and idempotent. */
class Pane {
  constructor(ctx, name, argv, setup, cols, rows) {
    this.socket = `diagt-bench-tui-${process.pid}-${name}`;
    this.name = name;
    // HOME and XDG_CONFIG_HOME of the tool: no user config read, nothing written to ours
    this.dir = mkdtempSync(join(tmpdir(), `diagt-bench-tui-${name}-`));
    setup?.(this.dir);
    const conf = join(this.dir, 'tmux.conf');
    writeFileSync(conf, 'set -g status off\nset -g default-terminal "xterm-256color"\nset -g remain-on-exit off\n');
    this.unregister = ctx.onCleanup(() => this.kill());
    const envArgs = Object.entries({ LANG: 'C.UTF-8', HOME: this.dir, XDG_CONFIG_HOME: join(this.dir, 'config'), PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.t0 = performance.now();
    // several argv words: tmux runs the tool itself (no shell), so the pane's PID is the tool's
    const r = spawnSync('tmux', ['-L', this.socket, '-f', conf, 'new-session', '-d', '-s', 'b', '-x', String(cols), '-y', String(rows), '-c', ctx.root, ...envArgs, ...argv], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux new-session for ${name} failed: ${r.stderr}`);
    this.pid = Number(this.tmux('display-message', '-p', '-t', 'b', '#{pane_pid}').trim());
  }
  tmux(...args) {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  capture() {
    return this.tmux('capture-pane', '-p', '-t', 'b');
  }
  /** ms from spawn until the screen matches; polls every 10 ms. */
  async firstPaint(ready, timeoutMs = 30_000) {
    for (;;) {
      const screen = this.capture();
      if (ready(screen)) return performance.now() - this.t0;
      if (performance.now() - this.t0 > timeoutMs) throw new Error(`${this.name}: no first paint within ${timeoutMs} ms; screen:\n${screen}`);
      await sleep(10);
    }
  }
  kill() {
    if (this.killed) return;
    this.killed = true;
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    // the server leaves its socket file behind
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
    try {
      if (this.pid) process.kill(this.pid, 'SIGKILL');
    } catch {
      // gone with its server
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.unregister?.();
  }
}

function tools(ctx, profileDir) {
  const list = [
    {
      name: 'diag',
      // as a user runs it: the `diag` command (its launcher gives node the UI's flags)
      argv: profileDir ? [process.execPath, '--optimize-for-size', '--cpu-prof', `--cpu-prof-dir=${profileDir}`, join(ctx.root, 'bin', 'diag.js')] : [join(ctx.root, 'bin', 'diag.js')],
      ready: (s) => DIAG_HEADER.test(s.split('\n')[0] ?? ''),
    },
    { name: 'htop', argv: ['htop', '-d', '10'], ready: (s) => /Load average: [\d.]+/.test(s), needs: 'htop' },
    { name: 'btop', argv: ['btop', '--utf-force'], ready: (s) => /cpu[\s\S]*\d+%/i.test(s) && /proc/i.test(s), needs: 'btop', setup: btopConfig },
  ];
  return list.filter((t) => {
    if (t.needs && !have(t.needs)) {
      ctx.log(`${t.name}: not installed (apt-get install ${t.needs}; npm test's setup installs it): no comparison with it`);
      return false;
    }
    return true;
  });
}

/** btop refreshes every 2 s by default: give it a config of its own with 1 s. */
function btopConfig(home) {
  const dir = join(home, 'config', 'btop');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'btop.conf'), 'update_ms = 1000\nproc_sorting = "cpu lazy"\nshown_boxes = "cpu mem net proc"\n');
}

function start(ctx, tool, cols, rows) {
  return new Pane(ctx, tool.name, tool.argv, tool.setup, cols, rows);
}

export async function run(ctx) {
  const seconds = Number(ctx.flags.seconds ?? 30);
  const extra = Number(ctx.flags.extra ?? 2000);
  const cols = Number(ctx.flags.cols ?? 200);
  const rows = Number(ctx.flags.rows ?? 60);
  const runs = ctx.runs ?? 3;
  if (!have('tmux')) throw new Error('tmux is not installed (apt-get install tmux)');
  const profileDir = ctx.profile ? mkdtempSync(join(ctx.buildDir, 'tui-prof-')) : undefined;

  const sleepers = await startSleepers(extra, { seconds: 600, onCleanup: ctx.onCleanup });
  const counts = processCounts();
  ctx.log(`${extra} extra sleeping processes: ${counts.processes} processes, ${counts.threads} threads on the host; ${cols}x${rows}, ${seconds} s at 1 Hz`);
  const list = tools(ctx, undefined);
  const figures = { extraProcesses: extra, processes: counts.processes, size: `${cols}x${rows}`, seconds, tools: {} };
  try {
    // First paint: one tool at a time, so they do not slow each other's start.
    for (const tool of list) {
      const ms = [];
      for (let i = 0; i < runs; i++) {
        const pane = start(ctx, tool, cols, rows);
        try {
          ms.push(await pane.firstPaint(tool.ready));
        } finally {
          pane.kill();
        }
        await sleep(300);
      }
      figures.tools[tool.name] = { firstPaintMs: ctx.stats(ms) };
      ctx.log(`${tool.name.padEnd(5)} first paint: median ${ctx.stats(ms).median.toFixed(0)} ms (${ms.map((x) => x.toFixed(0)).join(', ')})`);
    }

    // CPU and memory: the three side by side over the same window, after a warm-up.
    const panes = [];
    try {
      for (const tool of list) {
        const t = tool.name === 'diag' && profileDir ? { ...tool, argv: tools(ctx, profileDir)[0].argv } : tool;
        const pane = start(ctx, t, cols, rows);
        panes.push([tool, pane]);
        await pane.firstPaint(tool.ready);
      }
      await sleep(3000);
      const t0 = performance.now();
      const before = panes.map(([, p]) => cpuTicks(p.pid));
      await sleep(seconds * 1000);
      const wall = (performance.now() - t0) / 1000;
      panes.forEach(([tool, p], i) => {
        const cpuS = (cpuTicks(p.pid) - before[i]) / TICK;
        const f = figures.tools[tool.name];
        f.cpuPct = Math.round((1000 * cpuS) / wall) / 10;
        f.cpuMsPerRefresh = Math.round((1000 * cpuS) / wall);
        f.peakRssMB = Math.round((status(p.pid, 'VmHWM') ?? NaN) / 1e5) / 10;
        f.rssMB = Math.round((status(p.pid, 'VmRSS') ?? NaN) / 1e5) / 10;
      });
      if (profileDir) {
        const diagPane = panes.find(([t]) => t.name === 'diag')?.[1];
        if (diagPane) {
          diagPane.tmux('send-keys', '-t', 'b', 'q');
          for (let i = 0; i < 100 && !readdirSync(profileDir).some((f) => f.endsWith('.cpuprofile')); i++) await sleep(100);
          const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
          if (file) {
            const s = summarise(JSON.parse(readFileSync(join(profileDir, file), 'utf8')), ctx.root, 20);
            ctx.log(`diag profile (${join(profileDir, file)}, whole run incl. start-up), self time:`);
            for (const f of s.functions) ctx.log(`  ${String(f.selfPct).padStart(5)} %  ${f.what}`);
          }
        }
      }
    } finally {
      for (const [, p] of panes) p.kill();
    }
  } finally {
    await sleepers.kill();
  }

  const d = figures.tools.diag;
  const ratio = (other) => (figures.tools[other]?.cpuPct ? Math.round((100 * d.cpuPct) / figures.tools[other].cpuPct) / 100 : undefined);
  figures.ratios = {
    cpuVsHtop: ratio('htop'),
    cpuVsBtop: ratio('btop'),
    rssVsHtop: figures.tools.htop ? Math.round((10 * d.peakRssMB) / figures.tools.htop.peakRssMB) / 10 : undefined,
    firstPaintVsHtop: figures.tools.htop ? Math.round((100 * d.firstPaintMs.median) / figures.tools.htop.firstPaintMs.median) / 100 : undefined,
  };
  figures.goals = {
    cpuAtMostHtop: figures.tools.htop ? d.cpuPct <= figures.tools.htop.cpuPct : undefined,
    firstPaintAtMost500ms: d.firstPaintMs.median <= 500,
    peakRssAtMost120MB: d.peakRssMB <= 120,
  };
  for (const [name, f] of Object.entries(figures.tools)) {
    ctx.log(`${name.padEnd(5)} CPU ${String(f.cpuPct).padStart(5)} % of a core (${f.cpuMsPerRefresh} ms per 1 s refresh), peak RSS ${f.peakRssMB} MB, first paint ${f.firstPaintMs.median.toFixed(0)} ms`);
  }
  ctx.log(
    `diag vs htop: CPU x${figures.ratios.cpuVsHtop ?? '-'}, RSS x${figures.ratios.rssVsHtop ?? '-'}, first paint x${figures.ratios.firstPaintVsHtop ?? '-'}; vs btop: CPU x${figures.ratios.cpuVsBtop ?? '-'}`,
  );
  ctx.log(`goals: CPU <= htop ${figures.goals.cpuAtMostHtop}, first paint <= 500 ms ${figures.goals.firstPaintAtMost500ms}, peak RSS <= 120 MB ${figures.goals.peakRssAtMost120MB}`);
  return figures;
}
