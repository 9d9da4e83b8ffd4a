// Section "containers": what the cgroups and namespaces collectors cost, and what collecting
// everything costs with many network namespaces present (issue 3: "npm run bench reports the
// time to collect everything with 100 network namespaces present").
//
// References measured in the same run, in alternating rounds so load from elsewhere hits both:
//   cgroups     vs `systemd-cgtop -b -n 1 --raw` (reads the same cgroup trees), both as whole
//               processes (`node bin/diag.js collect cgroups --json`), plus diag in-process.
//   namespaces  vs `lsns -t net` (reads /proc/*/ns/net the same way), same comparison.
// Then with --cgroups N (default 300) extra v1 cgroups under cpu, cpuacct, memory and pids, and
// with --netns N (default 100) network namespaces, each with a sleeping process of ours inside:
// the same figures again, plus one sample of every registered collector, plus every netns-aware
// collector across all namespaces (`diag collect X --netns all`).
// Flags: --runs N (default 5), --cgroups N, --netns N.
// Everything made here is named diagt-bench-<pid>-*, bounded (sleep 300 with PDEATHSIG) and
// removed by the cleanup (processes killed by PID, namespaces deleted, cgroups removed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const PREFIX = `diagt-bench-${process.pid}`;
const V1_DIRS = ['cpu', 'cpuacct', 'memory', 'pids'].map((c) => `/sys/fs/cgroup/${c}`).filter((d) => existsSync(d));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

function have(cmd) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

/** Median wall ms of fn over `runs` alternating rounds of each named fn. */
async function alternate(ctx, fns, runs) {
  const ms = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (const fn of Object.values(fns)) await fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of Object.entries(fns)) {
      const t0 = performance.now();
      await fn();
      ms[k].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, ctx.stats(v).median]));
}

/** Exit statuses other than 0, per command: lsns fails now and then when a process exits mid-scan. */
const failures = {};
function cmdRunner(cmd, args) {
  return () => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'], timeout: 30_000 });
    if (r.error) throw r.error;
    if (r.status !== 0) failures[`${cmd} ${args.join(' ')}`] = (failures[`${cmd} ${args.join(' ')}`] ?? 0) + 1;
  };
}

function makeCgroups(ctx, n) {
  const made = [];
  const remove = () => {
    for (const d of made.splice(0).reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // already gone
      }
    }
  };
  ctx.onCleanup(remove);
  for (let i = 0; i < n; i++) {
    for (const h of V1_DIRS) {
      const d = join(h, `${PREFIX}-cg${i}`);
      mkdirSync(d);
      made.push(d);
    }
  }
  return remove;
}

