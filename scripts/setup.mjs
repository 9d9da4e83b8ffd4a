#!/usr/bin/env node
// diag's own set-up, run by `npm start` and `npm test` before they do their job.
// Idempotent and fast when nothing changed: each step checks before it acts.
//   1. Debian packages diag needs (installed with apt-get when root and missing; listed otherwise)
//   2. npm packages (npm ci when node_modules is missing or older than the lockfile)
//   3. the native BPF addon (rebuilt when native/ changed; optional: diag runs without it)
//   4. the TypeScript build (tsc when a source is newer than the last build)
// Only Node's built-in modules here: this runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] === 'test' ? 'test' : 'run';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const say = (msg) => process.stderr.write(`diag setup: ${msg}\n`);

// What diag reads with, what it builds its BPF probes with, and (for tests) the reference tools
// its measurements are checked against and the tools that plant faults.
const RUNTIME_PACKAGES = {
  iproute2: 'ss, tc and ip: sockets, qdiscs, namespaces',
  ethtool: 'NIC driver statistics',
  nftables: 'nft: firewall rules and counters',
  iptables: 'iptables rules and counters',
  conntrack: 'connection tracking statistics',
  'util-linux': 'nsenter, losetup',
  procps: 'ps, free',
  clang: 'compiles the BPF probes',
  llvm: 'llvm-strip for the BPF objects',
  'libbpf-dev': 'links the BPF addon',
  libbpf1: 'loads the BPF probes',
  libelf1: 'libbpf needs it',
  'zlib1g': 'libbpf needs it',
  'linux-libc-dev': 'kernel UAPI headers for the BPF build',
  make: 'node-gyp builds the BPF addon with it',
  'g++': 'compiles the BPF addon (C++)',
  python3: 'node-gyp (gyp) needs it to build the BPF addon',
  tmux: 'the TUI tests',
  'xz-utils': 'xz: reads sosreport .tar.xz archives (run playbook --from)',
  bpftool: 'BPF programs attached to interfaces (XDP, tc), cgroups and tracepoints: the bpfnet collector, "where am I"',
};
const TEST_PACKAGES = {
  sysstat: 'mpstat, iostat, sar: reference measurements in tests; sadc (sar -o) beside diag record in the record benchmark',
  atop: 'reference for the record benchmark (atop -w raw log beside diag record: CPU per sample, bytes per hour)',
  'stress-ng': 'CPU and context-switch load in tests',
  bpftrace: 'reference BPF histograms in tests and benchmarks',
  e2fsprogs: 'mkfs for loop-device tests',
  htop: 'reference for the TUI benchmark (CPU, RSS)',
  btop: 'reference for the TUI benchmark (CPU, RSS)',
  sosreport: 'reference for the snapshot benchmark (sos report --batch)',
  'man-db': 'man -l renders diag man in tests',
  prometheus: 'a real Prometheus scrapes diag serve in a live test (started on a free port; promtool lints the exposition)',
  'prometheus-node-exporter': 'the serve benchmark measures node_exporter beside diag; its textfile collector reads --openmetrics files',
  'monitoring-plugins': "negate runs diag --nagios as a monitoring runner runs a plugin (the plugin conformance test)",
  ansible: 'runs contrib/ansible/diag-fleet.yml against sshd test hosts (the fleet live test)',
  'openssh-server': 'sshd for the fleet live test: three hosts in network namespaces, started on their own addresses',
  'systemd-journal-remote': "the changes benchmark writes its 100 MB journal with systemd's own journal writer (this VM runs no journald)",
};

function missingPackages(wanted) {
  const names = Object.keys(wanted);
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...names], { encoding: 'utf8' });
  if (r.error) return { names: [], dpkg: false };
  const installed = new Set(
    r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 2 && f[1] === 'ii')
      .map((f) => f[0].split(':')[0]),
  );
  return { names: names.filter((n) => !installed.has(n)), dpkg: true };
}

