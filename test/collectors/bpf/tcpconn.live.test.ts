import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpconnProbe } from '../../../collectors/bpf/tcpconn.js';
import { runProbe } from '../../../collectors/bpf/probe.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { makeNetns, run } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root', 'cmd:ip', 'cmd:nft');

/**
 * The planted delay. This kernel has no netem (CONFIG_NET_SCH_NETEM is off), so the delay comes
 * from TCP itself: an nftables rule in the server's namespace drops the first SYN of every
 * connection to port 8080 (a dynamic set remembers the client's address and port), and the
 * client's kernel sends it again when its SYN retransmission timer fires, after the initial RTO
 * TCP_TIMEOUT_INIT = 1 s (include/net/tcp.h; nothing here changes it: no BPF sock_ops, no
 * route rto). So SYN_SENT -> ESTABLISHED cannot be shorter than 1 s.
 */
const DELAY_MS = 1000;
const DROP_FIRST_SYN = `
table inet diagt_tcpconn {
  set seen { type ipv4_addr . inet_service; flags dynamic, timeout; timeout 60s; }
  chain input {
    type filter hook input priority 0;
    tcp dport 8080 tcp flags & (syn | ack) == syn ip saddr . tcp sport @seen accept
    tcp dport 8080 tcp flags & (syn | ack) == syn update @seen { ip saddr . tcp sport } drop
  }
}`;
const SERVER = '10.231.0.2';

// Port 8080 accepts and closes each connection; 8082 resets each one (SO_LINGER 0). Ends
// itself after 30 s at the latest.
const SERVER_SCRIPT = `
const net = require('net');
net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(8080, '${SERVER}');
net.createServer((s) => { s.on('error', () => {}); s.resetAndDestroy(); }).listen(8082, '${SERVER}');
setTimeout(() => process.exit(0), 30000);`;

// Waits for a line on stdin, then: 2 connects one after the other to the server's open port,
// each timed by the process itself from connect() to its 'connect' event, one to a closed port,
// one the server resets. Prints what it saw as JSON. Ends itself after 30 s at the latest.
const CLIENT_SCRIPT = `
const net = require('net');
const out = { ok: [], refused: null, reset: null };
const one = (i) => {
  if (i === 2) {
    const c = net.connect(8081, '${SERVER}');
    c.on('error', (e) => {
      out.refused = e.code;
      const r = net.connect(8082, '${SERVER}');
      r.on('error', (e) => { out.reset = e.code; process.stdout.write(JSON.stringify(out) + '\\n'); process.exit(0); });
    });
    return;
  }
  const t0 = process.hrtime.bigint();
  const c = net.connect(8080, '${SERVER}', () => {
    out.ok.push({ port: c.localPort, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    c.end();
  });
  c.on('error', () => {});
  c.on('close', () => one(i + 1));
};
process.stdin.once('data', () => one(0));
setTimeout(() => process.exit(1), 30000);`;

interface ClientOut {
  readonly ok: Array<{ port: number; ms: number }>;
  readonly refused: string | null;
  readonly reset: string | null;
}

