import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Collector, Sample } from '../core/collector.js';
import { RecordingSource, TextTable, type CaptureFilter, type TextTransform, type TreeTransform } from '../core/recording-source.js';
import type { WindowSamples } from '../core/sample.js';
import { Sampler } from '../core/sampler.js';
import type { Source } from '../core/source.js';
import { BundleError, createArchive, type TextParts } from './archive.js';
import { jsonParts } from '../core/json-parts.js';
import { BUNDLE_SCHEMA, type Manifest, type ManifestProbe } from './manifest.js';
import { Obfuscator } from './obfuscate.js';
import { isForbiddenPath, Redactor } from './redact.js';
import { MemoryTreeSource, recordedTree, treeEntries, type MemoryTree } from './tree.js';

export interface SnapshotOptions {
  readonly live: Source;
  readonly collectors: readonly Collector[];
  /**
   * Which collectors the first sample reads (those whose counters need a window; default all).
   * The others are read once, for the second sample (during the wait), as a playbook run reads them.
   */
  readonly inFirstSample?: (c: Collector) => boolean;
  readonly windowMs: number;
  /** Final path of the .tar.gz. */
  readonly output: string;
  readonly force: boolean;
  readonly redact: boolean;
  readonly obfuscate: boolean;
  readonly diagVersion: string;
  readonly collectorTimeoutMs: number;
  readonly snapshotTimeoutMs: number;
  /**
   * Computes report.json and report.md from the two samples as they are stored in the bundle
   * (redacted), so the report can never hold a secret the raw inputs do not.
   */
  readonly makeReport: (sources: readonly [Source, Source], windowMs: number) => Promise<{ report: unknown; markdown: string; model: unknown }>;
  /** The BPF probes and whether each could run here (checked, nothing loaded). A probe that a
   * drill-down of the report asks for is run, through `live.bpf`, and stored with sample 1. */
  readonly probes?: () => Promise<readonly ManifestProbe[]>;
  readonly progress?: (msg: string) => void;
  /** Extra JSON documents stored at the bundle root, e.g. investigation.json from the TUI. */
  readonly extraFiles?: Readonly<Record<string, unknown>>;
}

export interface SnapshotResult {
  readonly file: string;
  readonly bytes: number;
  readonly manifest: Manifest;
  readonly report: unknown;
  /** Where the time went: sample0, wait, sample1, redact, report, probes, pack, sync (fsync + rename) (ms). */
  readonly phasesMs: Readonly<Record<string, number>>;
  readonly totalMs: number;
}

function* mapParts(parts: Iterable<string>, f: (s: string) => string): Generator<string> {
  for (const p of parts) yield f(p);
}

/** Milliseconds, rounded for the manifest. */
const ms = (x: number) => Math.round(x * 10) / 10;

/** Temporary files of snapshots in progress, removed if diag is interrupted (SIGINT/SIGTERM). */
const inProgress = new Set<string>();
let handlersInstalled = false;
function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const clean = () => {
    for (const p of inProgress) rmSync(p, { recursive: true, force: true });
  };
  process.on('exit', clean);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      clean();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function durationOf(s: Sample, id: string): number | undefined {
  const o = s.collectors[id];
  return o?.status === 'ok' ? ms(o.value.durationMs) : undefined;
}

/** /etc/passwd reduced to name:x:uid:gid:::, what the processes collector reads of it. */
export function passwdNamesOnly(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      return f.length >= 4 ? `${f[0]}:x:${f[2]}:${f[3]}:::` : '';
    })
    .filter((l) => l.length > 0)
    .join('\n')
    .concat('\n');
}

/**
 * The TreeTransform every bundle's inputs go through (docs/architecture.md, "Redaction"): files
 * that are never stored dropped, file paths of open fds not stored, contents, names, paths and
 * argv redacted with `redactor` (none: --no-redact), then obfuscated with `obfuscator`.
 */
