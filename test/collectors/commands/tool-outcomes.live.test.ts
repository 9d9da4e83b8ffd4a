import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool } from '../../../collectors/commands/command.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';

// test-group: shared (it checks only what it made in its own network namespaces and cgroups (exact counters of its own traffic, rules and kills), never the host's load): it runs beside another file (vitest.config.ts)

/**
 * Outcome codes from real processes: what LiveSource.run says about the spawn (missing binary,
 * timeout, output bound, bad nsenter target) and what runTool makes of real tools' failures,
 * including the permission texts of nft, iptables and conntrack run as an unprivileged user.
 */
const live = new LiveSource();

describe('LiveSource.run: spawn-level codes', () => {
  it('a binary that is not installed is tool-missing, with the Debian package when diag knows it', async () => {
    expect(await live.run({ cmd: 'dcodes-no-such-tool', args: [] })).toEqual({ status: 'unavailable', code: 'tool-missing', reason: 'dcodes-no-such-tool is not installed' });
    const empty = mkdtempSync(join(tmpdir(), 'dcodes-path-'));
    const saved = process.env.PATH;
    process.env.PATH = empty;
    try {
      expect(await live.run({ cmd: 'ethtool', args: ['-i', 'lo'] })).toEqual({ status: 'unavailable', code: 'tool-missing', reason: 'ethtool is not installed', hint: 'apt-get install ethtool' });
    } finally {
      process.env.PATH = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });
  it('a command still running at its time limit is timeout', async () => {
    const r = await live.run({ cmd: 'sleep', args: ['30'], timeoutMs: 300 });
    expect(r).toMatchObject({ status: 'unavailable', code: 'timeout' });
  });
  it('output past the bound is tool-failed', async () => {
    const r = await live.run({ cmd: 'head', args: ['-c', '100000', '/dev/zero'], maxBytes: 1000 });
    expect(r).toMatchObject({ status: 'unavailable', code: 'tool-failed', reason: 'head printed more than 1000 bytes' });
  });
  it('a non-zero exit is the tool\'s answer to the source, and tool-failed through runTool', async () => {
    expect(await live.run({ cmd: 'sh', args: ['-c', 'exit 3'] })).toEqual({ status: 'ok', value: { stdout: '', stderr: '', exitCode: 3 } });
    expect(await runTool(live, { cmd: 'sh', args: ['-c', 'echo "something broke" >&2; exit 3'] })).toEqual({ status: 'error', code: 'tool-failed', reason: 'sh -c echo "something broke" >&2; exit 3 exited with code 3: something broke' });
  });
  it('a PID that cannot be a nsenter target is refused before anything runs', async () => {
    expect(await live.run({ cmd: 'ss', args: [], netnsPid: -1 })).toEqual({ status: 'error', code: 'bad-option', reason: 'invalid PID for nsenter: -1' });
  });
});

describe('runTool on real tools', () => {
  it('nsenter into a process that has exited is exited', async (ctx) => {
    const need = liveRequirement('cmd:nsenter', 'cmd:ss');
    if (need.skip) return ctx.skip(need.reason);
    const gone = spawnSync('true').pid;
    expect(await runTool(live, { cmd: 'ss', args: ['-s'], netnsPid: gone })).toMatchObject({ status: 'unavailable', code: 'exited' });
  });
  it('ethtool on an interface that does not exist is not-found; tc with an option it does not know is bad-option', async (ctx) => {
    const need = liveRequirement('cmd:ethtool', 'cmd:tc');
    if (need.skip) return ctx.skip(need.reason);
    expect(await runTool(live, { cmd: 'ethtool', args: ['-i', 'dcodes-nodev0'] })).toMatchObject({ status: 'unavailable', code: 'not-found' });
    expect(await runTool(live, { cmd: 'tc', args: ['-s', '-x', 'qdisc', 'show'] })).toMatchObject({ status: 'error', code: 'bad-option' });
  });
  it.each([
    ['nft', '-j', 'list', 'ruleset'],
    ['iptables-nft-save', '-c'],
    ['conntrack', '-S'],
  ])('%s run as nobody is permission, with the hint to run as root', async (...argv) => {
    const need = liveRequirement('root', 'cmd:setpriv', `cmd:${argv[0]!}`);
    if (need.skip) return;
    const r = await runTool(live, { cmd: 'setpriv', args: ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', ...argv] });
    expect(r).toMatchObject({ status: 'unavailable', code: 'permission', hint: 'run diag as root' });
  });
});
