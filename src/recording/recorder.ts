import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Collector } from '../core/collector.js';
import type { CollectorMemo } from '../core/collector-memo.js';
import { DiagError } from '../core/errors.js';
import { RecordingSource } from '../core/recording-source.js';
import { Sampler, type SamplerClock } from '../core/sampler.js';
import type { Source } from '../core/source.js';
import { flattenAnswers } from './flat-answers.js';
import { FRAME_LANE } from './frames.js';
import { SegmentWriter, type SegmentLimits } from './segment-writer.js';
import { DirStore, META_FILE, RECORDING_SCHEMA, type RecordingMeta } from './store.js';

export interface RecorderOptions {
  readonly dir: string;
  readonly intervalMs: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  /** The host as read (the CLI passes the dashboard's source: idle processes cost one read). */
  readonly source: Source;
  readonly collectors: readonly Collector[];
  /**
   * Collectors of events with their own timestamps (the recent changes: package logs, logins,
   * unit starts), read every `slowIntervalMs` only: their last answers are stored with every
   * sample between (deduplicated, they cost nothing), so each recorded moment replays them.
   */
  readonly slow?: readonly Collector[];
  readonly slowIntervalMs?: number;
  /**
   * The slow lane: collectors read only every `intervalMs` (rounded to a whole number of
   * samples; the first sample always reads them): those that run commands or enter namespaces
   * cost a process or many each. Their answers are carried unchanged by the samples between
   * (deduplicated: free), the frames of a reading flagged (FRAME_LANE), and a reader takes their
   * rates over the lane's readings around a window (lanes.ts).
   */
  readonly lane?: { readonly collectors: readonly Collector[]; readonly intervalMs: number };
  readonly memo?: CollectorMemo;
  /** Called before each sample (the dashboard source's tick). */
  readonly beforeSample?: () => void;
  readonly signal: AbortSignal;
  readonly diagVersion: string;
  readonly log: (msg: string) => void;
  readonly collectorTimeoutMs?: number;
  readonly clock?: SamplerClock;
  /** Called after each sample is stored (tests, the trigger). */
  readonly onSample?: (s: RecordedSample) => void | Promise<void>;
}

export interface RecordedSample {
  readonly index: number;
  readonly wallMs: number;
  readonly frameBytes: number;
  readonly entries: number;
  readonly totalBytes: number;
}

/**
 * Segments of about ten minutes (at least 6 samples, at most 360), and at most an eighth of the
 * size limit each (1 MiB to 64 MiB): the size limit is kept within one segment, and a power loss
 * costs at most one segment.
 */
