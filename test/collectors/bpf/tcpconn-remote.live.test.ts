import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../../helpers/capabilities.js';
import { command, makeNetns } from '../../helpers/bpf.js';

// diag probe tcpconn --remote ADDR:PORT, text mode: the live per-event lines show the
// connections to that peer only. In a network namespace of our own (loopback), one script listens
// on two ports and connects twice to each; the probe, filtered to the first port, prints the
// client's two connections to it as they happen and nothing about the second port (nor the
// server side of the first, whose peer is the client's ephemeral port).
const req = liveRequirement('root', 'cmd:ip');
const DIAG = join(import.meta.dirname, '../../../bin/diag.js');
const PORT_A = 20000 + (process.pid % 20000);
const PORT_B = PORT_A + 1;
const SCRIPT = `
const net = require('net');
const serve = (port) => new Promise((r) => net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(port, '127.0.0.1', r));
const connect = (port) => new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { const p = c.localPort; c.on('close', () => r(p)); c.end(); }); c.on('error', () => r(null)); });
(async () => {
  await serve(${PORT_A}); await serve(${PORT_B});
  process.stdin.once('data', async () => {
    const out = { a: [], b: [] };
    for (let i = 0; i < 2; i++) { out.a.push(await connect(${PORT_A})); out.b.push(await connect(${PORT_B})); }
    console.log(JSON.stringify(out));
    process.exit(0);
  });
})();
setTimeout(() => process.exit(2), 30000);
`;

describe.skipIf(req.skip)('diag probe tcpconn --remote (live, own network namespace)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('usage: an address that is not one is refused, --remote on another probe too', async () => {
    const bad = await command(process.execPath, [DIAG, 'probe', 'tcpconn', '--remote', 'example.com:80']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--remote expected ADDR\[:PORT\]/);
    const other = await command(process.execPath, [DIAG, 'probe', 'runqlat', '--remote', '127.0.0.1']);
    expect(other.code).toBe(64);
    expect(other.stderr).toMatch(/--remote is for tcpconn/);
  });

  it('prints each state change of the connections to that peer as it happens, and only those', async () => {
    const ns = makeNetns(`diagt-tcpr-${process.pid}`);
    cleanups.push(ns.remove);
    const probe = spawn(process.execPath, [DIAG, 'probe', 'tcpconn', '--remote', `127.0.0.1:${PORT_A}`, '--duration', '40s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => probe.kill('SIGKILL'));
    let out = '';
    let err = '';
    probe.stdout.on('data', (d: Buffer) => (out += d.toString()));
    probe.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => probe.once('exit', (code) => r(code)));
    const until = async (what: string, ok: () => boolean, ms = 20_000) => {
      const end = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // the header is printed once the program is attached
    await until('the probe to attach', () => /^\s+PID COMM\s+LOCAL\s+REMOTE\s+STATE CHANGE/m.test(out));
    const client = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    cleanups.push(() => {
      try {
        process.kill(-client.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    });
    let clientOut = '';
    client.stdout.on('data', (d: Buffer) => (clientOut += d.toString()));
    const clientDone = new Promise<void>((r) => client.once('exit', () => r()));
    // listening on both ports before it connects (the namespace's own socket table)
    await until('the script to listen', () => spawnSync('ip', ['netns', 'exec', ns.name, 'cat', '/proc/net/tcp'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => / 0A /.test(l)).length >= 2);
    client.stdin!.end('go\n');
    await clientDone;
    const ports = JSON.parse(clientOut.trim()) as { a: number[]; b: number[] };
    expect(ports.a).toHaveLength(2);
    expect(ports.b.every((p) => typeof p === 'number')).toBe(true);
    // the live lines of both connections to port A: connected, then closed
    // the live lines: before the run's own line and the summary that follow the end
    const lines = () => out.split(/^probe tcpconn: /m)[0]!.split('\n').filter((l) => /^\s+(\d+|-) /.test(l));
    // (at CLOSE the kernel has released the local port already: those lines show port 0)
    await until('both connections to port A, established and closed', () => ports.a.every((p) => lines().some((l) => l.includes(`127.0.0.1:${p} `) && /SYN_SENT > ESTABLISHED/.test(l))) && lines().filter((l) => /> CLOSE\b/.test(l)).length >= 2);
    probe.kill('SIGINT');
    expect(await exited, err).toBe(0);
    for (const p of ports.a) {
      const mine = lines().filter((l) => l.includes(`127.0.0.1:${p} `));
      expect(mine.some((l) => /SYN_SENT > ESTABLISHED +connect \d/.test(l)), mine.join('\n')).toBe(true);
    }
    // only the peer asked for: every line's REMOTE column is 127.0.0.1:PORT_A, port B never seen
    for (const l of lines()) expect(l.split(/\s+/).filter(Boolean)[3], l).toBe(`127.0.0.1:${PORT_A}`);
    expect(out).not.toContain(`:${PORT_B}`);
    for (const p of ports.b) expect(out).not.toContain(`127.0.0.1:${p} `);
  });
});

