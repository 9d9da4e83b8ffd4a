// Section "bpf": diag's BPF probes against bpftrace (the Debian package) doing the same thing.
//   1. attach time: from starting the command until its programs are attached
//      (`diag probe runqlat` vs `bpftrace -e <runqlat>`), and diag's own in-process attach;
//   2. overhead: workload throughput under the runqlat probe relative to no probe, on
//      `stress-ng --switch 2` and on a pipe ping-pong pinned to one CPU (the worst case, two
//      wakeups and two switches per round trip), for diag and for bpftrace, in alternating
//      rounds so load from elsewhere hits all three alike; plus BPF ns per hook hit
//      (kernel.bpf_stats_enabled, switched on for the section and restored);
//   3. ring buffer: events per second delivered to JavaScript from a process making system
//      calls as fast as it can (native/bpf/ringbench.bpf.c), with lost events counted;
//   4. biosnoop and tcpconn against bpftrace scripts doing the same per-event work on the same
//      tracepoints (classic ones: bpftrace's biosnoop.bt and tcpconnlat.bt need kprobes, which
//      these kernels lack): BPF ns per hit with both attached to the same events (kernel
//      bpf_stats), and the throughput of direct 4 KiB writes to a loop device / TCP connects
//      over loopback under each, relative to no probe, in rotating rounds (on a loaded 2-CPU VM
//      the throughput varies several-fold run to run: the kernel's BPF time is the figure to judge);
//   5. syscalls, offcpu (--min-block 100us) and profile (49 Hz) against bpftrace scripts doing
//      the same aggregation, each on a getppid() loop and on the pinned ping-pong: BPF ns per hit
//      side by side and both loads' throughput under each (see aggregatingProbes).
// Goals (issue 4): attach faster than bpftrace; a smaller throughput cost than bpftrace's;
// >= 500k events/s with zero loss.
// Runs standalone too: `node bench/bpf.mjs` (needs root, a built addon and dist/).
// Flags: --runs N (rounds per figure, default 3), --seconds S (workload seconds, default 2),
// --only io-net (item 4 alone), --only probes [--probe syscalls,offcpu,profile] (item 5 alone).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNQLAT_BT = `
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { if (args->pid != 0) { @qtime[args->pid] = nsecs; } }
tracepoint:sched:sched_switch {
  if ((args->prev_state & 0xff) == 0 && args->prev_pid != 0) { @qtime[args->prev_pid] = nsecs; }
  $ns = @qtime[args->next_pid];
  if ($ns) { @usecs = hist((nsecs - $ns) / 1000); }
  delete(@qtime[args->next_pid]);
}
END { clear(@qtime); }`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

function compile(ctx, name) {
  const src = join(ctx.root, 'bench', 'c', `${name}.c`);
  const bin = join(ctx.buildDir, name);
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: ['ignore', 'inherit', 'inherit'] });
  return bin;
}

/** BPF program ids a process holds open (from /proc/PID/fdinfo). */
function progIds(pid) {
  const ids = [];
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return ids;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
      const m = /^prog_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.push(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return ids;
}

/** Run count and run time (ns) of BPF programs, from bpftool (kernel.bpf_stats_enabled=1). */
function progRunStats(ids) {
  const all = JSON.parse(execFileSync('bpftool', ['prog', 'list', '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  const want = new Set(ids);
  let runs = 0;
  let ns = 0;
  for (const p of all) {
    if (!want.has(p.id)) continue;
    runs += p.run_cnt ?? 0;
    ns += p.run_time_ns ?? 0;
  }
  return { runs, ns };
}

/** Number of BPF program fds a process holds. */
function progFds(pid) {
  let n = 0;
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return 0;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:bpf-prog') n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** A tracer process (diag or bpftrace) started in the background; stop() SIGINTs it and waits. */
function startTracer(ctx, kind) {
  const t0 = performance.now();
  const argv =
    kind === 'diag'
      ? [process.execPath, join(ctx.root, 'bin', 'diag.js'), 'probe', 'runqlat', '--duration', '120s', '--json']
      : ['bpftrace', '-f', 'json', '-e', RUNQLAT_BT];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const unregister = ctx.onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const pid = child.pid;
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const attached = (async () => {
    // diag: its three programs are loaded and attached (attach follows load within a ms);
    // bpftrace: it has said it attached (printed after loading, around attaching).
    for (let i = 0; i < 5000; i++) {
      const ready = kind === 'diag' ? progFds(child.pid) >= 3 : out.includes('"attached_probes"') && progFds(child.pid) >= 3;
      if (ready) return performance.now() - t0;
      if (child.exitCode !== null) throw new Error(`${kind} exited early: ${err.trim()}`);
      await sleep(1);
    }
    throw new Error(`${kind} did not attach within 5 s`);
  })();
  return {
    attached,
    pid,
    async stop() {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      unregister();
      return out;
    },
  };
}

async function runOut(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited ${code}: ${out.slice(-500)}`));
    });
  });
}

