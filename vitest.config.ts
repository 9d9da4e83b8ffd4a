import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Live tests plant real faults in kernel objects (namespaces, cgroups, loop devices) and
    // compare against reference tools on the same 2-core host: running them in parallel would
    // disturb the measurements, so files run one at a time.
    fileParallelism: false,
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
  },
});
