#!/usr/bin/env node
// Builds diag's BPF addon (native/): compiles every native/bpf/*.bpf.c with clang into a CO-RE
// object, embeds the objects into a generated C++ table, and builds the node-addon-api addon
// against the shared libbpf with node-gyp (npm's bundled copy; offline: --nodedir=/usr).
//
// Exit 0 and native/build/.diag-stamp on success. When a build prerequisite is missing it says
// exactly which one and how to install it, exits 1, and leaves native/build/.diag-unbuilt with
// the reason so `diag probes` can say why BPF is off. It never runs apt-get itself
// (scripts/setup.mjs does that).
// Only Node's built-in modules: this runs from setup.mjs, possibly before node_modules exists.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE = join(ROOT, 'native');
const BUILD = join(NATIVE, 'build');
const STAMP = join(BUILD, '.diag-stamp');
const UNBUILT = join(BUILD, '.diag-unbuilt');
const quiet = process.argv.includes('--quiet');
// --check: only report missing prerequisites (exit 1 when any), build and write nothing.
const checkOnly = process.argv.includes('--check');
// --optional (npm's install script): a failed build says why and exits 0, so `npm install` and
// `npm ci` never fail because of it; diag then runs with BPF off and says why.
const optional = process.argv.includes('--optional');
const say = (msg) => process.stderr.write(`build-native: ${msg}\n`);

function has(cmd) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

function multiarch() {
  const r = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  const arch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
  return arch ?? `${process.arch}-linux-gnu`;
}

