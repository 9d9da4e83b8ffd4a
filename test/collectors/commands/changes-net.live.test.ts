import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { gatherChanges } from '../../../collectors/commands/changes/collector.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { makeNetns, run } from '../../helpers/bpf.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { until } from '../../scenarios/helpers.js';

/**
 * An interface added on this host between two reads of one running diag (as the TUI and diag
 * record read the changes again and again) is reported at the second read, with the first read
 * as the honest bound of when it appeared; its IPv6 link route with it. The kernel keeps no time
 * for either, so the test checks the bound holds the real moment, and that nothing else of ours
 * is invented. The veth's peer lives in a namespace of ours (no traffic leaves it).
 */
const req = liveRequirement('root', 'cmd:ip');
// IFNAMSIZ is 16: the host end is named diagtc<pid>, the namespace diagt-chg-<pid>
const IF = `diagtc${process.pid}`;
const NS = `diagt-chg-${process.pid}`;

describe.skipIf(req.skip)('an interface added between two reads', () => {
  const cleanup: Array<() => void> = [];
  afterAll(() => {
    spawnSync('ip', ['link', 'del', IF], { stdio: 'ignore' });
    for (const f of cleanup.reverse()) f();
  });

  it('is reported at the second read with the first read as its bound, with its link route', async () => {
    const src = new LiveSource();
    const first = await gatherChanges(src, { sampleIndex: 0 });
    expect(first.changes.some((c) => c.subject === IF)).toBe(false);
    const ns = makeNetns(NS);
    cleanup.push(ns.remove);
    const before = Date.now() / 1000;
    run('ip', ['link', 'add', IF, 'type', 'veth', 'peer', 'name', 'vp0', 'netns', NS]);
    const after = Date.now() / 1000;
    run('ip', ['link', 'set', IF, 'up']);
    run('ip', ['-n', NS, 'link', 'set', 'vp0', 'up']);
    const v6 = !readFileSync('/proc/sys/net/ipv6/conf/all/disable_ipv6', 'utf8').startsWith('1');
    // the link route comes with the carrier: wait for the kernel's own table
    if (v6) await until(() => readFileSync('/proc/net/ipv6_route', 'utf8').split('\n').some((l) => l.trim().endsWith(` ${IF}`) && l.startsWith('fe80')), 10_000, `fe80::/64 on ${IF}`);
    const second = await gatherChanges(src, { sampleIndex: 0 });
    const added = second.changes.find((c) => c.kind === 'interface' && c.subject === IF);
    expect(added?.action).toBe('appeared');
    expect(added?.scope).toBe(`interface:${IF}`);
    // reported at the second read, bounded by the first: the real moment lies between
    expect(first.now).toBeLessThanOrEqual(before);
    expect(added!.at!).toBeGreaterThanOrEqual(Math.floor(after));
    expect(added!.at).toBe(second.now);
    expect(added?.detail).toContain(`between ${new Date(first.now * 1000).toISOString()} and ${new Date(second.now * 1000).toISOString()}`);
    if (v6) expect(second.changes.find((c) => c.kind === 'route' && c.subject === `fe80::/64 dev ${IF} metric 256`)?.action).toBe('added');
    // the namespace's end is not the host's: never reported here
    expect(second.changes.some((c) => c.subject === 'vp0')).toBe(false);

    run('ip', ['link', 'del', IF]);
    const third = await gatherChanges(src, { sampleIndex: 0 });
    expect(third.changes.find((c) => c.kind === 'interface' && c.subject === IF)?.action).toBe('removed');
  });
});
