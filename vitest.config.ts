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
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