/** The BPF target arch define bpf_tracing.h wants. */
function bpfArch() {
  return { x64: 'x86', arm64: 'arm64', s390x: 's390', ppc64: 'powerpc', riscv64: 'riscv' }[process.arch] ?? 'x86';
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(ROOT, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a devDependency: use npm's bundled copy
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  candidates.push('/usr/share/nodejs/node-gyp/bin/node-gyp.js');
  return candidates.find((c) => existsSync(c));
}

function nodeHeadersDir() {
  for (const d of [dirname(dirname(process.execPath)), '/usr', '/usr/local']) {
    if (existsSync(join(d, 'include/node/node_api.h'))) return d;
  }
  return undefined;
}

/** What is missing to build, each with how to get it. Empty when everything is there. */
function missingPrerequisites(arch) {
  const missing = [];
  if (!has('clang')) missing.push({ what: 'clang (compiles the BPF programs)', fix: 'apt-get install clang' });
  if (!existsSync('/usr/include/bpf/libbpf.h') || !existsSync('/usr/include/bpf/bpf_helpers.h'))
    missing.push({ what: 'libbpf headers (/usr/include/bpf/libbpf.h)', fix: 'apt-get install libbpf-dev' });
  const libdirs = [`/usr/lib/${arch}`, '/usr/lib64', '/usr/lib'];
  if (!libdirs.some((d) => existsSync(join(d, 'libbpf.so'))))
    missing.push({ what: `libbpf for linking (libbpf.so in /usr/lib/${arch})`, fix: 'apt-get install libbpf-dev' });
  if (!existsSync(`/usr/include/${arch}/asm/types.h`) && !existsSync('/usr/include/asm/types.h'))
    missing.push({ what: 'kernel UAPI headers (asm/types.h)', fix: 'apt-get install linux-libc-dev' });
  if (!has('make') || !has('g++')) missing.push({ what: 'make and g++ (node-gyp builds the addon with them)', fix: 'apt-get install make g++' });
  if (!has('python3')) missing.push({ what: 'python3 (node-gyp runs gyp with it)', fix: 'apt-get install python3' });
  if (!nodeHeadersDir()) missing.push({ what: 'Node.js headers (include/node/node_api.h)', fix: 'apt-get install libnode-dev (or a Node.js build with headers)' });
  if (!findNodeGyp()) missing.push({ what: 'node-gyp (bundled with npm)', fix: 'install npm (apt-get install npm) or npm install --save-dev node-gyp' });
  try {
    createRequire(join(ROOT, 'package.json')).resolve('node-addon-api');
  } catch {
    missing.push({ what: 'the node-addon-api npm package', fix: 'npm ci' });
  }
  return missing;
}

function fail(reason, output) {
  if (output) process.stderr.write(output.split('\n').slice(-40).join('\n') + '\n');
  say(reason);
  mkdirSync(BUILD, { recursive: true });
  writeFileSync(UNBUILT, reason + '\n');
  rmSync(STAMP, { force: true });
  if (optional) say('diag will run without BPF probes (`diag probes` says why)');
  process.exit(optional ? 0 : 1);
}

function runStep(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: NATIVE, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.slice(0, 3).join(' ')}... failed (exit ${r.status ?? r.signal})`, output);
  if (!quiet && output.includes('warning:')) process.stderr.write(output.split('\n').filter((l) => l.includes('warning:')).join('\n') + '\n');
  return output;
}

function compileBpf(arch) {
  const srcDir = join(NATIVE, 'bpf');
  const outDir = join(BUILD, 'bpf');
  mkdirSync(outDir, { recursive: true });
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.bpf.c')).sort();
  const strip = has('llvm-strip') ? 'llvm-strip' : undefined;
  if (!strip) say('llvm-strip not found (apt-get install llvm): the BPF objects keep their DWARF (larger addon, same behaviour)');
  const objects = [];
  for (const f of sources) {
    const name = f.slice(0, -'.bpf.c'.length);
    const out = join(outDir, `${name}.bpf.o`);
    // -g: BTF for CO-RE (without it the relocations are missing); -O2: the verifier rejects -O0.
    runStep('clang', ['-g', '-O2', '-target', 'bpf', `-D__TARGET_ARCH_${bpfArch()}`, '-Wall', '-Wno-unused-function', `-I/usr/include/${arch}`, '-I', srcDir, '-c', join(srcDir, f), '-o', out]);
    // -g drops DWARF only; .BTF and .BTF.ext stay.
    if (strip) runStep(strip, ['-g', out]);
    objects.push({ name, path: out });
  }
  return objects;
}

function generateEmbedded(objects) {
  const gen = join(BUILD, 'gen');
  mkdirSync(gen, { recursive: true });
  const parts = ['// Generated by scripts/build-native.mjs: the BPF objects compiled from native/bpf/.', '#include "embedded.h"', ''];
  objects.forEach((o, i) => {
    const bytes = readFileSync(o.path);
    const lines = [];
    for (let off = 0; off < bytes.length; off += 24) lines.push(Array.from(bytes.subarray(off, off + 24), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(','));
    parts.push(`alignas(8) static const unsigned char obj${i}[] = {\n${lines.join(',\n')}\n};`);
  });
  parts.push('', 'const EmbeddedObject diag_bpf_objects[] = {');
  objects.forEach((o, i) => parts.push(`  {${JSON.stringify(o.name)}, obj${i}, sizeof obj${i}},`));
  if (objects.length === 0) parts.push('  {nullptr, nullptr, 0},');
  parts.push('};', `const size_t diag_bpf_object_count = ${objects.length};`, '');
  writeFileSync(join(gen, 'embedded.cc'), parts.join('\n'));
}

/** Newest modification time under native/ (build output excluded). */
function newestSource(dir = NATIVE) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'build' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate() {
  try {
    return existsSync(join(BUILD, 'Release', 'diag_bpf.node')) && statSync(STAMP).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

/** One build at a time (npm ci and setup can run at once): an exclusive lock file, waited for. */
function lock() {
  mkdirSync(BUILD, { recursive: true });
  const path = join(BUILD, '.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx'));
      const release = () => rmSync(path, { force: true });
      process.on('exit', release);
      return;
    } catch {
      // a lock older than 3 minutes is from a build that died
      try {
        if (Date.now() - statSync(path).mtimeMs > 180_000) rmSync(path, { force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) fail('another build of the addon holds native/build/.lock');
      spawnSync('sleep', ['0.2']);
    }
  }
}

function main() {
  const force = process.argv.includes('--force');
  if (!checkOnly && !force && upToDate()) {
    if (!quiet) say('the BPF addon is up to date (--force rebuilds it)');
    return;
  }
  const arch = multiarch();
  const missing = missingPrerequisites(arch);
  if (missing.length > 0) {
    for (const m of missing) say(`missing: ${m.what} -> ${m.fix}`);
    if (checkOnly) process.exit(optional ? 0 : 1);
    fail(`addon not built because ${missing.map((m) => m.what).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing; fix: ${[...new Set(missing.map((m) => m.fix))].join('; ')}`);
  }
  if (checkOnly) {
    say('every build prerequisite is present');
    return;
  }
  lock();
  if (!force && upToDate()) return; // built by whoever held the lock
  const nodeGyp = findNodeGyp();
  const nodedir = nodeHeadersDir();
  const gypArgs = [`--nodedir=${nodedir}`, '--silent'];
  rmSync(STAMP, { force: true });
  runStep(process.execPath, [nodeGyp, 'configure', ...gypArgs]);
  const objects = compileBpf(arch);
  generateEmbedded(objects);
  runStep(process.execPath, [nodeGyp, 'build', '-j', '2', ...gypArgs]);
  const addon = join(BUILD, 'Release', 'diag_bpf.node');
  const check = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(addon)}); process.stdout.write(Object.keys(a.embeddedObjects()).join(' '))`], { encoding: 'utf8' });
  if (check.status !== 0) fail(`the addon built but does not load: ${check.stderr.trim().split('\n').slice(-3).join(' ')}`);
  rmSync(UNBUILT, { force: true });
  writeFileSync(STAMP, `${new Date().toISOString()} ${check.stdout}\n`);
  say(`built native/build/Release/diag_bpf.node with BPF objects: ${check.stdout}`);
}

main();