/** Workloads: each returns its throughput per wall-clock second and per CPU second of the
 * workload's own processes (higher is better; the second is robust to other load). */
function workloads(ctx, seconds) {
  const pingpong = compile(ctx, 'pingpong');
  return {
    'stress-ng --switch 2': async () => {
      const out = await runOut('stress-ng', ['--switch', '2', '-t', `${seconds}s`, '--metrics-brief'], (seconds + 20) * 1000);
      const m = /\bswitch\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+([\d.]+)/.exec(out);
      if (!m) throw new Error(`no switch metrics in stress-ng output: ${out.slice(-300)}`);
      return { wall: Number(m[1]), cpu: Number(m[2]) };
    },
    'pipe ping-pong pinned to CPU 1': async () => {
      const [wall, cpu] = (await runOut(pingpong, [String(seconds), '1'], (seconds + 20) * 1000)).trim().split(/\s+/).map(Number);
      return { wall, cpu };
    },
  };
}

async function attachTimes(ctx, runs) {
  const diag = [];
  const diagInProcess = [];
  const bpftrace = [];
  for (let i = 0; i < runs + 1; i++) {
    const d = startTracer(ctx, 'diag');
    const dt = await d.attached;
    const json = JSON.parse(await d.stop());
    const b = startTracer(ctx, 'bpftrace');
    const bt = await b.attached;
    await b.stop();
    if (i === 0) continue; // warm-up: page cache, first BTF parse
    diag.push(dt);
    diagInProcess.push(json.attachMs);
    bpftrace.push(bt);
  }
  const r = { diagMs: ctx.stats(diag), diagInProcessMs: ctx.stats(diagInProcess), bpftraceMs: ctx.stats(bpftrace) };
  r.ratioDiagToBpftrace = round(r.diagMs.median / r.bpftraceMs.median);
  ctx.log(`attach: diag probe runqlat ${r.diagMs.median.toFixed(1)} ms from start (of which load+attach ${r.diagInProcessMs.median.toFixed(1)} ms), bpftrace ${r.bpftraceMs.median.toFixed(1)} ms: ${r.ratioDiagToBpftrace}x bpftrace's (goal < 1)`);
  return r;
}

