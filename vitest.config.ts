import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two groups of test files, one after the other:
 *  - "shared": unit tests, fixture tests and live tests that check what they made themselves
 *    (bundles, archives, CLI output, redaction): two files at a time;
 *  - "exclusive": files that plant load and judge the host (scenarios, the TUI in tmux, BPF and
 *    collector live tests that compare with reference tools over the same window): one file at a
 *    time, nothing else running, since other tests' work would be real load diag is right to see.
 * A file is exclusive when it lives under test/scenarios/, is a collector's live test
 * (test/collectors/**\/*live.test.ts), or uses a helper that drives or judges the live host
 * (TmuxTui, quietHost, runDiag, Workloads). A new test that does so lands in the right group
 * without a list to keep.
 *
 * A live file that checks only what it made itself (its own namespaces, cgroups, loop device,
 * probe filtered to its own PIDs, a tmux server of its own looking for a uniquely named process)
 * and never judges or measures the host's load says so with a line
 * `// test-group: shared (why)`: it then runs beside another file, which halves the time of the
 * live part of the suite. Its processes are told apart by the worker's pool id (leak-check.ts).
 */
const EXCLUSIVE_USES = /\b(TmuxTui|quietHost|runDiag\(|new Workloads)\b/;
const SHARED_MARK = /^\/\/ test-group: shared \(/m;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
}

function exclusive(file: string): boolean {
  const text = readFileSync(file, 'utf8');
  if (file.startsWith('test/scenarios/')) return true;
  if (SHARED_MARK.test(text)) return false;
  if (file.startsWith('test/collectors/') && /live\.test\.ts$/.test(file)) return true;
  return EXCLUSIVE_USES.test(text);
}

const EXCLUSIVE = testFiles('test').filter(exclusive);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // every file must end what it started: a leak is named (and fails in CI)
    setupFiles: ['./test/helpers/leak-check.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // `npm test` runs with --coverage: V8's own counters (no instrumentation; measured on the
    // procfs unit tests: +27 % CPU time, 145 s -> 188 s on the shared 2-CPU host),
    // of the modules the tests import in-process; the CLI and tmux tests run the built dist/ in
    // child processes, which this does not see. Printed as a summary; coverage/ has the table.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'collectors/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: EXCLUSIVE,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'exclusive',
          include: EXCLUSIVE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          // the leak check counts every new process as this file's: nothing else runs now
          env: { DIAG_TEST_EXCLUSIVE: '1' },
        },
      },
    ],
  },
});
