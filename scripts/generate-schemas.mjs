#!/usr/bin/env node
// Writes the published JSON Schemas from the zod schemas (zod 4's z.toJSONSchema):
//   schemas/playbook.schema.json  (diag.playbook/v1: what playbook authors write)
//   schemas/report.schema.json    (diag.report/v1: what `diag run playbook --json` prints)
// Run after `npm run build` (it reads the compiled schemas from dist/); `--check` exits 1 when
// the committed files are out of date. test/engine/schemas.test.ts asserts the same.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { publishedSchemas } = await import(new URL('../dist/src/engine/json-schemas.js', import.meta.url).href);
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, schema] of Object.entries(publishedSchemas())) {
  const path = join(ROOT, 'schemas', file);
  const text = JSON.stringify(schema, null, 2) + '\n';
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    /* new file */
  }
  if (old === text) continue;
  if (check) {
    process.stderr.write(`schemas/${file} is out of date: run npm run build && node scripts/generate-schemas.mjs\n`);
    stale++;
  } else {
    writeFileSync(path, text);
    process.stderr.write(`wrote schemas/${file}\n`);
  }
}
process.exit(stale > 0 ? 1 : 0);
