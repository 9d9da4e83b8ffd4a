import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';

describe('diag collect --netns: usage', () => {
  it('refuses a PID that is not one, and collectors that cannot observe another namespace', async () => {
    const bad = await diag(['collect', 'netdev', '--netns', '0']);
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toMatch(/--netns wants a PID or "all"/);
    const junk = await diag(['collect', 'netdev', '--netns', '12;rm']);
    expect(junk.exitCode).toBe(64);
    const cg = await diag(['collect', 'cgroups', '--netns', '1']);
    expect(cg.exitCode).toBe(64);
    expect(cg.stderr).toMatch(/cgroups does not observe other network namespaces/);
    expect(cg.stderr).toMatch(/hint: --netns works with: .*netdev/);
  });
});

const req = liveRequirement('root', 'cmd:ip');
const NAME = `diagt-ns-${process.pid}-cli`;
let sleeper: ChildProcess | undefined;

describe.skipIf(req.skip)('diag collect --netns PID and namespaces on a live namespace', () => {
  let pid = 0;
  let inode = '';

  beforeAll(async () => {
    const add = spawnSync('ip', ['netns', 'add', NAME], { timeout: 10_000 });
    if (add.status !== 0) throw new Error(`ip netns add: ${String(add.stderr)}`);
    sleeper = spawn('ip', ['netns', 'exec', NAME, 'sleep', '60'], { stdio: 'ignore' });
    pid = sleeper.pid!;
    const self = readlinkSync('/proc/self/ns/net');
    for (let i = 0; i < 100; i++) {
      try {
        const l = readlinkSync(`/proc/${pid}/ns/net`);
        if (l !== self) {
          inode = /\[(\d+)\]/.exec(l)![1]!;
          break;
        }
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!inode) throw new Error('the sleeper never entered the namespace');
  });

  afterAll(() => {
    if (sleeper?.pid !== undefined && sleeper.exitCode === null && sleeper.signalCode === null) process.kill(sleeper.pid, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', NAME], { timeout: 10_000 });
  });

  it('netdev --netns PID shows only that namespace, keyed by its inode', async () => {
    const r = await diag(['collect', 'netdev', '--netns', String(pid), '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { tables: Record<string, { status: string; rows?: Array<{ key: string; labels: Record<string, string> }> }> };
    expect(doc.tables.netdev?.rows?.map((x) => x.key)).toEqual([`${inode}/lo`]);
    expect(doc.tables.netdev_netns?.rows?.[0]?.labels).toMatchObject({ netns: inode, pid: String(pid), status: 'ok' });
  });

  it('namespaces lists it with its name and process', async () => {
    const r = await diag(['collect', 'namespaces', '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { tables: Record<string, { rows?: Array<{ key: string; labels: Record<string, string> }> }> };
    const row = doc.tables.namespaces?.rows?.find((x) => x.key === `net:${inode}`);
    expect(row?.labels).toMatchObject({ names: NAME, stack_pid: String(pid) });
    expect(doc.tables.netns_netdev?.rows?.some((x) => x.key === `${inode}/lo`)).toBe(true);
  });
});
