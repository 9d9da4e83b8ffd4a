#!/usr/bin/env node
// Packs diag for hosts that have no diag checkout: one .tar.gz holding the CLI as a single
// esbuild bundle (every package inside but the terminal UI's blessed, packed beside it), the
// built-in playbooks and their pre-parsed cache, the YAML parser (for playbooks a host keeps in
// /etc/diag/playbooks), a launcher, and with --node this machine's Node binary
// (official Node builds link only glibc and libstdc++: the targets then need no Node at all;
// without it they need Node >= 20 on PATH). The BPF probes are not packed: their drill-downs
// say "unavailable" on the targets; everything else runs.
//
//   npm run build && node contrib/ansible/pack.mjs [--node] [-o contrib/ansible/diag-pack.tar.gz]
//
// Layout once unpacked (diag_dest in the playbook):
//   bin/diag              sh launcher: node/bin/node if packed, else node on PATH
//   bin/diag.mjs          runs dist/src/cli/main.bundle.js
//   dist/src/cli/main.bundle.js, dist/playbooks-cache.json, playbooks/*.yaml, package.json
//   node_modules/yaml/, node_modules/blessed/
//   node/bin/node         (--node)
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { node: { type: 'boolean' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('Usage: node contrib/ansible/pack.mjs [--node] [-o FILE.tar.gz]\n');
  process.exit(0);
}
const out = resolve(values.output ?? join(ROOT, 'contrib/ansible/diag-pack.tar.gz'));
const say = (m) => process.stderr.write(`pack: ${m}\n`);
for (const need of ['dist/src/cli/main.js', 'dist/playbooks-cache.json']) {
  if (!existsSync(join(ROOT, need))) {
    say(`${need} is missing: run npm run build first`);
    process.exit(1);
  }
}
const esbuild = await import('esbuild');
const tar = await import('tar');
const stage = mkdtempSync(join(tmpdir(), 'diag-pack-'));
try {
  await esbuild.build({
    entryPoints: [join(ROOT, 'dist/src/cli/main.js')],
    outfile: join(stage, 'dist/src/cli/main.bundle.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['blessed', 'blessed-contrib'],
    banner: { js: "import { createRequire as __diagCreateRequire } from 'node:module';\nconst require = __diagCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  copyFileSync(join(ROOT, 'dist/playbooks-cache.json'), join(stage, 'dist/playbooks-cache.json'));
  mkdirSync(join(stage, 'playbooks'));
  for (const f of readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yaml'))) copyFileSync(join(ROOT, 'playbooks', f), join(stage, 'playbooks', f));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }, null, 2) + '\n');
  // packages the bundle loads at run time: yaml (dynamically) and blessed (the terminal UI reads its own files); neither has dependencies
  for (const p of ['yaml', 'blessed']) cpSync(join(ROOT, 'node_modules', p), join(stage, 'node_modules', p), { recursive: true, dereference: true });
  mkdirSync(join(stage, 'bin'));
  writeFileSync(
    join(stage, 'bin/diag'),
    `#!/bin/sh
# diag, packed by contrib/ansible/pack.mjs: the packed Node if there is one, else node on PATH (>= 20)
d=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
if [ -x "$d/node/bin/node" ]; then exec "$d/node/bin/node" "$d/bin/diag.mjs" "$@"; fi
exec node "$d/bin/diag.mjs" "$@"
`,
  );
  chmodSync(join(stage, 'bin/diag'), 0o755);
  writeFileSync(
    join(stage, 'bin/diag.mjs'),
    `import { runCli } from '../dist/src/cli/main.bundle.js';
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
await runCli(process.argv.slice(2));
`,
  );
  if (values.node) {
    mkdirSync(join(stage, 'node/bin'), { recursive: true });
    copyFileSync(process.execPath, join(stage, 'node/bin/node'));
    chmodSync(join(stage, 'node/bin/node'), 0o755);
  }
  const tmpOut = `${out}.${process.pid}.tmp`;
  await tar.create({ gzip: { level: 1 }, file: tmpOut, cwd: stage, portable: true }, readdirSync(stage));
  const { renameSync } = await import('node:fs');
  renameSync(tmpOut, out);
  say(`${out} (${Math.round(statSync(out).size / 1024 / 1024)} MB${values.node ? `, with Node ${process.version}` : ', targets need Node >= 20'})`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
