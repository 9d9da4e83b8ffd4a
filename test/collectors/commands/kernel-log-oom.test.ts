import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelLogCollector, OOM_EVENTS_KEPT } from '../../../collectors/commands/kernel-log/collector.js';
import { parseOomKills } from '../../../collectors/commands/kernel-log/oom.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

/**
 * dmesg-raw-oom-memcg-6.18.txt: two real memcg OOM kills on this test machine (Linux 6.18, v1
 * memory controller), captured with `dmesg --raw`: a perl process renamed "hog (x) y" in
 * /dcg-oomcap/child under a 16 MiB limit on /dcg-oomcap, and `tail /dev/zero` in /dcg-oomcap2
 * with memory and memory+swap limited to 8 MiB. The older and global formats below follow the
 * kernel's printk formats (mm/oom_kill.c) of the versions named.
 */
const memcg = readFileSync(new URL('../../fixtures/commands/dmesg-raw-oom-memcg-6.18.txt', import.meta.url), 'utf8');
const mixed = readFileSync(new URL('../../fixtures/commands/dmesg-raw-6.18.txt', import.meta.url), 'utf8');
const KB = 1024;

/** Linux 6.x, a global OOM (no cgroup limit): global_oom, "Out of memory: Killed process". */
const global6 = [
  '<4>[ 5000.100000] stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0',
  '<6>[ 5000.100300] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0-1,3,global_oom,task_memcg=/user.slice/user-1000.slice/session-3.scope,task=stress,pid=4242,uid=1000',
  '<3>[ 5000.100400] Out of memory: Killed process 4242 (stress) total-vm:8391388kB, anon-rss:8126464kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:16012kB oom_score_adj:-17',
  '<6>[ 5000.150000] oom_reaper: reaped process 4242 (stress), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB',
  '',
].join('\n');

/** Linux 4.14: "Task in ... killed as a result of limit of ...", then "Kill process" and a bare "Killed process". */
const memcg414 = [
  '<4>[  100.000000] tail invoked oom-killer: gfp_mask=0x14000c0(GFP_KERNEL), nodemask=(null), order=0, oom_score_adj=0',
  '<6>[  100.000100] Task in /docker/abc killed as a result of limit of /docker',
  '<6>[  100.000110] memory: usage 32768kB, limit 32768kB, failcnt 75',
  '<6>[  100.000120] memory+swap: usage 32768kB, limit 9007199254740988kB, failcnt 0',
  '<3>[  100.000500] Memory cgroup out of memory: Kill process 1234 (tail) score 976 or sacrifice child',
  '<3>[  100.000600] Killed process 1234 (tail) total-vm:40000kB, anon-rss:31000kB, file-rss:1500kB, shmem-rss:0kB',
  '',
].join('\n');

/** Linux 3.10 (RHEL 7): no shmem-rss. */
const el7 = '<3>[ 7.5] Memory cgroup out of memory: Kill process 99 (java) score 1000 or sacrifice child\n<3>[ 7.6] Killed process 99 (java) total-vm:4000kB, anon-rss:3000kB, file-rss:100kB\n';

