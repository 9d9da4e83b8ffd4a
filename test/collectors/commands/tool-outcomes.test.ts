import { describe, expect, it } from 'vitest';
import { runTool, type ToolRun } from '../../../collectors/commands/command.js';
import { ok, type Outcome } from '../../../src/core/outcome.js';
import type { CommandResult, Source } from '../../../src/core/source.js';

/**
 * (tool stderr, stdout, exit status) -> outcome code, through runTool: the one place a tool's
 * words are read. The texts are what the real tools print in the C locale; the permission ones
 * were captured on Debian 13 (nft 1.1.3, iptables 1.8.9, ethtool 6.x, conntrack-tools 1.4.7,
 * util-linux 2.41) as `setpriv --reuid=nobody --inh-caps=-all`, the others as root.
 */
function answering(result: CommandResult | Outcome<CommandResult>): Source {
  const o: Outcome<CommandResult> = 'status' in result ? result : ok(result);
  return {
    kind: 'fixture',
    replay: true,
    description: 'canned answer',
    readFile: () => {
      throw new Error('not used');
    },
    readDir: () => {
      throw new Error('not used');
    },
    readLink: () => {
      throw new Error('not used');
    },
    statfs: () => {
      throw new Error('not used');
    },
    now: () => ({ monoMs: 0, wall: '1970-01-01T00:00:00.000Z' }),
    run: () => Promise.resolve(o),
  };
}

interface Row {
  readonly tool: string;
  readonly run: ToolRun;
  readonly stderr: string;
  readonly stdout?: string;
  readonly exit: number;
  readonly want: { status: 'ok' | 'unavailable' | 'error'; code?: string; hint?: string; reason?: string };
}

const t = (cmd: string, ...args: string[]): ToolRun => ({ cmd, args });
const root = { status: 'unavailable', code: 'permission', hint: 'run diag as root' } as const;

