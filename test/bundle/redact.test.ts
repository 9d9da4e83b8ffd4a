import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MASK, Redactor } from '../../src/bundle/redact.js';

const SECRET = 'Hunter2-s3cr3t-XYZ';

describe('Redactor.argv', () => {
  const cases: Array<[string[], string[]]> = [
    [['app', '--password', SECRET], ['app', '--password', MASK]],
    [['app', '--password=' + SECRET], ['app', '--password=' + MASK]],
    [['app', '--db-password', SECRET, '--port', '5432'], ['app', '--db-password', MASK, '--port', '5432']],
    [['app', '-token', SECRET], ['app', '-token', MASK]],
    [['app', '--api-key=' + SECRET], ['app', '--api-key=' + MASK]],
    [['app', '--client_secret', SECRET], ['app', '--client_secret', MASK]],
    [['/usr/bin/mysql', '-uroot', '-p' + SECRET, 'db'], ['/usr/bin/mysql', '-uroot', '-p' + MASK, 'db']],
    [['sshpass', '-p' + SECRET, 'ssh', 'host'], ['sshpass', '-p' + MASK, 'ssh', 'host']],
    [['curl', '-H', 'Authorization: Bearer ' + SECRET, 'https://x'], ['curl', '-H', 'Authorization: Bearer ' + MASK, 'https://x']],
    [['psql', `postgres://admin:${SECRET}@db:5432/x`], ['psql', `postgres://admin:${MASK}@db:5432/x`]],
    [['env', `DB_PASSWORD=${SECRET}`, 'app'], ['env', `DB_PASSWORD=${MASK}`, 'app']],
    [['app', `--config=token:${SECRET}`], ['app', `--config=token:${MASK}`]],
  ];
  it.each(cases)('masks %j', (input, expected) => {
    const r = new Redactor();
    expect(r.argv(input)).toEqual(expected);
  });
  it('leaves ordinary command lines alone', () => {
    const r = new Redactor();
    const argv = ['nginx', '-g', 'daemon off;', '-p', '/srv', '--port', '8080', 'sleep', '30'];
    expect(r.argv(argv)).toEqual(argv);
    expect(r.argv(['python3', '-p8080'])).toEqual(['python3', '-p8080']);
    expect([...r.hits.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });
  it('keeps a NUL-separated cmdline in its form', () => {
    const r = new Redactor();
    expect(r.cmdline(`app\u0000--password\u0000${SECRET}\u0000`)).toBe(`app\u0000--password\u0000${MASK}\u0000`);
    expect(r.summary().find((s) => s.rule === 'secret-option')?.hits).toBe(1);
  });
});

describe('Redactor.text', () => {
  const texts = [
    `password = ${SECRET}\n`,
    `db:\n  password: "${SECRET}"\n`,
    `[client]\npassword=${SECRET}\n`,
    `export API_TOKEN='${SECRET}'\n`,
    `{"secret": "${SECRET}"}`,
    `url=https://bob:${SECRET}@example.com/`,
    `AWS key AKIAABCDEFGHIJKLMNOP here`,
    `gh token ghp_${'a'.repeat(36)}`,
    `jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`,
    `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${SECRET}IBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n`,
  ];
  it.each(texts)('masks the secret in %j', (t) => {
    const out = new Redactor().text(t);
    expect(out).not.toContain(SECRET);
    expect(out).not.toMatch(/AKIAABCDEFGHIJKLMNOP|ghp_a{36}|dozjgNryP4J3/);
    expect(out).toContain(MASK);
  });
  it('does not touch procfs numbers and ordinary text', () => {
    const t = 'cpu  2255 34 2290 22625563 6290 127 456 0 0 0\nMemTotal:       24576000 kB\nkey_count: 5\n';
    expect(new Redactor().text(t)).toBe(t);
  });
  it('masks a generated secret wherever it sits in a command line, and stays idempotent', () => {
    // random text almost never holds a secret (so idempotence alone is trivial): these always do
    const secret = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 8, maxLength: 40 });
    const prefix = fc.constantFrom('', 'java -jar /opt/app.jar', 'mysql -h db.internal', 'python3 worker.py --verbose');
    const suffix = fc.constantFrom('', '--port 8080', '-v', '--config /etc/app.yaml');
    const option = fc.constantFrom('--password', '--api-key', '--token', '--secret', '--db-password', '--client-secret');
    const sep = fc.constantFrom('=', ' ');
    fc.assert(
      fc.property(prefix, option, sep, secret, suffix, (pre, opt, s, value, post) => {
        const line = `${pre} ${opt}${s}${value} ${post}`.trim();
        // a command line (argv): both --opt=value and --opt value
        const args = new Redactor().argv(line.split(' '));
        expect(args.join(' '), line).not.toContain(value);
        expect(args.join(' ')).toContain(MASK);
        expect(new Redactor().argv(args)).toEqual(args);
        // free text (a file, a command's output) has no argument structure: key=value only
        if (s === '=') {
          const r = new Redactor();
          const once = r.text(line);
          expect(once, line).not.toContain(value);
          expect(once).toContain(MASK);
          expect(r.text(once)).toBe(once);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and is idempotent on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = new Redactor();
        const once = r.text(s);
        expect(r.text(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});
