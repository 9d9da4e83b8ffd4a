import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseJsonBounded } from '../core/bounded-json.js';

/**
 * Where a recording's segments live: a directory (diag record) or the entries of a bundle
 * (`history/` of a snapshot made from a recording). Segment files are named
 * `seg-<start wall ms, 13 digits>-<seq>.dgr`, so their names sort by time and say where each
 * starts: the index of the recording is its directory listing, and a frame header says the time
 * of each sample within a segment (frames.ts).
 */
export const SEGMENT_RE = /^seg-(\d{13})-(\d{1,6})\.dgr$/;
export const META_FILE = 'recording.json';
export const RECORDING_SCHEMA = 'diag.recording/v1';
/** Largest segment a reader accepts (a writer rotates far below it). */
export const MAX_SEGMENT_BYTES = 512 * 1024 * 1024;

export const recordingMetaSchema = z.object({
  schema: z.literal(RECORDING_SCHEMA),
  /** What a sample's flat map holds: raw answers (diag record) or a redacted tree (a bundle's history). */
  format: z.enum(['answers', 'tree']),
  intervalMs: z.number().positive(),
  host: z.string(),
  diagVersion: z.string(),
  startedAt: z.string(),
  /**
   * The slow lane: collectors (ids) read only every `intervalMs` (commands, namespaces), their
   * answers carried unchanged by the samples between; a frame flagged FRAME_LANE holds a new
   * reading. Their rates are judged over the lane's readings around a window (lanes.ts).
   * Absent: every collector was read every sample.
   */
  lane: z.object({ collectors: z.array(z.string()).max(256), intervalMs: z.number().positive() }).optional(),
});
export type RecordingMeta = z.infer<typeof recordingMetaSchema>;

export interface SegmentStore {
  /** Where it is, for messages. */
  readonly where: string;
  /** Segment names, oldest first. */
  segments(): string[];
  read(name: string): Buffer | undefined;
  meta(): RecordingMeta | undefined;
}

export function segmentStart(name: string): number {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : NaN;
}

export function segmentName(startMs: number, seq: number): string {
  return `seg-${String(Math.max(0, Math.floor(startMs))).padStart(13, '0')}-${seq}.dgr`;
}

const bySegment = (a: string, b: string) => segmentStart(a) - segmentStart(b) || a.localeCompare(b);

export function parseMeta(text: string | undefined): RecordingMeta | undefined {
  if (text === undefined) return undefined;
  const r = parseJsonBounded(text);
  if (!r.ok) return undefined;
  const p = recordingMetaSchema.safeParse(r.value);
  return p.success ? p.data : undefined;
}

export class DirStore implements SegmentStore {
  constructor(readonly where: string) {}

  segments(): string[] {
    return readdirSync(this.where).filter((n) => SEGMENT_RE.test(n)).sort(bySegment);
  }

  read(name: string): Buffer | undefined {
    if (!SEGMENT_RE.test(name)) return undefined;
    try {
      const p = join(this.where, name);
      if (statSync(p).size > MAX_SEGMENT_BYTES) return undefined;
      return readFileSync(p);
    } catch {
      return undefined;
    }
  }

  meta(): RecordingMeta | undefined {
    try {
      return parseMeta(readFileSync(join(this.where, META_FILE), 'utf8'));
    } catch {
      return undefined;
    }
  }
}

/** Segments held in memory (a bundle's `history/` entries). */
export class MapStore implements SegmentStore {
  constructor(
    readonly where: string,
    private readonly files: ReadonlyMap<string, Buffer>,
  ) {}

  segments(): string[] {
    return [...this.files.keys()].filter((n) => SEGMENT_RE.test(n)).sort(bySegment);
  }

  read(name: string): Buffer | undefined {
    return this.files.get(name);
  }

  meta(): RecordingMeta | undefined {
    return parseMeta(this.files.get(META_FILE)?.toString('utf8'));
  }
}
