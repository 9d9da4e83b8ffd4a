import { describe, expect, it } from 'vitest';
import type { Culprit, Finding } from '../../src/engine/report-schema.js';
import { culpritBrief, findingCause } from '../../src/report/culprit-text.js';

/** A culprit in a few words (beside a finding's title in the TUI), and what explains a finding in one line. */
const c = (id: string, name: string, p: Partial<Culprit> = {}): Culprit => ({ entity: { kind: id.replace(/^netns:[^/]+\//, '').split(':')[0]!, id, name }, rank: 1, why: 'w', identity: {}, evidence: {}, ...p });
const f = (scope: string, culprits: Culprit[]): Finding => ({
  id: `x@${scope}`,
  check: 'x',
  resource: 'cpu',
  kind: 'utilization',
  severity: 'critical',
  scope,
  title: 't',
  explanation: '',
  next: [],
  culprits,
  evidence: { metric: 'm.f', value: 1, unit: 'percent', measure: 'value', when: 'above', threshold: {}, fields: {}, windowSeconds: 1, collector: 'c', inputs: [] },
});

describe('culprits in a few words', () => {
  it('who, where, how much', () => {
    expect(culpritBrief(c('process:4242', 'stress-ng', { value: 49, unit: 'percent', identity: { cgroup: '/test' } }))).toBe('stress-ng 4242 (cgroup /test), 49 %');
    // a container's name rather than its path; the root cgroup says nothing
    expect(culpritBrief(c('process:7', 'nginx', { identity: { cgroup: '/docker/abc', cgroup_name: 'web' } }))).toBe('nginx 7 (cgroup web)');
    expect(culpritBrief(c('process:7', 'init', { identity: { cgroup: '/' } }))).toBe('init 7');
    expect(culpritBrief(c('process:7', '7'))).toBe('process 7');
    expect(culpritBrief(c('cgroup:/batch', '/batch', { value: 3800, unit: 'count/s' }))).toBe('cgroup /batch, 3800/s');
    expect(culpritBrief(c('netns:4026532', 'blue (netns 4026532)'))).toBe('netns blue (netns 4026532)');
    expect(culpritBrief(c('netns:4026532', 'netns 4026532'))).toBe('netns 4026532');
    expect(culpritBrief(c('netns:4026532/socket:udp:0.0.0.0:5002', '0.0.0.0:5002', { value: 140, unit: 'count/s', identity: { netns: '4026532', netns_name: 'blue', pid: '12' } }))).toBe('socket 0.0.0.0:5002 (netns blue), 140/s');
  });

  it('the cause of a finding: the first culprit besides its own scope; a cgroup\'s leading processes together', () => {
    const self = c('cgroup:/batch', '/batch', { why: 'where it was measured' });
    const p = (pid: number, comm: string, cg: string, v?: number) => c(`process:${pid}`, comm, { ...(v !== undefined ? { value: v, unit: 'percent' } : {}), identity: { cgroup: cg } });
    expect(findingCause(f('cgroup:/batch', [self, p(1, 'sh', '/batch', 20), p(2, 'sh', '/batch', 19)]))).toBe('cgroup /batch: sh 1, 2 (2 processes, 39 %)');
    // a value missing: no total
    expect(findingCause(f('host', [p(1, 'sh', '/batch', 20), p(2, 'sh', '/batch')]))).toBe('cgroup /batch: sh 1, 2 (2 processes)');
    // the group ends at the first culprit of another cgroup
    expect(findingCause(f('host', [p(1, 'a', '/x', 50), p(2, 'b', '/y', 40), p(3, 'a', '/x', 30)]))).toBe('a 1 (cgroup /x), 50 %');
    expect(findingCause(f('cgroup:/batch', [self]))).toBeUndefined();
    expect(findingCause(f('host', []))).toBeUndefined();
  });
});