export function segmentLimits(intervalMs: number, maxBytes: number, maxAgeMs: number): SegmentLimits {
  return {
    maxBytes,
    maxAgeMs,
    framesPerSegment: Math.min(360, Math.max(6, Math.round(600_000 / intervalMs))),
    segmentBytes: Math.min(64 * 1024 * 1024, Math.max(1024 * 1024, Math.floor(maxBytes / 8))),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** One recorder per directory: a lock file holding the recorder's PID (a stale one, of a process gone, is taken over). */
function lock(dir: string): () => void {
  const path = join(dir, 'recorder.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // removed meanwhile
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new DiagError(`${dir} is being recorded by process ${pid}`, { hint: 'stop that recorder first, or record into another --dir' });
      rmSync(path, { force: true });
    }
  }
  throw new DiagError(`could not lock ${dir} for recording`);
}

/**
 * `diag record`: sample the host every interval until the signal aborts, storing each sample's
 * raw answers (what the Source answered, before any parsing or derive) as a frame of the current
 * segment (frames.ts, segment-writer.ts). The directory is the recorder's alone (mode 0700, files
 * 0600): raw answers hold command lines, which may hold secrets; they are redacted when a bundle
 * is made from them (diag snapshot --recording).
 */
export async function recordHost(opts: RecorderOptions): Promise<{ samples: number; bytes: number }> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const unlock = lock(opts.dir);
  try {
    const store = new DirStore(opts.dir);
    const old = store.meta();
    if (old && old.format !== 'answers') throw new DiagError(`${opts.dir} holds a recording of another format (${old.format})`);
    const host = opts.source.readFile('/proc/sys/kernel/hostname');
    const laneCollectors = opts.lane?.collectors ?? [];
    const laneEvery = opts.lane ? Math.max(1, Math.round(opts.lane.intervalMs / opts.intervalMs)) : 1;
    const meta: RecordingMeta = {
      schema: RECORDING_SCHEMA,
      format: 'answers',
      intervalMs: opts.intervalMs,
      host: host.status === 'ok' ? host.value.trim() : 'unknown',
      diagVersion: opts.diagVersion,
      startedAt: new Date().toISOString(),
      ...(laneCollectors.length > 0 ? { lane: { collectors: laneCollectors.map((c) => c.id), intervalMs: laneEvery * opts.intervalMs } } : {}),
    };
    const tmp = join(opts.dir, `.${META_FILE}.${process.pid}`);
    writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, join(opts.dir, META_FILE));

    const writer = new SegmentWriter(opts.dir, segmentLimits(opts.intervalMs, opts.maxBytes, opts.maxAgeMs));
    const rec = new RecordingSource(opts.source);
    const sampler = new Sampler(rec, { ...(opts.collectorTimeoutMs !== undefined ? { collectorTimeoutMs: opts.collectorTimeoutMs } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
    const cadence = sampler.cadence(opts.collectors, opts.memo ? { memo: opts.memo } : {});
    const slow = opts.slow ?? [];
    const slowRec = new RecordingSource(opts.source);
    const slowSampler = new Sampler(slowRec, opts.collectorTimeoutMs !== undefined ? { collectorTimeoutMs: opts.collectorTimeoutMs } : {});
    const laneRec = new RecordingSource(opts.source);
    // the lane has its own cadence: its commands get up to 5 s on a loaded host, not one interval
    const laneSampler = new Sampler(laneRec, { collectorTimeoutMs: Math.min(5000, Math.max(opts.collectorTimeoutMs ?? 5000, opts.lane?.intervalMs ?? 0)) });
    let laneFlat = new Map<string, string>();
    let slowFlat = new Map<string, string>();
    let slowAt = -Infinity;
    let samples = 0;
    let removedSeen = 0;
    opts.beforeSample?.();
    try {
      for await (const step of cadence.every(opts.intervalMs, opts.signal)) {
        const answers = rec.drain();
        const parsed = Date.parse(step.sample.clock.wall);
        const wallMs = Number.isFinite(parsed) ? parsed : Date.now();
        const flat = flattenAnswers(answers);
        if (slow.length > 0 && wallMs - slowAt >= (opts.slowIntervalMs ?? 600_000)) {
          await slowSampler.sampleAt(slow, step.index);
          slowFlat = flattenAnswers(slowRec.drain());
          slowAt = wallMs;
        }
        const laneRead = laneCollectors.length > 0 && step.index % laneEvery === 0;
        if (laneRead) {
          await laneSampler.sampleAt(laneCollectors, step.index);
          laneFlat = flattenAnswers(laneRec.drain());
        }
        // the sample's own answers first: a file both read (dmesg) is this sample's
        for (const [k, v] of laneFlat) if (!flat.has(k)) flat.set(k, v);
        for (const [k, v] of slowFlat) if (!flat.has(k)) flat.set(k, v);
        const frameBytes = writer.append(wallMs, flat, laneRead ? FRAME_LANE : 0);
        samples++;
        if (writer.removed.length > removedSeen) {
          opts.log(`limits: removed ${writer.removed.length - removedSeen} old segment(s) (${writer.removed.slice(removedSeen).join(', ')}); ${(writer.totalBytes / 1048576).toFixed(1)} MiB kept`);
          removedSeen = writer.removed.length;
        }
        await opts.onSample?.({ index: step.index, wallMs, frameBytes, entries: flat.size, totalBytes: writer.totalBytes });
        opts.beforeSample?.();
      }
    } finally {
      writer.close();
    }
    return { samples, bytes: writer.totalBytes };
  } finally {
    unlock();
  }
}
