import type { Source } from '../core/source.js';
import type { History, SampleRef } from './history.js';

/**
 * The slow lane of a recording (store.ts RecordingMeta.lane): collectors read every
 * `lane.intervalMs` only (those that run commands or enter namespaces: ss, tc, nft, ethtool,
 * conntrack...), their answers carried unchanged by the samples between readings. Over a window
 * of two samples their counters would not move (the same reading twice): their rates are taken
 * over the lane's two readings nearest the window instead, the one in effect at its start and
 * the first one at or after its end, and the report says so.
 */

/** Which samples carry the lane's readings for the window samples[ia] -> samples[ib]. */
export interface LanePair {
  /** Indices (into the samples given) of the samples whose trees carry the two readings. */
  readonly carriers: readonly [number, number];
  /** Indices of the samples the two readings were taken in. */
  readonly readings: readonly [number, number];
}

/** The latest sample at or before i that read the lane, or -1. */
function readingAt(samples: readonly SampleRef[], i: number): number {
  for (let j = i; j >= 0; j--) if (samples[j]!.lane) return j;
  return -1;
}

/**
 * The lane's readings around a window (indices into `samples`, oldest first): the reading in
 * effect at its start and the first one at or after its end (no later than `maxAheadMs` after
 * it); at the end of a recording, the last two readings. Undefined when the window has no lane
 * (a recording made before lanes existed: every collector was read every sample) or only one
 * reading is there (the lane then gives levels, no rates).
 */
export function lanePair(samples: readonly SampleRef[], ia: number, ib: number, maxAheadMs: number): LanePair | undefined {
  const start = readingAt(samples, ia);
  const atEnd = readingAt(samples, ib);
  if (start < 0 && atEnd < 0) return undefined;
  if (samples[ib]!.lane && atEnd !== start) return { carriers: [ia, ib], readings: [start < 0 ? ia : start, ib] };
  for (let j = ib + 1; j < samples.length && samples[j]!.wallMs - samples[ib]!.wallMs <= maxAheadMs; j++) {
    if (samples[j]!.lane) return start < 0 ? undefined : { carriers: [ia, j], readings: [start, j] };
  }
  // no reading after the window (yet): a reading inside it, else the last two readings
  if (atEnd > start && start >= 0) return { carriers: [ia, ib], readings: [start, atEnd] };
  const before = atEnd > 0 ? readingAt(samples, atEnd - 1) : -1;
  return before >= 0 ? { carriers: [atEnd - 1, ib], readings: [before, atEnd] } : undefined;
}

/** What a report says of a check judged over the lane's readings. */
export function laneNote(samples: readonly SampleRef[], pair: LanePair, laneIntervalMs: number): string {
  const t = (i: number) => new Date(samples[i]!.wallMs).toISOString();
  const s = (samples[pair.readings[1]]!.wallMs - samples[pair.readings[0]]!.wallMs) / 1000;
  return `rates over the recording's slow lane (read every ${laneIntervalMs / 1000} s): its readings at ${t(pair.readings[0])} and ${t(pair.readings[1])}, ${s.toFixed(1)} s`;
}

/** The lane of a recorded window as a run takes it (RunOptions.lane), or undefined when the window has none. */
export interface RecordedLane {
  readonly collectors: ReadonlySet<string>;
  readonly sources: readonly [Source, Source];
  readonly note: string;
}

/**
 * The lane's sources for the window samples[ia] -> samples[ib] of a history: the trees carrying
 * its two readings (the window's own sources where they are the same samples).
 */
export function recordedLane(h: History, samples: readonly SampleRef[], ia: number, ib: number, own: readonly [Source, Source]): RecordedLane | undefined {
  const lane = h.meta.lane;
  if (!lane || lane.collectors.length === 0) return undefined;
  const pair = lanePair(samples, ia, ib, lane.intervalMs + 2 * h.meta.intervalMs);
  if (!pair) return undefined;
  const src = (i: number, k: 0 | 1) => (i === (k === 0 ? ia : ib) ? own[k] : h.source(samples[i]!));
  const a = src(pair.carriers[0], 0);
  const b = src(pair.carriers[1], 1);
  if (!a || !b) return undefined;
  return { collectors: new Set(lane.collectors), sources: [a, b], note: laneNote(samples, pair, lane.intervalMs) };
}
