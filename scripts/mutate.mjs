#!/usr/bin/env node
// Mutation check (issue 14): apply one deliberate one-line bug at a time (an off-by-one field in
// a parser, a wrong threshold or comparison in a check), run the tests that should notice, and
// report which mutations were killed (a test failed) and which survived. Every file is restored
// after each run, also when the run is interrupted. Usage: node scripts/mutate.mjs [--only N]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** kind, file, the exact text to replace (must occur once), its replacement, the tests to run. */
const MUTATIONS = [
  { kind: 'parser', what: 'parsePidStat: starttime read one field late', file: 'collectors/procfs/processes/parse.ts', from: 'const F_START = 19;', to: 'const F_START = 20;', tests: ['test/collectors/procfs/processes.test.ts'] },
  { kind: 'parser', what: 'parseDiskstats: columns shifted by one', file: 'collectors/procfs/disk/parse.ts', from: 'if (v !== undefined) stats[DISKSTATS_COLUMNS[c]!] = v;', to: 'if (v !== undefined) stats[DISKSTATS_COLUMNS[c + 1]!] = v;', tests: ['test/collectors/procfs/disk.test.ts'] },
  { kind: 'parser', what: 'parseProcStat: CPU times read one column late', file: 'collectors/procfs/cpu/parse.ts', from: 'const v = uint(f[c + 1]);', to: 'const v = uint(f[c + 2]);', tests: ['test/collectors/procfs/cpu.test.ts'] },
  { kind: 'parser', what: 'parseLoadAvg: load5 and load15 swapped', file: 'collectors/procfs/cpu/parse.ts', from: 'load5: udecimal(f[1]), load15: udecimal(f[2])', to: 'load5: udecimal(f[2]), load15: udecimal(f[1])', tests: ['test/collectors/procfs/cpu.test.ts'] },
  { kind: 'parser', what: 'parseNetDev: counters paired with the next column', file: 'collectors/procfs/netdev/parse.ts', from: 'const col = layout[c];', to: 'const col = layout[c + 1];', tests: ['test/collectors/procfs/netdev.test.ts'] },
  { kind: 'check', what: 'judge: critical only strictly above the threshold (>= becomes >)', file: 'src/engine/check/judge.ts', from: 'value >= check.critical.value', to: 'value > check.critical.value', tests: ['test/engine/evaluate.test.ts', 'test/playbooks/synthetic-hosts.test.ts', 'test/playbooks/cgroup-checks.test.ts', 'test/playbooks/v2-real-hosts.test.ts'] },
  { kind: 'check', what: 'cpu-runqueue-saturation: warning at 15 runnable tasks per CPU instead of 1.5', file: 'playbooks/cpu.yaml', from: 'warning: { value: 1.5, source: gregg-use-linux, note: "vmstat r greater', to: 'warning: { value: 15, source: gregg-use-linux, note: "vmstat r greater', tests: ['test/playbooks/synthetic-hosts.test.ts'] },
  { kind: 'check', what: 'filesystem-capacity: critical at 99 % instead of 95 %', file: 'playbooks/disk.yaml', from: 'critical: { value: 95, source: ops-capacity, note: "writes are about to fail', to: 'critical: { value: 99, source: ops-capacity, note: "writes are about to fail', tests: ['test/playbooks/synthetic-hosts.test.ts', 'test/engine/evaluate.test.ts', 'test/playbooks/filesystem-thresholds.test.ts'] },
  { kind: 'check', what: 'cg-oom-kills: critical from 2 kills instead of 1', file: 'playbooks/container.yaml', from: 'critical: { value: 1, source: kernel-cgroup-v2, note: "memory.events oom_kill', to: 'critical: { value: 2, source: kernel-cgroup-v2, note: "memory.events oom_kill', tests: ['test/playbooks/v2-real-hosts.test.ts', 'test/playbooks/cgroup-checks.test.ts'] },
  { kind: 'check', what: 'cg-memory-psi: critical at 70 % stall instead of 40 %', file: 'playbooks/container.yaml', from: 'metric: cgroup_psi.memory_some_pct\n    target: cgroup\n    warning: { value: 10, source: kernel-psi }\n    critical: { value: 40, source: kernel-psi }', to: 'metric: cgroup_psi.memory_some_pct\n    target: cgroup\n    warning: { value: 10, source: kernel-psi }\n    critical: { value: 70, source: kernel-psi }', tests: ['test/playbooks/v2-real-hosts.test.ts'] },
];

const only = process.argv.includes('--only') ? Number(process.argv[process.argv.indexOf('--only') + 1]) : undefined;
const results = [];
for (const [i, m] of MUTATIONS.entries()) {
  if (only !== undefined && only !== i + 1) continue;
  const path = `${ROOT}/${m.file}`;
  const original = readFileSync(path, 'utf8');
  const count = original.split(m.from).length - 1;
  if (count !== 1) {
    results.push({ ...m, n: i + 1, outcome: `NOT APPLIED (the text occurs ${count} times: update the mutation)` });
    continue;
  }
  const restore = () => writeFileSync(path, original);
  process.once('SIGINT', () => {
    restore();
    process.exit(130);
  });
  writeFileSync(path, original.replace(m.from, m.to));
  try {
    const r = spawnSync('npx', ['vitest', 'run', ...m.tests], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, env: { ...process.env, FORCE_COLOR: '0' } });
    const summary = /Tests: (\d+) passed, (\d+) failed/.exec(r.stdout ?? '');
    const failed = summary ? Number(summary[2]) : undefined;
    results.push({ ...m, n: i + 1, outcome: r.status !== 0 ? `killed (${failed ?? '?'} failed)` : 'SURVIVED' });
  } finally {
    restore();
  }
  process.stdout.write(`${i + 1}. ${m.kind}: ${m.what}: ${results[results.length - 1].outcome}\n`);
}
const killed = results.filter((r) => r.outcome.startsWith('killed')).length;
process.stdout.write(`\n${killed}/${results.length} mutations killed\n`);
process.exitCode = killed === results.length ? 0 : 1;