describe('parseOomKills', () => {
  it('reads real memcg OOM kills (6.18): victim, sizes in bytes, the memcg whose limit was hit and the victim\'s own', () => {
    const r = parseOomKills(memcg);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.garbled).toBe(0);
    expect(r.value.events).toHaveLength(2);
    expect(r.value.events[0]).toEqual({
      key: '1313.237074/7192',
      at: 1313.237074,
      pid: 7192,
      comm: 'hog (x) y',
      uid: 0,
      totalVm: 24540 * KB,
      anonRss: 16256 * KB,
      fileRss: 4408 * KB,
      shmemRss: 0,
      pgtables: 84 * KB,
      oomScoreAdj: 0,
      constraint: 'CONSTRAINT_MEMCG',
      oomMemcg: '/dcg-oomcap',
      taskMemcg: '/dcg-oomcap/child',
      cpuset: '/',
      reason: 'Memory cgroup out of memory',
      invoker: 'hog (x) y',
      gfpMask: '0xcc0(GFP_KERNEL)',
      order: 0,
      memcgUsage: 16384 * KB,
      memcgLimit: 16384 * KB,
      memswUsage: 16384 * KB,
      // v1 prints "no memsw limit" as 9007199254740988 kB: left out, never a number
      message: 'Memory cgroup out of memory: Killed process 7192 (hog (x) y) total-vm:24540kB, anon-rss:16256kB, file-rss:4408kB, shmem-rss:0kB, UID:0 pgtables:84kB oom_score_adj:0',
    });
    expect(r.value.events[1]).toMatchObject({ key: '1319.086307/7379', pid: 7379, comm: 'tail', oomMemcg: '/dcg-oomcap2', taskMemcg: '/dcg-oomcap2', memcgLimit: 8192 * KB, memswLimit: 8192 * KB });
  });

  it('finds the one OOM kill among other kernel messages', () => {
    const r = parseOomKills(mixed);
    expect(r.ok && r.value.events.map((e) => [e.key, e.comm, e.constraint])).toEqual([['1142.771517/30758', 'tail', 'CONSTRAINT_MEMCG']]);
  });

  it('a global OOM: CONSTRAINT_NONE, no memcg limit, the victim\'s cgroup, a nodemask with commas, a negative oom_score_adj', () => {
    const r = parseOomKills(global6);
    expect(r.ok && r.value.events).toEqual([
      expect.objectContaining({ key: '5000.100400/4242', pid: 4242, comm: 'stress', uid: 1000, constraint: 'CONSTRAINT_NONE', taskMemcg: '/user.slice/user-1000.slice/session-3.scope', oomScoreAdj: -17, reason: 'Out of memory', anonRss: 8126464 * KB }),
    ]);
    expect(r.ok && r.value.events[0]!.oomMemcg).toBeUndefined();
    expect(r.ok && r.value.events[0]!.memcgLimit).toBeUndefined();
  });

  it('older kernels: "Task in X killed as a result of limit of Y" (4.14), no shmem-rss (3.10)', () => {
    const r = parseOomKills(memcg414);
    expect(r.ok && r.value.events).toEqual([
      expect.objectContaining({ key: '100.000600/1234', comm: 'tail', constraint: 'CONSTRAINT_MEMCG', oomMemcg: '/docker', taskMemcg: '/docker/abc', memcgLimit: 32768 * KB, totalVm: 40000 * KB, shmemRss: 0 }),
    ]);
    expect(r.ok && r.value.events[0]!.reason).toBeUndefined();
    const old = parseOomKills(el7);
    expect(old.ok && old.value.events).toEqual([expect.objectContaining({ key: '7.6/99', comm: 'java', anonRss: 3000 * KB })]);
    expect(old.ok && old.value.events[0]!.shmemRss).toBeUndefined();
  });

  it('a rate-limited kill (no header) is still an event; another victim\'s header is not attached to it', () => {
    const lines = global6.split('\n');
    const text = `${lines[0]}\n${lines[1]}\n<3>[ 5001.000000] Out of memory: Killed process 5555 (other) total-vm:10kB, anon-rss:5kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n`;
    const r = parseOomKills(text);
    expect(r.ok && r.value.events).toHaveLength(1);
    const e = r.ok ? r.value.events[0]! : undefined;
    expect(e).toMatchObject({ pid: 5555, comm: 'other', anonRss: 5 * KB });
    expect(e?.taskMemcg).toBeUndefined();
    expect(e?.invoker).toBeUndefined();
  });

  it('truncated and garbled lines: what is there is kept, nothing is invented', () => {
    const cut = parseOomKills('<3>[ 9.000001] Memory cgroup out of memory: Killed process 7192 (hog (x) y) total-vm:245\n');
    expect(cut.ok && cut.value.events[0]).toMatchObject({ key: '9.000001/7192', pid: 7192, comm: 'hog (x) y' });
    expect(cut.ok && cut.value.events[0]!.totalVm).toBeUndefined();
    const noComm = parseOomKills('<3>[ 9.5] Killed process 12\n');
    expect(noComm.ok && noComm.value.events[0]).toEqual({ key: '9.5/12', at: 9.5, pid: 12, message: 'Killed process 12' });
    const badPid = parseOomKills('<3>[ 9.6] Killed process x12 (a) total-vm:1kB\n<3>[ 9.7] Killed process 99999999999999999999 (b)\n');
    expect(badPid.ok && badPid.value).toEqual({ events: [], garbled: 2 });
    const halfSummary = parseOomKills('<6>[ 1.0] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_al\n<3>[ 1.1] Killed process 3 (x) total-vm:1kB\n');
    expect(halfSummary.ok && halfSummary.value.events[0]).toMatchObject({ pid: 3, constraint: 'CONSTRAINT_MEMCG' });
    expect(halfSummary.ok && halfSummary.value.events[0]!.taskMemcg).toBeUndefined();
  });

  it('lines without timestamps get a key by order; user-space lines in /dev/kmsg never count', () => {
    const r = parseOomKills('<3>Out of memory: Killed process 5 (a)\n<3>Out of memory: Killed process 6 (b)\n<11>[ 2.0] Out of memory: Killed process 7 (fake)\n');
    expect(r.ok && r.value.events.map((e) => e.key)).toEqual(['?1/5', '?2/6']);
  });

  it('keeps the newest events only', () => {
    const many = Array.from({ length: 300 }, (_, i) => `<3>[ ${i + 1}.000000] Memory cgroup out of memory: Killed process ${1000 + i} (w) total-vm:4kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0`).join('\n');
    const r = parseOomKills(many, OOM_EVENTS_KEPT);
    expect(r.ok && r.value.events).toHaveLength(256);
    expect(r.ok && r.value.events[0]!.pid).toBe(1044);
    expect(r.ok && r.value.events[255]!.pid).toBe(1299);
  });

  it('accepts an empty log, rejects text that is not dmesg --raw', () => {
    expect(parseOomKills('')).toEqual({ ok: true, value: { events: [], garbled: 0 } });
    expect(parseOomKills('[ 1.0] Killed process 5 (x)\n').ok).toBe(false);
  });

  it('survives fuzzing', () => fuzzParser((t) => parseOomKills(t), [memcg, global6, memcg414, el7], 400, { signed: ['oomScoreAdj'] }));
});

