import { describe, expect, it } from 'vitest';
import { parsePasswd } from '../../collectors/procfs/processes/passwd.js';
import { passwdNamesOnly, snapshotTransform } from '../../src/bundle/writer.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'alice:x:1000:1000:Alice Example,Room 4,+44 20 7946 0000,:/home/alice:/bin/zsh',
  '# a comment',
  'svc-backup:*:998:998:Backup agent (token in home dir):/srv/backup-3f9a:/usr/sbin/nologin',
  '',
].join('\n');

describe('/etc/passwd in a bundle', () => {
  it('keeps each account name and uid, nothing of GECOS, home or shell', () => {
    const out = passwdNamesOnly(PASSWD);
    expect(out).toBe('root:x:0:0:::\nalice:x:1000:1000:::\nsvc-backup:x:998:998:::\n');
    for (const gone of ['Alice Example', '7946', '/home/alice', 'zsh', 'token', '/srv/backup-3f9a', 'nologin']) expect(out).not.toContain(gone);
  });

  it('the USER column reads the same names from what is stored', () => {
    const before = parsePasswd(PASSWD);
    const after = parsePasswd(passwdNamesOnly(PASSWD));
    expect(before.ok && after.ok).toBe(true);
    if (before.ok && after.ok) expect([...after.value]).toEqual([...before.value]);
  });

  it('the snapshot transform applies it even with --no-redact (before any redaction); other files are untouched', () => {
    const t = snapshotTransform(undefined);
    expect(t.text('file', '/etc/passwd', PASSWD)).toBe(passwdNamesOnly(PASSWD));
    expect(t.text('file', '/proc/1/comm', 'alice:x:1:1:a:b:c\n')).toBe('alice:x:1:1:a:b:c\n');
  });
});
