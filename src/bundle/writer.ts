import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Collector, Sample } from '../core/collector.js';
import { FixtureSource } from '../core/fixture-source.js';
import { RecordingSource, type TextTransform } from '../core/recording-source.js';
import { collectWindow, type WindowSamples } from '../core/sample.js';
import type { Source } from '../core/source.js';
import { BundleError, packDir } from './archive.js';
import { BUNDLE_SCHEMA, type Manifest } from './manifest.js';
import { Obfuscator } from './obfuscate.js';
import { isForbiddenPath, Redactor } from './redact.js';

export interface SnapshotOptions {
  readonly live: Source;
  readonly collectors: readonly Collector[];
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
  readonly progress?: (msg: string) => void;
  /** Extra JSON documents stored at the bundle root, e.g. investigation.json from the TUI. */
  readonly extraFiles?: Readonly<Record<string, unknown>>;
}

export interface SnapshotResult {
  readonly file: string;
  readonly bytes: number;
  readonly manifest: Manifest;
  readonly report: unknown;
}

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

function collectorSummary(c: Collector, s: Sample): Manifest['collectors'][number] {
  const o = s.collectors[c.id];
  if (!o) return { id: c.id, status: 'error', reason: 'not collected' };
  if (o.status !== 'ok') return { id: c.id, status: /timed out/.test(o.reason) ? 'timeout' : o.status, reason: o.reason };
  const tables: NonNullable<Manifest['collectors'][number]['tables']> = {};
  let okCount = 0;
  for (const [tid, t] of Object.entries(o.value.tables)) {
    if (t.status === 'ok') {
      okCount++;
      tables[tid] = { status: 'ok', rows: t.value.length };
    } else tables[tid] = { status: t.status, reason: t.reason, ...(t.status === 'unavailable' && t.hint ? { hint: t.hint } : {}) };
  }
  const n = Object.keys(tables).length;
  return { id: c.id, status: okCount === n ? 'ok' : okCount > 0 ? 'partial' : 'unavailable', durationMs: Math.round(o.value.durationMs * 100) / 100, tables };
}

function hostNames(rec: RecordingSource): string[] {
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
 */
export async function writeSnapshot(opts: SnapshotOptions): Promise<SnapshotResult> {
  const say = opts.progress ?? (() => {});
  const output = resolve(opts.output);
  if (existsSync(output) && !opts.force) throw new BundleError(`${output} already exists`, { hint: 'choose another name with -o, or add --force to replace it' });
  const outDir = dirname(output);
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw new BundleError(`cannot write ${output}: ${outDir} is not a directory`);

  installCleanupHandlers();
  const started = performance.now();
  const stage = mkdtempSync(join(tmpdir(), 'diag-snapshot-'));
  inProgress.add(stage);
  const partial = join(outDir, `.${basename(output)}.partial-${process.pid}`);
  inProgress.add(partial);
  try {
    const rec0 = new RecordingSource(opts.live);
    const rec1 = new RecordingSource(opts.live);
    say(`recording ${opts.collectors.length} collectors over a ${opts.windowMs / 1000} s window`);
    const samples: WindowSamples = await withTimeout(
      collectWindow(opts.collectors, [rec0, rec1], opts.windowMs, { collectorTimeoutMs: opts.collectorTimeoutMs }),
      opts.snapshotTimeoutMs,
      'the snapshot',
    );

    const redactor = new Redactor();
    const obfuscator = opts.obfuscate ? new Obfuscator(`${Date.now()}-${Math.random()}`, hostNames(rec1)) : undefined;
    const transform: TextTransform = (kind, path, text) => {
      if (kind === 'file' && isForbiddenPath(path)) return undefined;
      let t = opts.redact ? (kind === 'file' ? redactor.file(path, text) : redactor.text(text)) : text;
      if (obfuscator) t = obfuscator.text(t);
      return t;
    };
    const dirs = ['samples/0', 'samples/1'];
    let dropped = 0;
    dropped += rec0.writeTree(join(stage, dirs[0]!), transform);
    dropped += rec1.writeTree(join(stage, dirs[1]!), transform);

    say('computing the use report from the recorded inputs');
    const sources = [new FixtureSource(join(stage, dirs[0]!), 'bundle'), new FixtureSource(join(stage, dirs[1]!), 'bundle')] as const;
    const { report, markdown, model } = await opts.makeReport(sources, opts.windowMs);

    const kernel = rec1.readFile('/proc/sys/kernel/osrelease');
    const host = rec1.readFile('/proc/sys/kernel/hostname');
    const hostname = host.status === 'ok' ? host.value.trim() : 'unknown';
    const manifest: Manifest = {
      schema: BUNDLE_SCHEMA,
      diagVersion: opts.diagVersion,
      createdAt: samples.first.clock.wall,
      host: {
        hostname: obfuscator ? obfuscator.text(hostname) : hostname,
        kernel: kernel.status === 'ok' ? kernel.value.trim() : 'unknown',
        machine: process.arch,
      },
      windowMs: opts.windowMs,
      durationMs: Math.round(performance.now() - started),
      samples: [
        { dir: dirs[0]!, clock: samples.first.clock },
        { dir: dirs[1]!, clock: samples.second.clock },
      ],
      collectors: opts.collectors.map((c) => collectorSummary(c, samples.second)),
      probes: [],
      redaction: {
        enabled: opts.redact,
        obfuscated: opts.obfuscate,
        rules: opts.redact ? redactor.summary() : [],
        ...(obfuscator ? { obfuscation: { ...obfuscator.counts } } : {}),
        droppedPaths: dropped,
      },
      limits: { collectorTimeoutMs: opts.collectorTimeoutMs, snapshotTimeoutMs: opts.snapshotTimeoutMs },
    };
    mkdirSync(join(stage, 'records'), { recursive: true });
    writeFileSync(join(stage, 'records', 'model.json'), JSON.stringify(model));
    writeFileSync(join(stage, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(stage, 'report.md'), markdown);
    writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    for (const [name, doc] of Object.entries(opts.extraFiles ?? {})) {
      if (!/^[a-z][a-z0-9-]*\.json$/.test(name) || ['manifest.json', 'report.json'].includes(name)) throw new BundleError(`invalid extra bundle file name ${JSON.stringify(name)}`);
      const text = JSON.stringify(doc, null, 2);
      writeFileSync(join(stage, name), (opts.redact ? redactor.text(text) : text) + '\n');
    }

    say(`packing ${basename(output)}`);
    await packDir(stage, partial);
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (existsSync(output) && !opts.force) throw new BundleError(`${output} appeared while the snapshot was taken`, { hint: 'add --force to replace it' });
    renameSync(partial, output);
    inProgress.delete(partial);
    return { file: output, bytes: statSync(output).size, manifest, report };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(partial, { force: true });
    inProgress.delete(stage);
    inProgress.delete(partial);
  }
}
