import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTreeSource } from '../../src/bundle/tree.js';
import { LiveSource } from '../../src/core/live-source.js';
import { fromRecord, ok, OUTCOME_CODE_LIST, outcomeFromErrno, outcomeRecord, unavailable, type Outcome } from '../../src/core/outcome.js';
import { RecordingSource } from '../../src/core/recording-source.js';
import { commandKey, type Source } from '../../src/core/source.js';
import { fixtureTree } from '../helpers/fixture-host.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('outcomeFromErrno: errno -> code', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: planted`), { code });
  it.each([
    ['ENOENT', 'unavailable', 'not-found'],
    ['ENOTDIR', 'unavailable', 'not-found'],
    ['ESRCH', 'unavailable', 'exited'],
    ['EACCES', 'unavailable', 'permission'],
    ['EPERM', 'unavailable', 'permission'],
    ['EINVAL', 'unavailable', 'unsupported'],
    ['EOPNOTSUPP', 'unavailable', 'unsupported'],
    ['ENODEV', 'unavailable', 'unsupported'],
    ['ENXIO', 'unavailable', 'unsupported'],
    ['EIO', 'error', 'bug'],
    ['EISDIR', 'error', 'bug'],
  ])('%s is %s (%s)', (code, status, want) => {
    const o = outcomeFromErrno('/proc/x', errno(code));
    expect(o.status).toBe(status);
    expect(o.code).toBe(want);
  });
  it('a missing path in a recorded tree is not-captured; an error without errno is a bug', () => {
    expect(outcomeFromErrno('/proc/pressure/cpu', errno('ENOENT'), 'bundle')).toEqual({ status: 'unavailable', code: 'not-captured', reason: '/proc/pressure/cpu was not captured in this bundle' });
    expect(outcomeFromErrno('/proc/x', new Error('surprise'))).toMatchObject({ status: 'error', code: 'bug', reason: '/proc/x: surprise' });
  });
  it('LiveSource gives the codes of real errors', () => {
    const live = new LiveSource();
    expect(live.readFile('/proc/dcodes-does-not-exist')).toMatchObject({ status: 'unavailable', code: 'not-found' });
    expect(live.readFile('/proc/self/status/below-a-file')).toMatchObject({ status: 'unavailable', code: 'not-found' });
    expect(live.readDir('/proc/dcodes-does-not-exist')).toMatchObject({ status: 'unavailable', code: 'not-found' });
    expect(live.readFile('/proc/self/clear_refs')).toMatchObject({ status: 'unavailable', code: 'unsupported' }); // write-only: reading it is EINVAL
  });
});

