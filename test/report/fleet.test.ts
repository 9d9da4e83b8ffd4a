import { describe, expect, it } from 'vitest';
import type { Finding, Report } from '../../src/engine/report-schema.js';
import { fleetExitCode, groupKey, renderFleetText, summarizeFleet, type FleetHost } from '../../src/report/fleet.js';

const f = (check: string, scope: string, severity: Finding['severity'], title: string, value = 1): Finding => ({
  id: `${check}@${scope}`,
  check,
  resource: 'network',
  kind: 'errors',
  severity,
  scope,
  title,
  explanation: '',
  evidence: { metric: 'a.b', value, unit: 'percent', measure: 'value', when: 'above', threshold: {}, fields: {}, windowSeconds: 1, collector: 'a', inputs: [] },
  next: [],
});

function host(name: string, findings: Finding[], status?: Report['status']): FleetHost {
  const st = status ?? (findings.some((x) => x.severity === 'critical') ? 'critical' : findings.some((x) => x.severity === 'warning') ? 'warning' : 'ok');
  return {
    name,
    source: `r/${name}.json`,
    report: {
      schema: 'diag.report/v1',
      playbook: 'use',
      playbookTitle: 'USE',
      host: { hostname: 'vm', source: 'live host' },
      startedAt: '2026-12-03T19:00:00.000Z',
      durationMs: 1000,
      windowSeconds: 1,
      status: st,
      statusReason: `${findings.length} findings`,
      findings,
      coverage: [],
      unavailable: [],
    },
  };
}

describe('diag fleet summary', () => {
  const retrans = (sev: Finding['severity']) => f('tcp-retransmits', 'host', sev, 'retransmits > 2 % on eth0', 3);
  const hosts: FleetHost[] = [
    ...Array.from({ length: 7 }, (_, i) => host(`web${i + 1}`, [retrans(i === 6 ? 'critical' : 'warning')])),
    ...Array.from({ length: 12 }, (_, i) => host(`app${String(i + 1).padStart(2, '0')}`, [])),
    host('db3', [f('disk-errors', 'device:sdb', 'critical', 'disk sdb errors'), f('fd-process', 'process:4242', 'warning', 'postgres near its fd limit')]),
    host('app99', [f('fd-process', 'process:17', 'warning', 'java near its fd limit')]),
    { name: 'broken', source: 'r/broken.json', problem: 'not a diag.report/v1 report' },
  ];
  const s = summarizeFleet(hosts);

  it('counts the hosts sharing a finding, and names the outliers', () => {
    const retransG = s.groups.find((g) => g.key === 'tcp-retransmits@host')!;
    expect(retransG.hosts.map((h) => h.name)).toEqual(['web7', 'web1', 'web2', 'web3', 'web4', 'web5', 'web6']);
    expect(retransG.severity).toBe('critical');
    // a process on two hosts is "a process" on both: grouped by kind, each host keeps its own scope
    const fd = s.groups.find((g) => g.key === 'fd-process@process:*')!;
    expect(fd.hosts.map((h) => [h.name, h.scope])).toEqual([
      ['app99', 'process:17'],
      ['db3', 'process:4242'],
    ]);
    const text = renderFleetText(s);
    expect(text).toContain('  7 of 22 hosts: CRITICAL retransmits > 2 % on eth0 [tcp-retransmits@host]\n    on web7, web1, web2, web3, web4, web5 and 1 more\n');
    expect(text).toContain('Outliers, on one host only (1):\n  1 host (db3): CRITICAL disk sdb errors [disk-errors@device:sdb]\n');
    expect(text).toContain("\n  CRITICAL   2  db3, web7\n");
    expect(text).toContain("\n  UNKNOWN    1  broken\n");
  });

  it('orders hosts worst first and exits with the worst status; an unreadable report is unknown', () => {
    expect(s.hosts.slice(0, 3).map((h) => h.name)).toEqual(['db3', 'web7', 'app99']);
    expect(s.hosts.find((h) => h.name === 'broken')).toMatchObject({ status: 'unknown', reason: 'not a diag.report/v1 report' });
    expect(s.status).toBe('critical');
    expect(fleetExitCode(s)).toBe(2);
    expect(fleetExitCode(summarizeFleet([host('a', []), { name: 'b', source: 'b', problem: 'x' }]))).toBe(3);
    expect(fleetExitCode(summarizeFleet([host('a', [])]))).toBe(0);
  });

  it('compares host-local ids by kind only, nested ones too', () => {
    expect(groupKey(f('c', 'netns:4026532/qdisc:veth0 1: root', 'warning', 't'))).toBe('c@netns:*/qdisc:veth0 1: root');
    expect(groupKey(f('c', 'cgroup:/system.slice/x', 'warning', 't'))).toBe('c@cgroup:/system.slice/x');
  });
});
