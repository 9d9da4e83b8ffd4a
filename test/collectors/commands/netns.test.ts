import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mapLimited, Semaphore, withCommandLimit } from '../../../collectors/commands/limit.js';
import { acrossNetns, filesUnreachable, isValidPid, netnsEntry, listNetns, netnsInode, netnsOfPid, netnsStatusTable, procNetPath, type NetnsTarget } from '../../../collectors/commands/netns.js';
import { runTool } from '../../../collectors/commands/command.js';
import type { Collector } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';
import { ok, unavailable } from '../../../src/core/outcome.js';
import type { CommandResult, CommandSpec, Source } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source whose commands take `ms` and record how many ran at once. */
function slowSource(ms: number, answer: (spec: CommandSpec) => CommandResult = () => ({ stdout: '', stderr: '', exitCode: 0 })) {
  const stats = { running: 0, peak: 0, specs: [] as CommandSpec[] };
  const src: Source = {
    kind: 'live',
    replay: false,
    description: 'test',
    readFile: () => unavailable('not-found', 'x'),
    readDir: () => unavailable('not-found', 'x'),
    readLink: () => unavailable('not-found', 'x'),
    statfs: () => unavailable('not-found', 'x'),
    now: () => ({ monoMs: performance.now(), wall: new Date().toISOString() }),
    run: async (spec) => {
      stats.running++;
      stats.peak = Math.max(stats.peak, stats.running);
      stats.specs.push(spec);
      await sleep(ms);
      stats.running--;
      return ok(answer(spec));
    },
  };
  return { src, stats };
}

describe('limits', () => {
  it('Semaphore and mapLimited never exceed their limit and keep order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimited([...Array(20).keys()], 3, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(2);
      running--;
      return i * 2;
    });
    expect(out).toEqual([...Array(20).keys()].map((i) => i * 2));
    expect(peak).toBe(3);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
  it('withCommandLimit bounds commands across all callers', async () => {
    const { src, stats } = slowSource(5);
    const limited = withCommandLimit(src, 4);
    await Promise.all([...Array(30).keys()].map(() => limited.run({ cmd: 'true', args: [] })));
    expect(stats.peak).toBe(4);
  });
  it('withCommandLimit passes clock labels and statfs bounds through', () => {
    const seen: unknown[] = [];
    const inner = {
      kind: 'live',
      replay: false,
      description: 'spy',
      readFile: () => unavailable('not-found', 'no'),
      readDir: () => unavailable('not-found', 'no'),
      readLink: () => unavailable('not-found', 'no'),
      statfs: (p: string, o?: unknown) => (seen.push(['statfs', p, o]), unavailable('not-found', 'no')),
      now: (label?: string) => (seen.push(['now', label]), { monoMs: 1, wall: 'w' }),
      run: () => Promise.resolve(unavailable('not-found', 'no')),
    } as unknown as Source;
    const limited = withCommandLimit(inner, 2);
    limited.now('collector:sockets');
    limited.statfs('/mnt/nfs', { mayHang: true, timeoutMs: 2000 });
    expect(seen).toEqual([
      ['now', 'collector:sockets'],
      ['statfs', '/mnt/nfs', { mayHang: true, timeoutMs: 2000 }],
    ]);
  });
});

