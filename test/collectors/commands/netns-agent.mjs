// A tiny traffic agent run inside a test network namespace (`ip netns exec NS node netns-agent.mjs ...`).
// Every mode is bounded in time or count and only talks to addresses the test gives it (its own
// namespaces). Prints "ready" (and sometimes a count) on stdout when set up.
//   udp-send  HOST PORT COUNT          send COUNT 100-byte datagrams, then exit
//   udp-flood HOST PORT MS             send 1000-byte datagrams as fast as possible for MS ms
//   listen    HOST PORT BACKLOG MS     listen with a small backlog and never accept for MS ms
//   connect   HOST PORT N MS           open N connections, hold them MS ms
//   udp-sink  HOST PORT MS             bind a UDP socket with a tiny receive buffer, never read for MS ms
import dgram from 'node:dgram';
import net from 'node:net';

const [mode, host, portText, a, b] = process.argv.slice(2);
const port = Number(portText);
const block = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const say = (s) => process.stdout.write(`${s}\n`);

if (mode === 'udp-send') {
  const s = dgram.createSocket('udp4');
  const count = Number(a);
  let sent = 0;
  const payload = Buffer.alloc(100, 0x61);
  const next = () => {
    if (sent >= count) {
      s.close();
      say(`sent ${sent}`);
      return;
    }
    s.send(payload, port, host, () => {
      sent++;
      next();
    });
  };
  next();
} else if (mode === 'udp-flood') {
  const s = dgram.createSocket('udp4');
  const end = Date.now() + Number(a);
  const payload = Buffer.alloc(1000, 0x62);
  let sent = 0;
  const burst = () => {
    if (Date.now() >= end) {
      s.close();
      say(`sent ${sent}`);
      return;
    }
    let pending = 64;
    for (let i = 0; i < 64; i++) {
      s.send(payload, port, host, () => {
        sent++;
        if (--pending === 0) setTimeout(burst, 0);
      });
    }
  };
  burst();
} else if (mode === 'listen') {
  const server = net.createServer();
  server.listen({ host, port, backlog: Number(a) }, () => {
    say('ready');
    // Block the event loop: libuv accepts nothing, so connections pile up in the accept queue.
    block(Number(b));
    process.exit(0);
  });
} else if (mode === 'connect') {
  const n = Number(a);
  const socks = [];
  for (let i = 0; i < n; i++) {
    const c = net.connect({ host, port });
    c.on('error', () => {});
    socks.push(c);
  }
  say('ready');
  setTimeout(() => process.exit(0), Number(b));
} else if (mode === 'udp-sink') {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4096 });
  s.bind(port, host, () => {
    s.setRecvBufferSize(4096);
    say('ready');
    block(Number(a));
    process.exit(0);
  });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(64);
}
