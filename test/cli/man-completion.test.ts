import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';

/** The manual page and the completion scripts, made from the help texts. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const bash = (script: string) => spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
const req = liveRequirement('cmd:man');

describe('diag man', () => {
  it.skipIf(req.skip)('renders with man -l, without warnings, and holds every command\'s help', async () => {
    const page = await diag(['man']);
    expect(page.exitCode).toBe(0);
    const r = spawnSync('man', ['--warnings', '-l', '-'], { input: page.stdout, encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '0' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const text = r.stdout.replace(/.\u0008/g, '');
    expect(text).toMatch(/^DIAG\(1\) +User Commands +DIAG\(1\)/);
    const help = await diag(['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+) {2,}\S/gm)].map((m) => m[1]!);
    for (const c of commands) expect(text, c).toContain(`diag ${c}`);
    // A line of a command's help appears in the page as --help prints it.
    const run = await diag(['run', '--help']);
    expect(text).toContain(run.stdout.split('\n').find((l) => l.includes('--from SOSREPORT'))!.trim());
  });
});

describe('diag completion', () => {
  it('bash: loads, completes commands, a command\'s options and collector names', () => {
    const r = bash(
      [
        'source <(node bin/diag.js completion bash)',
        'complete -p diag',
        'COMP_WORDS=(diag co); COMP_CWORD=1; _diag_complete; echo "1:${COMPREPLY[*]}"',
        'COMP_WORDS=(diag run --js); COMP_CWORD=2; _diag_complete; echo "2:${COMPREPLY[*]}"',
        'COMP_WORDS=(diag collect me); COMP_CWORD=2; _diag_complete; echo "3:${COMPREPLY[*]}"',
        'COMP_WORDS=(diag snapshot --ob); COMP_CWORD=2; _diag_complete; echo "4:${COMPREPLY[*]}"',
      ].join('\n'),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('complete -F _diag_complete diag');
    expect(r.stdout).toMatch(/^1:collectors collect completion$/m);
    expect(r.stdout).toMatch(/^2:--json$/m);
    expect(r.stdout).toMatch(/^3:memory$/m);
    expect(r.stdout).toMatch(/^4:--obfuscate$/m);
  });

  it('zsh and fish scripts name every command; an unknown shell is a usage error', async () => {
    const zsh = await diag(['completion', 'zsh']);
    const fish = await diag(['completion', 'fish']);
    expect(zsh.stdout.startsWith('#compdef diag\n')).toBe(true);
    for (const c of ['run', 'collect', 'snapshot', 'man', 'completion']) {
      expect(zsh.stdout).toContain(`'${c}:`);
      expect(fish.stdout).toContain(`-a ${c} -d`);
    }
    const bad = await diag(['completion', 'tcsh']);
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toContain('expected bash, zsh or fish, got "tcsh"');
  });
});
