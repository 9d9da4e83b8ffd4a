import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COLLECTORS, PROBE_COLLECTORS } from '../../collectors/index.js';
import { cpuCollector } from '../../collectors/procfs/cpu/collector.js';
import { netdevCollector } from '../../collectors/procfs/netdev/collector.js';
import { processesCollector } from '../../collectors/procfs/processes/collector.js';
import type { Collector, Row, Sample } from '../../src/core/collector.js';
import { deriveModel } from '../../src/core/derive.js';
import { ok, unavailable } from '../../src/core/outcome.js';
import type { Report } from '../../src/engine/report-schema.js';
import { baseUnit, exportName, snake, tableExportNames } from '../../src/export/names.js';
import { negotiateFormat, renderExposition, type ExportInput } from '../../src/export/openmetrics.js';
import { liveRequirement } from '../helpers/capabilities.js';

const COLS: readonly Collector[] = [cpuCollector, netdevCollector, processesCollector];

function sampleAt(monoMs: number, tables: Record<string, Record<string, Row[]>>, missingTables: Record<string, string> = {}): Sample {
  const clock = { monoMs, wall: new Date(Date.UTC(2026, 11, 3) + monoMs).toISOString() };
  const collectors: Sample['collectors'] = Object.fromEntries(
    COLS.map((c) => [
      c.id,
      ok({
        clock,
        durationMs: 1,
        tables: Object.fromEntries(Object.keys(c.tables).map((t) => [t, missingTables[t] ? unavailable('permission', missingTables[t]!) : ok(tables[c.id]?.[t] ?? [])])),
      }),
    ]),
  );
  return { clock, collectors };
}

const cpuRow = (key: string, user: number, idle: number): Row => ({ key, values: { user, nice: 0, system: 50, idle, iowait: 7, irq: 0, softirq: 1, steal: 0, guest: 0, guest_nice: 0 } });
const proc = (pid: number, utime: number, comm: string): Row => ({ key: String(pid), labels: { comm, state: 'R', starttime: '100' }, values: { utime, stime: 0, rss: 4096, fds: 3, fd_limit: 1024 } });

const FIRST = sampleAt(0, {
  cpu: { cpu: [cpuRow('all', 1000, 5000), cpuRow('0', 500, 2500), cpuRow('1', 500, 2500)] },
  netdev: { netdev: [{ key: 'eth0', values: { rx_bytes: 1_000, tx_bytes: 2_000, rx_errs: 0, tx_errs: 0, speed: 1000 } }] },
  processes: { processes: [proc(10, 100, 'idle-a'), proc(11, 100, 'busy"one\\'), proc(12, 100, 'named'), proc(13, 100, 'idle-b')] },
});
const SECOND = sampleAt(1000, {
  cpu: { cpu: [cpuRow('all', 1150, 5050), cpuRow('0', 600, 2500), cpuRow('1', 550, 2550)] },
  netdev: { netdev: [{ key: 'eth0', values: { rx_bytes: 5_000, tx_bytes: 2_500, rx_errs: 3, tx_errs: 0, speed: 1000 } }] },
  processes: { processes: [proc(10, 100, 'idle-a'), proc(11, 190, 'busy"one\\'), proc(12, 101, 'named'), proc(13, 100, 'idle-b')] },
});

const REPORT: Report = {
  schema: 'diag.report/v1',
  playbook: 'use',
  playbookTitle: 'USE',
  host: { hostname: 'h', source: 'fixture' },
  startedAt: '2026-12-03T00:00:00.000Z',
  durationMs: 1234,
  windowSeconds: 1,
  status: 'critical',
  statusReason: '1 critical finding',
  findings: [
    {
      id: 'fd-process@process:12',
      check: 'fd-process',
      resource: 'fds',
      kind: 'utilization',
      severity: 'critical',
      scope: 'process:12',
      title: 'process 12 uses 95 % of its fds',
      explanation: '',
      evidence: {
        metric: 'processes.fds',
        value: 95,
        unit: 'percent',
        measure: 'value',
        when: 'above',
        threshold: { warning: { value: 80, source: 's', sourceTitle: 's' }, critical: { value: 90, source: 's', sourceTitle: 's' } },
        fields: {},
        windowSeconds: 1,
        collector: 'processes',
        inputs: [],
      },
      next: [],
    },
  ],
  coverage: [
    { resource: 'fds', kind: 'utilization', status: 'finding', checks: [{ id: 'fd-process', status: 'finding', scopes: 4 }] },
    { resource: 'cpu', kind: 'errors', status: 'unknown', reason: 'no check', checks: [] },
  ],
  unavailable: [],
};

