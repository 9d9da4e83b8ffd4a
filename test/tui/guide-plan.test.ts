import { describe, expect, it } from 'vitest';
import type { Culprit, Finding } from '../../src/engine/report-schema.js';
import { drilldowns, guidePlan, stepEvidence, stepOrder } from '../../src/tui/guide-plan.js';
import { builtinPlaybooks, finding } from './model-builders.js';

/** The guide follows the evidence: the playbook, the first step and its drill-down come from the strongest finding. */
const ALL = new Set(['use', 'cpu', 'memory', 'disk', 'network', 'container', '60s']);
const has = (n: string) => ALL.has(n);
const th = (value: number) => ({ value, source: 's', sourceTitle: 'S' });
const judged = (f: Finding, value: number, critical: number): Finding => ({ ...f, evidence: { ...f.evidence, value, threshold: { critical: th(critical) } } });
const proc = (pid: number, share: number, cgroup = '/'): Culprit => ({ entity: { kind: 'process', id: `process:${pid}`, name: `p${pid}` }, rank: 1, why: 'CPU', value: share * 200, unit: 'percent', share, identity: { cgroup }, evidence: {} });

const psi = judged(finding({ resource: 'cpu', kind: 'saturation', severity: 'critical', check: 'cpu-psi-saturation', scope: 'host', title: 'Tasks waited for a CPU 95% of the time' }), 95, 25);
const throttled = judged(finding({ resource: 'cpu', kind: 'saturation', severity: 'critical', check: 'cgroup-cpu-throttled', scope: 'cgroup:/batch', title: 'cgroup /batch was CPU-throttled' }), 60, 50);
const fds = judged(finding({ resource: 'fds', kind: 'saturation', severity: 'critical', check: 'process-fd-limit', scope: 'process:4242', title: 'Process 4242 uses 98% of its fd limit' }), 98, 95);
const busy = judged(finding({ resource: 'cpu', kind: 'utilization', severity: 'critical', check: 'cpu-host-utilization', scope: 'cpu:all', title: 'Host CPUs 100% busy', culprits: [proc(1, 0.25, '/batch'), proc(2, 0.25, '/batch')] }), 100, 90);
const overflow = judged(finding({ resource: 'network', kind: 'errors', severity: 'warning', check: 'listen-overflows', scope: 'host', title: '200 TCP listen-queue overflows' }), 200, 1);
const qdisc = judged(finding({ resource: 'network', kind: 'errors', severity: 'critical', check: 'ns-qdisc-drops', scope: 'netns:4026532/qdisc:veth1 1: root', title: 'qdisc drops' }), 90, 5);
const mem = judged(finding({ resource: 'memory', kind: 'saturation', severity: 'warning', check: 'memory-psi', scope: 'host', title: 'memory pressure' }), 30, 20);

describe('the guide follows the strongest evidence', () => {
  it('recommends the playbook of the finding with the strongest evidence, not the first in the list', () => {
    // a throttled cgroup behind host CPU pressure: the container playbook, aimed at that cgroup
    expect(guidePlan([psi, throttled], undefined, has)).toEqual({ playbook: 'container', target: { cgroup: '/batch' }, finding: throttled });
    // a process at its fd limit, behind busy CPUs: the container playbook for that process
    expect(guidePlan([busy, fds], undefined, has)).toMatchObject({ playbook: 'container', target: { pid: 4242 }, finding: fds });
    // a critical qdisc drop inside a namespace beats a warning about the host's memory
    expect(guidePlan([mem, qdisc], undefined, has)).toEqual({ playbook: 'network', finding: qdisc });
    // busy CPUs explained by one cgroup's processes beat a host-wide warning
    expect(guidePlan([overflow, busy], undefined, has)).toEqual({ playbook: 'cpu', finding: busy });
    // nothing found: the USE sweep
    expect(guidePlan([], undefined, has)).toEqual({ playbook: 'use' });
  });

  it('a cgroup or process the user chose is what the guide looks at', () => {
    expect(guidePlan([psi], { cgroup: '/app' }, has)).toEqual({ playbook: 'container', target: { cgroup: '/app' } });
    // without the container playbook loaded, the resource's playbook (and use when none)
    const noContainer = (n: string) => n !== 'container' && ALL.has(n);
    expect(guidePlan([throttled], undefined, noContainer)).toEqual({ playbook: 'cpu', finding: throttled });
    expect(guidePlan([fds], undefined, noContainer)).toEqual({ playbook: 'use', finding: fds });
  });

  it('orders the steps by the strongest evidence among their findings; steps without findings keep the playbook order', () => {
    const cpu = builtinPlaybooks().playbooks.get('cpu')!;
    const order = stepOrder(cpu.checks, [psi, { ...busy, check: 'cpu-host-utilization' }, { ...throttled }]).map((c) => c.id);
    expect(order.slice(0, 3)).toEqual(['cgroup-cpu-throttled', 'cpu-host-utilization', 'cpu-psi-saturation']);
    const rest = cpu.checks.map((c) => c.id).filter((id) => !order.slice(0, 3).includes(id));
    expect(order.slice(3)).toEqual(rest);
  });

  it('a step names the culprits of its findings, strongest finding first, each entity once, renumbered', () => {
    const cpu = builtinPlaybooks().playbooks.get('cpu')!;
    const check = cpu.checks.find((c) => c.id === 'cpu-percpu-utilization')!;
    const cpu0 = judged(finding({ resource: 'cpu', kind: 'utilization', severity: 'warning', check: check.id, scope: 'cpu:0', culprits: [proc(1, 0.5), proc(2, 0.3)] }), 95, 90);
    const cpu1 = judged(finding({ resource: 'cpu', kind: 'utilization', severity: 'critical', check: check.id, scope: 'cpu:1', culprits: [proc(3, 0.6), proc(1, 0.2)] }), 99, 90);
    const ev = stepEvidence(check, [cpu0, cpu1, psi]);
    expect(ev.findings.map((f) => f.scope)).toEqual(['cpu:1', 'cpu:0']);
    expect(ev.culprits.map((c) => [c.rank, c.entity.id])).toEqual([
      [1, 'process:3'],
      [2, 'process:1'],
      [3, 'process:2'],
    ]);
    // the drill-downs it can run, in the playbook's order (the first is the one recommended)
    expect(drilldowns(check).every((n) => typeof n !== 'string')).toBe(true);
  });
});
