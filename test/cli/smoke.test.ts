import { describe, expect, it } from 'vitest';
import { diag } from '../helpers/diag-cli.js';

/**
 * Audit item 28: commands that no test ran. Each command's --help exits 0 and describes that
 * command; `diag collectors` lists the collectors with their availability; `diag collect` in
 * text mode and `--root DIR` on a copied tree run to a 0 exit.
 */
const COMMANDS = ['run', 'playbooks', 'metrics', 'overview', 'collectors', 'collect', 'snapshot', 'open', 'diff', 'probes', 'serve', 'fleet', 'man', 'completion', 'probe'];
const SOS = new URL('../fixtures/sosreport/debian12-vm', import.meta.url).pathname;

describe('every command answers --help', () => {
  it.each(COMMANDS)('diag %s --help: exit 0, its usage', async (cmd) => {
    const r = await diag([cmd, '--help']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\\bdiag ${cmd}\\b`));
  });
});

describe('commands no other test runs', () => {
  it('diag collectors: every registered collector with its availability', async () => {
    const r = await diag(['collectors']);
    expect(r.exitCode).toBe(0);
    for (const id of ['host', 'cpu', 'memory', 'disk', 'processes', 'cgroups']) expect(r.stdout).toMatch(new RegExp(`^${id} +(available|unavailable)`, 'm'));
  });

  it('diag collect memory --root / (text): the host root given explicitly, exit 0', async () => {
    const r = await diag(['collect', 'memory', '--root', '/', '--window', '100ms']);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/meminfo/);
  });

  it('--root on an extracted sosreport is a usage error pointing at --from', async () => {
    const r = await diag(['collect', 'memory', '--root', SOS]);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toBe(`diag: --root: ${JSON.stringify(SOS)} is an extracted sosreport, not a mounted host\nhint: judge it with --from ${SOS}\n`);
  });
});
