import { describe, expect, it } from 'vitest';
import { isSecretName, MASK, Redactor } from '../../src/bundle/redact.js';
import { RecordingSource } from '../../src/core/recording-source.js';
import { FixtureSource } from '../../src/core/fixture-source.js';
import { CORPUS } from '../helpers/secrets-corpus.js';

describe('the secrets corpus through the Redactor', () => {
  it('holds at least 100 secrets across argv and names', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CORPUS.map((e) => e.place))).toEqual(new Set(['argv', 'comm', 'cgroup', 'mount', 'mount-source', 'netns', 'iface']));
  });
  it.each(CORPUS.filter((e) => e.argv).map((e) => [e.id, e] as const))('%s: masked in a command line, the program still there', (_id, e) => {
    const r = new Redactor();
    const out = r.cmdline(e.argv!.join('\u0000') + '\u0000');
    expect(out).not.toContain(e.secret);
    expect(out).toContain(MASK);
    expect(out.startsWith(e.argv![0]! + '\u0000')).toBe(true);
    // the same secret, met again without its context, is masked too (it was learned)
    expect(r.text(`log: retrying with ${e.secret} now`)).toBe(`log: retrying with ${MASK} now`);
  });
  it.each(CORPUS.filter((e) => e.name).map((e) => [e.id, e] as const))('%s: masked as a name, the same way every time', (_id, e) => {
    const r = new Redactor();
    const once = r.name(e.name!);
    expect(once).not.toContain(e.secret);
    expect(once).toContain(MASK);
    expect(r.name(e.name!)).toBe(once);
    expect(r.path(`/sys/fs/cgroup/${e.name}/cpu.stat`)).toBe(`/sys/fs/cgroup/${once}/cpu.stat`);
    // where a content names it (mountinfo, /proc/PID/cgroup, an ethtool argv), the same mask
    expect(r.text(`0::/${e.name}\n`)).toBe(`0::/${once}\n`);
  });
});

describe('names', () => {
  it('two names that would mask alike get distinct masks', () => {
    const r = new Redactor();
    const a = r.name('app-ghp_' + 'a'.repeat(36));
    const b = r.name('app-ghp_' + 'b'.repeat(36));
    expect(a).toBe(`app-${MASK}`);
    expect(b).toBe(`app-${MASK}~2`);
  });
  it('two secrets never mask alike in contents either (two mount points stay two)', () => {
    const r = new Redactor();
    const mountinfo = `36 25 0:31 / /srv/a-glpat-${'a'.repeat(20)} rw - tmpfs x rw\n37 25 0:32 / /srv/a-glpat-${'b'.repeat(20)} rw - tmpfs x rw\n`;
    expect(r.text(mountinfo)).toBe(`36 25 0:31 / /srv/a-${MASK} rw - tmpfs x rw\n37 25 0:32 / /srv/a-${MASK}~2 rw - tmpfs x rw\n`);
    // and each keeps its mask wherever it appears again
    expect(r.path(`/srv/a-glpat-${'b'.repeat(20)}`)).toBe(`/srv/a-${MASK}~2`);
  });
  it('a process name cut at 15 characters is masked when it starts a secret learned later', () => {
    const r = new Redactor();
    const stat = '4242 (Zq8Xw3Rt7Lm2Pk9) S 1 4242 4242 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 100 1000 10\n';
    expect(r.file('/proc/4242/stat', stat)).toBe(stat);
    r.cmdline('app\u0000--password\u0000Zq8Xw3Rt7Lm2Pk9vB4nC6\u0000');
    expect(r.settle(r.file('/proc/4242/stat', stat))).toBe(stat.replace('Zq8Xw3Rt7Lm2Pk9', MASK));
    expect(r.settle('Name:\tZq8Xw3Rt7Lm2Pk9\n')).toBe(`Name:\t${MASK}\n`);
  });
  it('ordinary names stay', () => {
    const r = new Redactor();
    for (const n of ['system.slice', 'docker-3f2a9c.scope', 'eth0', 'veth1a2b3c4d', 'kworker/0:1H', 'systemd-journal', 'node_exporter', 'keyboard-setup', 'tokenizer-svc']) expect(r.name(n)).toBe(n);
    expect([...r.hits.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe('isSecretName', () => {
  it.each(['PASSWORD', 'PGPASSWORD', 'MYSQL_PWD', 'db.password', 'keyStorePassword', 'APIKEY', 'api_key', 'accountKey', 'OAUTH', 'X-API-Key', 'client_secret', 'GITHUB_TOKEN', 'passphrase'])('%s names a secret', (n) => expect(isSecretName(n)).toBe(true));
  it.each(['key_count', 'monkey', 'keyboard', 'bypass', 'passive', 'tokenizer', 'author', 'secretary', 'hotkeys'])('%s does not', (n) => expect(isSecretName(n)).toBe(false));
});

describe('a recorded tree with a secret in names', () => {
  it('masks paths, listings, keys, contents and command argv alike, and replays', () => {
    const rec = new RecordingSource(new FixtureSource('test/fixtures/procfs/basic'));
    const secretName = `svc-ghp_${'Q'.repeat(36)}`;
    rec.dirs.set('/sys/fs/cgroup', [secretName, 'system.slice']);
    rec.files.set(`/sys/fs/cgroup/${secretName}/cpu.stat`, 'usage_usec 10\n');
    rec.files.set('/proc/77/cgroup', `0::/${secretName}\n`);
    rec.statfsMap.set(`/mnt/${secretName}`, { type: 1, bsize: 4096, blocks: 1, bfree: 1, bavail: 1, files: 1, ffree: 1 });
    rec.commands.set('k', { spec: { cmd: 'ethtool', args: ['-i', secretName] }, answer: { stdout: `driver: veth\nname: ${secretName}\n`, stderr: '', exitCode: 0 } });
    const r = new Redactor();
    const t = rec.toTree({ text: (k, p, x) => (k === 'file' ? r.file(p, x) : r.text(x)), path: (p) => r.path(p), name: (n) => r.name(n), argv: (a) => r.argv(a), settle: (s) => r.settle(s), bytes: (b) => r.settleBytes(b) });
    const all = [...t.files].map(([p, c]) => `${p}\n${c}`).join('\n');
    expect(all).not.toContain('Q'.repeat(36));
    const masked = `svc-${MASK}`;
    expect(t.files.get(`/sys/fs/cgroup/${masked}/cpu.stat`)).toBe('usage_usec 10\n');
    expect(t.files.get('/proc/77/cgroup')).toBe(`0::/${masked}\n`);
    expect(JSON.parse(t.files.get('/.diag/dirs.json')!)['/sys/fs/cgroup']).toEqual([masked, 'system.slice']);
    expect(Object.keys(JSON.parse(t.files.get('/.diag/statfs.json')!))).toEqual([`/mnt/${masked}`]);
    const cmd = [...t.files].find(([p]) => p.startsWith('/.diag/commands/ethtool'));
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd![1]).argv).toEqual(['ethtool', '-i', masked]);
    expect(r.summary().find((x) => x.rule === 'secret-name')?.hits).toBe(1);
  });
});
