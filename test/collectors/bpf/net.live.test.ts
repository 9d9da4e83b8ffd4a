import { afterAll, describe, expect, it } from 'vitest';
import { tcpretransProbe } from '../../../collectors/bpf/tcpretrans.js';
import { dropsProbe } from '../../../collectors/bpf/drops.js';
import { runProbe, type ProbeDefinition, type ProbeRun } from '../../../collectors/bpf/probe.js';
import type { Outcome } from '../../../src/core/outcome.js';
import { LiveSource } from '../../../src/core/live-source.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { ensureTracefs, makeNetns, nodeScript, run, snmpCounter } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root', 'cmd:ip', 'cmd:nft', 'cmd:ethtool');

/** Run a probe exactly around `work`: attach, do the work, stop. */
async function probeAround<R>(def: ProbeDefinition<R>, work: () => Promise<void>): Promise<Outcome<ProbeRun<R>>> {
  const stop = new AbortController();
  let failure: unknown;
  const r = await runProbe(def, new LiveSource(), {
    durationMs: 15_000,
    signal: stop.signal,
    onAttached: () => {
      work()
        .catch((err: unknown) => (failure = err))
        .finally(() => stop.abort());
    },
  });
  if (failure !== undefined) throw failure;
  return r;
}

// TCP senders and a receiver over loopback inside the namespace: 16 connections for ~2 s
// (enough segments that random loss gives well over 10 retransmits every run).
const TCP_TRAFFIC = `
const net = require('net');
const srv = net.createServer((s) => { s.on('data', () => {}); s.on('error', () => {}); });
srv.listen(0, '127.0.0.1', () => {
  const end = Date.now() + 2000;
  let open = 16;
  for (let i = 0; i < 16; i++) {
    const c = net.connect(srv.address().port, '127.0.0.1', () => {
      const chunk = Buffer.alloc(16384, 120);
      const pump = () => {
        while (Date.now() < end) { if (!c.write(chunk)) return c.once('drain', pump); }
        c.end(); if (--open === 0) setTimeout(() => process.exit(0), 300);
      };
      pump();
    });
    c.on('error', () => {});
  }
});
setTimeout(() => process.exit(0), 5000);`;

const UDP_TO_CLOSED_PORT = (n: number, port: number) => `
const s = require('dgram').createSocket('udp4');
let sent = 0;
const next = () => { if (sent++ >= ${n}) return s.close(); s.send(Buffer.from('diagt'), ${port}, '127.0.0.1', next); };
s.on('error', () => {});
next();`;

describe.skipIf(req.skip)('network probes (live, own netns)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  for (const variant of tcpretransProbe.variants) {
    it(`tcpretrans (${variant.hook}) counts what RetransSegs counts under random packet loss`, async () => {
      const ns = makeNetns(`diagt-bpf-tr-${process.pid}-${variant.hook}`);
      cleanups.push(ns.remove);
      // 3 % random loss of TCP segments. tc netem would do, but this kernel is built without
      // sch_netem; nftables' numgen drops at random the same way.
      run('ip', ['netns', 'exec', ns.name, 'nft', '-f', '-'], 'table inet diagt {\n chain out {\n  type filter hook output priority 0;\n  meta l4proto tcp numgen random mod 30 0 drop\n }\n}\n');
      // One segment per skb, so the tracepoint (per skb) and the MIB (per segment) agree.
      run('ip', ['netns', 'exec', ns.name, 'ethtool', '-K', 'lo', 'tso', 'off', 'gso', 'off']);
      const before = snmpCounter(ns.name, 'Tcp', 'RetransSegs');
      const r = await probeAround({ ...tcpretransProbe, variants: [variant] }, async () => {
        await nodeScript(TCP_TRAFFIC, { netns: ns.name });
      });
      const after = snmpCounter(ns.name, 'Tcp', 'RetransSegs');
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      const mine = r.value.result.connections.filter((c) => c.netns === ns.inode);
      const seen = mine.reduce((a, c) => a + c.count, 0);
      const delta = after - before;
      expect(delta).toBeGreaterThan(10);
      expect(Math.abs(seen - delta) / delta, `probe ${seen} vs RetransSegs delta ${delta}`).toBeLessThan(0.1);
      expect(mine.every((c) => c.saddr === '127.0.0.1' && c.daddr === '127.0.0.1')).toBe(true);
      expect(mine.some((c) => c.state === 'ESTABLISHED')).toBe(true);
      expect(r.value.lost).toEqual({ ring: 0, map: 0 });
    });
  }

  // Every hook variant (tp_btf, raw_tp, classic tp with its CO-RE relocated record) counts the same.
  for (const variant of dropsProbe.variants) {
    it(`drops (${variant.hook}) sees datagrams to a closed UDP port as NO_SOCKET, as many as Udp NoPorts`, async () => {
      if (variant.hook === 'tp') cleanups.push(ensureTracefs());
      const ns = makeNetns(`diagt-bpf-dr-${process.pid}`);
      cleanups.push(ns.remove);
      const before = snmpCounter(ns.name, 'Udp', 'NoPorts');
      const r = await probeAround({ ...dropsProbe, variants: [variant] }, async () => {
        const out = await nodeScript(UDP_TO_CLOSED_PORT(300, 9), { netns: ns.name });
        if (out.code !== 0) throw new Error(`udp sender failed: ${out.stderr}`);
      });
      const after = snmpCounter(ns.name, 'Udp', 'NoPorts');
      ns.remove();
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') return;
      expect(r.value.hook).toBe(variant.hook);
      const noSocket = r.value.result.drops.filter((d) => d.netns === ns.inode && d.reason === 'NO_SOCKET');
      expect(after - before).toBe(300);
      expect(noSocket.reduce((a, d) => a + d.count, 0)).toBe(after - before);
      expect(noSocket[0]?.protocol).toBe('IPv4');
      expect(noSocket[0]?.location).toMatch(/udp/);
    });
  }
});
