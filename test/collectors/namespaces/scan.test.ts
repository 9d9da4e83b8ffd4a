import { afterAll, describe, expect, it } from 'vitest';
import { CGROUP_MEMBERS, scanNamespaces } from '../../../collectors/namespaces/scan.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

/**
 * scanNamespaces directly (audit item 30): what the namespaces collector's fixture test does not
 * reach: a process that exits during the scan, a /run/netns name with no mount behind it, the cap
 * on cgroup reads per namespace, and a /proc where no link is readable.
 */
const HOST = { net: '4026531840', pid: '4026531836', mnt: '4026531841' };
const links = (pid: number | 'self', ns: Partial<typeof HOST> = {}) =>
  Object.fromEntries((['net', 'pid', 'mnt'] as const).map((t) => [`/proc/${pid}/ns/${t}`, `${t}:[${ns[t] ?? HOST[t]}]`]));

const MANY = CGROUP_MEMBERS + 6;
const manyPids = Array.from({ length: MANY }, (_, i) => 1000 + i);
const trees: Array<{ cleanup: () => void }> = [];
afterAll(() => trees.forEach((t) => t.cleanup()));

describe('scanNamespaces', () => {
  it('counts a process gone mid-scan as exited, lists a /run/netns name with no mount as unmounted, caps cgroup reads', () => {
    const files: Record<string, string> = {
      '/proc/self/mountinfo': '22 1 0:21 / /proc rw - proc proc rw\n',
      '/proc/1/cgroup': '0::/init.scope\n',
      '/run/netns/stale': '',
    };
    for (const p of manyPids) files[`/proc/${p}/cgroup`] = `0::/pods/p${p}\n`;
    const t = fixtureTree(files, {
      'links.json': { ...links(1), ...links('self'), ...Object.assign({}, ...manyPids.map((p) => links(p, { net: '4026532999' }))) },
      'dirs.json': { '/proc': ['1', '7', 'self', ...manyPids.map(String)] },
      'missing.json': { '/proc/7/ns/net': { status: 'unavailable', code: 'not-found', reason: '/proc/7/ns/net does not exist' } },
    });
    trees.push(t);
    const r = scanNamespaces(t.source);
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    expect(r.value).toMatchObject({ processes: 1 + MANY, denied: 0, exited: 1, unmounted: ['stale'] });
    const host = r.value.entries.get(`net:${HOST.net}`)!;
    expect(host).toMatchObject({ pids: [1], self: true, cgroupsOf: 1 });
    expect([...host.cgroups]).toEqual(['/init.scope']);
    const pod = r.value.entries.get('net:4026532999')!;
    expect(pod.pids).toEqual(manyPids);
    expect(pod.self).toBe(false);
    // cgroups read for the first CGROUP_MEMBERS members only, and it says how many
    expect(pod.cgroupsOf).toBe(CGROUP_MEMBERS);
    expect(pod.cgroups.size).toBe(CGROUP_MEMBERS);
    expect(pod.cgroups.has(`/pods/p${manyPids[MANY - 1]!}`)).toBe(false);
    // the pid and mnt namespaces are the host's, shared by everyone
    expect(r.value.entries.get(`pid:${HOST.pid}`)!.pids).toHaveLength(1 + MANY);
  });

  it('is unavailable (permission, with the hint) when no link can be read, and says /proc is empty otherwise', () => {
    const denied = fixtureTree({ '/proc/self/mountinfo': '' }, {
      'dirs.json': { '/proc': ['1', '2'] },
      'missing.json': Object.fromEntries([1, 2].map((p) => [`/proc/${p}/ns/net`, { status: 'unavailable', code: 'permission', reason: `/proc/${p}/ns/net: permission denied` }])),
    });
    const empty = fixtureTree({ '/proc/self/mountinfo': '' }, { 'dirs.json': { '/proc': ['self'] } });
    trees.push(denied, empty);
    expect(scanNamespaces(denied.source)).toMatchObject({ status: 'unavailable', code: 'permission', hint: 'run diag as root' });
    expect(scanNamespaces(empty.source)).toMatchObject({ status: 'unavailable', code: 'not-found' });
  });
});
