import { describe, expect, it } from 'vitest';
import { reportSchema } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { cliSession } from '../../src/cli/session.js';
import { fixtureTree, notFound } from '../helpers/fixture-host.js';

describe("the report's unavailable entries", () => {
  it('carry the code of each missing table (additive to diag.report/v1)', async () => {
    const stat = 'cpu  1 2 3 4 5 6 7 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\nctxt 1\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n';
    const meta = (ms: number) => ({ 'clock.json': { monoMs: ms, wall: '2026-01-01T00:00:00.000Z' }, 'missing.json': notFound('/proc/pressure/cpu', '/proc/pressure/memory', '/proc/pressure/io') });
    const a = fixtureTree({ '/proc/stat': stat }, meta(0));
    const b = fixtureTree({ '/proc/stat': stat }, meta(1000));
    try {
      const session = cliSession();
      const report = await runPlaybook({
        playbook: session.loaded.playbooks.get('use')!,
        catalogue: session.catalogue,
        collectors: session.collectors,
        sources: [a.source, b.source],
        windowMs: 1000,
      });
      expect(reportSchema.safeParse(report).success).toBe(true);
      const byTable = new Map(report.unavailable.map((u) => [u.table, u]));
      expect(byTable.get('psi')).toEqual({ collector: 'cpu', table: 'psi', status: 'unavailable', code: 'not-found', reason: '/proc/pressure/cpu does not exist (kernel without PSI, or booted with psi=0)', hint: 'PSI needs Linux >= 4.20 with CONFIG_PSI; add psi=1 to the kernel command line' });
      expect(byTable.get('meminfo')).toEqual({ collector: 'memory', table: 'meminfo', status: 'unavailable', code: 'not-captured', reason: '/proc/meminfo was not captured in this fixture' });
      expect(report.unavailable.every((u) => u.code !== undefined)).toBe(true);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
