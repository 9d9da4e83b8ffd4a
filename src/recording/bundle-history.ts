import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Collector } from '../core/collector.js';
import { answersToTree } from '../core/recording-source.js';
import { Sampler } from '../core/sampler.js';
import type { Source } from '../core/source.js';
import { BundleError, createArchive, readArchive } from '../bundle/archive.js';
import { BUNDLE_SCHEMA, type Manifest } from '../bundle/manifest.js';
import { Redactor } from '../bundle/redact.js';
import { MemoryTreeSource, treeEntries, type MemoryTree } from '../bundle/tree.js';
import { collectorSummary, removeStalePartials, snapshotTransform } from '../bundle/writer.js';
import { encodeFrame, FRAME_LANE, type FlatSample } from './frames.js';
import { unflattenAnswers } from './flat-answers.js';
import { flattenTree, History, type SampleRef } from './history.js';
import { MapStore, META_FILE, RECORDING_SCHEMA, segmentName, type RecordingMeta } from './store.js';

export const HISTORY_DIR = 'history';
/** Samples per segment of a bundle's history. */
const FRAMES_PER_SEGMENT = 360;

export interface RecordingSnapshotOptions {
  readonly history: History;
  readonly fromMs: number;
  readonly output: string;
  readonly force: boolean;
  readonly redact: boolean;
  readonly collectors: readonly Collector[];
  readonly diagVersion: string;
  readonly makeReport: (sources: readonly [Source, Source], windowMs: number) => Promise<{ report: unknown; markdown: string; model: unknown }>;
  readonly progress?: (msg: string) => void;
}

/**
 * A ticket bundle of a recording's history (`diag snapshot --recording DIR --since 15m`): every
 * sample from `fromMs` on, each turned into its fixture tree through the bundles' redaction
 * (snapshotTransform, one Redactor for all of them), stored as a recording of redacted trees under
 * `history/` (frames.ts, deduplicated between samples); its last two samples are the bundle's
 * `samples/0` and `samples/1`, judged for report.json, so `run playbook --from` judges the last
 * moment and `run playbook --recording BUNDLE --at/--since` any moment of the history.
 *
 * Redaction runs twice over the samples: the first pass learns every secret of the span, the
 * second writes the trees, so a secret seen in a late sample is masked in the early ones too.
 */
