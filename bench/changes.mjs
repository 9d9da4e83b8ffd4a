// changes: what the report's "Recent changes" costs a `use` run. `diag run playbook use --json
// --window 1s` with the default look-back (24 h) against the same with `--changes off`,
// alternated so load hits both alike: wall time and CPU (the run's and its children's, through
// /usr/bin/time). Also the changes read alone in-process (collectChanges through a LiveSource):
// wall and diag's own CPU. The goal (issue 19): at most 50 ms added to a use run with a 100 MB
// journal.
//
// The journal: this VM runs no journald. A journal of 100 MB (--journal-mb) is written once by
// systemd's own writer (systemd-journal-remote from Debian, bench/lib/journal.mjs) into
// bench/.build/journal/ (kept while younger than 6 h: its entries span the 7 days before it was
// written) and read by the same query diag runs on a host, pointed at it with --journal-dir
// (journalctl --directory). Three variants alternate: off, on (this host: no journal), and on
// with the 100 MB journal; the system journal is never touched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { journalBytes as dirJournalBytes, writeJournal } from './lib/journal.mjs';
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

  const targetMb = Number(ctx.flags['journal-mb'] ?? 100);
  const jdir = join(ctx.buildDir, 'journal');
  const fresh = existsSync(join(jdir, 'system.journal')) && Date.now() - statSync(join(jdir, 'system.journal')).mtimeMs < 6 * 3600_000 && dirJournalBytes(jdir) >= targetMb * 2 ** 20;
  let made;
  if (!fresh) {
    ctx.log(`writing a ${targetMb} MB journal with systemd-journal-remote into ${jdir} (a few minutes, once)`);
    made = await writeJournal(jdir, targetMb * 2 ** 20);
    ctx.log(`journal written: ${(made.bytes / 2 ** 20).toFixed(1)} MB, ${made.entries} entries over 7 days, ${made.inLookback} in the last 24 h, ${made.unitEntries} unit lifecycle messages`);
  }
  const jbytes = dirJournalBytes(jdir);
  ctx.log(`journal read with --journal-dir: ${(jbytes / 2 ** 20).toFixed(1)} MB in ${readdirSync(jdir).filter((n) => n.endsWith('.journal')).length} files`);

  const base = ['run', 'playbook', 'use', '--json', '--window', '1s', '-q'];
  const variants = { off: [diag, ...base, '--changes', 'off'], on: [diag, ...base, '--changes', '24h'], journal: [diag, ...base, '--changes', '24h', '--journal-dir', jdir] };
  const res = { off: { wall: [], cpu: [] }, on: { wall: [], cpu: [] }, journal: { wall: [], cpu: [] } };
  let items;
  let jitems;
  for (let i = 0; i < runs + 1; i++) {
    for (const [k, args] of Object.entries(variants)) {
      const r = await once(args, time);
      if (r.code !== null && r.code > 3) throw new Error(`diag exited ${r.code}: ${r.err.slice(-400)}`);
      if (i === 0) continue;
      res[k].wall.push(r.wallMs);
      if (r.cpuMs !== undefined) res[k].cpu.push(r.cpuMs);
      if (k !== 'off') {
        try {
          const n = JSON.parse(r.out).changes?.items.length;
          if (k === 'on') items = n;
          else jitems = n;
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
  const aloneJ = { wall: [], cpu: [] };
  for (let i = 0; i < runs + 1; i++) {
    for (const [acc, extra] of [[alone, {}], [aloneJ, { journalDirectory: jdir }]]) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await collectChanges({ collectors: COLLECTORS, src: new LiveSource(), lookbackSeconds: 86_400, ...extra });
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (i === 0) continue;
      acc.wall.push(wall);
      acc.cpu.push((c.user + c.system) / 1000);
    }
  }

  // the read cold, as a one-shot `use` run does it once: a fresh node per read (modules loaded
  // first, as the bundle is), diag's CPU (process.cpuUsage) plus its commands' (cutime + cstime
  // of /proc/self/stat: stat, dmesg, journalctl, waited for), alternated without / with the journal
  const coldScript = (extra) => `
    const { readFileSync } = await import('node:fs');
    const kids = () => { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (Number(f[13]) + Number(f[14])) * 10; };
    const { LiveSource } = await import(${JSON.stringify(join(ctx.root, 'dist/src/core/live-source.js'))});
    const { COLLECTORS } = await import(${JSON.stringify(join(ctx.root, 'dist/collectors/index.js'))});
    const { collectChanges } = await import(${JSON.stringify(join(ctx.root, 'dist/src/engine/changes.js'))});
    const k0 = kids(); const c0 = process.cpuUsage(); const t0 = performance.now();
    const r = await collectChanges({ collectors: COLLECTORS, src: new LiveSource(), lookbackSeconds: 86400${extra} });
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ wall: performance.now() - t0, self: (c.user + c.system) / 1000, kids: kids() - k0, items: r.items.length }));`;
  const cold = { none: { self: [], total: [] }, journal: { self: [], total: [] } };
  for (let i = 0; i < runs; i++) {
    for (const [k, extra] of [['none', ''], ['journal', `, journalDirectory: ${JSON.stringify(jdir)}`]]) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', coldScript(extra)], { encoding: 'utf8', timeout: 60_000 });
      const m = /\{.*\}/.exec(r.stdout ?? '');
      if (!m) throw new Error(`cold read failed: ${r.stderr?.slice(-300)}`);
      const v = JSON.parse(m[0]);
      cold[k].self.push(v.self);
      cold[k].total.push(v.self + v.kids);
    }
  }

  const fig = { goalMs: GOAL_MS, runs, journalBytes: journal, benchJournalBytes: jbytes, items, journalItems: jitems, loadavg: readFileSync('/proc/loadavg', 'utf8').trim() };
  for (const k of ['off', 'on', 'journal']) fig[k] = { wallMs: ctx.stats(res[k].wall), ...(res[k].cpu.length ? { cpuMs: ctx.stats(res[k].cpu) } : {}) };
  fig.addedWallMs = fig.on.wallMs.median - fig.off.wallMs.median;
  fig.addedCpuMs = fig.on.cpuMs && fig.off.cpuMs ? fig.on.cpuMs.median - fig.off.cpuMs.median : undefined;
  fig.journalAddedWallMs = fig.journal.wallMs.median - fig.off.wallMs.median;
  fig.journalAddedCpuMs = fig.journal.cpuMs && fig.off.cpuMs ? fig.journal.cpuMs.median - fig.off.cpuMs.median : undefined;
  fig.alone = { wallMs: ctx.stats(alone.wall), diagCpuMs: ctx.stats(alone.cpu) };
  fig.cold = { noJournal: { diagCpuMs: ctx.stats(cold.none.self), withCommandsCpuMs: ctx.stats(cold.none.total) }, journal100MB: { diagCpuMs: ctx.stats(cold.journal.self), withCommandsCpuMs: ctx.stats(cold.journal.total) } };
  fig.aloneJournal = { wallMs: ctx.stats(aloneJ.wall), diagCpuMs: ctx.stats(aloneJ.cpu) };
  ctx.log(`use --changes off: wall median ${fig.off.wallMs.median.toFixed(0)} ms${fig.off.cpuMs ? `, CPU ${fig.off.cpuMs.median.toFixed(0)} ms` : ''}`);
  ctx.log(`use --changes 24h: wall median ${fig.on.wallMs.median.toFixed(0)} ms${fig.on.cpuMs ? `, CPU ${fig.on.cpuMs.median.toFixed(0)} ms` : ''} (${items ?? '?'} changes)`);
  ctx.log(`added: wall ${fig.addedWallMs.toFixed(0)} ms${fig.addedCpuMs !== undefined ? `, CPU ${fig.addedCpuMs.toFixed(0)} ms` : ''} (goal <= ${GOAL_MS} ms; the read overlaps the 1 s window)`);
  ctx.log(`use --changes 24h --journal-dir (${(jbytes / 2 ** 20).toFixed(0)} MB): wall median ${fig.journal.wallMs.median.toFixed(0)} ms${fig.journal.cpuMs ? `, CPU ${fig.journal.cpuMs.median.toFixed(0)} ms (p90 ${fig.journal.cpuMs.p90.toFixed(0)})` : ''} (${jitems ?? '?'} changes)`);
  ctx.log(`added with the 100 MB journal: wall ${fig.journalAddedWallMs.toFixed(0)} ms${fig.journalAddedCpuMs !== undefined ? `, CPU ${fig.journalAddedCpuMs.toFixed(0)} ms, ratio ${(fig.journal.cpuMs.median / fig.off.cpuMs.median).toFixed(3)}` : ''} (goal <= ${GOAL_MS} ms)`);
  ctx.log(`the read alone with the journal: wall median ${fig.aloneJournal.wallMs.median.toFixed(1)} ms, diag CPU ${fig.aloneJournal.diagCpuMs.median.toFixed(1)} ms (p90 ${fig.aloneJournal.diagCpuMs.p90.toFixed(1)})`);
  ctx.log(`the read cold (one per fresh process, as a use run reads it): no journal ${fig.cold.noJournal.diagCpuMs.median.toFixed(1)} ms diag CPU, ${fig.cold.noJournal.withCommandsCpuMs.median.toFixed(1)} ms with its commands (p90 ${fig.cold.noJournal.withCommandsCpuMs.p90.toFixed(1)}); 100 MB journal ${fig.cold.journal100MB.diagCpuMs.median.toFixed(1)} ms, ${fig.cold.journal100MB.withCommandsCpuMs.median.toFixed(1)} ms with its commands (p90 ${fig.cold.journal100MB.withCommandsCpuMs.p90.toFixed(1)}) (goal <= ${GOAL_MS} ms)`);
  ctx.log(`load average at the end: ${fig.loadavg}`);
  ctx.log(`the read alone: wall median ${fig.alone.wallMs.median.toFixed(1)} ms (p90 ${fig.alone.wallMs.p90.toFixed(1)}), diag CPU ${fig.alone.diagCpuMs.median.toFixed(1)} ms (its commands' CPU not counted)`);
  return fig;
}
