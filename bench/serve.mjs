// `npm run bench -- serve`: diag serve's /metrics next to node_exporter's, in the same run, with
// 2,000 extra sleeping processes on the host.
//   latency      wall time of one scrape (a new sample each time: diag with --cache 1ms; its
//                command collectors in the background every 15 s, as diag serve runs them)
//   CPU          utime+stime of the server process (/proc/PID/stat) over the scrapes / scrapes
//   concurrent   ten scrapes at once: diag's CPU for them against one scrape's, and how many
//                samples diag took for them (diag_exporter_samples_total: goal 1)
//   RSS          diag serve's VmRSS after 10, 100, 500 and N (--scrapes, default 1,000) scrapes
//   at interval  as Prometheus scrapes: one scrape every --interval (default 15 s), --spaced
//                (default 8) of them after 10 warm-up scrapes (V8 compiles the hot paths over
//                the first ones), CPU of each server over the whole time / scrapes (background
//                work included): back-to-back scrapes find every process file still fresh,
//                scrapes 15 s apart find none
// Goals (issue 17): CPU per scrape <= 2x node_exporter's (diag judges as well as counts), ten
// concurrent scrapes cost no more than one, RSS flat over the scrapes. Scrapes of the two servers
// alternate so the host's other load hits both alike. Both servers listen on free loopback ports
// and are killed by PID.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
/* global fetch */
import { processCounts, startSleepers } from './lib/sleepers.mjs';

const TICK = 100; // USER_HZ
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuTicks(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
function rssKB(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) : NaN;
}
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startServer(ctx, name, cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  ctx.onCleanup(kill);
  // bounded whatever happens to the bench
  const t = setTimeout(kill, 30 * 60_000);
  t.unref();
  return { name, child, pid: child.pid, stderr: () => err, kill };
}

async function waitUp(url, ms, server) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await sleep(200);
  }
  throw new Error(`${server.name} did not answer ${url} within ${ms / 1000} s: ${server.stderr()}`);
}

