import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Code decides on an outcome's `code`, never on the wording of its `reason` or `hint` (those are
 * for people and may be reworded). This fails when any source under src/ or collectors/ tests,
 * searches or compares the text of a `.reason` / `.hint`. The one place a tool's own words are
 * read is runTool (collectors/commands/command.ts), which reads stderr, not a reason.
 */
const BRANCH_ON_TEXT: readonly RegExp[] = [
  // o.reason.includes('x'), (o.reason).match(/x/), o.hint?.startsWith('x')
  /\.(?:reason|hint)\)?\??\s*\.(?:match|matchAll|includes|startsWith|endsWith|search|indexOf|lastIndexOf)\s*\(/,
  // /x/.test(o.reason), re.exec(`${o.reason} ${o.hint}`)
  /\.(?:test|exec)\s*\([^)]*\.(?:reason|hint)\b/,
  // o.reason === 'x', o.hint !== "y"
  /\.(?:reason|hint)\s*[!=]==?\s*['"`]/,
  /['"`]\s*[!=]==?\s*[\w.?]+\.(?:reason|hint)\b/,
];

function reasonBranches(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  text.split('\n').forEach((l, i) => {
    if (BRANCH_ON_TEXT.some((re) => re.test(l))) out.push({ line: i + 1, text: l.trim() });
  });
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.isFile() && p.endsWith('.ts') ? [p] : [];
  });
}

const ROOT = new URL('../..', import.meta.url).pathname;

describe('no code branches on the wording of a reason', () => {
  it('finds the anti-pattern where it is planted (the sites this rule removed)', () => {
    const planted = [
      "  const timedOut = [first, o].find((x) => x !== undefined && x.status !== 'ok' && /timed out/.test(x.reason));",
      "        if (link.status === 'unavailable' && /permission/i.test(link.reason)) {",
      "  if (f.status !== 'ok') return f.status === 'unavailable' && /does not exist/.test(f.reason) ? false : undefined;",
      "    const missing = results.find((r) => r.info.status !== 'ok' && /not installed|run diag as root/.test(`${r.info.reason} ${r.info.status === 'unavailable' ? (r.info.hint ?? '') : ''}`));",
      "  if (r.status === 'error' && r.reason.includes('invalid option')) {",
      "  if (o.hint?.startsWith('apt-get')) return;",
      "  if ((o.reason).match(/usage/)) x();",
      "  if (o.reason === 'no mountinfo') return;",
      "  if ('not installed' !== r.reason) return;",
    ].join('\n');
    expect(reasonBranches(planted).map((b) => b.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('leaves what carries or shows a reason alone', () => {
    const fine = [
      "  if (r.status !== 'ok' && r.code === 'bad-option') {",
      "    return { conntrack: present.code === 'not-found' ? unavailable('not-found', 'nf_conntrack module not loaded') : present };",
      "    out.push({ collector: t.collector, status: t.rows.status, code: t.rows.code, reason: t.rows.reason });",
      "  problems.push(`${tid}: ${o.reason}`);",
      "  if (NO_PERMISSION.test(stderr)) return 'permission';",
      "  const why = r.reason ? ` (${clean(r.reason)})` : '';",
    ].join('\n');
    expect(reasonBranches(fine)).toEqual([]);
  });

  it('holds for every source file under src/ and collectors/', () => {
    const files = [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'collectors'))];
    // the walk reaches the files that made outcomes from text before
    for (const f of ['src/bundle/writer.ts', 'collectors/commands/command.ts', 'collectors/commands/firewall/collector.ts', 'collectors/namespaces/scan.ts']) expect(files).toContain(join(ROOT, f));
    const found = files.flatMap((f) => reasonBranches(readFileSync(f, 'utf8')).map((b) => `${relative(ROOT, f)}:${b.line}: ${b.text}`));
    expect(found).toEqual([]);
  });
});