export function snapshotTransform(redactor: Redactor | undefined, obfuscator?: Obfuscator): TreeTransform {
  const text: TextTransform = (kind, path, t) => {
    if (kind === 'file' && isForbiddenPath(path)) return undefined;
    // The USER column needs a uid's name only: GECOS (real names, phone numbers), home
    // directories and shells of the host's accounts are not stored.
    if (kind === 'file' && path === '/etc/passwd') t = passwdNamesOnly(t);
    // Open files of processes say what people work on; diag only needs which fds are
    // sockets, pipes and the like (socket owners), so file paths are not stored.
    if (kind === 'link' && redactor && /^\/proc\/\d+\/fd\/\d+$/.test(path) && t.startsWith('/')) return '(file path not stored)';
    let out = redactor ? (kind === 'file' ? redactor.file(path, t) : redactor.text(t)) : t;
    if (obfuscator) out = obfuscator.text(out);
    // Unchanged text stays the very string read (one copy for recording and tree, not two).
    return out === t ? t : out;
  };
  // Redaction covers names too: paths, listings, keys, the argv of recorded commands.
  return redactor
    ? { text, path: (p) => redactor.path(p), name: (n) => redactor.name(n), argv: (a) => redactor.argv(a), settle: (t) => redactor.settle(t), bytes: (b) => redactor.settleBytes(b) }
    : { text, path: (p) => p, name: (n) => n, argv: (a) => [...a], settle: (t) => t, bytes: (b) => b };
}

export function collectorSummary(c: Collector, w: WindowSamples, timeoutMs: number): Manifest['collectors'][number] {
  const limits = { origin: c.origin, timeoutMs };
  const o = w.second.collectors[c.id];
  const first = w.first.collectors[c.id];
  // A collector that timed out in either sample is reported as such (the report then lacks its window).
  const timedOut = [first, o].find((x) => x !== undefined && x.status !== 'ok' && x.code === 'timeout');
  if (!o) return { id: c.id, ...limits, status: 'error', code: 'bug', reason: 'not collected' };
  if (o.status !== 'ok' || timedOut) {
    const bad = timedOut ?? o;
    if (bad.status === 'ok') return { id: c.id, ...limits, status: 'error', code: 'bug', reason: 'not collected' };
    return { id: c.id, ...limits, status: timedOut ? 'timeout' : bad.status, code: bad.code, reason: bad.reason };
  }
  const tables: NonNullable<Manifest['collectors'][number]['tables']> = {};
  let okCount = 0;
  for (const [tid, t] of Object.entries(o.value.tables)) {
    if (t.status === 'ok') {
      okCount++;
      tables[tid] = { status: 'ok', rows: t.value.length };
    } else tables[tid] = { status: t.status, code: t.code, reason: t.reason, ...(t.status === 'unavailable' && t.hint ? { hint: t.hint } : {}) };
  }
  const n = Object.keys(tables).length;
  const d0 = durationOf(w.first, c.id);
  return {
    id: c.id,
    ...limits,
    status: okCount === n ? 'ok' : okCount > 0 ? 'partial' : 'unavailable',
    durationMs: ms(o.value.durationMs),
    ...(d0 !== undefined ? { durationsMs: [d0, ms(o.value.durationMs)] } : {}),
    tables,
  };
}

function hostNames(rec: Source): string[] {
  const names: string[] = [];
  for (const p of ['/proc/sys/kernel/hostname', '/etc/hostname']) {
    const o = rec.readFile(p);
    if (o.status === 'ok' && o.value.trim()) names.push(o.value.trim());
  }
  const d = rec.readFile('/proc/sys/kernel/domainname');
  if (d.status === 'ok' && d.value.trim() && d.value.trim() !== '(none)') names.push(d.value.trim());
  for (const n of [...names]) if (n.includes('.')) names.push(n.split('.')[0]!);
  return names;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * A snapshot killed with -9 cannot remove its partial archive: the next snapshot written to the
 * same folder removes every `.NAME.tar.gz.partial-PID` whose writer is gone, whatever its NAME
 * (never one whose PID is alive: a live process may still be writing it).
 */
export function removeStalePartials(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    const m = /^\..+\.(?:tar\.gz|tgz)\.partial-([0-9]{1,10})$/.exec(e);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid > 0 && pid !== process.pid && !alive(pid)) {
      rmSync(join(dir, e), { force: true });
      removed.push(e);
    }
  }
  return removed;
}

