// Section "playbook": wall time of `diag run playbook use --json --window 1s` (the default
// report, as a bot or monitoring system runs it: a fresh process, the 1 s window included),
// at the host's normal process count and with --extra N (default 2000) more sleeping processes
// (spawned here, killed by PID). The issue's goal: at most 1.5 s with the extra processes.
//
// Figures, in alternating rounds so load from elsewhere hits each alike:
//   use         the command exactly as specified (drill-downs run when a check finds something:
//               on a busy host that adds a processes sample or a BPF probe, within the playbook's
//               5 s budget; the figure says how many ran)
//   use-nodrill the same playbook with budget_seconds: 0 (a copy in bench/.build via
//               --playbook-dir): sampling, judging and printing only
//   node        `node -e 0`: the floor any Node CLI pays to start, for the ratio
//   startup     `diag --version`: diag's own start-up cost (CLI module loading)
// Child CPU time (user + system) comes from /usr/bin/time when it exists.
// With the extra processes, two more rounds add network namespaces (issue 12: every namespace is
// judged by default): --netns N (default 100, 0 skips) held by a sleeping process each (as
// containers are), then N made with `ip netns add` and no process (their counters cost a command
// each). Each is reported as a ratio against the round with the extra processes alone; the goal
// is the same (use --json --window 1s <= 1.5 s).
// Flags: --runs N (default 5), --extra N (0 skips the extra-process rounds), --netns N.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startNamespaces } from './lib/namespaces.mjs';
import { processCounts, startSleepers } from './lib/sleepers.mjs';

const GOAL_MS = 1500;

function timeTool() {
  return existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%U', 'true'], { stdio: 'ignore' }).status === 0 ? '/usr/bin/time' : undefined;
}

/** One run of a command: wall ms, child CPU ms (when /usr/bin/time exists), stdout. */
function once(cmd, args, time) {
  return new Promise((resolve, reject) => {
    const [file, argv] = time ? [time, ['-f', 'BENCHTIME %U %S', cmd, ...args]] : [cmd, args];
    const t0 = performance.now();
    const c = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const m = /BENCHTIME ([\d.]+) ([\d.]+)\s*$/.exec(err);
      resolve({ code, wallMs, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined, out, err });
    });
  });
}

function reportFacts(out) {
  try {
    const r = JSON.parse(out);
    const drill = r.findings.flatMap((f) => f.evidence.drilldown ?? []).filter((d) => d.status === 'ok' || d.durationMs !== undefined);
    return { status: r.status, findings: r.findings.length, drilldowns: drill.length, engineMs: r.durationMs };
  } catch {
    return undefined;
  }
}

