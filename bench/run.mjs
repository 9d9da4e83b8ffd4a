#!/usr/bin/env node
// diag's benchmarks: `npm run bench` runs every section, `npm run bench -- scan` one (or several).
// Plain ESM JavaScript run against the compiled dist/ (`npm run bench` builds it first through
// scripts/setup.mjs), so what is measured is exactly what `diag` runs.
//
// Options (after `--`):  [section ...] [--runs N] [--profile] [--list] [--<name> value ...]
//   --runs N     measured runs per figure (each section picks its own default)
//   --profile    sections that support it write a V8 CPU profile to bench/.build/ and print
//                the hottest functions
//   any other --key value / --flag is passed to the sections in ctx.flags (e.g. scan's --extra 500)
//
// Section contract. A section is `bench/<name>.mjs` plus ONE line in SECTIONS below. It exports
//   export async function run(ctx) { ...; return figures; }
// where ctx is:
//   ctx.name          the section's name
//   ctx.root          absolute path of the repository
//   ctx.dist(rel)     import a compiled module: await ctx.dist('src/core/live-source.js')
//   ctx.buildDir      bench/.build/ (gitignored, created): compiled helpers, profiles, scratch
//   ctx.runs          --runs N, or undefined (then use the section's default)
//   ctx.profile       true with --profile
//   ctx.flags         every other --key value (strings) / --flag (true)
//   ctx.log(line)     print one human-readable line (prefixed with the section name)
//   ctx.onCleanup(fn) register a SYNCHRONOUS function undoing what the section started (kill by
//                     PID, remove a netns...). It runs when the section ends, fails, or the bench
//                     is interrupted (SIGINT/SIGTERM/SIGHUP) or exits; it must be idempotent.
//                     Returns an unregister function for things the section already undid.
//   ctx.stats(ms[])   { n, median, p10, p90, min, max } of a list of timings
// Other helpers' work shares the host: report CPU time (process.cpuUsage) beside wall time, and
// alternate the measured thing with its reference so load hits both alike.
// A section prints its own figures with ctx.log and returns a JSON-serialisable object of them;
// run.mjs collects those into the final line `BENCH_JSON {...}` (schema diag.bench/v1) so notes
// and CI can pick figures. A section that throws is reported (`error` in its figures) and the
// others still run; the exit code is then 1. A section must leave nothing running behind it, and
// must bound everything it starts in time (never only rely on its cleanup).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Every section, in the order `npm run bench` runs them: [name, what it measures]. */
const SECTIONS = [
  ['scan', 'one full host scan (every registered collector) vs a C reader of the same files'],
  ['containers', 'cgroups and namespaces collectors vs systemd-cgtop and lsns; everything with 100 network namespaces'],
  ['bpf', 'BPF probes vs bpftrace: attach time, runqlat overhead on stress-ng --switch and a pinned ping-pong, ring-buffer events/s, biosnoop and tcpconn vs bpftrace scripts on the same tracepoints'],
  ['netns', 'command collectors (ss, tc, nft/iptables, ethtool, conntrack) across 100 network namespaces vs the same commands bare'],
  ['tui', 'the terminal UI at 1 Hz with 2,000 extra processes vs htop and btop: CPU, first paint, peak RSS'],
  ['playbook', 'diag run playbook use --json --window 1s, wall time with 2,000 extra sleeping processes, then with 100 extra network namespaces too (held by processes; ip netns add), as ratios (goal <= 1.5 s)'],
  ['redact', 'the snapshot\'s redaction over a recorded tree of this host (x4 processes): its cost beside building the tree, MB/s'],
  ['changes', 'the report\'s Recent changes: diag run playbook use --json --window 1s with --changes 24h vs off (wall, CPU; goal <= 50 ms added), and the read alone'],
  ['serve', 'diag serve /metrics vs node_exporter with 2,000 extra processes: scrape latency, CPU per scrape, ten concurrent scrapes, RSS over 1,000 scrapes'],
  ['snapshot', 'diag snapshot --window 1s vs sos report --batch on the same host: wall time, CPU, bundle size (goals: <= 1.5 s + window, >= 3x faster, smaller)'],
  ['record', 'diag record vs atop -w and sadc (sar -o) side by side at 10 s and at 1 s with 2,000 extra processes: CPU per sample and bytes per hour (goals: <= atop\'s)'],
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_DIR = join(ROOT, 'bench', '.build');

function parseCli(argv) {
  const names = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      names.push(a);
      continue;
    }
    const key = a.slice(2);
    const eq = key.indexOf('=');
    if (eq > 0) flags[key.slice(0, eq)] = key.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--') && !SECTIONS.some(([n]) => n === argv[i + 1])) flags[key] = argv[++i];
    else flags[key] = true;
  }
  return { names, flags };
}

