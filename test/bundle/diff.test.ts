import { describe, expect, it } from 'vitest';
import { diffModels, diffReports } from '../../src/bundle/diff.js';

const f = (id: string, scope: string, severity: string) => ({ id, resource: 'cpu', kind: 'saturation', severity, scope, title: `${id} on ${scope}` });

describe('diffReports', () => {
  it('classifies findings as appeared, resolved, worse, better, unchanged', () => {
    const a = { status: 'warning', findings: [f('a', 'host', 'warning'), f('b', 'host', 'critical'), f('c', 'device:sda', 'warning'), f('d', 'host', 'info')] };
    const b = { status: 'critical', findings: [f('a', 'host', 'critical'), f('b', 'host', 'warning'), f('e', 'host', 'warning'), f('d', 'host', 'info')] };
    const d = diffReports(a, b);
    expect(d.statusBefore).toBe('warning');
    expect(d.statusAfter).toBe('critical');
    const by = Object.fromEntries(d.findings.map((x) => [(x.after ?? x.before)!.id, x.change]));
    expect(by).toEqual({ a: 'worse', b: 'better', c: 'resolved', d: 'unchanged', e: 'appeared' });
    expect(d.findings[0]!.change).toBe('worse');
  });
  it('keys findings by scope too', () => {
    const d = diffReports({ status: 'warning', findings: [f('a', 'cpu:0', 'warning')] }, { status: 'warning', findings: [f('a', 'cpu:1', 'warning')] });
    expect(d.findings.map((x) => x.change).sort()).toEqual(['appeared', 'resolved']);
  });
  it('rejects something that is not a report', () => {
    expect(() => diffReports({ nope: 1 }, { status: 'ok', findings: [] })).toThrow();
  });
});

describe('diffModels', () => {
  it('orders metric changes by relative size and lists rows that came and went', () => {
    const a = { tables: { disk: { status: 'ok', fields: { util_pct: { title: 'util', unit: 'percent' } }, rows: [{ key: 'sda', scope: 'device:sda', values: { util_pct: 10, r_s: 0 } }, { key: 'sdb', values: { util_pct: 1 } }] } } };
    const b = { tables: { disk: { status: 'ok', fields: { util_pct: { title: 'util', unit: 'percent' } }, rows: [{ key: 'sda', scope: 'device:sda', values: { util_pct: 90, r_s: 5 } }, { key: 'sdc', values: { util_pct: 1 } }] } } };
    const d = diffModels(a, b);
    expect(d.metrics[0]).toMatchObject({ metric: 'disk.r_s', relative: Infinity });
    expect(d.metrics[1]).toMatchObject({ metric: 'disk.util_pct', before: 10, after: 90, relative: 8, unit: 'percent', scope: 'device:sda' });
    expect(d.rowsAppeared).toEqual([{ table: 'disk', key: 'sdc' }]);
    expect(d.rowsDisappeared).toEqual([{ table: 'disk', key: 'sdb' }]);
  });
  it('skips missing values instead of treating them as zero', () => {
    const d = diffModels({ tables: { t: { status: 'ok', rows: [{ key: 'x', values: { v: null } }] } } }, { tables: { t: { status: 'ok', rows: [{ key: 'x', values: { v: 5 } }] } } });
    expect(d.metrics).toEqual([]);
  });
});
