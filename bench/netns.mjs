// Section "netns": the command collectors (sockets, qdiscs, firewall, nic, conntrack) across
// every network namespace (`diag collect X --netns all`) with N namespaces present (--netns N,
// default 100), each with a sleeping process of ours inside and lo up.
//
// Reference, measured in the same run in alternating rounds: the very same commands diag ran
// (recorded through a wrapping Source on a first pass: nsenter --target PID --net -- CMD ARGS),
// run bare with execFile at the same parallelism (6 at once), output discarded. The ratio
// diag / bare is what diag adds on top of the commands themselves (enumeration, parsing,
// validation, merging). Everything made here is bounded (sleep 300, PDEATHSIG when setpriv
// exists) and killed by PID in the cleanup.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

function hasSetpriv() {
  const r = spawnSync('setpriv', ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 && r.stdout.includes('--pdeathsig');
}

/** Run argv lists with at most `limit` at once; resolves when all ended. */
async function runBare(commands, limit) {
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const [file, args] = commands[next++];
      await new Promise((resolve) => {
        execFile(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: 4000, env: { LC_ALL: 'C', PATH: process.env.PATH } }, () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, commands.length) }, worker));
}

export async function run(ctx) {
  if (process.getuid?.() !== 0) {
    ctx.log('skipped: needs root (nsenter into other namespaces)');
    return { skipped: 'needs root' };
  }
  const n = Number(ctx.flags.netns ?? 100);
  const runs = ctx.runs ?? 3;
  const { LiveSource } = await ctx.dist('src/core/live-source.js');
  const { listNetns, acrossNetns, netnsStatusTable } = await ctx.dist('collectors/commands/netns.js');
  const { DEFAULT_COMMAND_CONCURRENCY } = await ctx.dist('collectors/commands/limit.js');
  const collectors = [
    (await ctx.dist('collectors/commands/sockets/collector.js')).socketsCollector,
    (await ctx.dist('collectors/commands/qdiscs/collector.js')).qdiscsCollector,
    (await ctx.dist('collectors/commands/firewall/collector.js')).firewallCollector,
    (await ctx.dist('collectors/commands/nic/collector.js')).nicCollector,
    (await ctx.dist('collectors/commands/conntrack/collector.js')).conntrackCollector,
  ];

  // N namespaces, each held by a sleeping process of ours.
  const children = [];
  ctx.onCleanup(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  const pdeath = hasSetpriv() ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
  for (let i = 0; i < n; i++) {
    const argv = [...pdeath, 'unshare', '--net', 'sh', '-c', 'ip link set lo up && exec sleep 300'];
    children.push(spawn(argv[0], argv.slice(1), { stdio: 'ignore' }));
  }
  const src = new LiveSource();
  const selfNs = src.readLink('/proc/self/ns/net');
  const deadline = performance.now() + 20_000;
  let ready = 0;
  while (performance.now() < deadline) {
    ready = children.filter((c) => {
      const l = src.readLink(`/proc/${c.pid}/ns/net`);
      const comm = src.readFile(`/proc/${c.pid}/comm`);
      return l.status === 'ok' && selfNs.status === 'ok' && l.value !== selfNs.value && comm.status === 'ok' && comm.value.trim() === 'sleep';
    }).length;
    if (ready === n) break;
    await sleep(50);
  }
  const t0 = performance.now();
  const targets = listNetns(src);
  const enumMs = performance.now() - t0;
  if (targets.status !== 'ok') throw new Error(`listNetns: ${targets.reason}`);
  ctx.log(`${ready}/${n} namespaces of ours ready; ${targets.value.length} namespaces with a process in all; enumeration ${fmt(enumMs)} ms`);

  const ours = new Set();
  for (const c of children) {
    const l = src.readLink(`/proc/${c.pid}/ns/net`);
    const m = l.status === 'ok' ? /^net:\[(\d+)\]$/.exec(l.value) : null;
    if (m) ours.add(m[1]);
  }
  const figures = { namespaces: targets.value.length, ours: ready, enumerationMs: Math.round(enumMs * 10) / 10, collectors: {} };
  for (const c of collectors) {
    // First pass: record the commands diag runs (the bare reference replays exactly those).
    const commands = [];
    const recorder = {
      kind: src.kind,
      description: src.description,
      readFile: (p) => src.readFile(p),
      readDir: (p) => src.readDir(p),
      readLink: (p) => src.readLink(p),
      statfs: (p, o) => src.statfs(p, o),
      now: (label) => src.now(label),
      run: (spec) => {
        commands.push(spec.netnsPid === undefined ? [spec.cmd, [...spec.args]] : ['nsenter', ['--target', String(spec.netnsPid), '--net', '--', spec.cmd, ...spec.args]]);
        return src.run(spec);
      },
    };
    const first = await acrossNetns(c, targets.value).collect(recorder, { sampleIndex: 0 });
    const status = first[netnsStatusTable(c.id)];
    const notOk = status.status === 'ok' ? status.value.filter((r) => ours.has(r.key) && r.labels.status !== 'ok' && r.labels.status !== 'partial') : [];
    const diagMs = [];
    const bareMs = [];
    const oursOk = [];
    const diagCpuMs = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const cpu0 = process.cpuUsage();
      const o = await acrossNetns(c, targets.value).collect(src, { sampleIndex: 0 });
      diagMs.push(performance.now() - t);
      const cpu = process.cpuUsage(cpu0);
      diagCpuMs.push((cpu.user + cpu.system) / 1000);
      const st = o[netnsStatusTable(c.id)];
      oursOk.push(st.status === 'ok' ? st.value.filter((r) => ours.has(r.key) && (r.labels.status === 'ok' || r.labels.status === 'partial')).length : 0);
      t = performance.now();
      await runBare(commands, DEFAULT_COMMAND_CONCURRENCY);
      bareMs.push(performance.now() - t);
    }
    const d = ctx.stats(diagMs);
    const b = ctx.stats(bareMs);
    const perNs = d.median / targets.value.length;
    const dc = ctx.stats(diagCpuMs);
    ctx.log(`${c.id.padEnd(9)} --netns all: ${fmt(d.median)} ms (p10 ${fmt(d.p10)}, p90 ${fmt(d.p90)}), ${fmt(perNs)} ms/namespace, ${commands.length} commands, diag's own CPU ${fmt(dc.median)} ms (${fmt(dc.median / targets.value.length)} ms/namespace, commands not included); the same commands bare: ${fmt(b.median)} ms; ratio ${(d.median / b.median).toFixed(2)}x; our namespaces not collected: ${notOk.length} on the first pass, ${ready - Math.min(...oursOk)} at worst in the timed runs${notOk.length ? ` (${notOk.slice(0, 3).map((r) => `${r.key}: ${r.labels.status} ${r.labels.reason ?? ''}`).join('; ')})` : ''}`);
    figures.collectors[c.id] = { diagMs: d, diagCpuMs: dc, bareMs: b, ratio: Math.round((d.median / b.median) * 100) / 100, commands: commands.length, notCollected: notOk.length, oursCollectedWorst: Math.min(...oursOk) };
  }
  const totalDiag = Object.values(figures.collectors).reduce((s, f) => s + f.diagMs.median, 0);
  const totalBare = Object.values(figures.collectors).reduce((s, f) => s + f.bareMs.median, 0);
  ctx.log(`all five command collectors across ${targets.value.length} namespaces: ${fmt(totalDiag)} ms vs bare commands ${fmt(totalBare)} ms (${(totalDiag / totalBare).toFixed(2)}x)`);
  figures.totalMs = Math.round(totalDiag);
  figures.totalBareMs = Math.round(totalBare);
  return figures;
}
