import { describe, expect, it } from 'vitest';
import { entity, entityKind, inNetns, isWithin, parseScope, rowScope, scopeString } from '../../src/core/entity.js';
import { makeFinding } from '../../src/engine/check/finding.js';
import { judgeRows, targetScope } from '../../src/engine/check/judge.js';
import { measureRow, MISSING, TOO_SMALL } from '../../src/engine/check/measure.js';
import { resolveCheck } from '../../src/engine/check/resolve.js';
import { selectRows } from '../../src/engine/check/select.js';
import type { ResolvedCheck } from '../../src/engine/check/types.js';
import type { Target } from '../../src/engine/target.js';
import { catalogue, HEADER, host, missing, model, onePlaybook, rows } from './helpers.js';

/** Each stage of judging a check alone: resolve -> select -> measure/judge -> finding. */
const check = (body: string) => onePlaybook(`${HEADER}checks:\n  - id: c\n    resource: disk\n    kind: utilization\n${body}    title: "{key} {value}"\n    explain: x\n`);
const m = model(
  { syn_host: host({ running: 1, ncpu: 2, sent: 0, retrans: 0 }), syn_dev: rows({ key: 'sda', values: { busy_ms: 0, rotational: 1 } }, { key: 'nvme0n1', values: { busy_ms: 0, rotational: 0 } }), syn_cg: rows({ key: '/a', values: { used_pct: 10 } }, { key: '/a/b', values: { used_pct: 97 } }) },
  { syn_host: host({ running: 7, ncpu: 2, sent: 10, retrans: 5 }), syn_dev: rows({ key: 'sda', values: { busy_ms: 950, rotational: 1 } }, { key: 'nvme0n1', values: { busy_ms: 300, rotational: 0 } }), syn_cg: rows({ key: '/a', values: { used_pct: 10 } }, { key: '/a/b', values: { used_pct: 97 } }) },
);
const input = (p: ReturnType<typeof check>, extra: Partial<Parameters<typeof resolveCheck>[1]> = {}) => ({ playbook: p, model: m, catalogue, ...extra });
const resolved = (p: ReturnType<typeof check>): ResolvedCheck => {
  const r = resolveCheck(p.checks[0]!, input(p));
  if (!('next' in r)) throw new Error(`not resolved: ${r.done.result.reason}`);
  return r.next;
};

describe('stage 1: resolve', () => {
  it('binds the check to its table, measure and divisor', () => {
    const r = resolved(check('    metric: syn_host.retrans\n    divide_by: syn_host.sent\n    warning: { value: 1, source: src }\n'));
    expect([r.table.id, r.measure, r.divisor?.field, r.insideNetns]).toEqual(['syn_host', 'rate', 'sent', false]);
  });
  it('ends the check as unknown, with the reason, when its input cannot be judged', () => {
    const p = check('    metric: syn_dev.util_pct\n    warning: { value: 1, source: src }\n');
    const gone = resolveCheck(p.checks[0]!, input(p, { model: model({}, { syn_dev: missing('no /proc/diskstats', 'mount procfs') }) }));
    expect('done' in gone && gone.done.result).toMatchObject({ status: 'unknown', reason: 'syn_dev: no /proc/diskstats (hint: mount procfs)' });
    const single = resolveCheck(p.checks[0]!, input(p, { model: model({}, { syn_dev: rows({ key: 'sda', values: { busy_ms: 1 } }) }) }));
    expect('done' in single && single.done.result.reason).toMatch(/needs two samples/);
  });
});

describe('stage 2: select', () => {
  it('keeps the rows that pass every filter; when none does, when_none ends the check as ok', () => {
    const p = check('    metric: syn_dev.util_pct\n    where:\n      - { on: field.rotational, op: ge, value: 1 }\n    warning: { value: 1, source: src }\n');
    const s = selectRows(resolved(p), input(p));
    expect('next' in s && s.next.map((r) => r.key)).toEqual(['sda']);
    const none = check('    metric: syn_dev.util_pct\n    where:\n      - { on: key, op: eq, value: md0 }\n    when_none: "no RAID"\n    warning: { value: 1, source: src }\n');
    const n = selectRows(resolved(none), input(none));
    expect('done' in n && n.done.result).toMatchObject({ status: 'ok', reason: 'no RAID' });
  });
  it('keeps the target\'s deepest cgroup row', () => {
    const p = onePlaybook(`${HEADER}target: optional\nchecks:\n  - id: c\n    resource: disk\n    kind: utilization\n    metric: syn_cg.used_pct\n    target: cgroup\n    warning: { value: 1, source: src }\n    title: t\n    explain: x\n`);
    const target: Target = { cgroup: '/a/b', cgroups: ['/a/b', '/a'], pids: new Set(), problems: [] };
    const s = selectRows(resolved(p), input(p, { target }));
    expect('next' in s && s.next.map((r) => r.key)).toEqual(['/a/b']);
  });
});