async function overhead(ctx, runs, seconds) {
  const results = {};
  for (const [name, work] of Object.entries(workloads(ctx, seconds))) {
    const by = { none: [], diag: [], bpftrace: [] };
    const cpuBy = { none: [], diag: [], bpftrace: [] };
    const nsPerHit = [];
    const conds = ['none', 'diag', 'bpftrace'];
    for (let round_ = 0; round_ < runs; round_++) {
      // rotate the order each round so a drift in outside load does not favour one condition
      for (const cond of [...conds.slice(round_ % 3), ...conds.slice(0, round_ % 3)]) {
        const tracer = cond === 'none' ? undefined : startTracer(ctx, cond);
        if (tracer) await tracer.attached;
        const w = await work();
        by[cond].push(w.wall);
        cpuBy[cond].push(w.cpu);
        const out = tracer ? await tracer.stop() : '';
        if (cond === 'diag') {
          const stats = JSON.parse(out).progStats;
          const hits = stats.reduce((a, s) => a + s.runCount, 0);
          if (hits > 0) nsPerHit.push(stats.reduce((a, s) => a + s.runTimeNs, 0) / hits);
        }
      }
    }
    const none = ctx.stats(by.none).median;
    const noneCpu = ctx.stats(cpuBy.none).median;
    const r = {
      unit: 'ops/s',
      perCpuSecond: { none: ctx.stats(cpuBy.none), diag: ctx.stats(cpuBy.diag), bpftrace: ctx.stats(cpuBy.bpftrace) },
      diagRelativeCpu: round(ctx.stats(cpuBy.diag).median / noneCpu),
      bpftraceRelativeCpu: round(ctx.stats(cpuBy.bpftrace).median / noneCpu),
      none: ctx.stats(by.none),
      diag: ctx.stats(by.diag),
      bpftrace: ctx.stats(by.bpftrace),
      diagRelative: round(ctx.stats(by.diag).median / none),
      bpftraceRelative: round(ctx.stats(by.bpftrace).median / none),
      diagBpfNsPerHit: nsPerHit.length ? round(ctx.stats(nsPerHit).median, 1) : undefined,
    };
    ctx.log(`overhead on ${name}: throughput under diag runqlat ${r.diagRelative}x, under bpftrace ${r.bpftraceRelative}x of no probe (${Math.round(none)} ops/s); per CPU second ${r.diagRelativeCpu}x vs ${r.bpftraceRelativeCpu}x; diag BPF time ${r.diagBpfNsPerHit ?? '?'} ns per hit`);
    results[name] = r;
  }
  return results;
}

/** Both tracers attached at once see the same events: BPF time per hook hit for each, measured
 * by the kernel (robust to load from elsewhere, unlike throughput). */
async function sideBySide(ctx, seconds) {
  const d = startTracer(ctx, 'diag');
  const b = startTracer(ctx, 'bpftrace');
  await Promise.all([d.attached, b.attached]);
  const dIds = progIds(d.pid);
  const bIds = progIds(b.pid);
  const d0 = progRunStats(dIds);
  const b0 = progRunStats(bIds);
  await runOut('stress-ng', ['--switch', '2', '-t', `${seconds}s`, '--quiet'], (seconds + 20) * 1000);
  const d1 = progRunStats(dIds);
  const b1 = progRunStats(bIds);
  await d.stop();
  await b.stop();
  const perHit = (a, z) => (z.runs - a.runs > 0 ? (z.ns - a.ns) / (z.runs - a.runs) : NaN);
  const r = {
    diagNsPerHit: round(perHit(d0, d1), 1),
    bpftraceNsPerHit: round(perHit(b0, b1), 1),
    hits: d1.runs - d0.runs,
    bpftraceHits: b1.runs - b0.runs,
  };
  r.ratio = round(r.diagNsPerHit / r.bpftraceNsPerHit);
  ctx.log(`side by side on stress-ng --switch 2 (same events): diag runqlat ${r.diagNsPerHit} ns per hit, bpftrace ${r.bpftraceNsPerHit} ns: ${r.ratio}x (${r.hits} hits)`);
  return r;
}

