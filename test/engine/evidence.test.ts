import { describe, expect, it } from 'vitest';
import { compareEvidence, evidenceStrength, rankByEvidence, strongestFinding } from '../../src/engine/evidence.js';
import type { Culprit, Finding } from '../../src/engine/report-schema.js';

const th = (value: number) => ({ value, source: 's', sourceTitle: 'S' });

function finding(id: string, p: { severity?: Finding['severity']; scope?: string; value?: number; warning?: number; critical?: number; when?: 'above' | 'below'; culprits?: Culprit[] }): Finding {
  return {
    id,
    check: id,
    resource: 'cpu',
    kind: 'saturation',
    severity: p.severity ?? 'critical',
    scope: p.scope ?? 'host',
    title: id,
    explanation: '',
    next: [],
    evidence: {
      metric: 't.f',
      value: p.value ?? 100,
      unit: 'percent',
      measure: 'value',
      when: p.when ?? 'above',
      threshold: { ...(p.warning !== undefined ? { warning: th(p.warning) } : {}), ...(p.critical !== undefined ? { critical: th(p.critical) } : {}) },
      fields: {},
      windowSeconds: 1,
      collector: 'x',
      inputs: [],
    },
    ...(p.culprits ? { culprits: p.culprits } : {}),
  };
}

function proc(pid: number, share: number, cgroup = '/'): Culprit {
  return { entity: { kind: 'process', id: `process:${pid}`, name: `p${pid}` }, rank: 1, why: 'CPU', value: share * 100, unit: 'percent', share, identity: { cgroup }, evidence: {} };
}

const ids = (fs: readonly Finding[]) => fs.map((f) => f.id);

describe('the strongest evidence for a cause', () => {
  it('a critical finding beats a warning, whatever its scope or distance past the threshold', () => {
    const warn = finding('throttled', { severity: 'warning', scope: 'cgroup:/app', value: 500, warning: 10 });
    const crit = finding('busy', { scope: 'host', value: 91, critical: 90 });
    expect(ids(rankByEvidence([warn, crit]))).toEqual(['busy', 'throttled']);
  });

  it('a throttled cgroup explains host CPU pressure: the cgroup comes first though PSI is further past its threshold', () => {
    const psi = finding('cpu-psi-saturation', { scope: 'host', value: 99, critical: 25 });
    const cg = finding('cgroup-cpu-throttled', { scope: 'cgroup:/batch', value: 60, critical: 50 });
    expect(strongestFinding([psi, cg])?.id).toBe('cgroup-cpu-throttled');
    expect(evidenceStrength(psi)).toEqual({ severity: 2, specificity: 0, dominance: 0, excess: 99 / 25 });
    expect(evidenceStrength(cg)).toEqual({ severity: 2, specificity: 2, dominance: 0, excess: 60 / 50 });
  });

  it('a process at its fd limit is a cause; host CPUs busy a symptom', () => {
    const busy = finding('cpu-host-utilization', { scope: 'cpu:all', value: 100, critical: 90, culprits: [proc(1, 0.3), proc(2, 0.3)] });
    const fds = finding('process-fd-limit', { scope: 'process:42', value: 96, critical: 95 });
    expect(ids(rankByEvidence([busy, fds]))).toEqual(['process-fd-limit', 'cpu-host-utilization']);
  });

  it('anything seen inside a network namespace is as specific as a process; a device more than the host', () => {
    expect(evidenceStrength(finding('a', { scope: 'netns:4026532/qdisc:veth0 1: root' })).specificity).toBe(2);
    expect(evidenceStrength(finding('b', { scope: 'netns:4026532' })).specificity).toBe(2);
    expect(evidenceStrength(finding('c', { scope: 'device:sda' })).specificity).toBe(1);
    expect(evidenceStrength(finding('d', { scope: 'interface:eth0' })).specificity).toBe(1);
    expect(evidenceStrength(finding('e', { scope: 'cpu:0' })).specificity).toBe(0);
    expect(evidenceStrength(finding('f', { scope: 'host' })).specificity).toBe(0);
  });

  it('among host-wide findings, one whose culprit holds most of the problem comes first', () => {
    const spread = finding('runqueue', { scope: 'host', value: 400, critical: 2, culprits: [proc(1, 0.2), proc(2, 0.2), proc(3, 0.2)] });
    const dominated = finding('overflows', { scope: 'host', value: 3, critical: 1, culprits: [proc(9, 0.9)] });
    expect(ids(rankByEvidence([spread, dominated]))).toEqual(['overflows', 'runqueue']);
  });

  it('the processes of one cgroup leading the culprits together are a dominant cause', () => {
    const loops = [proc(1, 0.24, '/batch'), proc(2, 0.24, '/batch'), proc(3, 0.24, '/batch'), proc(4, 0.2, '/'), proc(5, 0.08, '/batch')];
    expect(evidenceStrength(finding('busy', { culprits: loops })).dominance).toBeCloseTo(0.72);
    // processes of the root cgroup are not grouped: only the first one's share counts
    expect(evidenceStrength(finding('busy', { culprits: [proc(1, 0.3), proc(2, 0.3)] })).dominance).toBe(0.3);
    // the finding's own scope is not its culprit
    const self: Culprit = { entity: { kind: 'process', id: 'process:42', name: 'x' }, rank: 1, why: 'where it was measured', identity: {}, evidence: {} };
    expect(evidenceStrength(finding('fd', { scope: 'process:42', culprits: [self] })).dominance).toBe(0);
  });

  it('how far past the threshold breaks the remaining ties; a "below" check counts the other way; equal findings keep their order', () => {
    const a = finding('a', { value: 95, critical: 90 });
    const b = finding('b', { value: 180, critical: 90 });
    const low = finding('low', { value: 2, critical: 20, when: 'below' });
    const zero = finding('zero', { value: 3, critical: 0 });
    expect(ids(rankByEvidence([a, b, low, zero]))).toEqual(['zero', 'low', 'b', 'a']);
    expect(evidenceStrength(low).excess).toBe(10);
    expect(evidenceStrength(zero).excess).toBe(Infinity);
    const c = finding('c', { value: 95, critical: 90 });
    expect(ids(rankByEvidence([c, a]))).toEqual(['c', 'a']);
    expect(compareEvidence(evidenceStrength(a), evidenceStrength(c))).toBe(0);
    // a warning is measured against its warning threshold
    expect(evidenceStrength(finding('w', { severity: 'warning', value: 60, warning: 30, critical: 90 })).excess).toBe(2);
    expect(strongestFinding([])).toBeUndefined();
  });
});