/** A node process in a namespace (ip netns exec execs it: its PID is node's), in a session of its own. */
function inNetns(ns: string, script: string): { pid: number; stdin: NodeJS.WritableStream | null; output: Promise<string>; end: () => void } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start a process in the namespace');
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const output = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
  const end = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  return { pid, stdin: child.stdin, output, end };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(req.skip)('tcpconn probe (live, two namespaces joined by a veth pair, netem delay on the client side)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  for (const variant of tcpconnProbe().variants) {
    it(`(${variant.hook}) connect latency per remote is the retransmitted SYN's delay (no netem here), a closed port refused, a reset seen, another client filtered out by --pid`, async () => {
      const client = makeNetns(`diagt-tcpc-${process.pid}-${variant.hook}`);
      cleanups.push(client.remove);
      const server = makeNetns(`diagt-tcps-${process.pid}-${variant.hook}`);
      cleanups.push(server.remove); // the nftables table and the veth pair go with the namespaces
      run('ip', ['-n', client.name, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vs', 'netns', server.name]);
      run('ip', ['-n', client.name, 'addr', 'add', '10.231.0.1/24', 'dev', 'vc']);
      run('ip', ['-n', server.name, 'addr', 'add', `${SERVER}/24`, 'dev', 'vs']);
      run('ip', ['-n', client.name, 'link', 'set', 'vc', 'up']);
      run('ip', ['-n', server.name, 'link', 'set', 'vs', 'up']);
      run('ip', ['netns', 'exec', server.name, 'nft', '-f', '-'], DROP_FIRST_SYN);

      const srv = inNetns(server.name, SERVER_SCRIPT);
      cleanups.push(srv.end);
      const a = inNetns(client.name, CLIENT_SCRIPT);
      const b = inNetns(client.name, CLIENT_SCRIPT);
      cleanups.push(a.end, b.end);
      // the server listens on both ports before the window starts (the kernel's socket table says so)
      await until('the server to listen', () => run('ip', ['netns', 'exec', server.name, 'cat', '/proc/net/tcp']).split('\n').filter((l) => / 0A /.test(l)).length >= 2);

      const stop = new AbortController();
      const r = await runProbe({ ...tcpconnProbe(), variants: [variant] }, new LiveSource(), {
        durationMs: 15_000,
        tgids: [a.pid],
        signal: stop.signal,
        onAttached: () => {
          a.stdin?.end('go\n');
          b.stdin?.end('go\n');
          void Promise.all([a.output, b.output]).finally(() => stop.abort());
        },
      });
      const outA = JSON.parse((await a.output).trim()) as ClientOut;
      const outB = JSON.parse((await b.output).trim()) as ClientOut;
      expect(outA).toMatchObject({ refused: 'ECONNREFUSED', reset: 'ECONNRESET' });
      expect(outA.ok).toHaveLength(2);
      expect(outB.ok).toHaveLength(2);
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      expect(r.value.lost).toEqual({ ring: 0, map: 0 });
      const res = r.value.result;
      // --pid: only client A's sockets, in the client's namespace; B's connections are absent
      expect(res.changes.every((c) => c.tgid === a.pid && c.netns === client.inode)).toBe(true);
      const bPorts = new Set(outB.ok.map((o) => o.port));
      expect(res.connections.some((c) => bPorts.has(Number(c.local.split(':').pop())))).toBe(false);
      // A's two connections, each named by its remote and local port
      const open = res.remotes.find((x) => x.remote === `${SERVER}:8080`);
      expect(open).toMatchObject({ attempts: 2, established: 2, refused: 0, netns: client.inode });
      for (const o of outA.ok) {
        const c = res.connections.find((x) => x.local === `10.231.0.1:${o.port}`);
        expect(c, `connection from port ${o.port}`).toMatchObject({ direction: 'active', remote: `${SERVER}:8080`, tgid: a.pid, comm: 'node', outcome: 'closed' });
        expect(c?.states.slice(0, 3)).toEqual(['CLOSE', 'SYN_SENT', 'ESTABLISHED']);
        // bounds from the kernel, not from diag's clock: the first SYN is dropped and its
        // retransmission leaves after the initial RTO (DELAY_MS), so no SYN-ACK can arrive
        // sooner; and SYN_SENT -> ESTABLISHED lies inside the interval the client itself timed
        // from connect() to its 'connect' event
        const ms = (c?.connectNs ?? 0) / 1e6;
        expect(ms, `connect ${ms} ms, the client timed ${o.ms} ms`).toBeGreaterThanOrEqual(DELAY_MS);
        expect(ms, `connect ${ms} ms, the client timed ${o.ms} ms`).toBeLessThanOrEqual(o.ms);
        expect(c?.lifetimeNs).toBeGreaterThan(c?.connectNs ?? 0);
      }
      // the closed port: refused by the server's RST, seen as SYN_SENT -> CLOSE with ECONNREFUSED
      const closed = res.remotes.find((x) => x.remote === `${SERVER}:8081`);
      expect(closed).toMatchObject({ attempts: 1, established: 0, refused: 1 });
      const refused = res.connections.find((x) => x.remote === `${SERVER}:8081`);
      expect(refused).toMatchObject({ outcome: 'refused', error: 'ECONNREFUSED', tgid: a.pid, states: ['CLOSE', 'SYN_SENT', 'CLOSE'] });
      // the reset one: established, then closed by the server's RST with ECONNRESET
      const reset = res.connections.find((x) => x.remote === `${SERVER}:8082`);
      expect(reset).toMatchObject({ outcome: 'reset', error: 'ECONNRESET', tgid: a.pid, direction: 'active' });
      expect(reset?.states.slice(0, 3)).toEqual(['CLOSE', 'SYN_SENT', 'ESTABLISHED']);
      expect(reset?.states.at(-1)).toBe('CLOSE');
      expect(res.remotes.find((x) => x.remote === `${SERVER}:8082`)).toMatchObject({ attempts: 1, established: 1, reset: 1 });
    });
  }
});
