import { describe, expect, it } from 'vitest';
import { hostCollector } from '../../../collectors/procfs/host/collector.js';
import { parseIdentity, parseUptime } from '../../../collectors/procfs/host/parse.js';
import { collectSample } from '../../../src/core/sample.js';
import { fuzzParser } from '../../helpers/fuzz.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

describe('host collector', () => {
  it('parses /proc/uptime and identity files', () => {
    expect(parseUptime('4852.31 9211.02\n')).toEqual({ ok: true, value: { uptime: 4852.31, idle: 9211.02 } });
    expect(parseUptime('').ok).toBe(false);
    expect(parseUptime('abc def').ok).toBe(false);
    expect(parseIdentity('web-01\n', 'hostname')).toEqual({ ok: true, value: 'web-01' });
    expect(parseIdentity('a\nb\n', 'hostname').ok).toBe(false);
    expect(parseIdentity('', 'hostname').ok).toBe(false);
  });
  it('survives fuzzing', () => {
    fuzzParser(parseUptime, ['4852.31 9211.02\n']);
    fuzzParser((t) => parseIdentity(t, 'hostname'), ['web-01\n']);
  });
  it('names the host from a fixture tree, and says what is missing', async () => {
    const f = fixtureTree({ '/proc/sys/kernel/hostname': 'db-7\n', '/proc/sys/kernel/osrelease': '5.10.0-28-amd64\n' });
    try {
      const s = await collectSample([hostCollector], f.source);
      const o = s.collectors.host;
      expect(o?.status).toBe('ok');
      const t = o?.status === 'ok' ? o.value.tables.host : undefined;
      expect(t?.status === 'ok' && t.value[0]).toEqual({ key: 'host', labels: { hostname: 'db-7', kernel: '5.10.0-28-amd64' }, values: { uptime_s: undefined } });
    } finally {
      f.cleanup();
    }
    const empty = fixtureTree({});
    try {
      const s = await collectSample([hostCollector], empty.source);
      const o = s.collectors.host;
      expect(o?.status === 'ok' && o.value.tables.host?.status).toBe('unavailable');
    } finally {
      empty.cleanup();
    }
  });
});