async function ringRate(ctx, seconds) {
  const { loadAddon } = await ctx.dist('collectors/bpf/addon.js');
  const { openFirstWorking, closeObject, readLost, RingStream } = await ctx.dist('collectors/bpf/session.js');
  const addon = loadAddon();
  if (addon.status !== 'ok') throw new Error(addon.reason);
  const bin = compile(ctx, 'syscalls');
  const producer = spawn(bin, [String(seconds)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const unregister = ctx.onCleanup(() => {
    if (producer.exitCode === null && producer.signalCode === null) producer.kill('SIGKILL');
  });
  let produced = '';
  producer.stdout.on('data', (d) => (produced += d));
  const done = new Promise((resolve) => producer.once('exit', resolve));
  const opened = openFirstWorking({
    addon: addon.value,
    object: 'ringbench',
    variants: [{ hook: 'raw_tp', programs: ['sys_enter_raw'] }],
    configure: (obj) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(producer.pid);
      obj.setGlobal('target_tgid', b);
    },
  });
  if (opened.status !== 'ok') throw new Error(opened.reason);
  const obj = opened.value.obj;
  let received = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stream = new RingStream(obj, 'events', (rec) => {
    // decode as a consumer would, so the figure includes it
    if (rec.length >= 24 && rec.readUInt32LE(16) !== 0) received++;
  });
  producer.stdin.write('go\n');
  await done;
  await stream.stop();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const lost = readLost(obj, addon.value.possibleCpus());
  closeObject(obj);
  unregister();
  const syscalls = Number(produced.trim());
  const r = {
    syscalls,
    received,
    lostRingFull: lost.ring,
    seconds: round(elapsed, 2),
    eventsPerSecond: Math.round(received / seconds),
    diagCpuUsPerEvent: round((cpu.user + cpu.system) / received, 3),
    zeroLoss: lost.ring === 0 && received >= syscalls,
  };
  ctx.log(`ring buffer: ${r.eventsPerSecond} events/s delivered to JavaScript (${received} received, ${syscalls} system calls made, ${lost.ring} lost: ring full), diag CPU ${r.diagCpuUsPerEvent} µs per event (goal >= 500000/s, zero loss)`);
  return r;
}

// bpftrace equivalents of biosnoop and tcpconn: the same per-event record to user space.
const BIOSNOOP_BT = `
tracepoint:block:block_rq_issue { @start[args->dev, args->sector] = nsecs; @who[args->dev, args->sector] = pid; }
tracepoint:block:block_rq_complete /@start[args->dev, args->sector]/ {
  printf("%d %d %d %d %d\\n", @who[args->dev, args->sector], args->dev, args->sector, args->nr_sector, (nsecs - @start[args->dev, args->sector]) / 1000);
  delete(@start[args->dev, args->sector]); delete(@who[args->dev, args->sector]);
}
END { clear(@start); clear(@who); }`;
const TCPCONN_BT = `
tracepoint:sock:inet_sock_set_state /args->protocol == 6/ {
  if (args->newstate == 2) { @syn[args->skaddr] = nsecs; @who[args->skaddr] = pid; }
  $lat = (uint64)0;
  if (args->oldstate == 2 && args->newstate == 1 && @syn[args->skaddr]) { $lat = nsecs - @syn[args->skaddr]; }
  printf("%d %d %d %d %d\\n", @who[args->skaddr], args->oldstate, args->newstate, args->dport, $lat);
  if (args->newstate == 7) { delete(@syn[args->skaddr]); delete(@who[args->skaddr]); }
}
END { clear(@syn); clear(@who); }`;

// Sequential TCP connects over loopback (connect, wait for established, close) for N seconds:
// prints connects per second.
const CONNECTS_JS = (seconds) => `
const net = require('net');
const srv = net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(0, '127.0.0.1', () => {
  const end = Date.now() + ${seconds * 1000}; let n = 0; const t0 = Date.now();
  const one = () => {
    if (Date.now() >= end) { console.log(n / ((Date.now() - t0) / 1000)); srv.close(); process.exit(0); }
    const c = net.connect(srv.address().port, '127.0.0.1', () => { n++; c.destroy(); one(); });
    c.on('error', () => {});
  };
  one();
});`;

/** A command started in the background, ready once it holds `progs` BPF program fds (and, for
 * bpftrace, has said it attached); stop() SIGINTs it and waits. Its stdout is drained. */
function startCmd(ctx, argv, progs) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const unregister = ctx.onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  const bpftrace = argv[0] === 'bpftrace';
  child.stdout.on('data', (d) => {
    if (!bpftrace || out.length < 4096) out += d;
  });
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const attached = (async () => {
    for (let i = 0; i < 10000; i++) {
      if (progFds(child.pid) >= progs && (!bpftrace || out.includes('"attached_probes"'))) return;
      if (child.exitCode !== null) throw new Error(`${argv[0]} exited early: ${err.trim().slice(-500)}`);
      await sleep(1);
    }
    throw new Error(`${argv[0]} did not attach within 10 s`);
  })();
  return {
    attached,
    pid: child.pid,
    async stop() {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
      unregister();
      return out;
    },
  };
}

