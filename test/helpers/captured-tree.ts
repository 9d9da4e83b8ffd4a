import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FixtureSource } from '../../src/core/fixture-source.js';
import { fixtureTree } from './fixture-host.js';

/**
 * A cgroup tree captured on a real host (test/fixtures/cgroup/<set>/<name>/tree, PROVENANCE.md
 * beside it) as two samples one second apart: one is the capture verbatim, the other the same
 * files with named counters moved by stated amounts (the fault "during the window"). Every edit
 * is written in the test that makes it.
 */

/** Every file of a captured tree, by host path. */
export function capturedFiles(base: string, name: string): Record<string, string> {
  const root = join(base, name, 'tree');
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[`/${relative(root, p)}`] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

/**
 * `key N` -> `key N-by` in a flat-keyed or PSI file (`total=` for PSI lines); with key '' the
 * file is one number (v1 memory.failcnt, cpuacct.usage) and that number moves.
 */
export function moveCounter(text: string, key: string, by: number): string {
  if (key === '') {
    const m = /^(\d+)\n?$/.exec(text);
    if (!m) throw new Error(`not a single number: ${JSON.stringify(text.slice(0, 80))}`);
    return `${Number(m[1]) - by}\n`;
  }
  const re = new RegExp(`(^|\\s)(${key}[ =])(\\d+)`, 'm');
  const m = re.exec(text);
  if (!m) throw new Error(`no ${key} in ${JSON.stringify(text.slice(0, 80))}`);
  return text.replace(re, (_, pre: string, k: string, v: string) => `${pre}${k}${Number(v) - by}`);
}

/** Per host path, the counters to move and by how much. */
export type Edits = Record<string, Array<[key: string, by: number]>>;

function edited(files: Record<string, string>, edits: Edits, sign: 1 | -1): Record<string, string> {
  const out = { ...files };
  for (const [path, list] of Object.entries(edits)) {
    for (const [key, by] of list) {
      const text = out[path];
      if (text === undefined) throw new Error(`no file ${path} in the capture`);
      out[path] = moveCounter(text, key, sign * by);
    }
  }
  return out;
}

export interface CapturedTrees {
  files(name: string): Record<string, string>;
  /** Sample 0 has the counters rewound by the edits, sample 1 is the capture verbatim. */
  rewound(name: string, edits: Edits): readonly [FixtureSource, FixtureSource];
  /** Sample 0 is the capture verbatim, sample 1 has the counters advanced by the edits (for counters captured at 0). */
  advanced(name: string, edits: Edits): readonly [FixtureSource, FixtureSource];
  cleanup(): void;
}

export function capturedTrees(base: string): CapturedTrees {
  const cleanups: Array<() => void> = [];
  const clock = (ms: number) => ({ 'clock.json': { monoMs: ms, wall: new Date(1_700_000_000_000 + ms).toISOString() } });
  const pair = (before: Record<string, string>, now: Record<string, string>) => {
    const a = fixtureTree(before, clock(0));
    const b = fixtureTree(now, clock(1000));
    cleanups.push(a.cleanup, b.cleanup);
    return [a.source, b.source] as const;
  };
  return {
    files: (name) => capturedFiles(base, name),
    rewound: (name, edits) => {
      const now = capturedFiles(base, name);
      return pair(edited(now, edits, 1), now);
    },
    advanced: (name, edits) => {
      const before = capturedFiles(base, name);
      return pair(before, edited(before, edits, -1));
    },
    cleanup: () => cleanups.splice(0).forEach((c) => c()),
  };
}
