#!/bin/sh
":" //; case "$1" in ''|-*|open) [ -t 0 ] && [ -t 1 ] && exec node --optimize-for-size "$0" "$@";; snapshot) exec node --optimize-for-size "$0" "$@";; esac; exec node "$0" "$@"
// The `diag` command: runs the compiled CLI (no TypeScript compilation at run time): the
// one-file bundle when it is at least as new as the tsc build (scripts/bundle.mjs; it starts
// ~0.1 s faster), else the modules tsc wrote.
//
// The two lines above are both shell and JavaScript: run as a command, sh starts node on this
// file; node reads a string and a comment. For the terminal UI (no command, or `open`, on a
// terminal) node gets --optimize-for-size: the UI runs for hours and keeps a second of data alive
// between refreshes, and V8's smaller young generation keeps its peak RSS ~15 MB lower (measured
// with 2,000 processes; the flag must be given at start, V8 sizes the heap once). `snapshot` gets
// it too: it runs on hosts short of memory, and V8's default growth let a snapshot of 2,000
// processes reach 143 MB of RSS for ~25 MB alive (102 MB with the flag, ~13 % more CPU time;
// 227 -> 173 MB at 10,000 processes). Other one-shot commands keep V8's defaults (the flag
// costs them ~5 % in time). `node bin/diag.js` works too,
// without the flag.
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
