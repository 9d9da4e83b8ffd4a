import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conntrackCollector } from '../../../collectors/commands/conntrack/collector.js';
import { firewallCollector } from '../../../collectors/commands/firewall/collector.js';
import { nicCollector } from '../../../collectors/commands/nic/collector.js';
import { qdiscsCollector } from '../../../collectors/commands/qdiscs/collector.js';
import { socketsCollector } from '../../../collectors/commands/sockets/collector.js';
import { FixtureSource } from '../../../src/core/fixture-source.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { RecordingSource } from '../../../src/core/recording-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';

// test-group: shared (it checks only what it made in its own network namespaces and cgroups (exact counters of its own traffic, rules and kills), never the host's load): it runs beside another file (vitest.config.ts)

/*
 * Replay equivalence for the command collectors: what they read on this host, recorded through
 * RecordingSource and written as a fixture tree, gives the very same rows when read back through
 * FixtureSource (the layout bundles use). Nothing is changed on the host.
 */
const need = liveRequirement('root', 'cmd:ss', 'cmd:tc', 'cmd:nft', 'cmd:ethtool', 'cmd:conntrack');

describe.skipIf(need.skip)('command collectors replay from a recording (live)', () => {
  // the tables that must be ok on the CI host (root, with the tools): "unavailable = unavailable"
  // on both sides would make the equality below prove nothing
  const MUST: Record<string, readonly string[]> = {
    sockets: ['tcp_sockets', 'udp_sockets', 'socket_summary'],
    qdiscs: ['qdiscs'],
    firewall: ['firewall_rules', 'firewall_backends'],
    nic: ['nic'],
    conntrack: ['conntrack'],
  };
  for (const c of [socketsCollector, qdiscsCollector, firewallCollector, nicCollector, conntrackCollector]) {
    it(`${c.id}: recorded and replayed rows are identical`, async () => {
      const rec = new RecordingSource(new LiveSource());
      const live = await c.collect(rec, { sampleIndex: 0 });
      const dir = mkdtempSync(join(tmpdir(), `diagt-cmds-replay-${process.pid}-`));
      try {
        rec.writeTree(dir);
        const replayed = await c.collect(new FixtureSource(dir), { sampleIndex: 0 });
        expect(replayed).toEqual(live);
        // and the host answered: the collector's main tables are ok here (we are root with the tools)
        const must = MUST[c.id]!;
        expect(must.map((t) => `${t}: ${live[t]?.status}`)).toEqual(must.map((t) => `${t}: ok`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
