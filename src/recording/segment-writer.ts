import { closeSync, fsyncSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrame, type FlatSample } from './frames.js';
import { SEGMENT_RE, segmentName, segmentStart } from './store.js';

export interface SegmentLimits {
  /** The whole recording, segments together (oldest removed first). */
  readonly maxBytes: number;
  /** Segments whose last sample is older than this are removed. */
  readonly maxAgeMs: number;
  /** Samples per segment before a new one starts (each segment starts with a key frame). */
  readonly framesPerSegment: number;
  /** Bytes per segment before a new one starts. */
  readonly segmentBytes: number;
}

interface Closed {
  readonly name: string;
  readonly bytes: number;
  readonly endMs: number;
}

/**
 * Appends samples to segment files in a directory, within limits. A segment is written by one
 * write(2) per frame and fsync'ed when it is closed (every `framesPerSegment` samples): a kill -9
 * loses nothing written, a power loss at most the open segment; either may leave a torn last
 * frame, which readers skip (frames.ts). A new writer never appends to an existing segment: it
 * starts its own, so an old torn tail stays the last bytes of its file.
 */
export class SegmentWriter {
  private fd: number | undefined;
  private current: { name: string; bytes: number; frames: number; lastMs: number } | undefined;
  private prev: FlatSample | undefined;
  private closed: Closed[] = [];
  private seq = 0;
  /** Segments removed by the limits, oldest first (for the log). */
  readonly removed: string[] = [];

  constructor(
    readonly dir: string,
    private readonly limits: SegmentLimits,
    private readonly now: () => number = Date.now,
  ) {
    for (const name of readdirSync(dir).filter((n) => SEGMENT_RE.test(n))) {
      try {
        const st = statSync(join(dir, name));
        this.closed.push({ name, bytes: st.size, endMs: st.mtimeMs });
      } catch {
        // gone meanwhile
      }
    }
    this.closed.sort((a, b) => segmentStart(a.name) - segmentStart(b.name));
  }

  /** Bytes of every segment, the open one included. */
  get totalBytes(): number {
    return this.closed.reduce((a, s) => a + s.bytes, 0) + (this.current?.bytes ?? 0);
  }

  get segmentCount(): number {
    return this.closed.length + (this.current ? 1 : 0);
  }

  /** Append one sample (its time and flat map; `flags`: frames.ts FRAME_LANE); returns the frame's bytes. */
  append(wallMs: number, flat: FlatSample, flags = 0): number {
    const cur = this.current;
    if (!cur || cur.frames >= this.limits.framesPerSegment || cur.bytes >= this.limits.segmentBytes) this.rotate(wallMs);
    const frame = encodeFrame(wallMs, flat, this.prev, flags);
    let off = 0;
    while (off < frame.length) off += writeSync(this.fd!, frame, off, frame.length - off);
    this.current!.bytes += frame.length;
    this.current!.frames++;
    this.current!.lastMs = wallMs;
    this.prev = flat;
    this.enforce();
    return frame.length;
  }

  private rotate(wallMs: number): void {
    this.finishCurrent();
    let name = segmentName(wallMs, this.seq++);
    while (this.closed.some((c) => c.name === name)) name = segmentName(wallMs, this.seq++);
    this.fd = openSync(join(this.dir, name), 'wx', 0o600);
    this.current = { name, bytes: 0, frames: 0, lastMs: wallMs };
    this.prev = undefined;
  }

  private finishCurrent(): void {
    if (this.fd === undefined || !this.current) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed.push({ name: this.current.name, bytes: this.current.bytes, endMs: this.current.lastMs });
    this.fd = undefined;
    this.current = undefined;
  }

  /** Remove the oldest closed segments while the recording is over its size or they are over its age. */
  enforce(): void {
    const oldest = this.now() - this.limits.maxAgeMs;
    while (this.closed.length > 0 && (this.totalBytes > this.limits.maxBytes || this.closed[0]!.endMs < oldest)) {
      const s = this.closed.shift()!;
      rmSync(join(this.dir, s.name), { force: true });
      this.removed.push(s.name);
    }
  }

  close(): void {
    this.finishCurrent();
  }
}
