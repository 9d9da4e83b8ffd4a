import type { Collector } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';
import { ok, type Outcome } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import { parseIdentity, parseUptime } from './parse.js';

/**
 * Who the host is: name, kernel release and uptime. Read through the Source like everything
 * else, so a snapshot carries them and a replayed report names the host it came from.
 */
export const hostCollector: Collector = {
  id: 'host',
  title: 'Host identity: name, kernel release, uptime',
  origin: 'procfs',
  resources: [],
  inputs: ['/proc/sys/kernel/hostname', '/proc/sys/kernel/osrelease', '/proc/uptime'],
  tables: {
    host: {
      title: 'Host identity',
      scope: 'host',
      fields: { uptime_s: gauge('seconds since boot', 's') },
    },
  },
  collect(src) {
    const name = readParsed(src, '/proc/sys/kernel/hostname', (t) => parseIdentity(t, '/proc/sys/kernel/hostname'));
    const kernel = readParsed(src, '/proc/sys/kernel/osrelease', (t) => parseIdentity(t, '/proc/sys/kernel/osrelease'));
    const up = readParsed(src, '/proc/uptime', parseUptime);
    if (name.status !== 'ok' && kernel.status !== 'ok' && up.status !== 'ok') return { host: name as Outcome<never> };
    const labels: Record<string, string> = {};
    if (name.status === 'ok') labels.hostname = name.value;
    if (kernel.status === 'ok') labels.kernel = kernel.value;
    return { host: ok([{ key: 'host', labels, values: { uptime_s: up.status === 'ok' ? up.value.uptime : undefined } }]) };
  },
};
