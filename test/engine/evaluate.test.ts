import { describe, expect, it } from 'vitest';
import { evaluateCheck, evaluatePlaybook } from '../../src/engine/evaluate.js';
import { judgeStatus } from '../../src/engine/run.js';
import type { Target } from '../../src/engine/target.js';
import { catalogue, HEADER, host, missing, model, onePlaybook, rows } from './helpers.js';

const RUNQ = `  - id: runq
    resource: cpu
    kind: saturation
    metric: syn_host.running
    divide_by: syn_host.ncpu
    unit: per CPU
    warning: { value: 1.5, source: src }
    critical: { value: 3, source: src }
    title: "{value} runnable per CPU ({field.running} on {field.ncpu})"
    explain: tasks wait
    next:
      - "vmstat 1"
      - { run: probe, probe: runqlat, seconds: 2, why: "run-queue latency" }
`;
const UTIL = `  - id: util
    resource: disk
    kind: utilization
    metric: syn_dev.util_pct
    where:
      - { on: field.rotational, op: ge, value: 1 }
    warning: { value: 60, source: src }
    critical: { value: 90, source: src }
    title: "disk {key} {value}% busy"
    explain: busy
`;
const OOM = `  - id: oom
    resource: cpu
    kind: errors
    metric: syn_host.oom
    measure: delta
    critical: { value: 1, source: src }
    title: "{value} OOM kills"
    explain: killed
`;
const RETRANS = `  - id: retrans
    resource: disk
    kind: errors
    metric: syn_host.retrans
    divide_by: syn_host.sent
    scale: 100
    min_denominator: 50
    warning: { value: 2, source: src }
    title: "{value}% retransmitted"
    explain: loss
`;

const pb = (checks: string, extra = '') => onePlaybook(`${HEADER}${extra}checks:\n${checks}`);
const input = (playbook: ReturnType<typeof pb>, m: ReturnType<typeof model>, target?: Target) => ({ playbook, model: m, catalogue, ...(target ? { target } : {}) });