describe('kernel_log collector: the oom_kills table', () => {
  it('one row per kill, keyed by kernel time and PID, with its age against /proc/uptime', async () => {
    const f = fixtureTree({ '/proc/uptime': '1400.00 1000.00\n' }, { [`commands/${commandKey({ cmd: 'dmesg', args: ['--raw'] })}.json`]: { stdout: memcg, stderr: '', exitCode: 0 } });
    try {
      const out = await kernelLogCollector.collect(f.source, { sampleIndex: 0 });
      const t = out.oom_kills;
      expect(t?.status).toBe('ok');
      if (t?.status !== 'ok') return;
      expect(t.value.map((r) => r.key)).toEqual(['1313.237074/7192', '1319.086307/7379']);
      const r = t.value[0]!;
      expect(r.labels).toEqual({
        comm: 'hog (x) y',
        message: expect.stringContaining('Killed process 7192'),
        constraint: 'CONSTRAINT_MEMCG',
        oom_memcg: '/dcg-oomcap',
        task_memcg: '/dcg-oomcap/child',
        cgroup: '/dcg-oomcap/child',
        cpuset: '/',
        reason: 'Memory cgroup out of memory',
        invoker: 'hog (x) y',
        gfp_mask: '0xcc0(GFP_KERNEL)',
      });
      expect(r.values).toMatchObject({ pid: 7192, uid: 0, anon_rss: 16256 * KB, memcg_limit: 16384 * KB, recent: 1, order: 0 });
      expect(r.values.age).toBeCloseTo(1400 - 1313.237074, 5);
      expect(r.values.memsw_limit).toBeUndefined();
      // the per-kind table is unchanged beside it
      expect(out.kernel_log?.status === 'ok' && out.kernel_log.value.find((x) => x.key === 'oom_kill')?.values.events).toBe(2);
    } finally {
      f.cleanup();
    }
  });

  it('is unavailable with the kernel log when dmesg cannot be run', async () => {
    const f = fixtureTree({ '/proc/uptime': '1.0 1.0\n' });
    try {
      const out = await kernelLogCollector.collect(f.source, { sampleIndex: 0 });
      expect(out.oom_kills?.status).toBe('unavailable');
    } finally {
      f.cleanup();
    }
  });
});