async function scrape(url) {
  const t0 = performance.now();
  const r = await fetch(url);
  const body = await r.text();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}: ${body.slice(0, 200)}`);
  return { ms: performance.now() - t0, bytes: body.length, body };
}

const samplesOf = (body) => Number(/^diag_exporter_samples_total (\d+)$/m.exec(body)?.[1] ?? NaN);

export async function run(ctx) {
  const extra = Number(ctx.flags.extra ?? 2000);
  const runs = ctx.runs ?? 20;
  const scrapes = Number(ctx.flags.scrapes ?? 1000);
  const have = (c) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c], { stdio: 'ignore' }).status === 0;
  const sleepers = await startSleepers(extra, { seconds: 3600, onCleanup: ctx.onCleanup });
  const counts = processCounts();
  ctx.log(`${extra} extra sleeping processes: ${counts.processes} processes on the host`);
  const dport = await freePort();
  const diag = startServer(ctx, 'diag', process.execPath, [join(ctx.root, 'bin/diag.js'), 'serve', '--listen', `127.0.0.1:${dport}`, '--cache', '1ms', '--min-window', '1ms', '--quiet']);
  const durl = `http://127.0.0.1:${dport}/metrics`;
  let ne;
  let nurl;
  if (have('prometheus-node-exporter')) {
    const nport = await freePort();
    ne = startServer(ctx, 'node_exporter', 'prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nport}`]);
    nurl = `http://127.0.0.1:${nport}/metrics`;
  } else ctx.log('node_exporter: not installed (apt-get install prometheus-node-exporter; npm test\'s setup installs it): no comparison');
  const figures = { extraProcesses: extra, processes: counts.processes, runs };
  try {
    await waitUp(`http://127.0.0.1:${dport}/healthz`, 60_000, diag);
    if (ne) await waitUp(nurl, 30_000, ne);
    // warm-up: a few scrapes of each
    for (let i = 0; i < 3; i++) {
      await scrape(durl);
      if (ne) await scrape(nurl);
    }

    // sequential scrapes, alternating
    const lat = { diag: [], ne: [] };
    const cpu = { diag: 0, ne: 0 };
    let bytes = { diag: 0, ne: 0 };
    for (let i = 0; i < runs; i++) {
      let c0 = cpuTicks(diag.pid);
      const d = await scrape(durl);
      cpu.diag += cpuTicks(diag.pid) - c0;
      lat.diag.push(d.ms);
      bytes.diag = d.bytes;
      if (ne) {
        c0 = cpuTicks(ne.pid);
        const n = await scrape(nurl);
        cpu.ne += cpuTicks(ne.pid) - c0;
        lat.ne.push(n.ms);
        bytes.ne = n.bytes;
      }
    }
    const perScrape = (ticks) => Math.round((1000 * ticks) / TICK / runs);
    figures.diag = { latencyMs: ctx.stats(lat.diag), cpuMsPerScrape: perScrape(cpu.diag), bytes: bytes.diag };
    ctx.log(`diag serve:    scrape median ${ctx.stats(lat.diag).median.toFixed(0)} ms (p90 ${ctx.stats(lat.diag).p90.toFixed(0)}), CPU ${figures.diag.cpuMsPerScrape} ms per scrape, ${Math.round(bytes.diag / 1024)} KiB`);
    if (ne) {
      figures.nodeExporter = { latencyMs: ctx.stats(lat.ne), cpuMsPerScrape: perScrape(cpu.ne), bytes: bytes.ne };
      figures.cpuRatio = Math.round((100 * cpu.diag) / Math.max(1, cpu.ne)) / 100;
      ctx.log(`node_exporter: scrape median ${ctx.stats(lat.ne).median.toFixed(0)} ms (p90 ${ctx.stats(lat.ne).p90.toFixed(0)}), CPU ${figures.nodeExporter.cpuMsPerScrape} ms per scrape, ${Math.round(bytes.ne / 1024)} KiB`);
      ctx.log(`diag vs node_exporter: CPU per scrape x${figures.cpuRatio} (goal <= 2)`);
    }

    // as Prometheus scrapes: one every --interval, the servers' whole CPU over that time
    const intervalMs = Number(ctx.flags.interval ?? 15) * 1000;
    const spaced = Number(ctx.flags.spaced ?? 8);
    {
      for (let i = 0; i < 10; i++) {
        await scrape(durl);
        if (ne) await scrape(nurl);
        await sleep(Math.min(intervalMs, 3000));
      }
      const d0 = cpuTicks(diag.pid);
      const n0 = ne ? cpuTicks(ne.pid) : 0;
      for (let i = 0; i < spaced; i++) {
        await scrape(durl);
        if (ne) await scrape(nurl);
        await sleep(intervalMs);
      }
      const per = (t) => Math.round((1000 * t) / TICK / spaced);
      figures.atInterval = { intervalS: intervalMs / 1000, scrapes: spaced, diagCpuMsPerScrape: per(cpuTicks(diag.pid) - d0) };
      if (ne) {
        figures.atInterval.nodeExporterCpuMsPerScrape = per(cpuTicks(ne.pid) - n0);
        figures.atInterval.cpuRatio = Math.round((100 * (cpuTicks(diag.pid) - d0)) / Math.max(1, cpuTicks(ne.pid) - n0)) / 100;
      }
      ctx.log(
        `one scrape every ${intervalMs / 1000} s (${spaced} after 10 warm-up): diag ${figures.atInterval.diagCpuMsPerScrape} ms CPU per scrape` +
          (ne ? `, node_exporter ${figures.atInterval.nodeExporterCpuMsPerScrape} ms: x${figures.atInterval.cpuRatio} (goal <= 2)` : ''),
      );
    }

    // ten at once against one, on a server with the default-like cache (5 s here): each burst
    // after the cache went stale, so it takes one new sample for all ten
    const cport = await freePort();
    const cdiag = startServer(ctx, 'diag (cache 5s)', process.execPath, [join(ctx.root, 'bin/diag.js'), 'serve', '--listen', `127.0.0.1:${cport}`, '--cache', '5s', '--min-window', '1ms', '--quiet']);
    const curl = `http://127.0.0.1:${cport}/metrics`;
    try {
      await waitUp(`http://127.0.0.1:${cport}/healthz`, 60_000, cdiag);
      const one = [];
      const ten = [];
      const samplesForTen = [];
      for (let i = 0; i < 4; i++) {
        await sleep(5100);
        let c0 = cpuTicks(cdiag.pid);
        const before = samplesOf((await scrape(curl)).body);
        one.push(cpuTicks(cdiag.pid) - c0);
        await sleep(5100);
        c0 = cpuTicks(cdiag.pid);
        const bodies = await Promise.all(Array.from({ length: 10 }, () => scrape(curl)));
        ten.push(cpuTicks(cdiag.pid) - c0);
        samplesForTen.push(Math.max(...bodies.map((b) => samplesOf(b.body))) - before);
      }
      const sum = (xs) => xs.reduce((a, b) => a + b, 0);
      figures.concurrent = { oneCpuMs: (1000 * sum(one)) / TICK / one.length, tenCpuMs: (1000 * sum(ten)) / TICK / ten.length, samplesForTen };
      figures.concurrent.ratio = Math.round((100 * sum(ten)) / Math.max(1, sum(one))) / 100;
      ctx.log(`ten concurrent scrapes: CPU ${figures.concurrent.tenCpuMs.toFixed(0)} ms vs one ${figures.concurrent.oneCpuMs.toFixed(0)} ms (x${figures.concurrent.ratio}, goal <= 1), samples taken for them: ${samplesForTen.join(', ')} (goal 1)`);
    } finally {
      cdiag.kill();
    }

    // RSS over many scrapes
    const marks = new Set([10, 100, 500, scrapes]);
    const rss = {};
    const t0 = performance.now();
    for (let i = 1; i <= scrapes; i++) {
      await scrape(durl);
      if (marks.has(i)) rss[i] = Math.round(rssKB(diag.pid) / 102.4) / 10;
    }
    figures.rssMB = rss;
    figures.rssGrowthMB = Math.round(10 * (rss[scrapes] - rss[Math.min(100, scrapes)])) / 10;
    ctx.log(`RSS over ${scrapes} scrapes (${((performance.now() - t0) / 1000).toFixed(0)} s): ${Object.entries(rss).map(([k, v]) => `${k}: ${v} MB`).join(', ')}; growth after scrape 100: ${figures.rssGrowthMB} MB`);
  } finally {
    diag.kill();
    ne?.kill();
    await sleepers.kill();
  }
  return figures;
}
