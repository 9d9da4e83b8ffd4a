import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, "Tests: N passed, N failed, N skipped", that CI systems which do
 * not know vitest's own summary can read; before it, the time each project's files took in all
 * and the slowest files (the suite must stay under ten minutes: this says where the time goes).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let fileErrors = 0;
    const timed: { file: string; project: string; ms: number }[] = [];
    for (const m of testModules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failedHere++;
        else skipped++;
      }
      failed += failedHere;
      // a file can fail outside its tests: an import error, a hook (the leak check) that threw
      if (m.state() === 'failed' && failedHere === 0) fileErrors++;
      const d = m.diagnostic();
      timed.push({ file: m.relativeModuleId, project: m.project.name, ms: d.duration + d.collectDuration + d.setupDuration });
    }
    const byProject = new Map<string, number>();
    for (const t of timed) byProject.set(t.project, (byProject.get(t.project) ?? 0) + t.ms);
    const lines = [...byProject].map(([p, ms]) => `  ${p || 'default'}: ${(ms / 1000).toFixed(0)} s in files`);
    const slowest = timed.sort((a, b) => b.ms - a.ms).slice(0, 15);
    lines.push('  slowest files:', ...slowest.map((t) => `    ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.project}  ${t.file}`));
    const errors = fileErrors ? `, ${fileErrors} file(s) failed outside their tests` : '';
    process.stdout.write(`\nTime per project (sum of file durations):\n${lines.join('\n')}\n`);
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped${errors}\n`);
  }
}
