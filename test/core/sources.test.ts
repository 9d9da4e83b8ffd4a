import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureSource } from '../../src/core/fixture-source.js';
import { LiveSource } from '../../src/core/live-source.js';
import { RecordingSource } from '../../src/core/recording-source.js';
import { commandKey } from '../../src/core/source.js';
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
});
