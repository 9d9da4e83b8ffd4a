import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { DIAG, builtCli } from '../scenarios/helpers.js';
import { parsePluginOutput } from './nagios-format.js';

/**
 * `diag run playbook ... --nagios` run as a monitoring runner runs a plugin: through
 * monitoring-plugins' `negate` (the wrapper a Nagios/Icinga check command uses to run another
 * plugin with a timeout, mapping its states and substituting its status word), its output read by
 * the guidelines' grammar (nagios-format.ts), its exit code one of 0-3 and saying what the status
 * line says.
 */
const NEGATE = '/usr/lib/nagios/plugins/negate';
const req = liveRequirement(`cmd:${existsSync(NEGATE) ? NEGATE : 'negate'}`);
const BUNDLE = fileURLToPath(new URL('../fixtures/bundles/pre-codes-7704c47.tar.gz', import.meta.url));
const STATE_CODE = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

function check(args: readonly string[]): { code: number | null; out: string; err: string } {
  builtCli();
  const r = spawnSync(NEGATE, args, { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(req.skip)('--nagios through a monitoring-plugins runner', () => {
  it('judges a bundle: CRITICAL with its worst finding, exit 2, perfdata a runner parses', () => {
    const r = check(['-t', '60', '-o', 'OK', '-w', 'WARNING', '-c', 'CRITICAL', '-u', 'UNKNOWN', DIAG, 'run', 'playbook', 'use', '--from', BUNDLE, '--nagios', '-q']);
    expect(r.code, r.out + r.err).toBe(2);
    const out = parsePluginOutput(r.out);
    expect(out.status).toBe('DIAG USE CRITICAL - Host CPUs 100% busy (+6 more)');
    expect(out.longOutput[0]).toBe('CRITICAL: 7 runnable tasks per CPU (14 besides diag on 2 CPUs) [cpu-runqueue-saturation@host]');
    expect(out.longOutput).toHaveLength(8);
    expect(out.perf.find((p) => p.label === 'cpu-host-utilization@cpu:all')).toEqual({ label: 'cpu-host-utilization@cpu:all', value: 100, uom: '%', warn: '80', crit: '95', min: '0', max: '100' });
    expect(out.perf.find((p) => p.label === 'findings_critical')?.value).toBe(3);
  });

  it('has its status word found by the runner: negate -s maps CRITICAL to WARNING in text and exit code', () => {
    const r = check(['-s', '-t', '60', '-c', 'WARNING', DIAG, 'run', 'playbook', 'use', '--from', BUNDLE, '--nagios', '-q']);
    expect(r.code).toBe(1);
    expect(parsePluginOutput(r.out).status).toBe('DIAG USE WARNING - Host CPUs 100% busy (+6 more)');
  });

  it('judges this host: exit 0-3 saying what the status line says, every perfdatum in the grammar', () => {
    const r = check(['-t', '60', '-o', 'OK', '-w', 'WARNING', '-c', 'CRITICAL', '-u', 'UNKNOWN', DIAG, 'run', 'playbook', 'use', '--nagios', '-q', '--window', '1s']);
    const out = parsePluginOutput(r.out);
    const m = /^DIAG USE (OK|WARNING|CRITICAL|UNKNOWN) - \S/.exec(out.status);
    expect(m, r.out + r.err).not.toBeNull();
    expect(out.status.length).toBeLessThan(80);
    expect(r.code).toBe(STATE_CODE[m![1] as keyof typeof STATE_CODE]);
    expect(out.perf.map((p) => p.label)).toContain('duration');
  });

  it('exits as node-problem-detector wants with --exit-codes npd: 1 for a problem', () => {
    builtCli();
    const r = spawnSync(process.execPath, [DIAG, 'run', 'playbook', 'use', '--from', BUNDLE, '--nagios', '-q', '--exit-codes', 'npd'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    const bad = spawnSync(process.execPath, [DIAG, 'run', 'playbook', 'use', '--from', BUNDLE, '--exit-codes', 'sensu'], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('--exit-codes: expected nagios or npd, got "sensu"');
  });
});