/** biosnoop and tcpconn against their bpftrace equivalents (see the header, item 4). */
async function ioNetProbes(ctx, runs, seconds) {
  // a loop device of our own for the I/O workload
  const img = join(ctx.buildDir, `diagt-bench-bio-${process.pid}.img`);
  execFileSync('truncate', ['-s', '256M', img]);
  const dev = execFileSync('losetup', ['--find', '--show', img], { encoding: 'utf8' }).trim();
  ctx.onCleanup(() => {
    execFileSync('losetup', ['-d', dev]);
    execFileSync('rm', ['-f', img]);
  });
  const ios = 20000;
  const work = {
    biosnoop: async () => {
      const t0 = performance.now();
      await runOut('dd', ['if=/dev/zero', `of=${dev}`, 'bs=4k', `count=${ios}`, 'oflag=direct', 'status=none'], 120_000);
      return ios / ((performance.now() - t0) / 1000);
    },
    tcpconn: async () => Number((await runOut(process.execPath, ['-e', CONNECTS_JS(seconds)], (seconds + 20) * 1000)).trim()),
  };
  const tracers = {
    biosnoop: { diag: [process.execPath, join(ctx.root, 'bin', 'diag.js'), 'probe', 'biosnoop', '--duration', '120s', '--json'], diagProgs: 2, bpftrace: ['bpftrace', '-f', 'json', '-e', BIOSNOOP_BT], btProgs: 2, unit: 'direct 4 KiB writes/s' },
    tcpconn: { diag: [process.execPath, join(ctx.root, 'bin', 'diag.js'), 'probe', 'tcpconn', '--duration', '120s', '--json'], diagProgs: 1, bpftrace: ['bpftrace', '-f', 'json', '-e', TCPCONN_BT], btProgs: 1, unit: 'TCP connects/s (loopback)' },
  };
  const results = {};
  for (const [probe, t] of Object.entries(tracers)) {
    // side by side: both attached, the same events, BPF time per hit from the kernel
    const d = startCmd(ctx, t.diag, t.diagProgs);
    const b = startCmd(ctx, t.bpftrace, t.btProgs);
    await Promise.all([d.attached, b.attached]);
    const dIds = progIds(d.pid);
    const bIds = progIds(b.pid);
    const d0 = progRunStats(dIds);
    const b0 = progRunStats(bIds);
    await work[probe]();
    const d1 = progRunStats(dIds);
    const b1 = progRunStats(bIds);
    await d.stop();
    await b.stop();
    const perHit = (a, z) => (z.runs - a.runs > 0 ? (z.ns - a.ns) / (z.runs - a.runs) : NaN);
    // throughput: none / diag / bpftrace in rotating rounds
    const by = { none: [], diag: [], bpftrace: [] };
    const conds = ['none', 'diag', 'bpftrace'];
    for (let r = 0; r < runs; r++) {
      for (const cond of [...conds.slice(r % 3), ...conds.slice(0, r % 3)]) {
        const tr = cond === 'none' ? undefined : startCmd(ctx, cond === 'diag' ? t.diag : t.bpftrace, cond === 'diag' ? t.diagProgs : t.btProgs);
        if (tr) await tr.attached;
        by[cond].push(await work[probe]());
        if (tr) await tr.stop();
      }
    }
    const none = ctx.stats(by.none).median;
    const res = {
      unit: t.unit,
      diagNsPerHit: round(perHit(d0, d1), 1),
      bpftraceNsPerHit: round(perHit(b0, b1), 1),
      hits: d1.runs - d0.runs,
      bpftraceHits: b1.runs - b0.runs,
      none: ctx.stats(by.none),
      diag: ctx.stats(by.diag),
      bpftrace: ctx.stats(by.bpftrace),
      diagRelative: round(ctx.stats(by.diag).median / none),
      bpftraceRelative: round(ctx.stats(by.bpftrace).median / none),
    };
    res.nsPerHitRatio = round(res.diagNsPerHit / res.bpftraceNsPerHit);
    // per event of the workload: all BPF time over the same window (diag's biosnoop runs three
    // programs per I/O, bpftrace's script two)
    res.diagTotalNs = d1.ns - d0.ns;
    res.bpftraceTotalNs = b1.ns - b0.ns;
    res.totalNsRatio = round(res.diagTotalNs / res.bpftraceTotalNs);
    ctx.log(`${probe}: BPF time per hit (same events) diag ${res.diagNsPerHit} ns, bpftrace ${res.bpftraceNsPerHit} ns: ${res.nsPerHitRatio}x (${res.hits} vs ${res.bpftraceHits} hits), all BPF time in the window ${res.totalNsRatio}x bpftrace's; ${t.unit} under diag ${res.diagRelative}x, under bpftrace ${res.bpftraceRelative}x of no probe (${Math.round(none)})`);
    results[probe] = res;
  }
  return results;
}