describe('runTool', () => {
  const answer = (stderr: string, exitCode = 1) => slowSource(0, () => ({ stdout: '', stderr, exitCode })).src;
  it('turns command failures into outcomes', async () => {
    expect(await runTool(answer('', 0), { cmd: 'x', args: [] })).toEqual({ status: 'ok', value: '' });
    expect(await runTool(answer('nsenter: cannot open /proc/99/ns/net: No such file or directory'), { cmd: 'ss', args: [], netnsPid: 99 })).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('process 99 has exited') });
    expect(await runTool(answer('nsenter: cannot open /proc/1/ns/net: Permission denied'), { cmd: 'ss', args: [], netnsPid: 1 })).toMatchObject({ status: 'unavailable', hint: 'run diag as root' });
    expect(await runTool(answer('Cannot get driver information: Operation not supported', 71), { cmd: 'ethtool', args: ['-i', 'lo'] })).toMatchObject({ status: 'unavailable' });
    expect(await runTool(answer('Segmentation fault', 139), { cmd: 'tc', args: [] })).toMatchObject({ status: 'error' });
    // the tool missing inside nsenter: same answer as without nsenter, with the package
    expect(await runTool(answer('nsenter: failed to execute conntrack: No such file or directory', 127), { cmd: 'conntrack', args: ['-S'], netnsPid: 5 })).toEqual({ status: 'unavailable', code: 'tool-missing', reason: 'conntrack is not installed', hint: 'apt-get install conntrack' });
    expect(await runTool(answer('', 1), { cmd: 'tc', args: [], okExitCodes: [1] })).toMatchObject({ status: 'ok' });
  });
  it('says what happened to a namespace entered by its bind-mount path', async () => {
    expect(await runTool(answer('nsenter: cannot open /run/netns/gone: No such file or directory'), { cmd: 'tc', args: [], netnsPath: '/run/netns/gone' })).toMatchObject({ status: 'unavailable', code: 'not-found', reason: expect.stringContaining('network namespace /run/netns/gone is gone') });
    expect(await runTool(answer("nsenter: reassociate to namespace 'ns/net' failed: Invalid argument"), { cmd: 'tc', args: [], netnsPath: '/run/netns/stale' })).toMatchObject({ status: 'unavailable', code: 'not-found', reason: expect.stringContaining('/run/netns/stale is not a network namespace') });
    expect(await runTool(answer('nsenter: failed to execute nft: No such file or directory', 127), { cmd: 'nft', args: [], netnsPath: '/run/netns/x' })).toEqual({ status: 'unavailable', code: 'tool-missing', reason: 'nft is not installed', hint: 'apt-get install nftables' });
    const { src, stats } = slowSource(0);
    await runTool(src, { cmd: 'tc', args: ['-s'], netnsPath: '/run/netns/blue' });
    expect(stats.specs[0]).toMatchObject({ cmd: 'tc', args: ['-s'], netnsPath: '/run/netns/blue' });
    expect(stats.specs[0]!.netnsPid).toBeUndefined();
  });
  it('passes bounds and the namespace to the source as an argument array', async () => {
    const { src, stats } = slowSource(0);
    await runTool(src, { cmd: 'ethtool', args: ['-S', 'weird name; rm -rf /'], netnsPid: 42 });
    expect(stats.specs[0]).toMatchObject({ cmd: 'ethtool', args: ['-S', 'weird name; rm -rf /'], netnsPid: 42, timeoutMs: 4000 });
    expect(stats.specs[0]!.maxBytes).toBeGreaterThan(0);
  });
});

describe('netns helpers', () => {
  it('parse and validate', () => {
    expect(netnsInode('net:[4026531840]')).toBe('4026531840');
    expect(netnsInode('pid:[4026531836]')).toBeUndefined();
    expect(isValidPid(1)).toBe(true);
    expect(isValidPid(0)).toBe(false);
    expect(isValidPid(4_194_305)).toBe(false);
    expect(isValidPid(1.5)).toBe(false);
    expect(procNetPath({ netnsPid: 7 }, 'dev')).toBe('/proc/7/net/dev');
    expect(procNetPath({}, 'dev')).toBe('/proc/net/dev');
    expect(netnsEntry({ netnsPid: 7, netnsPath: '/run/netns/x' })).toEqual({ netnsPath: '/run/netns/x' });
    expect(netnsEntry({ netnsPid: 7 })).toEqual({ netnsPid: 7 });
    expect(netnsEntry({ netnsPath: '/run/netns/x' })).toEqual({ netnsPath: '/run/netns/x' });
    expect(netnsEntry({})).toEqual({});
    expect(filesUnreachable({ netnsPath: '/run/netns/x' })).toBe(true);
    expect(filesUnreachable({ netnsPid: 3, netnsPath: '/run/netns/x' })).toBe(false);
  });
  it('lists one target per network namespace (lowest PID) from /proc', () => {
    const t = fixtureTree({}, {
      'dirs.json': { '/proc': ['1', '20', '300', 'self', 'net'] },
      'links.json': {
        '/proc/1/ns/net': 'net:[100]', '/proc/1/ns/pid': 'pid:[1]', '/proc/1/ns/mnt': 'mnt:[1]',
        '/proc/20/ns/net': 'net:[200]', '/proc/20/ns/pid': 'pid:[1]', '/proc/20/ns/mnt': 'mnt:[1]',
        '/proc/300/ns/net': 'net:[200]', '/proc/300/ns/pid': 'pid:[1]', '/proc/300/ns/mnt': 'mnt:[1]',
        '/proc/self/ns/net': 'net:[100]',
      },
    });
    try {
      expect(listNetns(t.source)).toEqual({ status: 'ok', value: [{ inode: '100', pid: 1, self: true }, { inode: '200', pid: 20, self: false }] });
      expect(netnsOfPid(t.source, 300)).toEqual({ status: 'ok', value: '200' });
      expect(netnsOfPid(t.source, -1).status).toBe('unavailable');
    } finally {
      t.cleanup();
    }
  });
});