function aptInstall(pkgs, wanted) {
  for (const p of pkgs) say(`  ${p}: ${wanted[p]}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (update.status !== 0) say('apt-get update failed; trying the install with the lists we have');
  // apt's and dpkg's chatter goes to a log; shown only when the install fails.
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'Dpkg::Use-Pty=0', ...pkgs], { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8' });
  if (r.status === 0) say('Debian packages installed');
  else {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-20).join('\n') + '\n');
    // One unknown package must not block the rest: retry one by one and report what failed.
    const failedPkgs = [];
    for (const p of pkgs) {
      const one = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', p], { stdio: ['ignore', 'ignore', 'ignore'], env });
      if (one.status !== 0) failedPkgs.push(p);
    }
    if (failedPkgs.length > 0) say(`could not install: ${failedPkgs.join(', ')}; diag goes on without them`);
  }
}

function ensureDebianPackages() {
  const wanted = mode === 'test' ? { ...RUNTIME_PACKAGES, ...TEST_PACKAGES } : RUNTIME_PACKAGES;
  const { names, dpkg } = missingPackages(wanted);
  if (!dpkg) {
    say('dpkg-query not found: not a Debian system; install iproute2, ethtool, nftables, iptables, conntrack, clang, llvm and libbpf-dev yourself');
    return;
  }
  if (names.length === 0) return;
  if (isRoot && process.env.DIAG_SETUP_NO_APT !== '1') {
    say(`installing ${names.length} Debian package(s) with apt-get:`);
    aptInstall(names, wanted);
  } else {
    say(`missing Debian packages (not root, so not installing): ${names.join(' ')}`);
    for (const p of names) say(`  ${p}: ${wanted[p]}`);
    say(`to install them: sudo apt-get install ${names.join(' ')}; diag goes on with what works`);
  }
}

function newestMtime(paths) {
  let newest = 0;
  const walk = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      const base = p.split('/').pop();
      if (base === 'node_modules' || base === 'build' || base === 'dist') return;
      for (const e of readdirSync(p)) walk(join(p, e));
    } else if (st.mtimeMs > newest) newest = st.mtimeMs;
  };
  for (const p of paths) walk(join(ROOT, p));
  return newest;
}

function mtime(p) {
  try {
    return statSync(join(ROOT, p)).mtimeMs;
  } catch {
    return 0;
  }
}

function run(cmd, args, what) {
  say(what);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    say(`failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

/**
 * npm ci when node_modules was not installed from this package-lock.json. The lockfile's content
 * decides (a stamp with its hash), not mtimes: a git checkout or a new worktree touches the
 * lockfile without changing it. A node_modules that is a symbolic link belongs to another
 * checkout and is never reinstalled from here (npm ci would empty the link's target).
 */
function ensureNpmPackages() {
  const stamp = 'node_modules/.diag-lock-sha256';
  const want = createHash('sha256').update(readFileSync(join(ROOT, 'package-lock.json'))).digest('hex');
  let linked = false;
  try {
    linked = lstatSync(join(ROOT, 'node_modules')).isSymbolicLink();
  } catch {
    // no node_modules yet
  }
  if (linked) return;
  if (existsSync(join(ROOT, stamp)) && readFileSync(join(ROOT, stamp), 'utf8').trim() === want) return;
  run('npm', ['ci', '--no-audit', '--no-fund'], 'installing npm packages (npm ci)');
  writeFileSync(join(ROOT, stamp), want + '\n');
}

function ensureNative() {
  if (!existsSync(join(ROOT, 'native/binding.gyp'))) return;
  const stamp = 'native/build/.diag-stamp';
  if (existsSync(join(ROOT, stamp)) && mtime(stamp) >= newestMtime(['native'])) return;
  // The native build never fails the set-up: without it diag runs with BPF off and says why.
  say('building the BPF addon (native/)');
  const r = spawnSync('node', ['scripts/build-native.mjs'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) say('the BPF addon did not build: diag runs without BPF probes (`diag probes` says why)');
}

function ensureBuild() {
  const stamp = 'dist/.build-stamp';
  const sources = newestMtime(['src', 'collectors', 'playbooks', 'scripts/bundle.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json']);
  if (existsSync(join(ROOT, stamp)) && mtime(stamp) >= sources) return;
  run('node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], 'compiling TypeScript (tsc)');
  run('node', ['scripts/bundle.mjs', '--quiet'], 'bundling for a fast start (esbuild)');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  writeFileSync(join(ROOT, stamp), new Date().toISOString() + '\n');
}

ensureDebianPackages();
ensureNpmPackages();
ensureNative();
ensureBuild();
