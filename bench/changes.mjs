// changes: what the report's "Recent changes" costs a `use` run. `diag run playbook use --json
// --window 1s` with the default look-back (24 h) against the same with `--changes off`,
// alternated so load hits both alike: wall time and CPU (the run's and its children's, through
// /usr/bin/time). Also the changes read alone in-process (collectChanges through a LiveSource):
// wall and diag's own CPU. The goal (issue 19): at most 50 ms added to a use run.
//
// The journal: where /var/log/journal or /run/log/journal holds files, the journalctl query runs
// (bounded: --since, unit MESSAGE_IDs, -n 2000); the figures say whether it did. The section
// never creates a journal of its own (that would mean running a journald on a shared host).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const GOAL_MS = 50;

function journalBytes() {
  let total = 0;
  const walk = (d) => {
    let ents = [];
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.journal')) total += spawnSync('stat', ['-c', '%s', p], { encoding: 'utf8' }).stdout.trim() * 1;
    }
  };
  walk('/var/log/journal');
  walk('/run/log/journal');
  return total;
}

function once(args, time) {
  return new Promise((resolve, reject) => {
    const [file, argv] = time ? ['/usr/bin/time', ['-f', 'BENCHTIME %U %S', process.execPath, ...args]] : [process.execPath, args];
    const t0 = performance.now();
    const c = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 90_000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(timer);
      const m = /BENCHTIME ([\d.]+) ([\d.]+)\s*$/.exec(err);
      resolve({ code, wallMs: performance.now() - t0, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined, out, err });
    });
  });
}

export async function run(ctx) {
  const runs = ctx.runs ?? 5;
  const diag = join(ctx.root, 'bin', 'diag.js');
  const time = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%U', 'true'], { stdio: 'ignore' }).status === 0;
  const journal = journalBytes();
  ctx.log(`journal files: ${journal > 0 ? `${(journal / 2 ** 20).toFixed(1)} MB (the journalctl query runs)` : 'none on this host (the journalctl query is not run: the 100 MB journal case is not measured here)'}`);

  const base = ['run', 'playbook', 'use', '--json', '--window', '1s', '-q'];
  const variants = { off: [diag, ...base, '--changes', 'off'], on: [diag, ...base, '--changes', '24h'] };
  const res = { off: { wall: [], cpu: [] }, on: { wall: [], cpu: [] } };
  let items;
  for (let i = 0; i < runs + 1; i++) {
    for (const [k, args] of Object.entries(variants)) {
      const r = await once(args, time);
      if (r.code !== null && r.code > 3) throw new Error(`diag exited ${r.code}: ${r.err.slice(-400)}`);
      if (i === 0) continue;
      res[k].wall.push(r.wallMs);
      if (r.cpuMs !== undefined) res[k].cpu.push(r.cpuMs);
      if (k === 'on') {
        try {
          items = JSON.parse(r.out).changes?.items.length;
        } catch {
          /* the figure stays undefined */
        }
      }
    }
  }

  // the read alone, in-process
  const { LiveSource } = await ctx.dist('src/core/live-source.js');
  const { COLLECTORS } = await ctx.dist('collectors/index.js');
  const { collectChanges } = await ctx.dist('src/engine/changes.js');
  const alone = { wall: [], cpu: [] };
  for (let i = 0; i < runs + 1; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await collectChanges({ collectors: COLLECTORS, src: new LiveSource(), lookbackSeconds: 86_400 });
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (i === 0) continue;
    alone.wall.push(wall);
    alone.cpu.push((c.user + c.system) / 1000);
  }

  const fig = { goalMs: GOAL_MS, runs, journalBytes: journal, items };
  for (const k of ['off', 'on']) fig[k] = { wallMs: ctx.stats(res[k].wall), ...(res[k].cpu.length ? { cpuMs: ctx.stats(res[k].cpu) } : {}) };
  fig.addedWallMs = fig.on.wallMs.median - fig.off.wallMs.median;
  fig.addedCpuMs = fig.on.cpuMs && fig.off.cpuMs ? fig.on.cpuMs.median - fig.off.cpuMs.median : undefined;
  fig.alone = { wallMs: ctx.stats(alone.wall), diagCpuMs: ctx.stats(alone.cpu) };
  ctx.log(`use --changes off: wall median ${fig.off.wallMs.median.toFixed(0)} ms${fig.off.cpuMs ? `, CPU ${fig.off.cpuMs.median.toFixed(0)} ms` : ''}`);
  ctx.log(`use --changes 24h: wall median ${fig.on.wallMs.median.toFixed(0)} ms${fig.on.cpuMs ? `, CPU ${fig.on.cpuMs.median.toFixed(0)} ms` : ''} (${items ?? '?'} changes)`);
  ctx.log(`added: wall ${fig.addedWallMs.toFixed(0)} ms${fig.addedCpuMs !== undefined ? `, CPU ${fig.addedCpuMs.toFixed(0)} ms` : ''} (goal <= ${GOAL_MS} ms; the read overlaps the 1 s window)`);
  ctx.log(`the read alone: wall median ${fig.alone.wallMs.median.toFixed(1)} ms (p90 ${fig.alone.wallMs.p90.toFixed(1)}), diag CPU ${fig.alone.diagCpuMs.median.toFixed(1)} ms (its commands' CPU not counted)`);
  return fig;
}