async function makeNetns(ctx, n) {
  const names = Array.from({ length: n }, (_, i) => `${PREFIX}-ns${i}`);
  const children = [];
  const remove = () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    children.length = 0;
    spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((x) => `netns del ${x}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'], timeout: 60_000 });
  };
  ctx.onCleanup(remove);
  const add = spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((x) => `netns add ${x}\n`).join(''), stdio: ['pipe', 'ignore', 'pipe'], timeout: 60_000 });
  if (add.status !== 0) throw new Error(`ip netns add failed: ${add.stderr}`);
  const pdeath = spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout?.includes('--pdeathsig');
  for (const name of names) {
    const argv = pdeath ? ['netns', 'exec', name, 'setpriv', '--pdeathsig', 'KILL', '--', 'sleep', '300'] : ['netns', 'exec', name, 'sleep', '300'];
    children.push(spawn('ip', argv, { stdio: 'ignore' }));
  }
  const self = readlinkSync('/proc/self/ns/net');
  const deadline = Date.now() + 20_000;
  for (const c of children) {
    for (;;) {
      let entered = false;
      try {
        entered = readlinkSync(`/proc/${c.pid}/ns/net`) !== self;
      } catch {
        // not yet
      }
      if (entered) break;
      if (Date.now() > deadline) throw new Error('namespace members did not start within 20 s');
      await sleep(10);
    }
  }
  return remove;
}

export async function run(ctx) {
  if (process.getuid?.() !== 0) throw new Error('needs root (cgroups and network namespaces are created)');
  const runs = ctx.runs ?? 5;
  const nCg = Number(ctx.flags.cgroups ?? 300);
  const nNs = Number(ctx.flags.netns ?? 100);
  const { LiveSource } = await ctx.dist('src/core/live-source.js');
  const { collectSample } = await ctx.dist('src/core/sample.js');
  const { COLLECTORS } = await ctx.dist('collectors/index.js');
  const { acrossNetns, listNetns } = await ctx.dist('collectors/commands/netns.js');
  const cg = COLLECTORS.find((c) => c.id === 'cgroups');
  const ns = COLLECTORS.find((c) => c.id === 'namespaces');
  const src = new LiveSource();
  const diagBin = join(ctx.root, 'bin', 'diag.js');
  const hasCgtop = have('systemd-cgtop');
  const hasLsns = have('lsns');
  const figures = {};

  const measure = async (label) => {
    const fns = {
      cgroups_inproc: () => collectSample([cg], src),
      cgroups_cli: cmdRunner(process.execPath, [diagBin, 'collect', 'cgroups', '--json']),
      namespaces_inproc: () => collectSample([ns], src),
      namespaces_cli: cmdRunner(process.execPath, [diagBin, 'collect', 'namespaces', '--json']),
    };
    if (hasCgtop) fns.cgtop = cmdRunner('systemd-cgtop', ['-b', '-n', '1', '--raw']);
    if (hasLsns) fns.lsns = cmdRunner('lsns', ['-t', 'net']);
    const m = await alternate(ctx, fns, runs);
    const s = await collectSample([cg, ns], src);
    const rowsOf = (c, t) => {
      const o = s.collectors[c];
      return o?.status === 'ok' && o.value.tables[t]?.status === 'ok' ? o.value.tables[t].value.length : undefined;
    };
    m.cgroups_found = rowsOf('cgroups', 'cgroups');
    m.net_namespaces = rowsOf('namespaces', 'namespaces') === undefined ? undefined : s.collectors.namespaces.value.tables.namespaces.value.filter((r) => r.labels?.type === 'net').length;
    ctx.log(
      `${label}: ${m.cgroups_found} cgroups, ${m.net_namespaces} net namespaces | cgroups in-process ${fmt(m.cgroups_inproc)} ms, CLI ${fmt(m.cgroups_cli)} ms` +
        (hasCgtop ? `, systemd-cgtop ${fmt(m.cgtop)} ms (CLI ratio ${fmt(m.cgroups_cli / m.cgtop)}x)` : '') +
        ` | namespaces in-process ${fmt(m.namespaces_inproc)} ms, CLI ${fmt(m.namespaces_cli)} ms` +
        (hasLsns ? `, lsns -t net ${fmt(m.lsns)} ms (CLI ratio ${fmt(m.namespaces_cli / m.lsns)}x)` : ''),
    );
    return m;
  };

  figures.baseline = await measure('as the host is');

  const removeCg = makeCgroups(ctx, nCg);
  try {
    figures[`plus_${nCg}_cgroups`] = await measure(`+${nCg} v1 cgroups x ${V1_DIRS.length} hierarchies`);
  } finally {
    removeCg();
  }

  const removeNs = await makeNetns(ctx, nNs);
  try {
    const m = await measure(`+${nNs} network namespaces with a process each`);
    const targets = listNetns(src);
    if (targets.status !== 'ok') throw new Error(`listNetns: ${targets.reason}`);
    const perNetns = COLLECTORS.filter((c) => c.netns).map((c) => acrossNetns(c, targets.value));
    const all = await alternate(ctx, { everything: () => collectSample(COLLECTORS, src) }, 3);
    m.everything = all.everything;
    // Commands in every namespace take seconds: timed once, with what timed out or failed.
    const t0 = performance.now();
    const s = await collectSample(perNetns, src);
    m.netns_all = performance.now() - t0;
    m.netns_aware = perNetns.map((c) => c.id);
    m.netns_all_not_ok = {};
    for (const c of perNetns) {
      const st = s.collectors[c.id];
      const rows = st?.status === 'ok' ? st.value.tables[`${c.id}_netns`] : undefined;
      const bad = rows?.status === 'ok' ? rows.value.filter((r) => r.labels?.status !== 'ok').length : undefined;
      m.netns_all_not_ok[c.id] = bad;
    }
    ctx.log(`+${nNs} network namespaces: one sample of every collector (${COLLECTORS.length}) ${fmt(all.everything)} ms; --netns all of ${m.netns_aware.join(', ')} across ${targets.value.length} namespaces ${fmt(m.netns_all)} ms (namespaces not fully ok per collector: ${JSON.stringify(m.netns_all_not_ok)})`);
    figures[`plus_${nNs}_netns`] = m;
  } finally {
    removeNs();
  }
  if (Object.keys(failures).length > 0) {
    figures.command_failures = failures;
    ctx.log(`commands that exited non-zero (timed anyway): ${JSON.stringify(failures)}`);
  }
  return figures;
}