describe('acrossNetns', () => {
  // timeouts and the budget on a fake clock: the outcome never depends on the runner's load
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  /** Run a collection to its end on the fake clock. */
  const settle = async <T,>(p: Promise<T>): Promise<T> => {
    let done = false;
    void p.finally(() => (done = true));
    for (let i = 0; i < 1000 && !done; i++) await vi.advanceTimersByTimeAsync(10);
    return p;
  };
  const targets: NetnsTarget[] = [
    { inode: '100', pid: 1, self: true },
    { inode: '200', pid: 20, self: false },
    { inode: '300', pid: 30, self: false },
  ];
  /** A fake netns-aware collector: one row per namespace, slow in the namespace of PID 30. */
  const fake: Collector = {
    id: 'fake',
    title: 'fake',
    origin: 'commands',
    resources: ['network'],
    inputs: [],
    netns: true,
    tables: { fake_rows: { title: 'rows', scope: 'thing', fields: { v: gauge('v') } } },
    async collect(src, ctx) {
      const r = await src.run({ cmd: 'probe', args: [], ...(ctx.netnsPid === undefined ? {} : { netnsPid: ctx.netnsPid }) });
      if (ctx.netnsPid === 30) await sleep(500);
      if (ctx.netnsPid === 20) return { fake_rows: unavailable('unsupported', 'not supported here') };
      return { fake_rows: r.status === 'ok' ? ok([{ key: 'k', labels: { pid: String(ctx.netnsPid ?? 'self') }, values: { v: 1 } }]) : r };
    },
  };
  it('prefixes keys with the inode, labels rows, runs diag\'s own namespace without nsenter and reports timeouts', async () => {
    const { src, stats } = slowSource(1);
    const c = acrossNetns(fake, targets, { perNetnsTimeoutMs: 100 });
    expect(Object.keys(c.tables)).toEqual(['fake_rows', netnsStatusTable('fake')]);
    const out = await settle(Promise.resolve(c.collect(src, { sampleIndex: 0 })));
    expect(out.fake_rows).toEqual({ status: 'ok', value: [{ key: '100/k', labels: { netns: '100', pid: 'self' }, values: { v: 1 } }] });
    expect(stats.specs.map((s) => s.netnsPid)).toEqual([undefined, 20, 30]);
    const st = out[netnsStatusTable('fake')]!;
    expect(st.status === 'ok' && st.value.map((r) => [r.key, r.labels?.status])).toEqual([['100', 'ok'], ['200', 'unavailable'], ['300', 'timeout']]);
    expect(st.status === 'ok' && st.value[1]!.labels?.reason).toBe('fake_rows: not supported here');
    expect(st.status === 'ok' && st.value[2]!.values.rows).toBeUndefined();
  });
  it('skips namespaces once the overall budget is spent, and says so', async () => {
    const { src } = slowSource(100);
    const many = Array.from({ length: 6 }, (_, i): NetnsTarget => ({ inode: String(1000 + i), pid: 1000 + i, self: false }));
    const out = await settle(Promise.resolve(acrossNetns(fake, many, { concurrency: 1, budgetMs: 150 }).collect(src, { sampleIndex: 0 })));
    const st = out[netnsStatusTable('fake')]!;
    const statuses = st.status === 'ok' ? st.value.map((r) => r.labels?.status) : [];
    // the first starts at once; the sixth cannot start before 500 ms, well past the budget
    expect(statuses[0]).toBe('ok');
    expect(statuses.at(-1)).toBe('skipped');
    expect(st.status === 'ok' && st.value.at(-1)!.labels?.reason).toMatch(/budget/);
  });
  it('is unavailable for a table no namespace could give', async () => {
    const { src } = slowSource(0);
    const out = await settle(Promise.resolve(acrossNetns(fake, [targets[1]!]).collect(src, { sampleIndex: 0 })));
    expect(out.fake_rows).toEqual({ status: 'unavailable', code: 'unsupported', reason: 'not supported here' });
  });
});