/** What each BPF capture made during the snapshot says about its run (from its run.json). */
function capturedRuns(entries: ReadonlyArray<readonly [string, string | Buffer]>): Map<string, NonNullable<ManifestProbe['runs']>> {
  const out = new Map<string, NonNullable<ManifestProbe['runs']>>();
  for (const [path, content] of entries) {
    const m = /\/bpf\/([^/]+)\/run\.json$/.exec(path);
    if (!m || typeof content !== 'string') continue;
    const run = JSON.parse(content) as { request: { probe: string }; status?: 'unavailable' | 'error'; reason?: string; hook?: string; durationMs?: number };
    const entry = run.status
      ? { capture: m[1]!, status: run.status, ...(run.reason ? { reason: run.reason } : {}) }
      : { capture: m[1]!, status: 'ok' as const, ...(run.hook ? { hook: run.hook } : {}), ...(run.durationMs !== undefined ? { durationMs: ms(run.durationMs) } : {}) };
    out.set(run.request.probe, [...(out.get(run.request.probe) ?? []), entry]);
  }
  return out;
}

/**
 * `p` bounded by a time without progress rather than a total time: writing a large archive
 * (20,000 processes on a loaded host) may take longer than `ms` and still be moving; one that
 * stalls (a hung disk, a packer that waits for good) fails after `ms` without progress.
 */