describe('stage 3: measure and judge', () => {
  it('measures a row as rate / divisor x scale, and says why a row has no value', () => {
    const r = resolved(check('    metric: syn_host.retrans\n    divide_by: syn_host.sent\n    scale: 100\n    min_denominator: 20\n    warning: { value: 1, source: src }\n'));
    expect(measureRow(r, m.tables.syn_host!.rows.status === 'ok' ? m.tables.syn_host!.rows.value[0]! : undefined!)).toBe(TOO_SMALL);
    const r2 = resolved(check('    metric: syn_host.retrans\n    divide_by: syn_host.sent\n    scale: 100\n    warning: { value: 1, source: src }\n'));
    const row = m.tables.syn_host!.rows.status === 'ok' ? m.tables.syn_host!.rows.value[0]! : undefined!;
    expect(measureRow(r2, row)).toBe(50);
    expect(measureRow(r2, { ...row, values: {} })).toBe(MISSING);
  });
  it('judges each row alone, or one aggregate carrying the worst row', () => {
    const per = resolved(check('    metric: syn_dev.util_pct\n    warning: { value: 50, source: src }\n'));
    const rowsOf = m.tables.syn_dev!.rows.status === 'ok' ? m.tables.syn_dev!.rows.value : [];
    const j = judgeRows(per, rowsOf, undefined);
    expect('next' in j && j.next.results.map((x) => [x.scope, x.value])).toEqual([['device:sda', 95]]);
    const agg = resolved(check('    metric: syn_dev.util_pct\n    aggregate: avg\n    warning: { value: 50, source: src }\n'));
    const a = judgeRows(agg, rowsOf, undefined);
    expect('next' in a && a.next.results.map((x) => [x.scope, x.value, x.rows, x.row?.key])).toEqual([['host', 62.5, 2, 'sda']]);
  });
  it('puts an aggregate over a target at the target\'s scope', () => {
    const p = onePlaybook(`${HEADER}target: optional\nchecks:\n  - id: c\n    resource: disk\n    kind: utilization\n    metric: syn_cg.used_pct\n    target: cgroup\n    aggregate: max\n    warning: { value: 1, source: src }\n    title: t\n    explain: x\n`);
    expect(targetScope(p.checks[0]!, { cgroup: '/a/b', cgroups: ['/a/b'], pids: new Set(), problems: [] })).toBe('cgroup:/a/b');
    expect(targetScope(p.checks[0]!, undefined)).toBe('host');
  });
});

describe('stage 4: finding', () => {
  it('renders the title and evidence of a judged row', () => {
    const p = check('    metric: syn_dev.util_pct\n    warning: { value: 50, source: src }\n');
    const r = resolved(p);
    const rowsOf = m.tables.syn_dev!.rows.status === 'ok' ? m.tables.syn_dev!.rows.value : [];
    const j = judgeRows(r, rowsOf, undefined);
    if (!('next' in j)) throw new Error('not judged');
    const f = makeFinding(r, j.next.results[0]!, 'warning', input(p));
    expect(f).toMatchObject({ id: 'c@device:sda', scope: 'device:sda', title: 'sda 95', evidence: { metric: 'syn_dev.util_pct', value: 95, windowSeconds: 1 } });
  });
});

describe('entities', () => {
  it('make and read scope strings, nested in a network namespace', () => {
    const veth = entity('interface', 'veth0', entity('netns', '4026532999'));
    expect(scopeString(veth)).toBe('netns:4026532999/interface:veth0');
    expect(parseScope('netns:4026532999/interface:veth0')).toEqual(veth);
    expect(parseScope('cgroup:/system.slice/a:b.service')).toEqual({ kind: 'cgroup', key: '/system.slice/a:b.service' });
    expect(parseScope('host')).toEqual({ kind: 'host', key: '' });
    expect(scopeString(entity('host', ''))).toBe('host');
  });
  it('know what is within what: cgroups below a cgroup, rows inside a namespace', () => {
    expect(isWithin(entity('cgroup', '/a/b'), entity('cgroup', '/a'))).toBe(true);
    expect(isWithin(entity('cgroup', '/ab'), entity('cgroup', '/a'))).toBe(false);
    expect(isWithin(entity('cgroup', '/x'), entity('cgroup', '/'))).toBe(true);
    expect(isWithin(entity('socket', 'u1', entity('netns', '5')), entity('netns', '5'))).toBe(true);
    expect(isWithin(entity('socket', 'u1', entity('netns', '5')), entity('netns', '6'))).toBe(false);
    expect(isWithin(entity('process', '12'), entity('process', '1'))).toBe(false);
    // the same name in two namespaces, or in a namespace and on the host, is two entities
    expect(isWithin(entity('interface', 'eth0', entity('netns', '5')), entity('interface', 'eth0', entity('netns', '5')))).toBe(true);
    expect(isWithin(entity('interface', 'eth0', entity('netns', '5')), entity('interface', 'eth0', entity('netns', '6')))).toBe(false);
    expect(isWithin(entity('interface', 'eth0', entity('netns', '5')), entity('interface', 'eth0'))).toBe(false);
    expect(isWithin(entity('interface', 'eth0'), entity('interface', 'eth0', entity('netns', '5')))).toBe(false);
  });
  it('nest the rows of per-namespace tables (scope netns/<kind>, key <inode>/<own key>) in their namespace', () => {
    expect(inNetns('qdisc')).toBe('netns/qdisc');
    expect(rowScope('netns/qdisc', '4026532999/veth0 1: root')).toBe('netns:4026532999/qdisc:veth0 1: root');
    expect(parseScope(rowScope('netns/interface', '4026532999/veth0'))).toEqual(entity('interface', 'veth0', entity('netns', '4026532999')));
    expect(rowScope('netns/socket', '4026532999/0.0.0.0:53 *:* #7/x')).toBe('netns:4026532999/socket:0.0.0.0:53 *:* #7/x');
    expect(rowScope('netns', '4026532999')).toBe('netns:4026532999');
    expect(rowScope('netns/qdisc', 'no-namespace')).toBe('qdisc:no-namespace');
    expect(entityKind('netns/qdisc')).toBe('qdisc');
    expect(entityKind('cgroup')).toBe('cgroup');
  });
});
