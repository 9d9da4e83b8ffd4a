import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectNamespaces, namespacesCollector } from '../../../collectors/namespaces/collector.js';
import { deriveModel, type ModelRow } from '../../../src/core/derive.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { FixtureSource } from '../../../src/core/fixture-source.js';
import { RecordingSource } from '../../../src/core/recording-source.js';
import { collectSample } from '../../../src/core/sample.js';
import { liveRequirement } from '../../helpers/capabilities.js';

// test-group: shared (it checks only what it made in its own network namespaces and cgroups (exact counters of its own traffic, rules and kills), never the host's load): it runs beside another file (vitest.config.ts)

/**
 * Live: network namespaces of our own (ip netns add), each with a sleeping process of ours
 * inside; traffic only on the namespace's own loopback. diag must list each namespace with its
 * name and member PID and read its own interface and TCP counters. Everything is removed in
 * afterAll: processes killed by PID, namespaces deleted by name.
 */
const req = liveRequirement('root', 'cmd:ip', 'cmd:bash');
const PREFIX = `diagt-ns-${process.pid}`;
const MANY = 100;
const children: ChildProcess[] = [];
const made: string[] = [];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function ipBatch(lines: string[]): void {
  const r = spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ip -batch failed: ${String(r.stderr)}`);
}
function addNetns(names: string[]): void {
  made.push(...names);
  ipBatch(names.map((n) => `netns add ${n}`));
}
/** A process of ours inside the namespace (ip netns exec execs sleep: the PID is the sleeper's). */
async function member(name: string): Promise<number> {
  const c = spawn('ip', ['netns', 'exec', name, 'sleep', '60'], { stdio: 'ignore' });
  children.push(c);
  const pid = c.pid!;
  // wait until it has entered the namespace
  for (let i = 0; i < 100; i++) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync('/proc/self/ns/net')) return pid;
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  throw new Error(`process ${pid} never entered ${name}`);
}
/**
 * The namespace's own counters read without diag's parsers: lo's received packets
 * (/proc/PID/net/dev, first number after "lo:") and TCP OutRsts (/proc/PID/net/snmp, the value
 * under the "OutRsts" header of the Tcp lines). Only our traffic moves them: exact references.
 */
function reference(pid: number): { rxPackets: number; outRsts: number } {
  const dev = readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').find((l) => l.trim().startsWith('lo:'))!;
  const rxPackets = Number(dev.split(':')[1]!.trim().split(/\s+/)[1]);
  const tcp = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
  const outRsts = Number(tcp[1]!.split(/\s+/)[tcp[0]!.split(/\s+/).indexOf('OutRsts')]);
  return { rxPackets, outRsts };
}
const inodeOf = (pid: number) => /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]!;

describe.skipIf(req.skip)('namespaces collector on live network namespaces', () => {
  const src = new LiveSource();

  beforeAll(() => {
    addNetns([`${PREFIX}-1`]);
    const r = spawnSync('ip', ['-n', `${PREFIX}-1`, 'link', 'set', 'lo', 'up'], { timeout: 10_000 });
    if (r.status !== 0) throw new Error(`ip link set lo up failed: ${String(r.stderr)}`);
  });

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    await sleep(100);
    if (made.length > 0) ipBatch(made.map((n) => `netns del ${n}`));
  });

  it('lists a namespace with its name and process, and reads its own loopback and TCP counters', async () => {
    const name = `${PREFIX}-1`;
    const pid = await member(name);
    const inode = inodeOf(pid);
    const before = reference(pid);
    const first = await collectSample([namespacesCollector], src, { sampleIndex: 0 });
    // connection attempts to a closed port on the namespace's own loopback: SYN + RST on lo
    const r = spawnSync('ip', ['netns', 'exec', name, 'bash', '-c', 'for i in 1 2 3 4 5; do (exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null; done; true'], { timeout: 10_000 });
    expect(r.status).toBe(0);
    await sleep(50);
    const second = await collectSample([namespacesCollector], src, { sampleIndex: 1 });
    const after = reference(pid);
    const m = deriveModel([namespacesCollector], { first, second });
    const get = (t: string, key: string): ModelRow => {
      const o = m.tables[t]!.rows;
      if (o.status !== 'ok') throw new Error(`${t}: ${o.reason}`);
      const row = o.value.find((x) => x.key === key);
      if (!row) throw new Error(`${t} has no row ${key}`);
      return row;
    };
    const ns = get('namespaces', `net:${inode}`);
    expect(ns.labels.names).toBe(name);
    expect(ns.labels.pids?.split(' ')).toContain(String(pid));
    expect(ns.labels.stack_pid).toBe(String(pid));
    expect(ns.values.procs).toBeGreaterThanOrEqual(1);
    const lo = get('netns_netdev', `${inode}/lo`);
    expect(lo.labels).toMatchObject({ netns: inode, interface: 'lo', netns_name: name });
    // exactly the namespace's own counters (the host's lo moves too, and must not be read here)
    expect(after.rxPackets - before.rxPackets).toBeGreaterThanOrEqual(10);
    expect(lo.deltas.rx_packets).toBe(after.rxPackets - before.rxPackets);
    expect(after.outRsts - before.outRsts).toBe(5);
    expect(get('netns_tcp', inode).deltas.OutRsts).toBe(after.outRsts - before.outRsts);
    // the host's namespace did not see those packets on its own lo as ours
    const hostNet = inodeOf(process.pid);
    expect(get('namespaces', `net:${hostNet}`).labels.self).toBe('yes');
  });

  it('replays from a recording exactly (the raw inputs are all that a bundle needs)', async () => {
    const rec = new RecordingSource(src);
    const live = await collectSample([namespacesCollector], rec);
    const dir = mkdtempSync(join(tmpdir(), 'diagt-replay-'));
    try {
      rec.writeTree(dir);
      const replay = await collectSample([namespacesCollector], new FixtureSource(dir));
      const tables = (s: typeof live) => {
        const c = s.collectors['namespaces'];
        return c?.status === 'ok' ? c.value.tables : c;
      };
      expect(tables(replay)).toEqual(tables(live));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it(`finds all of ${MANY} namespaces, each with its process and its own loopback`, async () => {
    const names = Array.from({ length: MANY }, (_, i) => `${PREFIX}-m${i}`);
    addNetns(names);
    const pids = await Promise.all(names.map((n) => member(n)));
    const want = new Map(pids.map((p, i) => [inodeOf(p), { pid: p, name: names[i]! }]));
    expect(want.size).toBe(MANY);
    const out = await collectNamespaces(src);
    const inv = out.namespaces!;
    const dev = out.netns_netdev!;
    if (inv.status !== 'ok' || dev.status !== 'ok') throw new Error('namespaces unavailable');
    const found = new Map(inv.value.filter((r) => r.labels?.type === 'net').map((r) => [r.labels!.inode!, r]));
    const loRows = new Set(dev.value.filter((r) => r.labels?.interface === 'lo').map((r) => r.labels!.netns));
    for (const [inode, w] of want) {
      const r = found.get(inode);
      expect(r?.labels?.names, `namespace ${w.name}`).toBe(w.name);
      expect(r?.labels?.pids?.split(' ')).toContain(String(w.pid));
      expect(loRows.has(inode), `lo of ${w.name}`).toBe(true);
    }
    const scan = out.namespaces_scan!;
    expect(scan.status === 'ok' && scan.value[0]!.values.truncated).toBe(0);
  });
});