const input = (over: Partial<ExportInput> = {}): ExportInput => ({ report: REPORT, sample: SECOND, model: deriveModel(COLS, { first: FIRST, second: SECOND }), version: '9.9.9', ...over });

/** The value of one sample line `name{labels}` of a Prometheus text exposition. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metric names from the field declarations', () => {
  it('snake-cases ids and spells units in base units', () => {
    expect(snake('TCPBacklogDrop')).toBe('tcp_backlog_drop');
    expect(snake('RetransSegs')).toBe('retrans_segs');
    expect(baseUnit('kB/s')).toEqual({ suffix: 'bytes_per_second', factor: 1024 });
    expect(baseUnit('ticks')).toEqual({ suffix: 'seconds', factor: 0.01 });
    expect(baseUnit('count/s')).toEqual({ suffix: 'per_second', factor: 1 });
    expect(exportName('disk', 'read_ms', { title: 't', unit: 'ms', kind: 'counter' }, 'counter')).toEqual({ family: 'diag_disk_read_seconds', sample: 'diag_disk_read_seconds_total', type: 'counter', unit: 'seconds', factor: 0.001 });
    expect(exportName('meminfo', 'used_pct', { title: 't', unit: 'percent' }, 'derived').sample).toBe('diag_meminfo_used_ratio');
    expect(exportName('meminfo', 'swap_total', { title: 't', unit: 'bytes', kind: 'gauge' }, 'gauge').sample).toBe('diag_meminfo_swap_all_bytes');
    expect(exportName('disk', 'dkB_s', { title: 't', unit: 'kB/s' }, 'derived').sample).toBe('diag_disk_discard_bytes_per_second');
  });

  it('gives every field of every registered collector its own valid family name', () => {
    const families = new Map<string, string>();
    for (const c of [...COLLECTORS, ...PROBE_COLLECTORS]) {
      for (const [t, spec] of Object.entries(c.tables)) {
        for (const [f, n] of tableExportNames(t, spec)) {
          expect(n.sample, `${t}.${f}`).toMatch(/^[a-z_][a-z0-9_]*$/);
          expect(families.get(n.family), `${t}.${f} and ${families.get(n.family)} share ${n.family}`).toBeUndefined();
          families.set(n.family, `${t}.${f}`);
        }
      }
    }
    // a socket's retransmits now (gauge) and in total (counter); a cgroup's throttled time over the window and in total
    expect(families.get('diag_tcp_sockets_retrans')).toBe('tcp_sockets.retrans_total');
    expect(families.get('diag_tcp_sockets_retrans_current')).toBe('tcp_sockets.retrans');
    expect(families.get('diag_cgroup_cpu_throttled_window_seconds')).toBe('cgroup_cpu.throttled_ms');
  });
});

describe('renderExposition', () => {
  const prom = renderExposition(input(), 'prometheus');
  const om = renderExposition(input(), 'openmetrics');

  it('exports counters raw from the sample as _total in base units, not the window rates', () => {
    // /proc/stat user ticks of cpu0 in the second sample: 600 ticks = 6 s (the rate would be 1 s/s)
    expect(valueOf(prom, 'system_cpu_time_seconds_total{cpu="cpu0",state="user"}')).toBe(6);
    expect(valueOf(prom, 'system_cpu_time_seconds_total{cpu="cpu1",state="wait"}')).toBe(0.07);
    expect(valueOf(prom, 'system_network_io_bytes_total{device="eth0",direction="receive"}')).toBe(5000);
    expect(valueOf(prom, 'system_network_errors_total{device="eth0",direction="receive"}')).toBe(3);
    // not hostmetrics: diag's own name; the "all" row sums the CPUs and is not a hostmetrics cpu
    expect(valueOf(prom, 'diag_cpu_guest_seconds_total{cpu="all"}')).toBe(0);
    expect(prom).not.toContain('cpu="cpuall"');
    // a gauge in base units, a derived value from the model
    expect(valueOf(prom, 'diag_netdev_speed_bytes_per_second{interface="eth0"}')).toBe(125_000_000);
    expect(valueOf(prom, 'diag_netdev_errors_per_second{interface="eth0"}')).toBe(3);
    expect(valueOf(prom, 'diag_cpu_busy_ratio{cpu="0"}')).toBeCloseTo(1, 5);
  });

  it('writes HELP and TYPE once per family, before its samples', () => {
    expect(prom).toContain('# HELP system_cpu_time_seconds_total Seconds each logical CPU spent in each mode (hostmetrics system.cpu.time).\n# TYPE system_cpu_time_seconds_total counter\nsystem_cpu_time_seconds_total{');
    expect(prom.match(/^# TYPE system_cpu_time_seconds_total /gm)).toHaveLength(1);
    expect(prom).toContain('# TYPE diag_netdev_speed_bytes_per_second gauge');
    expect(om).toContain('# TYPE system_cpu_time_seconds counter\n# UNIT system_cpu_time_seconds seconds\n# HELP system_cpu_time_seconds ');
    expect(om).toContain('# TYPE diag_build info\n# HELP diag_build diag build information\ndiag_build_info{version="9.9.9"} 1\n');
    expect(om.endsWith('\n# EOF\n')).toBe(true);
    expect(prom).not.toContain('# EOF');
  });

  it('exports findings with what, where and how bad, the coverage matrix and each check as states', () => {
    expect(valueOf(prom, 'diag_finding{playbook="use",check="fd-process",resource="fds",kind="utilization",scope="process:12",severity="critical"}')).toBe(1);
    expect(valueOf(prom, 'diag_finding_value{playbook="use",check="fd-process",scope="process:12",unit="percent"}')).toBe(95);
    expect(valueOf(prom, 'diag_finding_threshold{playbook="use",check="fd-process",scope="process:12",severity="critical"}')).toBe(90);
    expect(valueOf(prom, 'diag_status{playbook="use",status="critical"}')).toBe(1);
    expect(valueOf(prom, 'diag_status{playbook="use",status="ok"}')).toBe(0);
    expect(valueOf(prom, 'diag_coverage{playbook="use",resource="cpu",kind="errors",status="unknown"}')).toBe(1);
    expect(valueOf(prom, 'diag_coverage{playbook="use",resource="cpu",kind="errors",status="ok"}')).toBe(0);
    expect(valueOf(prom, 'diag_check_status{playbook="use",check="fd-process",status="finding"}')).toBe(1);
    expect(valueOf(prom, 'diag_table_up{collector="cpu",table="cpu"}')).toBe(1);
  });

  it('caps process rows, keeping those findings name first, then the busiest; escapes host text', () => {
    const capped = renderExposition(input({ maxRows: 2 }), 'prometheus');
    const pids = [...new Set([...capped.matchAll(/^diag_processes_rss_bytes\{pid="(\d+)"/gm)].map((m) => m[1]))];
    expect(pids).toEqual(['12', '11']);
    expect(valueOf(capped, 'diag_export_rows_omitted{table="processes"}')).toBe(2);
    expect(capped).toContain('diag_processes_utime_seconds_total{pid="11",comm="busy\\"one\\\\"} 1.9');
  });

  it('says a table that could not be read is down, and exports nothing of it', () => {
    const s = sampleAt(1000, {}, { netdev: 'no access' });
    const text = renderExposition(input({ sample: s }), 'prometheus');
    expect(valueOf(text, 'diag_table_up{collector="netdev",table="netdev"}')).toBe(0);
    expect(text).not.toContain('system_network_io_bytes_total');
  });
});

describe('negotiateFormat', () => {
  it('answers OpenMetrics to a client that asks for it, the Prometheus text format otherwise', () => {
    expect(negotiateFormat('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1')).toBe('openmetrics');
    expect(negotiateFormat('text/plain;version=0.0.4')).toBe('prometheus');
    expect(negotiateFormat(undefined)).toBe('prometheus');
    expect(negotiateFormat('application/openmetrics-text;q=0')).toBe('prometheus');
  });
});

const promtool = liveRequirement('cmd:promtool');
describe.skipIf(promtool.skip)('promtool check metrics', () => {
  it('finds nothing to lint in the Prometheus text of every field', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: renderExposition(input(), 'prometheus'), encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
