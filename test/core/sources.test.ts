import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureSource } from '../../src/core/fixture-source.js';
import { LiveSource } from '../../src/core/live-source.js';
import { RecordingSource } from '../../src/core/recording-source.js';
import { commandKey, isValidNetnsPath } from '../../src/core/source.js';
import { fixtureTree } from '../helpers/fixture-host.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('LiveSource', () => {
  const live = new LiveSource();
  it('reads procfs files whole', () => {
    const r = live.readFile('/proc/self/status');
    expect(r.status).toBe('ok');
    expect(r.status === 'ok' && r.value).toMatch(/^Name:/);
  });
  it('reads files larger than its buffer', () => {
    const r = live.readFile('/proc/kallsyms');
    expect(r.status).toBe('ok');
    expect(r.status === 'ok' && r.value.length).toBeGreaterThan(128 * 1024);
  });
  it('says a missing file is unavailable, not an error', () => {
    const r = live.readFile('/proc/does-not-exist');
    expect(r).toMatchObject({ status: 'unavailable' });
  });
  it('runs a command without a shell', async () => {
    const r = await live.run({ cmd: 'echo', args: ['$(id)', ';', 'ls'] });
    expect(r.status === 'ok' && r.value.stdout).toBe('$(id) ; ls\n');
  });
  it('says a missing binary is unavailable with the package to install', async () => {
    const r = await live.run({ cmd: 'ethtool-not-here', args: [] });
    expect(r.status).toBe('unavailable');
  });
  it('times commands out', async () => {
    const r = await live.run({ cmd: 'sleep', args: ['5'], timeoutMs: 100 });
    expect(r).toMatchObject({ status: 'unavailable' });
    expect(r.status === 'unavailable' && r.reason).toMatch(/timed out/);
  });
  it('refuses a bad nsenter PID', async () => {
    const r = await live.run({ cmd: 'ip', args: ['link'], netnsPid: -1 });
    expect(r.status).toBe('error');
  });
  it('refuses a bad netns path, and a PID with a path', async () => {
    expect((await live.run({ cmd: 'ip', args: ['link'], netnsPath: '../etc' })).status).toBe('error');
    expect((await live.run({ cmd: 'ip', args: ['link'], netnsPid: 1, netnsPath: '/run/netns/x' })).status).toBe('error');
  });
  it('reads under --root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diag-root-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const rooted = new LiveSource({ root: dir });
    expect(rooted.readFile('/proc/stat').status).toBe('unavailable');
  });
});

