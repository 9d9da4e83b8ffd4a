// Section "redact": the snapshot's redaction (src/bundle/redact.ts) over a recorded tree of this
// host, as `diag snapshot` runs it: every /proc/PID/{stat,status,cmdline,limits,io,cgroup} and
// the system files a sample reads, recorded through a RecordingSource, then turned into the
// bundle's tree with the redaction TreeTransform (contents, every path and listing entry, settle)
// and without any (the tree alone): the difference is what redaction costs. --copies N repeats
// the per-process files under N times as many PIDs (default 4: a host with ~4x the processes).
// Figures: median ms per tree, MB/s of text redacted, ms per 1,000 processes.
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const SYSTEM = ['/proc/stat', '/proc/meminfo', '/proc/vmstat', '/proc/loadavg', '/proc/diskstats', '/proc/self/mountinfo', '/proc/net/dev', '/proc/net/snmp', '/proc/net/netstat', '/proc/net/sockstat'];
const PER_PID = ['stat', 'status', 'cmdline', 'limits', 'io', 'cgroup'];

export async function run(ctx) {
  const { LiveSource } = await ctx.dist('src/core/live-source.js');
  const { RecordingSource } = await ctx.dist('src/core/recording-source.js');
  const { Redactor } = await ctx.dist('src/bundle/redact.js');
  const copies = Number(ctx.flags.copies ?? 4);
  const runs = ctx.runs ?? 7;
  const live = new LiveSource();
  const rec = new RecordingSource(live);
  for (const f of SYSTEM) rec.readFile(f);
  const pids = readdirSync('/proc').filter((x) => /^\d+$/.test(x));
  rec.readDir('/proc');
  for (const pid of pids) for (const f of PER_PID) rec.readFile(`/proc/${pid}/${f}`);
  // more processes: the same files under PIDs no host uses (above pid_max's default)
  const perPid = [...rec.files].filter(([p]) => /^\/proc\/\d+\//.test(p));
  for (let c = 1; c < copies; c++) for (const [p, text] of perPid) rec.files.set(p.replace(/^\/proc\/(\d+)\//, (_m, pid) => `/proc/${5_000_000 * c + Number(pid)}/`), text);
  const processes = pids.length * copies;
  const bytes = [...rec.files.values()].reduce((a, t) => a + t.length, 0);
  // (a build from before names were redacted takes the text transform alone: --compare with such a build)
  const transformOf = (r) => (typeof r.path !== 'function' ? (k, p, t) => (k === 'file' ? r.file(p, t) : r.text(t)) : { text: (k, p, t) => (k === 'file' ? r.file(p, t) : r.text(t)), path: (p) => r.path(p), name: (n) => r.name(n), argv: (a) => r.argv(a), settle: (s) => r.settle(s), bytes: (b) => r.settleBytes(b) });
  const plain = [];
  const redacted = [];
  let hits = 0;
  for (let i = 0; i < runs; i++) {
    // alternate, so load from elsewhere hits both alike
    let t0 = performance.now();
    rec.toTree();
    plain.push(performance.now() - t0);
    const r = new Redactor();
    t0 = performance.now();
    rec.toTree(transformOf(r));
    redacted.push(performance.now() - t0);
    hits = [...r.hits.values()].reduce((a, b) => a + b, 0);
  }
  const p = ctx.stats(plain).median;
  const d = ctx.stats(redacted).median;
  const cost = Math.max(0, d - p);
  const figures = { processes, files: rec.files.size, megabytes: Math.round(bytes / 1e4) / 100, treeMs: Math.round(p * 10) / 10, redactedTreeMs: Math.round(d * 10) / 10, redactionMs: Math.round(cost * 10) / 10, mbPerSecond: Math.round((bytes / 1e6 / (cost / 1000)) * 10) / 10, msPer1000Processes: Math.round((cost / processes) * 1000 * 10) / 10, hits };
  ctx.log(`${processes} processes, ${rec.files.size} files, ${figures.megabytes} MB: tree ${figures.treeMs} ms, with redaction ${figures.redactedTreeMs} ms`);
  ctx.log(`redaction: ${figures.redactionMs} ms (${figures.mbPerSecond} MB/s, ${figures.msPer1000Processes} ms per 1,000 processes), ${hits} hits`);
  return figures;
}