// bpftrace equivalents of syscalls, offcpu and profile: the same aggregation in the kernel.
const SYSCALLS_BT = `
tracepoint:raw_syscalls:sys_enter { @start[tid] = nsecs; @nr[tid] = args->id; }
tracepoint:raw_syscalls:sys_exit /@start[tid]/ {
  $d = nsecs - @start[tid]; $k = @nr[tid];
  @count[pid, $k] = count(); @total[pid, $k] = sum($d); @lat[pid, $k] = hist($d); @max[pid, $k] = max($d);
  delete(@start[tid]); delete(@nr[tid]);
}
END { clear(@start); clear(@nr); clear(@count); clear(@total); clear(@lat); clear(@max); }`;
// offcputime.bt needs a kprobe (finish_task_switch): at sched_switch the task switched out is
// still current, so its stacks are walked there, as diag's offcpu does; blocks >= 100 µs.
const OFFCPU_BT = `
tracepoint:sched:sched_switch {
  if (args->prev_pid != 0) { @start[args->prev_pid] = nsecs; @ks[args->prev_pid] = kstack; @us[args->prev_pid] = ustack; @st[args->prev_pid] = args->prev_state; }
  $s = @start[args->next_pid];
  if ($s) {
    $d = nsecs - $s;
    if ($d >= 100000) { @off[args->next_pid, args->next_comm, @ks[args->next_pid], @us[args->next_pid], @st[args->next_pid]] = sum($d); }
    delete(@start[args->next_pid]);
  }
}
END { clear(@start); clear(@ks); clear(@us); clear(@st); clear(@off); }`;
const PROFILE_BT = `
profile:hz:49 /pid != 0/ { @[pid, tid, comm, kstack, ustack] = count(); }
END { clear(@); }`;

/** Item 5: syscalls, offcpu and profile against their bpftrace equivalents, each on a
 * system-call-heavy load (getppid() in a loop) and a context-switch-heavy one (the pinned pipe
 * ping-pong): BPF ns per hit with both attached to the same events, and each load's throughput
 * (per wall and per CPU second) under diag, under bpftrace and under no probe, in rotating
 * rounds; one tracer run serves both loads. */
