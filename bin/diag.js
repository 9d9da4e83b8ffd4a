#!/usr/bin/env node
// The `diag` command: runs the compiled CLI (no TypeScript compilation at run time): the
// one-file bundle when it is at least as new as the tsc build (scripts/bundle.mjs; it starts
// ~0.1 s faster), else the modules tsc wrote.
import { existsSync, statSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
const bundle = new URL('../dist/src/cli/main.bundle.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('diag: not built yet (dist/ is missing).\nhint: run `npm start` once from the diag folder, or `npm run build`\n');
  process.exit(3);
}
function bundleIsCurrent() {
  try {
    return statSync(bundle).mtimeMs >= statSync(new URL('../dist/.tsbuildinfo', import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
}
const { runCli } = await import((bundleIsCurrent() ? bundle : entry).href);
// EPIPE on stdout (diag ... | head) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
await runCli(process.argv.slice(2));
