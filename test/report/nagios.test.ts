import { describe, expect, it } from 'vitest';
import type { Finding, Report } from '../../src/engine/report-schema.js';
import { EXIT_CODES, NPD_EXIT_CODES } from '../../src/engine/report-schema.js';
import { perfNumber, pluginText, renderNagios } from '../../src/report/nagios.js';
import { parsePluginOutput } from './nagios-format.js';

function finding(check: string, severity: Finding['severity'], title: string, value: number, unit: string, w: number | undefined, c: number | undefined, when: 'above' | 'below' = 'above', scope = 'host'): Finding {
  const t = (v: number | undefined) => (v === undefined ? {} : { value: v, source: 's', sourceTitle: 's' });
  return {
    id: `${check}@${scope}`,
    check,
    resource: 'cpu',
    kind: 'saturation',
    severity,
    scope,
    title,
    explanation: '',
    evidence: {
      metric: 'x.y',
      value,
      unit,
      measure: 'value',
      when,
      threshold: { ...(w === undefined ? {} : { warning: t(w) as never }), ...(c === undefined ? {} : { critical: t(c) as never }) },
      fields: {},
      windowSeconds: 1,
      collector: 'x',
      inputs: [],
    },
    next: [],
  };
}

const report = (status: Report['status'], findings: Finding[], statusReason = ''): Report => ({
  schema: 'diag.report/v1',
  playbook: 'use',
  playbookTitle: 'USE',
  host: { hostname: 'h', source: 'fixture' },
  startedAt: '2026-12-03T00:00:00.000Z',
  durationMs: 1500,
  windowSeconds: 1,
  status,
  statusReason,
  findings,
  coverage: [
    { resource: 'cpu', kind: 'saturation', status: findings.length ? 'finding' : 'ok', checks: [] },
    { resource: 'disk', kind: 'errors', status: 'unknown', checks: [] },
    { resource: 'memory', kind: 'utilization', status: 'ok', checks: [] },
  ],
  unavailable: [],
});

describe('--nagios output', () => {
  it('puts the worst finding on a status line under 80 characters, the others after it, perfdata last', () => {
    const r = report('critical', [
      finding('load', 'warning', '1-minute load average is 6.36 per CPU', 6.36, 'load per CPU', 2, undefined),
      finding('mem-avail', 'critical', 'Only 3.1% of memory is available | and this title goes on far beyond what a status line can hold', 3.1, 'percent', 10, 5, 'below'),
      finding('psi', 'critical', 'Tasks waited for a CPU 97.4% of the time', 97.352, 'percent', 20, 50),
    ]);
    const text = renderNagios(r);
    const out = parsePluginOutput(text);
    expect(out.status).toBe('DIAG USE CRITICAL - Only 3.1% of memory is available / and this ti... (+2 more)');
    expect(out.status.length).toBeLessThan(80);
    expect(out.longOutput).toEqual([
      'CRITICAL: Tasks waited for a CPU 97.4% of the time [psi@host]',
      'WARNING: 1-minute load average is 6.36 per CPU [load@host]',
      'worst: mem-avail@host',
      'coverage: 1 ok, 1 finding, 1 unknown ',
    ]);
    expect(out.perf).toEqual([
      { label: 'mem-avail@host', value: 3.1, uom: '%', warn: '10:', crit: '5:', min: '0', max: '100' },
      { label: 'psi@host', value: 97.352, uom: '%', warn: '20', crit: '50', min: '0', max: '100' },
      { label: 'load@host', value: 6.36, uom: '', warn: '2', crit: '', min: '0', max: '' },
      { label: 'findings_critical', value: 2, uom: '', warn: '', crit: '', min: '0', max: '' },
      { label: 'findings_warning', value: 1, uom: '', warn: '', crit: '', min: '0', max: '' },
      { label: 'use_cells_unknown', value: 1, uom: '', warn: '', crit: '', min: '0', max: '3' },
      { label: 'duration', value: 1.5, uom: 's', warn: '', crit: '', min: '0', max: '' },
    ]);
  });

  it('says OK with no findings and UNKNOWN with the reason when it could not judge', () => {
    expect(parsePluginOutput(renderNagios(report('ok', []))).status).toBe('DIAG USE OK - no findings, 2 of 3 USE cells ok');
    const u = parsePluginOutput(renderNagios(report('unknown', [], 'essential inputs unavailable: cpu (permission denied)')));
    expect(u.status).toBe('DIAG USE UNKNOWN - essential inputs unavailable: cpu (permission denied)');
  });

  it('keeps host text on one line without a pipe, numbers in the C locale without exponents', () => {
    expect(pluginText('a\nb|c\u0007d\u202ee')).toBe('a b/c d e');
    expect(perfNumber(1e-9)).toBe('0');
    expect(perfNumber(1234567.1234567)).toBe('1234567.123457');
    expect(perfNumber(2 ** 60)).toBe('1152921504606846976');
    expect(perfNumber(-0.5)).toBe('-0.5');
    const text = renderNagios(report('warning', [finding("it's=odd", 'warning', 'x', 1e-7, 'ms', 0.5, 1)]));
    expect(parsePluginOutput(text).perf[0]).toMatchObject({ label: 'it_s_odd@host', value: 0, uom: 'ms' });
  });

  it('maps statuses to the exit codes of plugins and of node-problem-detector', () => {
    expect(EXIT_CODES).toEqual({ ok: 0, warning: 1, critical: 2, unknown: 3 });
    expect(NPD_EXIT_CODES).toEqual({ ok: 0, warning: 1, critical: 1, unknown: 2 });
  });
});