async function aggregatingProbes(ctx, runs, seconds) {
  const sc = compile(ctx, 'syscalls');
  const pingpong = compile(ctx, 'pingpong');
  const loads = {
    'getppid() loop': async () => {
      const [wall, cpu] = (await runOut(sc, [String(seconds), 'rate'], (seconds + 20) * 1000)).trim().split(/\s+/).map(Number);
      return { wall, cpu };
    },
    'pipe ping-pong pinned to CPU 1': async () => {
      const [wall, cpu] = (await runOut(pingpong, [String(seconds), '1'], (seconds + 20) * 1000)).trim().split(/\s+/).map(Number);
      return { wall, cpu };
    },
  };
  const diag = (...args) => [process.execPath, join(ctx.root, 'bin', 'diag.js'), 'probe', ...args, '--duration', '300s', '--json'];
  const tracers = {
    syscalls: { diag: diag('syscalls'), diagProgs: 2, bpftrace: ['bpftrace', '-f', 'json', '-e', SYSCALLS_BT] },
    offcpu: { diag: diag('offcpu', '--min-block', '100us'), diagProgs: 1, bpftrace: ['bpftrace', '-f', 'json', '-e', OFFCPU_BT] },
    profile: { diag: diag('profile', '--hz', '49'), diagProgs: 1, bpftrace: ['bpftrace', '-f', 'json', '-e', PROFILE_BT] },
  };
  const only = ctx.flags.probe ? String(ctx.flags.probe).split(',') : Object.keys(tracers);
  const perHit = (a, z) => (z.runs - a.runs > 0 ? (z.ns - a.ns) / (z.runs - a.runs) : NaN);
  const results = {};
  for (const [probe, t] of Object.entries(tracers)) {
    if (!only.includes(probe)) continue;
    const start = (cond) => startCmd(ctx, cond === 'diag' ? t.diag : t.bpftrace, cond === 'diag' ? t.diagProgs : 1);
    // side by side: both attached to the same events, per load
    const side = {};
    {
      const d = start('diag');
      const b = start('bpftrace');
      await Promise.all([d.attached, b.attached]);
      const dIds = progIds(d.pid);
      const bIds = progIds(b.pid);
      for (const [load, work] of Object.entries(loads)) {
        const d0 = progRunStats(dIds);
        const b0 = progRunStats(bIds);
        await work();
        const d1 = progRunStats(dIds);
        const b1 = progRunStats(bIds);
        const s = { diagNsPerHit: round(perHit(d0, d1), 1), bpftraceNsPerHit: round(perHit(b0, b1), 1), hits: d1.runs - d0.runs, bpftraceHits: b1.runs - b0.runs, diagTotalNs: d1.ns - d0.ns, bpftraceTotalNs: b1.ns - b0.ns };
        s.nsPerHitRatio = round(s.diagNsPerHit / s.bpftraceNsPerHit);
        s.totalNsRatio = round(s.diagTotalNs / s.bpftraceTotalNs);
        side[load] = s;
      }
      await d.stop();
      await b.stop();
    }
    // throughput: none / diag / bpftrace in rotating rounds, both loads per tracer run
    const by = Object.fromEntries(Object.keys(loads).map((l) => [l, { none: [], diag: [], bpftrace: [], noneCpu: [], diagCpu: [], bpftraceCpu: [] }]));
    const conds = ['none', 'diag', 'bpftrace'];
    for (let r = 0; r < runs; r++) {
      for (const cond of [...conds.slice(r % 3), ...conds.slice(0, r % 3)]) {
        const tr = cond === 'none' ? undefined : start(cond);
        if (tr) await tr.attached;
        for (const [load, work] of Object.entries(loads)) {
          const w = await work();
          by[load][cond].push(w.wall);
          by[load][`${cond}Cpu`].push(w.cpu);
        }
        if (tr) await tr.stop();
      }
    }
    results[probe] = {};
    for (const load of Object.keys(loads)) {
      const b = by[load];
      const med = (k) => ctx.stats(b[k]).median;
      const res = {
        ...side[load],
        unit: 'ops/s',
        none: ctx.stats(b.none),
        diag: ctx.stats(b.diag),
        bpftrace: ctx.stats(b.bpftrace),
        diagRelative: round(med('diag') / med('none')),
        bpftraceRelative: round(med('bpftrace') / med('none')),
        diagRelativeCpu: round(med('diagCpu') / med('noneCpu')),
        bpftraceRelativeCpu: round(med('bpftraceCpu') / med('noneCpu')),
      };
      ctx.log(`${probe} on ${load}: BPF ns per hit (same events) diag ${res.diagNsPerHit}, bpftrace ${res.bpftraceNsPerHit}: ${res.nsPerHitRatio}x (${res.hits} vs ${res.bpftraceHits} hits), all BPF time ${res.totalNsRatio}x; throughput under diag ${res.diagRelative}x, under bpftrace ${res.bpftraceRelative}x of no probe (${Math.round(med('none'))} ops/s), per CPU second ${res.diagRelativeCpu}x vs ${res.bpftraceRelativeCpu}x`);
      results[probe][load] = res;
    }
  }
  return results;
}

