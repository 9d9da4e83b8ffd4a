import { describe, expect, it } from 'vitest';
import { fitHelp } from '../../src/cli/help-format.js';
import { diag } from '../helpers/diag-cli.js';

/** Help at 80 columns, for diag and every command it lists, whatever width the text was written at. */
describe('help at 80 columns', () => {
  it('wraps an option table under its text column and a usage under its first argument', () => {
    const text = [
      'Usage: diag run playbook <name> [--json | --markdown | --nagios] [--window 1s] [--pid PID | --cgroup PATH]',
      '',
      '  --from BUNDLE              judge a snapshot bundle offline (diag snapshot) instead of',
      '                             this host: the same findings as when it was taken',
      '  --force       replace FILE',
      'Collectors: a, b',
      'https://example.com/a/very/long/url/that/cannot/be/broken/anywhere/at/all/because/it/has/no/spaces/in/it',
    ].join('\n');
    expect(fitHelp(text).split('\n')).toEqual([
      'Usage: diag run playbook <name> [--json | --markdown | --nagios] [--window 1s]',
      '                         [--pid PID | --cgroup PATH]',
      '',
      '  --from BUNDLE              judge a snapshot bundle offline (diag snapshot)',
      '                             instead of this host: the same findings as when it',
      '                             was taken',
      '  --force       replace FILE',
      'Collectors: a, b',
      'https://example.com/a/very/long/url/that/cannot/be/broken/anywhere/at/all/because/it/has/no/spaces/in/it',
    ]);
  });

  it('holds for diag --help and for the --help of every command it lists', async () => {
    const top = await diag(['--help']);
    expect(top.exitCode).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z]+) {2,}\S/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['run', 'collect', 'snapshot', 'diff', 'probe']));
    const wide = (name: string, text: string) => text.split('\n').filter((l) => l.length > 80).map((l) => `${name}: ${l}`);
    const problems = wide('diag', top.stdout);
    for (const c of commands) {
      const r = await diag([c, '--help']);
      expect(r.exitCode, `${c} --help`).toBe(0);
      expect(r.stdout, `${c} --help`).toMatch(/^Usage: diag/);
      problems.push(...wide(c, r.stdout));
    }
    expect(problems).toEqual([]);
  });
});
