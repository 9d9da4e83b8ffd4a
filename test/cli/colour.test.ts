import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ANSI_PAINT, paintedBytes, wantColour } from '../../src/report/paint.js';
import { diag } from '../helpers/diag-cli.js';

/**
 * Colour in the CLI's text output: on a terminal only (a pty made by script(1)), never in a pipe,
 * off with NO_COLOR or --no-color or TERM=dumb; the words stay the same either way.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOS = 'test/fixtures/sosreport/debian12-vm';
const ESC = '\u001b[';

function onPty(args: string, env: Record<string, string>): string {
  // script runs the command on a new pseudo-terminal and copies what it prints.
  const r = spawnSync('script', ['-qec', `node bin/diag.js ${args}`, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  expect(r.error).toBeUndefined();
  return r.stdout;
}

describe('colour in text output', () => {
  it('decides from the terminal, NO_COLOR, --no-color and TERM', () => {
    expect(wantColour({ isTTY: true, env: { TERM: 'xterm-256color' } })).toBe(true);
    expect(wantColour({ isTTY: false, env: { TERM: 'xterm-256color' } })).toBe(false);
    expect(wantColour({ isTTY: true, env: { TERM: 'xterm-256color', NO_COLOR: '1' } })).toBe(false);
    expect(wantColour({ isTTY: true, env: { TERM: 'xterm-256color', NO_COLOR: '' } })).toBe(true);
    expect(wantColour({ noColorFlag: true, isTTY: true, env: { TERM: 'xterm' } })).toBe(false);
    expect(wantColour({ isTTY: true, env: { TERM: 'dumb' } })).toBe(false);
  });

  it('keeps its own colour sequences and nothing else through the output guard', () => {
    const esc = (s: string) => s.replace(/\u001b/g, '\\x1b');
    expect(paintedBytes(`${ANSI_PAINT.critical('CRITICAL')} x\u001b[2Jy ${ANSI_PAINT.ok('ok')}`, esc).toString()).toBe('\u001b[1;31mCRITICAL\u001b[0m x\\x1b[2Jy \u001b[32mok\u001b[0m');
  });

  it('colours severities on a pty, and nowhere else', async () => {
    const env = { TERM: 'xterm-256color', NO_COLOR: '' };
    const coloured = onPty(`run playbook use --from ${SOS}`, env);
    expect(coloured).toContain(`status: ${ESC}33mWARNING${ESC}0m (2 warning findings)`);
    expect(coloured).toContain(`${ESC}33mWARNING${ESC}0m  cpu saturation  host`);
    expect(coloured).toContain(`${ESC}35munknown${ESC}0m`);
    expect(onPty(`run playbook use --no-color --from ${SOS}`, env)).not.toContain(ESC);
    expect(onPty(`run playbook use --from ${SOS}`, { ...env, NO_COLOR: '1' })).not.toContain(ESC);
    expect(onPty(`run playbook use --from ${SOS}`, { ...env, TERM: 'dumb' })).not.toContain(ESC);
    const piped = await diag(['run', 'playbook', 'use', '--from', SOS], { env: { TERM: 'xterm-256color' } });
    expect(piped.stdout).toContain('status: WARNING (2 warning findings)');
    expect(piped.stdout).not.toContain(ESC);
  });

  it('names an unknown option of diag itself once', async () => {
    const r = await diag(['--netns']);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/^diag: Unknown option '--netns'\nhint: see diag --help\n$/);
  });
});
