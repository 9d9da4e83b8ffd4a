#!/usr/bin/env node
// The `diag` command: runs the compiled CLI (no TypeScript compilation at run time).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('diag: not built yet (dist/ is missing).\nhint: run `npm start` once from the diag folder, or `npm run build`\n');
  process.exit(3);
}
const { runCli } = await import(entry.href);
// EPIPE on stdout (diag ... | head) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
await runCli(process.argv.slice(2));
