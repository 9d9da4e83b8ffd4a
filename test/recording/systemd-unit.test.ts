import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UNIT = fileURLToPath(new URL('../../contrib/systemd/diag-record.service', import.meta.url));
const DIAG = fileURLToPath(new URL('../../bin/diag.js', import.meta.url));
const text = readFileSync(UNIT, 'utf8');
const settings = new Map(text.split('\n').filter((l) => /^[A-Z]\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('contrib/systemd/diag-record.service', () => {
  it('runs diag record hardened: no new privileges, a read-only system, only the capabilities the readers use', () => {
    expect(settings.get('ExecStart')).toMatch(/ record --dir \/var\/lib\/diag\/recording /);
    for (const [k, v] of Object.entries({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', ProtectKernelModules: 'yes', RestrictNamespaces: 'net', StateDirectoryMode: '0700' })) expect(settings.get(k), k).toBe(v);
    expect(new Set(settings.get('CapabilityBoundingSet')!.split(' '))).toEqual(new Set(['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYSLOG']));
  });

  it('is a unit systemd-analyze accepts (with ExecStart pointing at this checkout)', () => {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) return void process.stderr.write('systemd-analyze not installed: unit syntax not verified\n');
    const dir = mkdtempSync(join(tmpdir(), 'diagt-unit-'));
    try {
      const unit = join(dir, 'diag-record.service');
      writeFileSync(unit, text.replace('/usr/local/bin/diag', DIAG));
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('diag-record.service') && !l.includes("Command 'man "))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
