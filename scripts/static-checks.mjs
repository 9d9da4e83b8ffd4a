#!/usr/bin/env node
// `npm test`'s static checks: the type check and the linter, at the same time (each is one
// thread; on a 2-CPU host this saves the shorter of the two, ~25 s). Each one's output is printed
// whole when it ends, so the two never interleave; the exit code is non-zero if either failed.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHECKS = [
  { name: 'tsc', args: ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'] },
  { name: 'eslint', args: ['node_modules/eslint/bin/eslint.js', '.'] },
];

const results = await Promise.all(
  CHECKS.map(
    (c) =>
      new Promise((resolve) => {
        const started = performance.now();
        const child = spawn(process.execPath, c.args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        const out = [];
        child.stdout.on('data', (d) => out.push(d));
        child.stderr.on('data', (d) => out.push(d));
        child.on('error', (e) => resolve({ ...c, code: 1, out: Buffer.from(`${c.name}: ${e.message}\n`), ms: 0 }));
        child.on('close', (code, signal) => resolve({ ...c, code: code ?? (signal ? 1 : 0), out: Buffer.concat(out), ms: performance.now() - started }));
      }),
  ),
);
let failed = false;
for (const r of results) {
  if (r.out.length > 0) process.stdout.write(r.out);
  process.stdout.write(`${r.name}: ${r.code === 0 ? 'ok' : `failed (exit ${r.code})`} in ${(r.ms / 1000).toFixed(1)} s\n`);
  if (r.code !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
