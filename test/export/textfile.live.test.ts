import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { freePort, startServer, waitFor, type Started } from '../helpers/servers.js';
import { DIAG, builtCli } from '../scenarios/helpers.js';

/**
 * `diag run playbook use --openmetrics FILE` for node_exporter's textfile collector: Debian's
 * node_exporter, started here on a free loopback port with only that collector, serves what diag
 * wrote, and says it parsed it (node_textfile_scrape_error 0).
 */
const req = liveRequirement('cmd:prometheus-node-exporter');
const BUNDLE = fileURLToPath(new URL('../fixtures/bundles/pre-codes-7704c47.tar.gz', import.meta.url));
let dir: string | undefined;
let ne: Started | undefined;

describe.skipIf(req.skip)('--openmetrics FILE read by node_exporter', () => {
  afterAll(async () => {
    await ne?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("writes the bundle's findings and tables into the textfile collector's directory, read back by node_exporter", async () => {
    builtCli();
    dir = mkdtempSync(join(tmpdir(), `diagt-ex-${process.pid}-textfile-`));
    const file = join(dir, 'diag.prom');
    const r = spawnSync(process.execPath, [DIAG, 'run', 'playbook', 'use', '--from', BUNDLE, '--openmetrics', file, '-q', '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'diag.report/v1', status: 'critical' });
    // written by rename: nothing but the file itself in the directory
    expect(readdirSync(dir)).toEqual(['diag.prom']);

    const port = await freePort();
    ne = startServer('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${dir}`]);
    const text = await waitFor('node_exporter /metrics', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      return res.ok ? res.text() : undefined;
    }, 30_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${ne?.output()}`);
    });
    expect(text).toMatch(/^node_textfile_scrape_error 0$/m);
    expect(text).toMatch(/^diag_status\{playbook="use",status="critical"\} 1$/m);
    expect(text).toMatch(/^diag_finding\{check="cpu-host-utilization",kind="utilization",playbook="use",resource="cpu",scope="cpu:all",severity="critical"\} 1$/m);
    expect(text).toMatch(/^system_cpu_time_seconds_total\{cpu="cpu0",state="user"\} \d/m);
  }, 90_000);
});