function withStallTimeout<T>(p: Promise<T>, ms: number, what: string, progress: () => number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let last = progress();
  let since = performance.now();
  const t = new Promise<never>((_, reject) => {
    timer = setInterval(
      () => {
        const now = progress();
        if (now !== last) [last, since] = [now, performance.now()];
        else if (performance.now() - since >= ms) reject(new BundleError(`${what} made no progress for ${ms} ms`, { hint: 'the disk or the host may be stalled; retry, or write to another folder with -o' }));
      },
      Math.min(1000, ms),
    );
  });
  return Promise.race([p, t]).finally(() => clearInterval(timer));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BundleError(`${what} did not finish within ${ms} ms`, { hint: 'the host may be overloaded; retry, or use a shorter --window' })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Take a snapshot: record every raw input of a window's two samples, redact, compute the report
 * from the stored inputs, pack, and rename into place. Nothing appears under the final name
 * until the archive is complete; an interrupted snapshot leaves nothing there.
 *
 * The recorded trees stay in memory (a few MiB): they are redacted there, replayed there for
 * the report and streamed from there into the archive. Only the archive touches the disk.
 */
export async function writeSnapshot(opts: SnapshotOptions): Promise<SnapshotResult> {
  const say = opts.progress ?? (() => {});
  const output = resolve(opts.output);
  if (existsSync(output) && !opts.force) throw new BundleError(`${output} already exists`, { hint: 'choose another name with -o, or add --force to replace it' });
  const outDir = dirname(output);
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw new BundleError(`cannot write ${output}: ${outDir} is not a directory`);

  installCleanupHandlers();
  const started = performance.now();
  const phases: Record<string, number> = {};
  let mark = started;
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = ms(now - mark);
    mark = now;
  };
  const partial = join(outDir, `.${basename(output)}.partial-${process.pid}`);
  removeStalePartials(outDir);
  inProgress.add(partial);
  const archive = createArchive(partial, new Date());
  try {
    // Both samples' recordings keep one copy of each distinct text (an idle process's files are
    // the same in both samples; limits and cgroup files the same for many processes).
    const texts = new TextTable();
    const rec0 = new RecordingSource(opts.live, { texts });
    const rec1 = new RecordingSource(opts.live, { texts });
    const redactor = new Redactor();
    // Host names come straight from the live source (not recorded): sample 0 is transformed
    // before sample 1 exists.
    const obfuscator = opts.obfuscate ? new Obfuscator(`${Date.now()}-${Math.random()}`, hostNames(opts.live)) : undefined;
    const transform = snapshotTransform(opts.redact ? redactor : undefined, obfuscator);
    const dirs = ['samples/0', 'samples/1'] as const;
    // BPF captures hold raw kernel data: tcpretrans keys carry IP addresses, which an obfuscated
    // snapshot must not keep (the capture is stored as the reason instead, for report and replay alike).
    const refuseCapture: CaptureFilter = (c) => (opts.obfuscate && c.carries.includes('addresses') ? `BPF probe ${c.probe} records IP addresses: not stored in obfuscated snapshots` : undefined);

    say(`recording ${opts.collectors.length} collectors over a ${opts.windowMs / 1000} s window`);
    let probesPending: Promise<readonly ManifestProbe[]> | undefined;
    let tree0: MemoryTree | undefined;
    let packed0: Promise<void> | undefined;
    const inFirst = opts.inFirstSample;
    // Memory (issue 13): each step lets go of what the next does not need. The raw answers of a
    // sample are dropped once its redacted tree holds them (the tree shares every text redaction
    // left alone), the live samples' parsed tables once the manifest's summary is taken, the
    // first sample's tree once the report has read it; the process records are serialised one
    // chunk file at a time as they are packed.
    const live = await withTimeout(
      (async () => {
        // Each sample into its own recording, over the window, as a playbook run samples the host.
        const samples = await new Sampler([rec0, rec1], { collectorTimeoutMs: opts.collectorTimeoutMs }).window(opts.collectors, opts.windowMs, {
          ...(inFirst ? { once: (c: Collector) => !inFirst(c) } : {}),
          onPhase: (p) => phase(p === 'first' ? 'sample0' : p === 'wait' ? 'wait' : 'sample1'),
          // The window is idle time: check the probes (nothing is loaded), and redact and pack
          // the first sample meanwhile. Sample 1 starts on time; packing goes on around it.
          duringWait: () => {
            probesPending = opts.probes?.().catch((err: unknown) => [{ name: 'all', status: 'unavailable' as const, code: 'bug' as const, reason: `probe check failed: ${err instanceof Error ? err.message : String(err)}` }]);
            tree0 = recordedTree(rec0, transform, refuseCapture, true);
            rec0.clear();
            packed0 = archive.add(treeEntries(dirs[0], tree0));
            packed0.catch(() => {});
          },
        });
        // What the manifest says of the live samples: their clocks, each collector's outcome.
        return {
          clocks: [samples.first.clock, samples.second.clock] as const,
          collectors: opts.collectors.map((c) => collectorSummary(c, samples, opts.collectorTimeoutMs)),
        };
      })(),
      opts.snapshotTimeoutMs,
      'recording the two samples',
    );

    const kernel = rec1.readFile('/proc/sys/kernel/osrelease');
    const host = rec1.readFile('/proc/sys/kernel/hostname');
    let tree1: MemoryTree | undefined = recordedTree(rec1, transform, refuseCapture, true);
    rec1.clear();
    texts.clear();
    const dropped = tree0!.dropped + tree1.dropped;
    phase('redact');

    say('computing the use report from the recorded inputs');
    // A probe a drill-down asks for runs live now and is stored with the second sample, so the
    // report is judged from what the bundle holds and `run --from` shows the same BPF evidence.
    const capture = opts.live.bpf ? { capture: { live: opts.live.bpf, refuse: refuseCapture } } : {};
    let source1: MemoryTreeSource | undefined = new MemoryTreeSource(tree1, dirs[1], capture);
    const made: { report: unknown; markdown: string; model: unknown } = await opts.makeReport([new MemoryTreeSource(tree0!, dirs[0]), source1], opts.windowMs);
    const { report, markdown } = made;
    tree0 = undefined;
    const captured = source1.capturedEntries();
    source1 = undefined;
    phase('report');

    const runs = capturedRuns(captured);
    const probes = ((await probesPending) ?? []).map((p) => (runs.has(p.name) ? { ...p, runs: runs.get(p.name) } : p));
    phase('probes');

    const hostname = host.status === 'ok' ? host.value.trim() : 'unknown';
    const manifest: Manifest = {
      schema: BUNDLE_SCHEMA,
      diagVersion: opts.diagVersion,
      createdAt: live.clocks[0].wall,
      host: {
        hostname: obfuscator ? obfuscator.text(transform.name(hostname)) : transform.name(hostname),
        kernel: kernel.status === 'ok' ? kernel.value.trim() : 'unknown',
        machine: process.arch,
      },
      windowMs: opts.windowMs,
      durationMs: 0,
      samples: [
        { dir: dirs[0], clock: live.clocks[0] },
        { dir: dirs[1], clock: live.clocks[1] },
      ],
      collectors: live.collectors,
      probes: [...probes],
      redaction: {
        enabled: opts.redact,
        obfuscated: opts.obfuscate,
        rules: opts.redact ? redactor.summary() : [],
        ...(obfuscator ? { obfuscation: { ...obfuscator.counts } } : {}),
        droppedPaths: dropped,
      },
      limits: { collectorTimeoutMs: opts.collectorTimeoutMs, snapshotTimeoutMs: opts.snapshotTimeoutMs },
      phasesMs: phases,
    };
    // Judged from the masked trees; a BPF capture the report ran live may still name a process
    // by a name that was masked elsewhere: what redaction learned applies here too.
    // The model (the derived rows of every process) is written in parts, each settled, and let go
    // once packed: it is never one string (~1 KB per process).
    const settle = transform.settle;
    const modelEntry: [string, TextParts] = ['records/model.json', { parts: () => mapParts(jsonParts(made.model), settle) }];
    const root: Array<[string, string]> = [
      ['report.json', transform.settle(JSON.stringify(report, null, 2) + '\n')],
      ['report.md', transform.settle(markdown)],
    ];
    for (const [name, doc] of Object.entries(opts.extraFiles ?? {})) {
      if (!/^[a-z][a-z0-9-]*\.json$/.test(name) || ['manifest.json', 'report.json'].includes(name)) throw new BundleError(`invalid extra bundle file name ${JSON.stringify(name)}`);
      const text = JSON.stringify(doc, null, 2);
      root.push([name, (opts.redact ? redactor.text(text) : text) + '\n']);
    }

    say(`packing ${basename(output)}`);
    // The manifest goes in last, once every phase but packing is timed; packing is in the
    // progress line and the result, not in the manifest it would have to contain.
    manifest.durationMs = Math.round(performance.now() - started);
    root.push(['manifest.json', JSON.stringify(manifest, null, 2) + '\n']);
    await withStallTimeout(
      (async () => {
        await packed0;
        await archive.add([modelEntry]);
        made.model = undefined;
        await archive.add(treeEntries(dirs[1], tree1!));
        tree1 = undefined;
        await archive.add(captured.map(([p, content]) => [dirs[1] + p, typeof content === 'string' ? transform.settle(content) : transform.bytes(content)] as const));
        await archive.add(root);
        await archive.finish();
      })(),
      opts.snapshotTimeoutMs,
      'writing the archive',
      () => archive.written(),
    );
    phase('pack');
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (existsSync(output) && !opts.force) throw new BundleError(`${output} appeared while the snapshot was taken`, { hint: 'add --force to replace it' });
    renameSync(partial, output);
    inProgress.delete(partial);
    phase('sync');
    return { file: output, bytes: statSync(output).size, manifest, report, phasesMs: phases, totalMs: Math.round(performance.now() - started) };
  } finally {
    archive.abort();
    rmSync(partial, { force: true });
    inProgress.delete(partial);
  }
}