export async function run(ctx) {
  const runs = ctx.runs ?? 5;
  const extra = ctx.flags.extra === undefined ? 2000 : Number(ctx.flags.extra);
  const diag = join(ctx.root, 'bin', 'diag.js');
  const time = timeTool();
  const pbDir = join(ctx.buildDir, 'playbooks-nodrill');
  mkdirSync(pbDir, { recursive: true });
  writeFileSync(join(pbDir, 'use.yaml'), readFileSync(join(ctx.root, 'playbooks', 'use.yaml'), 'utf8') + '\nbudget_seconds: 0\n');

  const variants = {
    use: [process.execPath, [diag, 'run', 'playbook', 'use', '--json', '--window', '1s']],
    'use-nodrill': [process.execPath, [diag, 'run', 'playbook', 'use', '--json', '--window', '1s', '--playbook-dir', pbDir]],
    node: [process.execPath, ['-e', '0']],
    startup: [process.execPath, [diag, '--version']],
  };

  async function round(label) {
    const res = Object.fromEntries(Object.keys(variants).map((k) => [k, { wall: [], cpu: [], facts: [] }]));
    for (let i = 0; i < runs + 1; i++) {
      for (const [k, [cmd, args]] of Object.entries(variants)) {
        const r = await once(cmd, args, time);
        if (k.startsWith('use') && r.code !== null && r.code > 3) throw new Error(`diag exited ${r.code}: ${r.err.slice(-500)}`);
        if (i === 0) continue; // warm-up: page cache, first compile
        res[k].wall.push(r.wallMs);
        if (r.cpuMs !== undefined) res[k].cpu.push(r.cpuMs);
        const f = k.startsWith('use') ? reportFacts(r.out) : undefined;
        if (f) res[k].facts.push(f);
      }
    }
    const counts = processCounts();
    const fig = { processes: counts.processes, threads: counts.threads };
    for (const [k, v] of Object.entries(res)) {
      const w = ctx.stats(v.wall);
      const c = v.cpu.length ? ctx.stats(v.cpu) : undefined;
      fig[k] = { wallMs: w, ...(c ? { cpuMs: c } : {}) };
      if (v.facts.length) {
        fig[k].engineMs = ctx.stats(v.facts.map((f) => f.engineMs));
        fig[k].drilldownsPerRun = ctx.stats(v.facts.map((f) => f.drilldowns)).median;
        fig[k].statuses = [...new Set(v.facts.map((f) => f.status))];
      }
    }
    const nodeMs = fig.node.wallMs.median;
    const line = (k) =>
      `${k.padEnd(12)} wall median ${fig[k].wallMs.median.toFixed(0)} ms (p90 ${fig[k].wallMs.p90.toFixed(0)})${fig[k].cpuMs ? `, CPU ${fig[k].cpuMs.median.toFixed(0)} ms` : ''}${fig[k].engineMs ? `, engine ${fig[k].engineMs.median.toFixed(0)} ms, drill-downs/run ${fig[k].drilldownsPerRun}, status ${fig[k].statuses.join('/')}` : ''} (${(fig[k].wallMs.median / nodeMs).toFixed(1)}x node -e 0)`;
    ctx.log(`${label}: ${counts.processes} processes, ${counts.threads} threads`);
    for (const k of Object.keys(variants)) ctx.log(`  ${line(k)}`);
    return fig;
  }

  const netns = ctx.flags.netns === undefined ? 100 : Number(ctx.flags.netns);
  const figures = { goalMs: GOAL_MS, runs, normal: await round('normal process count') };
  if (extra > 0) {
    const sleepers = await startSleepers(extra, { onCleanup: ctx.onCleanup });
    try {
      figures.extra = { added: extra, ...(await round(`with ${extra} extra sleeping processes`)) };
      for (const kind of netns > 0 && process.getuid?.() === 0 ? ['process', 'bind'] : []) {
        const ns = await startNamespaces(netns, { kind, onCleanup: ctx.onCleanup });
        try {
          const label = `with ${extra} extra processes and ${ns.inodes.length} extra network namespaces (${kind === 'bind' ? 'ip netns add, no process' : 'each held by a process'})`;
          const fig = { added: ns.inodes.length, kind, ...(await round(label)) };
          fig.ratio = Math.round((fig.use.wallMs.median / figures.extra.use.wallMs.median) * 100) / 100;
          fig.ratioNoDrill = Math.round((fig['use-nodrill'].wallMs.median / figures.extra['use-nodrill'].wallMs.median) * 100) / 100;
          // CPU time moves less with other work on the host than wall time does
          const cpu = (f) => f['use-nodrill'].cpuMs?.median;
          fig.cpuRatioNoDrill = cpu(fig) && cpu(figures.extra) ? Math.round((cpu(fig) / cpu(figures.extra)) * 100) / 100 : undefined;
          fig.goalMet = fig.use.wallMs.median <= GOAL_MS;
          ctx.log(`  ${kind} namespaces: use ${fig.use.wallMs.median.toFixed(0)} ms = ${fig.ratio}x the run without them (use-nodrill ${fig.ratioNoDrill}x wall${fig.cpuRatioNoDrill ? `, ${fig.cpuRatioNoDrill}x CPU` : ''}); goal <= ${GOAL_MS} ms ${fig.goalMet ? 'met' : 'NOT met'}`);
          figures[kind === 'bind' ? 'netnsBind' : 'netns'] = fig;
        } finally {
          await ns.kill();
        }
      }
    } finally {
      await sleepers.kill();
    }
    const got = figures.extra.use.wallMs.median;
    figures.goalMet = got <= GOAL_MS;
    ctx.log(`goal: use --json --window 1s with ${extra} extra processes <= ${GOAL_MS} ms: median ${got.toFixed(0)} ms -> ${figures.goalMet ? 'met' : 'NOT met'}${figures.extra.use.drilldownsPerRun > 0 ? ` (${figures.extra.use.drilldownsPerRun} drill-downs per run on this host; without them ${figures.extra['use-nodrill'].wallMs.median.toFixed(0)} ms)` : ''}`);
  }
  return figures;
}