describe('FixtureSource and RecordingSource', () => {
  it('replays exactly what a recording saw', async () => {
    const rec = new RecordingSource(new LiveSource());
    const stat = rec.readFile('/proc/stat');
    const dir = rec.readDir('/proc/self/fd');
    const link = rec.readLink('/proc/self/ns/net');
    const missing = rec.readFile('/proc/nope');
    const fs = rec.statfs('/');
    const cmd = await rec.run({ cmd: 'uname', args: ['-r'] });
    const c1 = rec.now('sample');
    const c2 = rec.now('collector:cpu');
    const out = mkdtempSync(join(tmpdir(), 'diag-rec-'));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    rec.writeTree(out);
    const fx = new FixtureSource(out);
    expect(fx.readFile('/proc/stat')).toEqual(stat);
    expect(fx.readDir('/proc/self/fd')).toEqual(dir);
    expect(fx.readLink('/proc/self/ns/net')).toEqual(link);
    expect(fx.readFile('/proc/nope')).toEqual(missing);
    expect(fx.statfs('/')).toEqual(fs);
    expect(await fx.run({ cmd: 'uname', args: ['-r'] })).toEqual(cmd);
    expect((await fx.run({ cmd: 'uname', args: ['-a'] })).status).toBe('unavailable');
    // every clock reading replays exactly, by label, so replayed rates equal the live ones
    expect(fx.now('sample')).toEqual(c1);
    expect(fx.now('collector:cpu')).toEqual(c2);
    expect(c2.monoMs).toBeGreaterThan(c1.monoMs);
  });
  it('never reads outside its tree', () => {
    const f = fixtureTree({ '/proc/stat': 'cpu 1 2 3 4\n' });
    cleanups.push(f.cleanup);
    expect(f.source.readFile('/../../etc/passwd').status).not.toBe('ok');
    expect(f.source.readFile('/proc/../../../etc/hostname').status).not.toBe('ok');
    expect(f.source.readFile('/.diag/clock.json').status).not.toBe('ok');
  });
  it('gives distinct command keys for distinct argv', () => {
    expect(commandKey({ cmd: 'ss', args: ['-tin'] })).not.toBe(commandKey({ cmd: 'ss', args: ['-t', 'in'] }));
    expect(commandKey({ cmd: 'ss', args: ['-tin'] })).not.toBe(commandKey({ cmd: 'ss', args: ['-tin'], netnsPid: 5 }));
    expect(commandKey({ cmd: '../../x', args: ['/etc/passwd'] })).not.toMatch(/\//);
  });
  it('keys a command run by netns path apart from the same argv elsewhere, and keeps old keys unchanged', () => {
    const bare = commandKey({ cmd: 'tc', args: ['-s', 'qdisc'] });
    const byPath = commandKey({ cmd: 'tc', args: ['-s', 'qdisc'], netnsPath: '/run/netns/blue' });
    expect(byPath).not.toBe(bare);
    expect(byPath).not.toBe(commandKey({ cmd: 'tc', args: ['-s', 'qdisc'], netnsPath: '/run/netns/red' }));
    expect(byPath).toMatch(/^netns-blue-tc_-s_qdisc-[0-9a-f]{12}$/);
    expect(commandKey({ cmd: 'x', args: [], netnsPath: '/run/netns/../../etc' })).not.toMatch(/\//);
    // answers recorded before netnsPath existed are still found: the key of a spec without it is unchanged
    expect(bare).toBe('tc_-s_qdisc-0c297a10a5df');
    expect(commandKey({ cmd: 'uname', args: ['-r'] })).toBe('uname_-r-da6a085406fe');
  });
  it('records and replays an answer by netns path', async () => {
    const inner = {
      kind: 'live', replay: false, description: 'fake',
      readFile: () => ({ status: 'unavailable', reason: 'x' }), readDir: () => ({ status: 'unavailable', reason: 'x' }), readLink: () => ({ status: 'unavailable', reason: 'x' }),
      statfs: () => ({ status: 'unavailable', reason: 'x' }), now: () => ({ monoMs: 1, wall: 'w' }),
      run: (spec: { netnsPath?: string }) => Promise.resolve({ status: 'ok', value: { stdout: `in ${spec.netnsPath ?? 'host'}\n`, stderr: '', exitCode: 0 } }),
    } as unknown as ConstructorParameters<typeof RecordingSource>[0];
    const rec = new RecordingSource(inner);
    await rec.run({ cmd: 'ip', args: ['link'], netnsPath: '/run/netns/blue' });
    await rec.run({ cmd: 'ip', args: ['link'] });
    const out = mkdtempSync(join(tmpdir(), 'diag-rec-'));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    rec.writeTree(out);
    const fx = new FixtureSource(out);
    expect(await fx.run({ cmd: 'ip', args: ['link'], netnsPath: '/run/netns/blue' })).toEqual({ status: 'ok', value: { stdout: 'in /run/netns/blue\n', stderr: '', exitCode: 0 } });
    expect(await fx.run({ cmd: 'ip', args: ['link'] })).toEqual({ status: 'ok', value: { stdout: 'in host\n', stderr: '', exitCode: 0 } });
    expect((await fx.run({ cmd: 'ip', args: ['link'], netnsPath: '/run/netns/red' })).status).toBe('unavailable');
  });
  it('validates netns paths before they reach nsenter', () => {
    expect(isValidNetnsPath('/run/netns/blue')).toBe(true);
    expect(isValidNetnsPath('/run/docker/netns/0f1e2d')).toBe(true);
    expect(isValidNetnsPath('run/netns/blue')).toBe(false);
    expect(isValidNetnsPath('/run/netns/../x')).toBe(false);
    expect(isValidNetnsPath('/run/netns/a\nb')).toBe(false);
    expect(isValidNetnsPath('-/x')).toBe(false);
    expect(isValidNetnsPath('/' + 'a'.repeat(2000))).toBe(false);
  });
});