export async function writeRecordingSnapshot(opts: RecordingSnapshotOptions): Promise<{ file: string; bytes: number; samples: number; report: unknown; manifest: Manifest }> {
  const say = opts.progress ?? (() => {});
  const output = resolve(opts.output);
  if (existsSync(output) && !opts.force) throw new BundleError(`${output} already exists`, { hint: 'choose another name with -o, or add --force to replace it' });
  const all = opts.history.samples();
  let from = all.findIndex((s) => s.wallMs >= opts.fromMs);
  if (from < 0) from = all.length - 2;
  const refs: SampleRef[] = all.slice(Math.max(0, Math.min(from, all.length - 2)));
  if (refs.length < 2) throw new BundleError(`${opts.history.where} holds ${all.length} sample(s): a bundle needs two`, { hint: 'let diag record run for two intervals' });
  const redactor = opts.redact ? new Redactor() : undefined;
  const transform = snapshotTransform(redactor);
  const treeOf = (ref: SampleRef): MemoryTree | undefined => {
    const flat = opts.history.flat(ref);
    if (!flat) return undefined;
    return answersToTree(unflattenAnswers(flat).answers, transform, undefined, true);
  };
  if (redactor) {
    say(`learning the secrets of ${refs.length} samples`);
    for (const r of refs) treeOf(r);
  }
  say(`writing ${refs.length} samples, ${new Date(refs[0]!.wallMs).toISOString()} -> ${new Date(refs.at(-1)!.wallMs).toISOString()}`);
  const segments = new Map<string, Buffer>();
  let prev: FlatSample | undefined;
  let seg: { name: string; parts: Buffer[]; frames: number } | undefined;
  const last: MemoryTree[] = [];
  let kept = 0;
  let dropped = 0;
  for (const r of refs) {
    const tree = treeOf(r);
    if (!tree) continue;
    kept++;
    dropped += tree.dropped;
    last.push(tree);
    if (last.length > 2) last.shift();
    const flat = flattenTree(tree);
    if (!seg || seg.frames >= FRAMES_PER_SEGMENT) {
      if (seg) segments.set(seg.name, Buffer.concat(seg.parts));
      seg = { name: segmentName(r.wallMs, segments.size), parts: [], frames: 0 };
      prev = undefined;
    }
    // the span's first sample carries the lane's reading in effect then: flagged as one
    seg.parts.push(encodeFrame(r.wallMs, flat, prev, r.lane || kept === 1 ? FRAME_LANE : 0));
    seg.frames++;
    prev = flat;
  }
  if (seg) segments.set(seg.name, Buffer.concat(seg.parts));
  if (last.length < 2) throw new BundleError(`${opts.history.where}: fewer than two samples of the span decode`);
  const meta: RecordingMeta = { schema: RECORDING_SCHEMA, format: 'tree', intervalMs: opts.history.meta.intervalMs, host: redactor ? redactor.settle(opts.history.meta.host) : opts.history.meta.host, diagVersion: opts.diagVersion, startedAt: new Date(refs[0]!.wallMs).toISOString(), ...(opts.history.meta.lane ? { lane: opts.history.meta.lane } : {}) };

  const dirs = ['samples/0', 'samples/1'] as const;
  const sources = [new MemoryTreeSource(last[0]!, dirs[0]), new MemoryTreeSource(last[1]!, dirs[1])] as const;
  const c0 = sources[0].now('sample');
  const c1 = sources[1].now('sample');
  const windowMs = Math.max(1, Math.round(c1.monoMs - c0.monoMs));
  say('computing the use report of the last window');
  const { report, markdown, model } = await opts.makeReport(sources, windowMs);
  const window = await new Sampler([sources[0], sources[1]]).window(opts.collectors, windowMs);
  const s = transform.settle;
  const kernel = sources[1].readFile('/proc/sys/kernel/osrelease');
  const host = sources[1].readFile('/proc/sys/kernel/hostname');
  const manifest: Manifest = {
    schema: BUNDLE_SCHEMA,
    diagVersion: opts.diagVersion,
    createdAt: c0.wall,
    host: { hostname: host.status === 'ok' ? host.value.trim() : 'unknown', kernel: kernel.status === 'ok' ? kernel.value.trim() : 'unknown', machine: process.arch },
    windowMs,
    durationMs: 0,
    samples: [
      { dir: dirs[0], clock: c0 },
      { dir: dirs[1], clock: c1 },
    ],
    collectors: opts.collectors.map((c) => collectorSummary(c, window, 0)),
    probes: [],
    redaction: { enabled: opts.redact, obfuscated: false, rules: redactor ? redactor.summary() : [], droppedPaths: dropped },
    limits: { collectorTimeoutMs: 0, snapshotTimeoutMs: 0 },
    history: { dir: HISTORY_DIR, samples: kept, from: new Date(refs[0]!.wallMs).toISOString(), to: new Date(refs.at(-1)!.wallMs).toISOString(), intervalMs: meta.intervalMs, recording: s(opts.history.where) },
  };
  const outDir = dirname(output);
  const partial = join(outDir, `.${basename(output)}.partial-${process.pid}`);
  removeStalePartials(outDir);
  const archive = createArchive(partial, new Date());
  try {
    await archive.add(treeEntries(dirs[0], last[0]!));
    await archive.add(treeEntries(dirs[1], last[1]!));
    await archive.add([[`${HISTORY_DIR}/${META_FILE}`, JSON.stringify(meta, null, 2) + '\n'], ...[...segments].map(([n, b]) => [`${HISTORY_DIR}/${n}`, b] as const)]);
    await archive.add([
      ['records/model.json', s(JSON.stringify(model))],
      ['report.json', s(JSON.stringify(report, null, 2) + '\n')],
      ['report.md', s(markdown)],
      ['manifest.json', JSON.stringify(manifest, null, 2) + '\n'],
    ]);
    await archive.finish();
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, output);
  } finally {
    archive.abort();
    rmSync(partial, { force: true });
  }
  return { file: output, bytes: statSync(output).size, samples: kept, report, manifest };
}

/** The history a bundle holds (diag snapshot --recording), as a History; undefined for a bundle without one. */
export async function bundleHistory(file: string): Promise<History | undefined> {
  const entries = await readArchive(file);
  const prefix = `${HISTORY_DIR}/`;
  const files = new Map<string, Buffer>();
  for (const [p, b] of entries) if (p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) files.set(p.slice(prefix.length), b);
  const store = new MapStore(`${file}:${HISTORY_DIR}`, files);
  const meta = store.meta();
  return meta ? new History(store, meta) : undefined;
}