describe('evaluator', () => {
  it('judges a ratio against warning and critical with its evidence and sources', () => {
    const p = pb(RUNQ);
    const m = model({ syn_host: host({ running: 1, ncpu: 2 }) }, { syn_host: host({ running: 7, ncpu: 2 }) });
    const o = evaluateCheck(p.checks[0]!, input(p, m));
    expect(o.result).toMatchObject({ status: 'finding', scopes: 1 });
    const f = o.findings[0]!;
    expect(f).toMatchObject({ id: 'runq@host', resource: 'cpu', kind: 'saturation', severity: 'critical', scope: 'host', title: '3.50 runnable per CPU (7 on 2)' });
    expect(f.evidence).toMatchObject({ metric: 'syn_host.running', value: 3.5, unit: 'per CPU', fields: { running: 7, ncpu: 2 }, collector: 'synthetic', inputs: ['/proc/synthetic', '/proc/PID/synthetic'] });
    expect(f.evidence.threshold.critical).toMatchObject({ value: 3, source: 'src', sourceTitle: 'a source' });
    expect(f.next).toEqual(['vmstat 1', 'run-queue latency: diag probe runqlat --duration 2s']);
  });

  it('gives warning between the thresholds and ok below; equal to a threshold counts', () => {
    const p = pb(RUNQ);
    const at = (running: number) => evaluateCheck(p.checks[0]!, input(p, model({}, { syn_host: host({ running, ncpu: 2 }) })));
    expect(at(3).findings[0]?.severity).toBe('warning');
    expect(at(6).findings[0]?.severity).toBe('critical');
    expect(at(2).result.status).toBe('ok');
  });

  it('iterates per scope with where filters on fields', () => {
    const p = pb(UTIL);
    const first = { syn_dev: rows({ key: 'sda', values: { busy_ms: 0, rotational: 1 } }, { key: 'sdb', values: { busy_ms: 0, rotational: 1 } }, { key: 'nvme0n1', values: { busy_ms: 0, rotational: 0 } }) };
    const second = { syn_dev: rows({ key: 'sda', values: { busy_ms: 950, rotational: 1 } }, { key: 'sdb', values: { busy_ms: 700, rotational: 1 } }, { key: 'nvme0n1', values: { busy_ms: 1000, rotational: 0 } }) };
    const o = evaluateCheck(p.checks[0]!, input(p, model(first, second)));
    expect(o.result.scopes).toBe(2);
    expect(o.findings.map((f) => [f.scope, f.severity])).toEqual([
      ['device:sda', 'critical'],
      ['device:sdb', 'warning'],
    ]);
  });

  it('reads counters as deltas over the window and never invents values after a reset', () => {
    const p = pb(OOM);
    const o = evaluateCheck(p.checks[0]!, input(p, model({ syn_host: host({ oom: 10 }) }, { syn_host: host({ oom: 12 }) }, 2)));
    expect(o.findings[0]).toMatchObject({ severity: 'critical', title: '2 OOM kills', evidence: { value: 2, measure: 'delta' } });
    const reset = evaluateCheck(p.checks[0]!, input(p, model({ syn_host: host({ oom: 10 }) }, { syn_host: host({ oom: 3 }) })));
    expect(reset.result).toMatchObject({ status: 'unknown' });
    expect(reset.result.reason).toMatch(/missing/);
  });

  it('skips a ratio whose denominator is too small to mean anything (ok, with the reason)', () => {
    const p = pb(RETRANS);
    const low = evaluateCheck(p.checks[0]!, input(p, model({ syn_host: host({ sent: 0, retrans: 0 }) }, { syn_host: host({ sent: 10, retrans: 5 }) })));
    expect(low.result.status).toBe('ok');
    expect(low.result.reason).toMatch(/too little activity/);
    const high = evaluateCheck(p.checks[0]!, input(p, model({ syn_host: host({ sent: 0, retrans: 0 }) }, { syn_host: host({ sent: 1000, retrans: 50 }) })));
    expect(high.findings[0]?.evidence.value).toBe(5);
  });

  it('reports unknown with the reason and hint when the input is unavailable, never ok', () => {
    const p = pb(RUNQ);
    const o = evaluateCheck(p.checks[0]!, input(p, model({}, { syn_host: missing('/proc/synthetic: permission denied', 'run diag as root') })));
    expect(o.result.status).toBe('unknown');
    expect(o.result.reason).toBe('syn_host: /proc/synthetic: permission denied (hint: run diag as root)');
  });

  it('reports unknown for rates without a window', () => {
    const p = pb(UTIL);
    const m = model({}, { syn_dev: rows({ key: 'sda', values: { busy_ms: 5, rotational: 1 } }) });
    // The device table had no first sample: no rate, no derived value.
    const o = evaluateCheck(p.checks[0]!, input(p, m));
    expect(o.result.status).toBe('unknown');
  });

  it('builds the full coverage matrix: finding, ok, unknown with reason, and not checked', () => {
    const p = pb(RUNQ + UTIL);
    const m = model({ syn_dev: rows() }, { syn_host: host({ running: 1, ncpu: 2 }), syn_dev: missing('no /sys/block') });
    const e = evaluatePlaybook(input(p, m));
    const cell = (r: string, k: string) => e.coverage.find((c) => c.resource === r && c.kind === k);
    expect(e.coverage).toHaveLength(6);
    expect(cell('cpu', 'saturation')).toMatchObject({ status: 'ok' });
    expect(cell('disk', 'utilization')).toMatchObject({ status: 'unknown', reason: 'util: syn_dev: no /sys/block' });
    expect(cell('cpu', 'errors')).toMatchObject({ status: 'unknown', reason: 'not checked by this playbook' });
  });

  it('aggregates over rows and restricts target checks to the target cgroup', () => {
    const CG = `  - id: cg
    resource: cpu
    kind: utilization
    metric: syn_cg.used_pct
    target: cgroup
    warning: { value: 80, source: src }
    title: "{scope} {value}%"
    explain: x
  - id: fds
    resource: cpu
    kind: saturation
    metric: syn_proc.fds
    divide_by: syn_proc.fd_limit
    scale: 100
    target: process
    aggregate: max
    warning: { value: 80, source: src }
    title: "worst process at {value}%"
    explain: x
`;
    const p = pb(CG, 'target: required\n');
    const second = {
      syn_cg: rows({ key: '/a', values: { used_pct: 99 } }, { key: '/b', values: { used_pct: 10 } }),
      syn_proc: rows({ key: '10', values: { fds: 90, fd_limit: 100 } }, { key: '11', values: { fds: 10, fd_limit: 100 } }, { key: '12', values: { fds: 100, fd_limit: 100 } }),
    };
    const m = model({}, second);
    const target: Target = { cgroup: '/b', cgroups: ['/b'], pids: new Set(['10', '11']), problems: [] };
    const e = evaluatePlaybook(input(p, m, target));
    expect(e.findings.map((f) => [f.check, f.scope, f.evidence.value])).toEqual([['fds', 'cgroup:/b', 90]]);
    const noTarget = evaluatePlaybook(input(p, m));
    expect(noTarget.checks.map((c) => c.result.status)).toEqual(['unknown', 'unknown']);
  });

  it('keeps host text as data: titles are plain substitution', () => {
    const LBL = `  - id: lbl
    resource: cpu
    kind: errors
    metric: syn_proc.fds
    warning: { value: 1, source: src }
    title: "{label.comm} has {value} {nothing} {label.absent}"
    explain: x
`;
    const p = pb(LBL);
    const m = model({}, { syn_proc: rows({ key: '5', labels: { comm: '{value}$(rm -rf /)\u001b[2J' }, values: { fds: 3, fd_limit: 9 } }) });
    const f = evaluateCheck(p.checks[0]!, input(p, m)).findings[0]!;
    expect(f.title).toBe('{value}$(rm -rf /)\u001b[2J has 3 {nothing} ?');
    expect(f.evidence.inputs).toEqual(['/proc/synthetic', '/proc/5/synthetic']);
  });

  it('sets the status: critical > warning > unknown (essential inputs missing) > ok', () => {
    const p = pb(RUNQ, 'essential: [syn_host, syn_dev]\n');
    const m = model({}, { syn_host: host({ running: 1, ncpu: 2 }), syn_dev: missing('gone') });
    expect(judgeStatus(p, m, [], undefined)).toMatchObject({ status: 'unknown', reason: 'essential inputs unavailable: syn_dev (gone)' });
    const e = evaluatePlaybook(input(p, model({}, { syn_host: host({ running: 4, ncpu: 2 }), syn_dev: missing('gone') })));
    expect(judgeStatus(p, m, e.findings, undefined).status).toBe('warning');
    const ok = model({}, { syn_host: host({ running: 1, ncpu: 2 }), syn_dev: rows() });
    expect(judgeStatus(p, ok, [], undefined).status).toBe('ok');
  });
});
