import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTORS } from '../../collectors/index.js';
import { namespacesCollector } from '../../collectors/namespaces/collector.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import type { Report } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { BLUE_NET, EMPTY_NET, sweepHost } from '../collectors/namespaces/sweep-host.js';

/**
 * The network and use playbooks judge every other network namespace as its own scope: on a
 * fixture host (real 6.18 output) where the namespace "blue" drops at a tbf qdisc, at an nft rule
 * and at a UDP socket that never reads, each finding sits at blue's exact scope and names what
 * explains it; the quiet namespace "with space" (no process, counters read inside it) raises
 * nothing; a stale /run/netns name is listed as unavailable, never skipped silently.
 */
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const trees = [sweepHost(0), sweepHost(1)];
afterAll(() => trees.forEach((t) => t.cleanup()));

async function run(name: string): Promise<Report> {
  const pb = loaded.playbooks.get(name);
  if (!pb) throw new Error(`no playbook ${name}: ${loaded.errors.join('; ')}`);
  return runPlaybook({ playbook: pb, catalogue: cat, collectors: [namespacesCollector], sources: [trees[0]!.source, trees[1]!.source], windowMs: 1000 });
}

describe.each(['network', 'use'])('%s playbook, every network namespace', (name) => {
  it('finds the qdisc, the rule and the socket of the namespace that drops, each at its exact scope, and nothing in the quiet one', async () => {
    const r = await run(name);
    const netns = r.findings.filter((f) => f.scope.startsWith('netns:'));
    expect(netns.map((f) => [f.check, f.scope, f.severity]).sort()).toEqual(
      [
        ['netns-firewall-drops', `netns:${BLUE_NET}/rule:nft:inet dnet:in:2`, 'warning'],
        ['netns-qdisc-drops', `netns:${BLUE_NET}/qdisc:dnet-va 8013: root`, 'critical'],
        ['netns-udp-rcvbuf-errors', `netns:${BLUE_NET}`, 'critical'],
      ].sort(),
    );
    expect(r.findings.some((f) => f.scope.includes(EMPTY_NET))).toBe(false);

    const q = netns.find((f) => f.check === 'netns-qdisc-drops')!;
    expect(q.title).toBe(`qdisc tbf on dnet-va in blue (netns ${BLUE_NET}): 1000 packets/s dropped`);
    expect(q.culprits?.[0]).toMatchObject({ entity: { kind: 'qdisc', id: q.scope }, identity: { dev: 'dnet-va', kind: 'tbf', netns: BLUE_NET, netns_name: 'blue' } });

    const fw = netns.find((f) => f.check === 'netns-firewall-drops')!;
    expect(fw.title).toBe(`Firewall rule in blue (netns ${BLUE_NET}) dropped 600 packets: udp dport 5002 counter drop`);
    expect(fw.culprits?.[0]).toMatchObject({ entity: { kind: 'rule', id: fw.scope }, identity: { rule: 'udp dport 5002 counter drop', chain: 'in', table: 'inet dnet' } });

    const udp = netns.find((f) => f.check === 'netns-udp-rcvbuf-errors')!;
    expect(udp.title).toBe(`blue (netns ${BLUE_NET}): 400 UDP datagrams/s dropped, receive buffer full`);
    expect(udp.culprits?.map((c) => [c.entity.id, c.entity.name])).toEqual([
      [`netns:${BLUE_NET}`, `blue (netns ${BLUE_NET})`],
      [`netns:${BLUE_NET}/socket:127.0.0.1:5003 0.0.0.0:* #779694`, '127.0.0.1:5003 0.0.0.0:* #779694'],
    ]);
    expect(udp.culprits?.[1]).toMatchObject({ value: 400, identity: { pid: '300', process: 'udp-sink', netns: BLUE_NET } });

    expect(r.unavailable).toContainEqual({ collector: 'namespaces', table: 'netns_visits', status: 'unavailable', code: 'not-found', reason: expect.stringMatching(/^1 network namespaces unavailable: \/run\/netns\/stale is not a mounted network namespace/) });
  });
});
