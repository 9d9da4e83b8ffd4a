import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { freePort, startServer, waitFor, type Started } from '../helpers/servers.js';
import { DIAG, builtCli, sleep, until, Workloads } from '../scenarios/helpers.js';

/**
 * A real Prometheus (Debian's prometheus, started here on a free loopback port, scraping every
 * 2 s, its storage in a temporary directory) scrapes `diag serve`. Planted: a busy loop in a
 * cgroup of ours held to 0.2 CPUs, so the kernel throttles it: its finding and its cgroup's
 * series must come back from PromQL over Prometheus' HTTP API.
 */
const req = liveRequirement('root', 'cmd:prometheus', 'cmd:promtool', 'cmd:timeout');
const NAME = `diagt-ex-${process.pid}-prom`;
const DIRS = [...new Set(['cpu', 'cpuacct'].map((c) => `/sys/fs/cgroup/${c}/${NAME}`))];
const work = new Workloads();
let tmp: string;
let diag: Started | undefined;
let prom: Started | undefined;
let diagPort = 0;
let promPort = 0;

interface PromVector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(q: string): Promise<PromVector['data']['result']> {
  const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as PromVector;
  if (body.status !== 'success') throw new Error(`query ${q}: ${JSON.stringify(body)}`);
  return body.data.result;
}

const num = (file: string, key: string): number => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? NaN);

describe.skipIf(req.skip)('Prometheus scrapes diag serve', () => {
  beforeAll(async () => {
    builtCli();
    tmp = mkdtempSync(join(tmpdir(), `${NAME}-`));
    for (const d of DIRS) if (!existsSync(d)) mkdirSync(d);
    writeFileSync(`/sys/fs/cgroup/cpu/${NAME}/cpu.cfs_period_us`, '100000');
    writeFileSync(`/sys/fs/cgroup/cpu/${NAME}/cpu.cfs_quota_us`, '20000');
    const gate = work.gated(`exec timeout -s KILL 120 sh -c "while :; do :; done # ${NAME}"`);
    for (const d of DIRS) writeFileSync(`${d}/cgroup.procs`, String(gate.pid));
    gate.stdin?.end('go\n');
    await until(() => num(`/sys/fs/cgroup/cpu/${NAME}/cpu.stat`, 'nr_throttled') > 5, 10_000);
    if (!(num(`/sys/fs/cgroup/cpu/${NAME}/cpu.stat`, 'nr_throttled') > 5)) throw new Error('the planted loop was not throttled within 10 s');

    diagPort = await freePort();
    diag = startServer(process.execPath, [DIAG, 'serve', '--listen', `127.0.0.1:${diagPort}`, '--cache', '500ms']);
    await waitFor('diag serve /healthz', async () => ((await fetch(`http://127.0.0.1:${diagPort}/healthz`)).ok ? true : undefined), 30_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${diag?.output()}`);
    });

    promPort = await freePort();
    writeFileSync(
      join(tmp, 'prometheus.yml'),
      `global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\nscrape_configs:\n  - job_name: diag\n    static_configs:\n      - targets: ['127.0.0.1:${diagPort}']\n`,
    );
    const check = spawnSync('promtool', ['check', 'config', join(tmp, 'prometheus.yml')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    prom = startServer('prometheus', [`--config.file=${join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
    await waitFor('prometheus /-/ready', async () => ((await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok ? true : undefined), 30_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${prom?.output()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await diag?.stop();
    await work.stop();
    for (const d of DIRS) {
      for (let i = 0; i < 30 && existsSync(d); i++) {
        try {
          rmdirSync(d);
        } catch {
          await sleep(100);
        }
      }
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the target up, and the throttled cgroup as a finding and as series in PromQL', async () => {
    const target = await waitFor(
      'the diag target up',
      async () => {
        const r = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] } };
        const t = r.data.activeTargets[0];
        return t?.health === 'up' ? t : undefined;
      },
      30_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\nprometheus:\n${prom?.output()}\ndiag:\n${diag?.output()}`);
    });
    expect(target.scrapeUrl).toBe(`http://127.0.0.1:${diagPort}/metrics`);
    // and in PromQL: a scrape that succeeded (the latest one may still be running on a loaded host)
    const up = await waitFor('up{job="diag"} == 1 in PromQL', async () => {
      const r = await query('up{job="diag"} == 1');
      return r.length > 0 ? r : undefined;
    }, 30_000);
    expect(up[0]!.metric).toMatchObject({ job: 'diag', instance: `127.0.0.1:${diagPort}` });

    const findingQuery = `diag_finding{check="cgroup-cpu-throttled",scope="cgroup:/${NAME}"}`;
    const findings = await waitFor('the planted finding in PromQL', async () => {
      const r = await query(findingQuery);
      return r.length > 0 ? r : undefined;
    }, 30_000);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.metric).toMatchObject({ playbook: 'use', resource: 'cpu', kind: 'saturation', job: 'diag' });
    expect(['warning', 'critical']).toContain(findings[0]!.metric.severity);
    expect(findings[0]!.value[1]).toBe('1');

    // its cgroup's own series: the quota as configured, the throttled time a counter that grows
    const quota = await query(`diag_cgroup_cpu_quota_cores{cgroup="/${NAME}"}`);
    expect(quota.map((q) => q.value[1])).toEqual(['0.2']);
    const throttled = await waitFor('two samples of the throttled-time counter', async () => {
      const r = await query(`increase(diag_cgroup_cpu_throttled_seconds_total{cgroup="/${NAME}"}[30s])`);
      return r.length > 0 && Number(r[0]!.value[1]) > 0 ? r : undefined;
    }, 30_000);
    expect(throttled).toHaveLength(1);
    // the USE coverage cell the finding lives in reads "finding"
    expect((await query('diag_coverage{resource="cpu",kind="saturation",status="finding"}'))[0]?.value[1]).toBe('1');
  }, 120_000);

  it('serves text that promtool check metrics finds clean, and OpenMetrics ending in # EOF', async () => {
    const text = await (await fetch(`http://127.0.0.1:${diagPort}/metrics`)).text();
    expect(text).toContain(`cgroup="/${NAME}"`);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    const om = await fetch(`http://127.0.0.1:${diagPort}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect((await om.text()).endsWith('\n# EOF\n')).toBe(true);
  }, 60_000);
});