const TABLE: readonly Row[] = [
  // a missing privilege
  { tool: 'nft (not root)', run: t('nft', '-j', 'list', 'ruleset'), stderr: 'Operation not permitted (you must be root)\nnetlink: Error: cache initialization failed: Operation not permitted\n', exit: 1, want: root },
  { tool: 'iptables-nft-save (not root)', run: t('iptables-nft-save', '-c'), stderr: 'iptables-nft-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n', exit: 4, want: root },
  { tool: 'iptables-legacy-save (not root)', run: t('iptables-legacy-save', '-c'), stderr: 'Failed to list table names in /proc/net/ip_tables_names: Permission denied\n', exit: 1, want: root },
  { tool: 'ethtool -e (not root)', run: t('ethtool', '-e', 'eth0'), stderr: 'Cannot get EEPROM data: Operation not permitted\n', exit: 74, want: root },
  { tool: 'ethtool netlink (not root)', run: t('ethtool', '-m', 'eth0'), stderr: 'netlink error: Operation not permitted\n', exit: 1, want: root },
  { tool: 'conntrack -S (not root)', run: t('conntrack', '-S'), stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n', exit: 1, want: root },
  { tool: 'dmesg (not root)', run: t('dmesg', '-r'), stderr: 'dmesg: read kernel buffer failed: Operation not permitted\n', exit: 1, want: root },
  { tool: 'nsenter (not root)', run: { cmd: 'ss', args: ['-s'], netnsPid: 1 }, stderr: 'nsenter: cannot open /proc/1/ns/net: Permission denied\n', exit: 1, want: root },
  // not supported by the device or driver, or no such device
  { tool: 'ethtool -i lo', run: t('ethtool', '-i', 'lo'), stderr: 'Cannot get driver information: Operation not supported\n', exit: 71, want: { status: 'unavailable', code: 'unsupported' } },
  { tool: 'ethtool -g lo (netlink)', run: t('ethtool', '-g', 'lo'), stderr: 'netlink error: Operation not supported\n', exit: 1, want: { status: 'unavailable', code: 'unsupported' } },
  { tool: 'ethtool -S lo', run: t('ethtool', '-S', 'lo'), stderr: 'no stats available\n', exit: 94, want: { status: 'unavailable', code: 'unsupported' } },
  { tool: 'ethtool -S lo (on stdout)', run: t('ethtool', '-S', 'lo'), stderr: '', stdout: 'no stats available\n', exit: 94, want: { status: 'unavailable', code: 'unsupported' } },
  { tool: 'ethtool -i (interface gone)', run: t('ethtool', '-i', 'veth9'), stderr: 'Cannot get driver information: No such device\n', exit: 71, want: { status: 'unavailable', code: 'not-found' } },
  // options this version does not know: the caller falls back (ss without -O -H, tc without -j)
  { tool: 'tc (iproute2 < 4.13) -j', run: t('tc', '-s', '-j', 'qdisc', 'show'), stderr: 'Option "-j" is unknown, try "tc -help".\n', exit: 255, want: { status: 'error', code: 'bad-option' } },
  { tool: 'tc, unknown command', run: t('tc', '-s', 'qdisc', 'shoow'), stderr: 'Command "shoow" is unknown, try "tc qdisc help".\n', exit: 255, want: { status: 'error', code: 'bad-option' } },
  { tool: 'ss (iproute2 < 4.19) -O', run: t('ss', '-t', '-O'), stderr: "ss: invalid option -- 'O'\nUsage: ss [ OPTIONS ]\n", exit: 255, want: { status: 'error', code: 'bad-option' } },
  { tool: 'ss, long option', run: t('ss', '--bogus'), stderr: "ss: unrecognized option '--bogus'\nUsage: ss [ OPTIONS ]\n       ss [ OPTIONS ] [ FILTER ]\n", exit: 255, want: { status: 'error', code: 'bad-option' } },
  // nsenter's own failures
  { tool: 'nsenter, tool missing inside', run: { cmd: 'conntrack', args: ['-S'], netnsPid: 5 }, stderr: 'nsenter: failed to execute conntrack: No such file or directory\n', exit: 127, want: { status: 'unavailable', code: 'tool-missing', hint: 'apt-get install conntrack', reason: 'conntrack is not installed' } },
  { tool: 'nsenter --net=PATH, bind mount gone', run: { cmd: 'tc', args: [], netnsPath: '/run/netns/gone' }, stderr: 'nsenter: cannot open /run/netns/gone: No such file or directory\n', exit: 1, want: { status: 'unavailable', code: 'not-found' } },
  { tool: 'nsenter --net=PATH, not a namespace', run: { cmd: 'tc', args: [], netnsPath: '/run/netns/stale' }, stderr: "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument\n", exit: 1, want: { status: 'unavailable', code: 'not-found' } },
  { tool: 'nsenter, process gone', run: { cmd: 'ss', args: [], netnsPid: 99 }, stderr: 'nsenter: cannot open /proc/99/ns/net: No such file or directory\n', exit: 1, want: { status: 'unavailable', code: 'exited' } },
  // failures diag does not recognise: an error, never a guess
  { tool: 'tc class, device gone', run: t('tc', '-s', 'class', 'show', 'dev', 'veth9'), stderr: 'Cannot find device "veth9"\n', exit: 1, want: { status: 'error', code: 'tool-failed' } },
  { tool: 'crash', run: t('tc', '-s', 'qdisc', 'show'), stderr: 'Segmentation fault\n', exit: 139, want: { status: 'error', code: 'tool-failed' } },
  { tool: 'silent non-zero exit', run: t('ss', '-s'), stderr: '', exit: 2, want: { status: 'error', code: 'tool-failed' } },
  // success
  { tool: 'exit 0', run: t('ss', '-s'), stderr: '', stdout: 'Total: 1\n', exit: 0, want: { status: 'ok' } },
  { tool: 'an exit code the caller accepts', run: { cmd: 'tc', args: [], okExitCodes: [1] }, stderr: 'partial\n', exit: 1, want: { status: 'ok' } },
];

describe('runTool: (stderr, exit status) -> outcome code', () => {
  it.each(TABLE.map((r) => [r.tool, r] as const))('%s', async (_name, r) => {
    const o = await runTool(answering({ stdout: r.stdout ?? '', stderr: r.stderr, exitCode: r.exit }), r.run);
    expect(o.status).toBe(r.want.status);
    if (o.status === 'ok') return;
    expect(o.code).toBe(r.want.code);
    if (o.status === 'unavailable') expect(o.hint).toBe(r.want.hint);
    // what people read keeps the tool's own words (or the exit status when it said nothing)
    expect(o.reason).toContain(r.want.reason ?? (r.stderr.split('\n')[0] || r.stdout?.split('\n')[0] || `code ${r.exit}`));
  });

  it('passes what the Source said about the run (spawn level) through unchanged', async () => {
    for (const said of [
      { status: 'unavailable', code: 'tool-missing', reason: 'nft is not installed', hint: 'apt-get install nftables' },
      { status: 'unavailable', code: 'timeout', reason: 'ss timed out after 4000 ms', hint: 'the host may be overloaded; retry with a longer timeout' },
      { status: 'unavailable', code: 'tool-failed', reason: 'ss printed more than 8 bytes' },
      { status: 'unavailable', code: 'not-captured', reason: '`ss -s` was not captured in this bundle' },
      { status: 'error', code: 'bad-option', reason: 'invalid PID for nsenter: -1' },
    ] as const) {
      expect(await runTool(answering(said), t('ss', '-s'))).toEqual(said);
    }
  });
});
