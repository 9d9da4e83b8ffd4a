import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';

/**
 * A real sosreport, made on this host by `sos report --batch` (Debian's sosreport, installed by
 * the test set-up), judged with --from: what sos saved is judged at its moment, what it lacks is
 * unknown with the reason, and no tool runs on this machine while it is judged (each one diag may
 * run is shadowed on PATH by one that leaves a mark).
 */
const req = liveRequirement('root', 'cmd:sos', 'cmd:xz');
const work = mkdtempSync(join(tmpdir(), 'diag-sos-live-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  host: { hostname: string };
  status: string;
  startedAt: string;
  coverage: Array<{ resource: string; kind: string; status: string; reason?: string; checks: Array<{ check: string; status: string; reason?: string }> }>;
  unavailable: Array<{ table: string; code: string; reason: string }>;
}

describe.skipIf(req.skip)('a sosreport made on this host', () => {
  it('is judged at its moment, from its own files and outputs only', { timeout: 240_000 }, async () => {
    const before = Date.now();
    // The plugins that hold what diag reads; the rest would only make the test slower.
    const sos = spawnSync('sos', ['report', '--batch', '-q', '--tmp-dir', work, '-o', 'kernel,memory,filesys,date,host,block,networking,process'], { encoding: 'utf8', timeout: 200_000 });
    expect(sos.status, sos.stderr).toBe(0);
    const archive = readdirSync(work).find((f) => /^sosreport-.*\.tar\.xz$/.test(f));
    expect(archive, readdirSync(work).join(' ')).toBeDefined();
    const after = Date.now();

    const bin = join(work, 'bin');
    mkdirSync(bin);
    const marks = join(work, 'ran');
    for (const t of ['ss', 'tc', 'ethtool', 'nft', 'iptables', 'iptables-save', 'ip6tables', 'conntrack', 'dmesg', 'sysctl', 'nsenter', 'head', 'stat', 'ip']) {
      writeFileSync(join(bin, t), `#!/bin/sh\necho "${t} $*" >> ${marks}\nexit 1\n`);
      chmodSync(join(bin, t), 0o755);
    }
    const r = await diag(['run', 'playbook', 'use', '--json', '--from', join(work, archive!)], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` }, timeoutMs: 60_000 });
    expect([0, 1, 2], r.stderr).toContain(r.exitCode);
    expect(existsSync(marks) ? readFileSync(marks, 'utf8') : '').toBe('');
    const report = JSON.parse(r.stdout) as Report;
    expect(report.host.hostname).toBe(hostname());
    // The report's time is the sosreport's, not the time of this run.
    const at = Date.parse(report.startedAt);
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(after);
    // Levels judged from sos's copies of /proc (memory use, file handles) ...
    const cell = (resource: string, kind: string) => report.coverage.find((c) => c.resource === resource && c.kind === kind);
    expect(cell('memory', 'utilization')?.status).not.toBe('unknown');
    expect(cell('fds', 'utilization')?.status).not.toBe('unknown');
    // ... rates unknown with the reason, and what sos never saves unknown with what is missing.
    expect(cell('cpu', 'utilization')?.status).toBe('unknown');
    expect(JSON.stringify(cell('cpu', 'utilization'))).toContain('needs two samples');
    expect(report.unavailable.find((u) => u.table === 'processes')).toMatchObject({ code: 'not-captured' });
    // sos saved tc's and dmesg's outputs: they answer (text form, plain dmesg).
    expect(report.unavailable.find((u) => u.table === 'qdiscs')).toBeUndefined();
    expect(report.unavailable.find((u) => u.table === 'kernel_log')).toBeUndefined();
    expect(r.stderr).toContain('judging the sosreport');
  });
});