describe('recorded trees: "not captured" is not "does not exist"', () => {
  const statfs = { type: 61267, bsize: 4096, blocks: 10, bfree: 5, bavail: 5, files: 10, ffree: 5 };
  function sources(): Source[] {
    const t = fixtureTree(
      { '/proc/stat': 'cpu 1 2 3\n' },
      {
        'missing.json': {
          '/proc/pressure/cpu': { status: 'unavailable', code: 'not-found', reason: '/proc/pressure/cpu does not exist' },
          '/proc/1/io': { status: 'unavailable', code: 'permission', reason: '/proc/1/io: permission denied', hint: 'run diag as root' },
        },
        'statfs.json': { '/': statfs },
        [`commands/${commandKey({ cmd: 'nft', args: ['-j', 'list', 'ruleset'] })}.json`]: { status: 'unavailable', code: 'tool-missing', reason: 'nft is not installed', hint: 'apt-get install nftables' },
      },
    );
    cleanups.push(t.cleanup);
    const files = new Map<string, string>([
      ['/proc/stat', 'cpu 1 2 3\n'],
      ['/.diag/missing.json', JSON.stringify({ '/proc/pressure/cpu': { status: 'unavailable', code: 'not-found', reason: '/proc/pressure/cpu does not exist' }, '/proc/1/io': { status: 'unavailable', code: 'permission', reason: '/proc/1/io: permission denied', hint: 'run diag as root' } })],
      ['/.diag/statfs.json', JSON.stringify({ '/': statfs })],
      [`/.diag/commands/${commandKey({ cmd: 'nft', args: ['-j', 'list', 'ruleset'] })}.json`, JSON.stringify({ status: 'unavailable', code: 'tool-missing', reason: 'nft is not installed', hint: 'apt-get install nftables' })],
    ]);
    return [t.source, new MemoryTreeSource({ files, dropped: 0 }, 'planted.tar.gz')];
  }

  it.each([0, 1])('an input the tree does not hold is not-captured (source %i: fixture on disk, bundle in memory)', async (i) => {
    const src = sources()[i]!;
    const where = src.kind;
    expect(src.readFile('/proc/meminfo')).toEqual({ status: 'unavailable', code: 'not-captured', reason: `/proc/meminfo was not captured in this ${where}` });
    expect(src.readDir('/sys/class/net')).toEqual({ status: 'unavailable', code: 'not-captured', reason: `/sys/class/net was not captured in this ${where}` });
    expect(src.readLink('/proc/1/ns/net')).toEqual({ status: 'unavailable', code: 'not-captured', reason: `/proc/1/ns/net was not captured in this ${where}` });
    expect(src.statfs('/home')).toEqual({ status: 'unavailable', code: 'not-captured', reason: `statfs(/home) was not captured in this ${where}` });
    expect(await src.run({ cmd: 'ss', args: ['-s'] })).toEqual({ status: 'unavailable', code: 'not-captured', reason: `\`ss -s\` was not captured in this ${where}` });
    expect(src.readFile('/.diag/missing.json')).toMatchObject({ status: 'unavailable', code: 'bad-option' }); // never readable as a host file
  });

  it.each([0, 1])('what the recording said replays with its own code (source %i)', async (i) => {
    const src = sources()[i]!;
    expect(src.readFile('/proc/stat')).toEqual(ok('cpu 1 2 3\n'));
    expect(src.readFile('/proc/pressure/cpu')).toEqual({ status: 'unavailable', code: 'not-found', reason: '/proc/pressure/cpu does not exist' });
    expect(src.readFile('/proc/1/io')).toEqual({ status: 'unavailable', code: 'permission', reason: '/proc/1/io: permission denied', hint: 'run diag as root' });
    expect(await src.run({ cmd: 'nft', args: ['-j', 'list', 'ruleset'] })).toEqual({ status: 'unavailable', code: 'tool-missing', reason: 'nft is not installed', hint: 'apt-get install nftables' });
  });

  it('a recording keeps every code through the tree (record -> toTree -> replay)', async () => {
    const said: Record<string, Outcome<string>> = {
      '/a': unavailable('not-found', '/a does not exist'),
      '/b': unavailable('permission', '/b: permission denied', 'run diag as root'),
      '/c': unavailable('exited', '/c: the process has exited'),
      '/d': unavailable('unsupported', '/d: not supported here (EOPNOTSUPP)'),
      '/e': { status: 'error', code: 'bug', reason: '/e: EIO', cause: new Error('EIO') },
    };
    const inner: Source = {
      kind: 'live',
      replay: false,
      description: 'planted',
      readFile: (p) => said[p] ?? unavailable('not-found', `${p} does not exist`),
      readDir: (p) => unavailable('not-found', `${p} does not exist`),
      readLink: (p) => unavailable('not-found', `${p} does not exist`),
      statfs: (p) => unavailable('timeout', `statfs(${p}) did not answer within 2000 ms`),
      now: () => ({ monoMs: 1, wall: '2026-01-01T00:00:00.000Z' }),
      run: () => Promise.resolve(unavailable('timeout', 'ss timed out after 4000 ms')),
    };
    const rec = new RecordingSource(inner);
    for (const p of Object.keys(said)) rec.readFile(p);
    rec.statfs('/mnt/nfs');
    await rec.run({ cmd: 'ss', args: ['-s'] });
    const back = new MemoryTreeSource(rec.toTree(), 'round-trip');
    for (const [p, o] of Object.entries(said)) expect(back.readFile(p)).toEqual(o.status === 'ok' ? o : fromRecord(outcomeRecord(o)));
    expect(back.readFile('/e')).toEqual({ status: 'error', code: 'bug', reason: '/e: EIO' }); // cause is not serialised
    expect(back.statfs('/mnt/nfs')).toMatchObject({ code: 'timeout' });
    expect(await back.run({ cmd: 'ss', args: ['-s'] })).toMatchObject({ code: 'timeout' });
  });

  it('a file the snapshot\'s redaction drops is not-captured', () => {
    const t = fixtureTree({ '/etc/secret': 'x' });
    cleanups.push(t.cleanup);
    const rec2 = new RecordingSource(t.source);
    expect(rec2.readFile('/etc/secret')).toEqual(ok('x'));
    expect(new MemoryTreeSource(rec2.toTree(() => undefined), 'redacted').readFile('/etc/secret')).toEqual({ status: 'unavailable', code: 'not-captured', reason: '/etc/secret is not stored in snapshots' });
  });

  it('a file below a file (ENOTDIR) in a tree on disk is not-captured too', () => {
    const t = fixtureTree({ '/proc/self/status': 'Name: x\n' });
    cleanups.push(t.cleanup);
    expect(t.source.readFile('/proc/self/status/below')).toMatchObject({ status: 'unavailable', code: 'not-captured' });
  });

  it('trees written before codes existed get their code back from the texts diag wrote then', async () => {
    const legacy = {
      '/proc/pressure/cpu': { status: 'unavailable', reason: '/proc/pressure/cpu does not exist' },
      '/proc/9/stat': { status: 'unavailable', reason: '/proc/9/stat: the process has exited' },
      '/proc/1/io': { status: 'unavailable', reason: '/proc/1/io: permission denied', hint: 'run diag as root' },
      '/sys/x': { status: 'unavailable', reason: '/sys/x: not supported here (EOPNOTSUPP)' },
      'statfs:/mnt/nfs': { status: 'unavailable', reason: 'statfs(/mnt/nfs) did not answer within 2000 ms', hint: 'the server or FUSE daemon behind this mount is not responding' },
      'statfs:/mnt/gone': { status: 'unavailable', reason: 'statfs(/mnt/gone) failed: cannot read file system information for \'/mnt/gone\': No such file or directory' },
      '/etc/shadow': { status: 'unavailable', reason: '/etc/shadow is not stored in snapshots' },
      '/proc/weird': { status: 'error', reason: '/proc/weird: EIO: i/o error, read' },
      '/proc/coded': { status: 'unavailable', code: 'a-code-from-a-newer-diag', reason: '/proc/coded does not exist' },
    };
    const cmd = (args: string[], rec: object) => [`/.diag/commands/${commandKey({ cmd: args[0]!, args: args.slice(1) })}.json`, JSON.stringify(rec)] as const;
    const files = new Map<string, string>([
      ['/.diag/missing.json', JSON.stringify(legacy)],
      cmd(['nft', '-j', 'list', 'ruleset'], { argv: ['nft', '-j', 'list', 'ruleset'], netnsPid: null, status: 'unavailable', reason: 'nft is not installed', hint: 'apt-get install nftables' }),
      cmd(['ss', '-s'], { argv: ['ss', '-s'], netnsPid: null, status: 'unavailable', reason: 'ss timed out after 4000 ms', hint: 'the host may be overloaded; retry with a longer timeout' }),
      cmd(['ss', '-t'], { argv: ['ss', '-t'], netnsPid: null, status: 'unavailable', reason: 'ss printed more than 8388608 bytes' }),
    ]);
    const src = new MemoryTreeSource({ files, dropped: 0 }, 'old.tar.gz');
    const code = (o: Outcome<unknown>) => (o.status === 'ok' ? 'ok' : o.code);
    expect(code(src.readFile('/proc/pressure/cpu'))).toBe('not-found');
    expect(code(src.readFile('/proc/9/stat'))).toBe('exited');
    expect(code(src.readFile('/proc/1/io'))).toBe('permission');
    expect(code(src.readFile('/sys/x'))).toBe('unsupported');
    expect(code(src.statfs('/mnt/nfs'))).toBe('timeout');
    expect(code(src.statfs('/mnt/gone'))).toBe('tool-failed');
    expect(code(src.readFile('/etc/shadow'))).toBe('not-captured');
    expect(code(src.readFile('/proc/weird'))).toBe('bug');
    expect(code(src.readFile('/proc/coded'))).toBe('not-found');
    expect(code(await src.run({ cmd: 'nft', args: ['-j', 'list', 'ruleset'] }))).toBe('tool-missing');
    expect(code(await src.run({ cmd: 'ss', args: ['-s'] }))).toBe('timeout');
    expect(code(await src.run({ cmd: 'ss', args: ['-t'] }))).toBe('tool-failed');
    // the reason and hint are replayed as written
    expect(src.readFile('/proc/1/io')).toEqual({ status: 'unavailable', code: 'permission', reason: '/proc/1/io: permission denied', hint: 'run diag as root' });
  });
});

describe('the code list', () => {
  it('is what the published report schema allows', async () => {
    const { reportSchema } = await import('../../src/engine/report-schema.js');
    const entry = { collector: 'cpu', status: 'unavailable', reason: 'r' };
    const base = { schema: 'diag.report/v1', playbook: 'use', playbookTitle: 'USE', host: { hostname: 'h', source: 'live host' }, startedAt: 't', durationMs: 1, windowSeconds: 1, status: 'ok', statusReason: '', findings: [], coverage: [] };
    for (const c of OUTCOME_CODE_LIST) expect(reportSchema.safeParse({ ...base, unavailable: [{ ...entry, code: c }] }).success).toBe(true);
    expect(reportSchema.safeParse({ ...base, unavailable: [entry] }).success).toBe(true); // optional: additive
    expect(reportSchema.safeParse({ ...base, unavailable: [{ ...entry, code: 'does not exist' }] }).success).toBe(false);
  });
});

