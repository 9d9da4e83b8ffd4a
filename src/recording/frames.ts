import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { parseJsonBounded } from '../core/bounded-json.js';

/**
 * The frame codec of a flight recording: one frame per sample, appended to a segment file.
 *
 *   frame  = header (24 bytes) + payload
 *   header = "DGRF" | u8 kind (0 key, 1 delta) | u8 flags | 2 bytes 0 | u32 LE payload bytes | u32 LE crc32(payload) | f64 LE wall ms
 *   flags  = bit 0 (FRAME_LANE): the recording's slow lane was read for this sample (its answers
 *            are new here; the frames between carry them unchanged). Readers before the flag
 *            existed ignore the byte.
 *   payload = deflate-raw( JSON { set: { key: value }, del: [key] } )
 *
 * A sample is a flat map key -> string (flat-answers.ts, flat-tree.ts). A key frame holds the whole
 * map; a delta frame only the entries that changed since the frame before it and the keys that
 * went away, so the stat of a process that did not run, an unchanged cgroup or sysfs file, a
 * listing that did not change cost nothing. A reader stops at the first frame whose header, length
 * or checksum is wrong: a writer killed mid-write leaves a torn tail that is skipped, never
 * misread.
 */
export const FRAME_MAGIC = Buffer.from('DGRF', 'latin1');
export const HEADER_BYTES = 24;
/** No frame is larger (a sample of 20,000 processes compresses to a few MiB). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export type FlatSample = ReadonlyMap<string, string>;

/** Frame flag: the slow lane (store.ts RecordingMeta.lane) was read for this sample. */
export const FRAME_LANE = 1;

export interface FrameInfo {
  readonly kind: 'key' | 'delta';
  readonly wallMs: number;
  readonly offset: number;
  readonly bytes: number;
  /** The header's flags (FRAME_LANE). */
  readonly flags: number;
}

/** The changes from `prev` to `cur` (the whole of `cur` when there is no `prev`). */
export function diffSamples(prev: FlatSample | undefined, cur: FlatSample): { set: Record<string, string>; del: string[] } {
  const set: Record<string, string> = {};
  const del: string[] = [];
  for (const [k, v] of cur) if (prev?.get(k) !== v) set[k] = v;
  if (prev) for (const k of prev.keys()) if (!cur.has(k)) del.push(k);
  return { set, del };
}

/** One frame's bytes: the whole sample (key) or its changes since `prev` (delta). */
export function encodeFrame(wallMs: number, cur: FlatSample, prev?: FlatSample, flags = 0): Buffer {
  const payload = deflateRawSync(Buffer.from(JSON.stringify(diffSamples(prev, cur)), 'utf8'), { level: 6 });
  const h = Buffer.alloc(HEADER_BYTES);
  FRAME_MAGIC.copy(h, 0);
  h.writeUInt8(prev ? 1 : 0, 4);
  h.writeUInt8(flags & 0xff, 5);
  h.writeUInt32LE(payload.length, 8);
  h.writeUInt32LE(crc32(payload), 12);
  h.writeDoubleLE(wallMs, 16);
  return Buffer.concat([h, payload]);
}

/**
 * The whole frames of a segment's bytes, in order, up to the first damaged one (a torn tail) or
 * a delta without a key frame before it. `torn` says whether bytes were left unread.
 */
export function scanFrames(buf: Buffer): { frames: FrameInfo[]; torn: boolean } {
  const frames: FrameInfo[] = [];
  let off = 0;
  while (off + HEADER_BYTES <= buf.length) {
    if (!buf.subarray(off, off + 4).equals(FRAME_MAGIC)) break;
    const kindByte = buf.readUInt8(off + 4);
    const len = buf.readUInt32LE(off + 8);
    const crc = buf.readUInt32LE(off + 12);
    const wallMs = buf.readDoubleLE(off + 16);
    if (kindByte > 1 || len > MAX_FRAME_BYTES || off + HEADER_BYTES + len > buf.length || !Number.isFinite(wallMs)) break;
    if (frames.length === 0 && kindByte !== 0) break;
    const payload = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
    if (crc32(payload) !== crc) break;
    frames.push({ kind: kindByte === 0 ? 'key' : 'delta', wallMs, offset: off, bytes: HEADER_BYTES + len, flags: buf.readUInt8(off + 5) });
    off += HEADER_BYTES + len;
  }
  return { frames, torn: off < buf.length };
}

const payloadSchema = z.object({ set: z.record(z.string(), z.string()), del: z.array(z.string()) });

/** Apply one frame (checked by scanFrames) to the sample before it; undefined when its payload does not decode. */
export function applyFrame(buf: Buffer, f: FrameInfo, prev: FlatSample | undefined): Map<string, string> | undefined {
  let json: string;
  try {
    json = inflateRawSync(buf.subarray(f.offset + HEADER_BYTES, f.offset + f.bytes), { maxOutputLength: 4 * MAX_FRAME_BYTES }).toString('utf8');
  } catch {
    return undefined;
  }
  const r = parseJsonBounded(json);
  if (!r.ok) return undefined;
  const p = payloadSchema.safeParse(r.value);
  if (!p.success) return undefined;
  const out = f.kind === 'key' || !prev ? new Map<string, string>() : new Map(prev);
  for (const k of p.data.del) out.delete(k);
  for (const [k, v] of Object.entries(p.data.set)) out.set(k, v);
  return out;
}