// Cleanups registered by sections. Run on normal end, on errors, on signals and at exit.
const cleanups = new Set();
function runCleanups() {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch (err) {
      process.stderr.write(`bench: cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`bench: ${sig}: cleaning up\n`);
    runCleanups();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', runCleanups);
process.on('uncaughtException', (err) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  runCleanups();
  process.exit(1);
});

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (p) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]);
  const round = (v) => Math.round(v * 1000) / 1000;
  const median = s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, median: round(median), p10: round(q(0.1)), p90: round(q(0.9)), min: round(s[0] ?? NaN), max: round(s[s.length - 1] ?? NaN) };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main() {
  const { names, flags } = parseCli(process.argv.slice(2));
  if (flags.list || flags.help) {
    process.stdout.write(`Usage: npm run bench -- [section ...] [--runs N] [--profile]\nSections:\n${SECTIONS.map(([n, d]) => `  ${n.padEnd(10)} ${d}`).join('\n')}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !SECTIONS.some(([s]) => s === n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: no section named ${unknown.map((n) => JSON.stringify(n)).join(', ')}; sections: ${SECTIONS.map(([n]) => n).join(', ')}\n`);
    return 64;
  }
  const runs = flags.runs === undefined ? undefined : Number(flags.runs);
  if (runs !== undefined && (!Number.isInteger(runs) || runs < 1)) {
    process.stderr.write(`bench: --runs wants a positive integer, got ${JSON.stringify(flags.runs)}\n`);
    return 64;
  }
  const profile = flags.profile === true;
  const sectionFlags = { ...flags };
  delete sectionFlags.runs;
  delete sectionFlags.profile;
  mkdirSync(BUILD_DIR, { recursive: true });

  const selected = SECTIONS.filter(([n]) => names.length === 0 || names.includes(n));
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  if (loadAtStart[0] > cpus().length) {
    process.stdout.write(`bench: the host is busy (load ${loadAtStart[0]} on ${cpus().length} CPUs): wall-clock figures are inflated; CPU-time figures are the better guide\n`);
  }
  const results = {};
  let failedAny = false;
  for (const [name, what] of selected) {
    process.stdout.write(`\n== ${name}: ${what}\n`);
    const own = new Set();
    const ctx = {
      name,
      root: ROOT,
      buildDir: BUILD_DIR,
      runs,
      profile,
      flags: sectionFlags,
      dist: (rel) => import(pathToFileURL(join(ROOT, 'dist', rel)).href),
      log: (line) => process.stdout.write(`${name}: ${line}\n`),
      stats,
      onCleanup(fn) {
        cleanups.add(fn);
        own.add(fn);
        return () => {
          cleanups.delete(fn);
          own.delete(fn);
        };
      },
    };
    const t0 = performance.now();
    try {
      const mod = await import(pathToFileURL(join(ROOT, 'bench', `${name}.mjs`)).href);
      results[name] = (await mod.run(ctx)) ?? {};
    } catch (err) {
      failedAny = true;
      process.stdout.write(`${name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      results[name] = { error: err instanceof Error ? err.message : String(err) };
    } finally {
      for (const fn of own) {
        cleanups.delete(fn);
        try {
          fn();
        } catch (err) {
          process.stderr.write(`bench: ${name} cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
    }
    process.stdout.write(`${name}: section took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const summary = {
    schema: 'diag.bench/v1',
    startedAt,
    commit: gitCommit(),
    host: { kernel: release(), node: process.version, cpus: cpus().length, loadavgAtStart: loadAtStart, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) },
    sections: results,
  };
  process.stdout.write(`\nBENCH_JSON ${JSON.stringify(summary)}\n`);
  return failedAny ? 1 : 0;
}

process.exitCode = await main();
