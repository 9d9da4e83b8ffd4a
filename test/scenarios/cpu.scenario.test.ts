import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { expectFinding, PREFIX, runDiag, sleep, Workloads } from './helpers.js';

/**
 * CPU faults: saturation (six busy loops on this 2-CPU host, three times the CPUs) and a v1 cgroup
 * throttled by a 0.1-core quota. Every loop is bounded by timeout(1) and killed by PID.
 */
const req = liveRequirement('root', 'cmd:timeout');
const loops = new Workloads();
const CG = `${PREFIX}-cpu`;
const CPU_DIR = `/sys/fs/cgroup/cpu/${CG}`;
// cpu and cpuacct are separate v1 hierarchies here; container runtimes create both.
const ACCT_DIR = `/sys/fs/cgroup/cpuacct/${CG}`;

describe.skipIf(req.skip)('scenario: CPU', () => {
  afterAll(async () => {
    await loops.stop();
    for (const dir of [CPU_DIR, ACCT_DIR]) {
      for (let i = 0; i < 30 && existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch {
          await sleep(100);
        }
      }
    }
  });

  it('finds CPU saturation with six busy loops on two CPUs (run queue and PSI), critical', async () => {
    for (let i = 0; i < 6; i++) loops.start('timeout', ['-s', 'KILL', '30', 'sh', '-c', 'while :; do :; done']);
    await sleep(1500); // let PSI's window fill with the stall
    const r = await runDiag('cpu');
    // The same load judged the way Netflix's first minute reads it: vmstat's r against the CPUs.
    const sixty = await runDiag('60s');
    await loops.stop();
    expectFinding(sixty, { resource: 'cpu', kind: 'saturation', check: 'vmstat-r', min: 'critical' });
    const hits = expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'cpu-runqueue-saturation', min: 'critical' });
    expect(hits[0]!.evidence.fields.others_running).toBeGreaterThanOrEqual(6);
    expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'cpu-psi-saturation', min: 'warning' });
    expect(r.report.status).toBe('critical');
    expect(r.code).toBe(2);
  });

  it('finds a v1 cgroup throttled by a 0.1-core CPU quota (container playbook --cgroup)', async () => {
    mkdirSync(CPU_DIR);
    mkdirSync(ACCT_DIR);
    writeFileSync(`${CPU_DIR}/cpu.cfs_period_us`, '100000');
    writeFileSync(`${CPU_DIR}/cpu.cfs_quota_us`, '10000');
    const busy = loops.gated('exec timeout -s KILL 30 sh -c "while :; do :; done"');
    writeFileSync(`${CPU_DIR}/cgroup.procs`, String(busy.pid));
    writeFileSync(`${ACCT_DIR}/cgroup.procs`, String(busy.pid));
    busy.stdin?.end('go\n');
    await sleep(300);
    const r = await runDiag('container', ['--cgroup', `/${CG}`]);
    await loops.stop();
    const hits = expectFinding(r, { resource: 'cpu', kind: 'saturation', check: 'cg-cpu-throttled', scope: `cgroup:/${CG}` });
    expect(hits[0]!.evidence.value).toBeGreaterThan(50);
    expect(hits[0]!.evidence.inputs.some((i) => i.startsWith(`/sys/fs/cgroup/*/${CG}/{`))).toBe(true);
    expectFinding(r, { resource: 'cpu', kind: 'utilization', check: 'cg-cpu-quota-used', scope: `cgroup:/${CG}` });
    expect(r.report.target?.cgroup).toBe(`/${CG}`);
  });
});