export async function run(ctx) {
  if (process.getuid?.() !== 0) throw new Error('needs root (BPF)');
  const runs = ctx.runs ?? 3;
  const seconds = Number(ctx.flags.seconds ?? 2);
  // BPF run-time statistics for the section, restored afterwards.
  const statsPath = '/proc/sys/kernel/bpf_stats_enabled';
  const statsBefore = readFileSync(statsPath, 'utf8').trim();
  writeFileSync(statsPath, '1');
  ctx.onCleanup(() => writeFileSync(statsPath, statsBefore));
  // bpftrace's tracepoints need tracefs.
  if (!existsSync('/sys/kernel/tracing/events')) {
    execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
    ctx.onCleanup(() => execFileSync('umount', ['/sys/kernel/tracing']));
  }
  // --only io-net: item 4 alone
  if (ctx.flags.only === 'io-net') return { ioNet: await ioNetProbes(ctx, runs, seconds) };
  // --only probes [--probe syscalls,offcpu,profile]: item 5 alone
  if (ctx.flags.only === 'probes') return { aggregating: await aggregatingProbes(ctx, runs, seconds) };
  return {
    attach: await attachTimes(ctx, Math.max(runs, 3)),
    overhead: await overhead(ctx, runs, seconds),
    bpfTimeSideBySide: await sideBySide(ctx, seconds),
    ring: await ringRate(ctx, seconds),
    ioNet: await ioNetProbes(ctx, runs, seconds),
    aggregating: await aggregatingProbes(ctx, runs, seconds),
  };
}

// Standalone: node bench/bpf.mjs [--runs N] [--seconds S]
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const cleanups = [];
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const stats = (values) => {
    const s = [...values].sort((a, b) => a - b);
    const median = s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return { n: s.length, median: round(median), min: round(s[0] ?? NaN), max: round(s[s.length - 1] ?? NaN) };
  };
  const buildDir = join(root, 'bench', '.build');
  execFileSync('mkdir', ['-p', buildDir]);
  const ctx = {
    name: 'bpf',
    root,
    buildDir,
    runs: flag('runs') === undefined ? undefined : Number(flag('runs')),
    flags: { seconds: flag('seconds'), only: flag('only'), probe: flag('probe') },
    dist: (rel) => import(pathToFileURL(join(root, 'dist', rel)).href),
    log: (line) => process.stdout.write(`bpf: ${line}\n`),
    stats,
    onCleanup(fn) {
      cleanups.push(fn);
      return () => cleanups.splice(cleanups.indexOf(fn), 1);
    },
  };
  const undo = () => {
    for (const fn of cleanups.splice(0).reverse()) fn();
  };
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (undo(), process.exit(130)));
  try {
    const figures = await run(ctx);
    process.stdout.write(`BENCH_JSON ${JSON.stringify({ schema: 'diag.bench/v1', sections: { bpf: figures } })}\n`);
  } finally {
    undo();
  }
}
