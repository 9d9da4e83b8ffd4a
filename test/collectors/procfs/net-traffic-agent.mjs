// A tiny UDP traffic generator for live network tests, run inside a test's own network namespace
// (`ip netns exec NS node net-traffic-agent.mjs`). It reads one JSON command per line on stdin and
// answers one JSON line on stdout. It never outlives its test: it exits when stdin closes and after
// 60 s at the latest. Commands:
//   {"op":"flood","dest":"10.x.y.z","port":9,"pps":4000,"size":800,"ms":3000}
//       datagrams paced to pps (totals follow pps * elapsed, so any window sees a steady rate)
//   {"op":"burst","dest":"127.0.0.1","port":9,"count":500}   (or "::1": IPv6)
//       count datagrams as fast as possible
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const MAX_LIFETIME_MS = 60_000;
const sock = createSocket('udp4');
const sock6 = createSocket('udp6');
sock.on('error', () => {});
sock6.on('error', () => {});
const reply = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const bye = () => {
  sock.close();
  sock6.close();
  process.exit(0);
};
setTimeout(bye, MAX_LIFETIME_MS).unref();

function send(buf, port, dest) {
  const s = dest.includes(':') ? sock6 : sock;
  return new Promise((resolve) => s.send(buf, port, dest, () => resolve()));
}

async function burst({ dest, port, count }) {
  const buf = Buffer.alloc(64, 0x61);
  for (let i = 0; i < count; i++) await send(buf, port, dest);
  reply({ done: 'burst', sent: count });
}

function flood({ dest, port, pps, size, ms }) {
  const buf = Buffer.alloc(size, 0x62);
  const total = Math.round((pps * ms) / 1000);
  const start = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.min(total, Math.floor((pps * (performance.now() - start)) / 1000));
    while (sent < due) {
      sock.send(buf, port, dest);
      sent++;
    }
    if (sent >= total) {
      // let the last sends leave before saying done
      setTimeout(() => reply({ done: 'flood', sent }), 20);
    } else setTimeout(tick, 1);
  };
  tick();
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    reply({ error: 'bad json' });
    return;
  }
  if (cmd.op === 'flood') flood(cmd);
  else if (cmd.op === 'burst') void burst(cmd);
  else reply({ error: `unknown op ${String(cmd.op)}` });
});
rl.on('close', bye);
reply({ ready: true, pid: process.pid });
