#!/usr/bin/env node
// Start-up time: `diag` compiled by tsc is ~115 ES modules of ours plus ~95 of zod, and Node
// loads ES modules one by one (~100 ms before the first line runs). This bundles them into one
// file with esbuild: dist/src/cli/main.bundle.js, at the same depth as main.js so that every
// path found from import.meta.url (playbooks/, native/, package.json) stays the same. Packages
// that load files of their own at run time (blessed's widgets and terminfo) or are loaded only
// for some commands (execa) stay outside. bin/diag.js runs the bundle when it is newer than the
// tsc build, and the modules otherwise: a missing or failed bundle costs start-up time, nothing
// else.
//
// It also writes dist/playbooks-cache.json: the built-in playbooks parsed by the loader itself,
// so that even a first start (no ~/.cache/diag yet) does not load and run the YAML parser.
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(ROOT, 'dist/src/cli/main.js');
const out = join(ROOT, 'dist/src/cli/main.bundle.js');
const quiet = process.argv.includes('--quiet');
const say = (m) => quiet || process.stderr.write(`bundle: ${m}\n`);

if (!existsSync(entry)) {
  process.stderr.write('bundle: dist/src/cli/main.js is missing: run tsc first (npm run build)\n');
  process.exit(1);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  rmSync(out, { force: true });
  say(`esbuild is not installed (${err.message.split('\n')[0]}): diag runs from the separate modules (slower start)`);
}

if (esbuild) {
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['blessed', 'blessed-contrib', 'execa'],
      // bundled CommonJS packages call require(): give the bundle one
      banner: { js: "import { createRequire as __diagCreateRequire } from 'node:module';\nconst require = __diagCreateRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    // esbuild escapes non-ASCII characters in strings, templates and regexes (charset ascii, its
    // default) but leaves them in comments; one such character (zod's comments hold three) makes
    // V8 keep the whole 2 MB source as a two-byte string: 2 MB more in every diag process. A
    // comment's character becomes '?' (one UTF-16 unit for one: line and column numbers stay).
    const text = readFileSync(out, 'utf8');
    if (/[^\x00-\x7f]/.test(text)) writeFileSync(out, text.replace(/[^\x00-\x7f]/g, '?'));
    say(`${out.slice(ROOT.length + 1)} (${Math.round(statSync(out).size / 1024)} KiB)`);
  } catch (err) {
    rmSync(out, { force: true });
    say(`esbuild failed (${err.message.split('\n')[0]}): diag runs from the separate modules (slower start)`);
  }
}

const { builtinPlaybookDir, loadPlaybooks } = await import(join(ROOT, 'dist/src/engine/loader.js'));
const { PlaybookCache, shippedCachePath } = await import(join(ROOT, 'dist/src/engine/playbook-cache.js'));
const { buildCatalogue } = await import(join(ROOT, 'dist/src/engine/metrics.js'));
const { COLLECTORS } = await import(join(ROOT, 'dist/collectors/index.js'));
const shipped = shippedCachePath();
rmSync(shipped, { force: true });
const cache = new PlaybookCache(shipped, null);
const r = loadPlaybooks(buildCatalogue(COLLECTORS), [{ dir: builtinPlaybookDir(), origin: 'builtin' }], { cache });
if (r.errors.length > 0) say(`built-in playbooks with errors (not cached): ${r.errors.map(String).join('; ')}`);
chmodSync(shipped, 0o644);
say(`${shipped.slice(ROOT.length + 1)} (${r.playbooks.size} built-in playbooks parsed)`);
