import { answersToTree } from '../core/recording-source.js';
import { chunkName, PROCS_PER_CHUNK } from '../core/proc-records.js';
import { META_DIR } from '../core/source.js';
import { MemoryTreeSource, type MemoryTree } from '../bundle/tree.js';
import { applyFrame, FRAME_LANE, scanFrames, type FlatSample, type FrameInfo } from './frames.js';
import { unflattenAnswers } from './flat-answers.js';
import { segmentStart, type RecordingMeta, type SegmentStore } from './store.js';

/** Samples between kept decoded samples of a segment (History.flat). */
export const CHECKPOINT_EVERY = 30;
const MAX_CHECKPOINTS = 64;

/** One recorded sample: when, and where its frame is. */
export interface SampleRef {
  readonly wallMs: number;
  readonly segment: string;
  readonly index: number;
  /** The slow lane was read for this sample (frames.ts FRAME_LANE; store.ts RecordingMeta.lane). */
  readonly lane: boolean;
}

/** The last samples decoded, per segment: a walk forward plus a look-ahead (a slow lane's next reading) decode each frame about once. */
const CHECKPOINTS = 3;
/** Segments whose checkpoints are kept (the walk's current one and the one it reads ahead in). */
const CHECKPOINT_SEGMENTS = 2;

interface Scanned {
  readonly buf: Buffer;
  readonly frames: FrameInfo[];
  readonly torn: boolean;
}

/**
 * A recording read back (a directory written by `diag record`, or the history of a bundle): the
 * samples in time order, each replayed as the fixture tree of that moment through the bundle's
 * MemoryTreeSource, so the same sampler, derive and playbooks judge it as they judge a bundle.
 * Segments are read when a time range needs them; a torn or damaged tail ends its segment.
 */
export class History {
  private readonly scanned = new Map<string, Scanned>();
  /** The last samples decoded, per segment (a walk forward and its look-ahead: each frame decoded about once). */
  private readonly decoded = new Map<string, Array<{ index: number; flat: FlatSample }>>();
  /**
   * Every CHECKPOINT_EVERY-th sample decoded, per segment: going back (the TUI stepping
   * backwards) decodes at most that many frames instead of the segment from its key frame. A
   * decoded sample is a Map of its own whose strings the next one shares: a checkpoint keeps
   * only the Map. At most MAX_CHECKPOINTS, the least recently used dropped first (a walk over
   * days of samples keeps the last few segments' only).
   */
  private readonly checkpoints = new Map<string, FlatSample>();
  /** Torn segments seen (for a note), and samples whose payload did not decode. */
  readonly damaged = new Set<string>();
  /** Entries of samples that did not decode (dropped, counted). */
  badEntries = 0;

  constructor(
    readonly store: SegmentStore,
    readonly meta: RecordingMeta,
  ) {}

  get where(): string {
    return this.store.where;
  }

  private scan(name: string): Scanned {
    let s = this.scanned.get(name);
    if (!s) {
      const buf = this.store.read(name) ?? Buffer.alloc(0);
      const r = scanFrames(buf);
      if (r.torn) this.damaged.add(name);
      s = { buf, ...r };
      this.scanned.set(name, s);
    }
    return s;
  }

  /** Samples with from <= time <= to (all without bounds), oldest first. */
  samples(fromMs = -Infinity, toMs = Infinity): SampleRef[] {
    const names = this.store.segments();
    const out: SampleRef[] = [];
    names.forEach((name, i) => {
      const next = names[i + 1];
      // a segment holds samples from its start until the next one starts
      if (segmentStart(name) > toMs || (next !== undefined && segmentStart(next) < fromMs)) return;
      this.scan(name).frames.forEach((f, index) => {
        if (f.wallMs >= fromMs && f.wallMs <= toMs) out.push({ wallMs: f.wallMs, segment: name, index, lane: (f.flags & FRAME_LANE) !== 0 });
      });
    });
    return out.sort((a, b) => a.wallMs - b.wallMs);
  }

  /** The flat map of one sample, undefined when its frame (or one before it in its segment) does not decode. */
  flat(ref: SampleRef): FlatSample | undefined {
    const s = this.scan(ref.segment);
    const marks = this.decoded.get(ref.segment) ?? [];
    // the nearest sample decoded at or before this one: deltas apply forward from it
    let have: { index: number; flat: FlatSample } | undefined;
    for (const m of marks) if (m.index <= ref.index && (!have || m.index > have.index)) have = m;
    let i = have ? have.index : -1;
    let flat: FlatSample | undefined = have?.flat;
    const mark = (index: number) => `${ref.segment}#${index}`;
    if (i < 0 || ref.index - i >= CHECKPOINT_EVERY) {
      const c = Math.floor(ref.index / CHECKPOINT_EVERY) * CHECKPOINT_EVERY;
      const at = c > i ? this.checkpoints.get(mark(c)) : undefined;
      if (at) {
        [i, flat] = [c, at];
        this.checkpoints.delete(mark(c));
        this.checkpoints.set(mark(c), at);
      }
    }
    while (i < ref.index) {
      i++;
      const f = s.frames[i];
      const next = f ? applyFrame(s.buf, f, flat) : undefined;
      if (!next) {
        this.damaged.add(ref.segment);
        return undefined;
      }
      flat = next;
      if (i % CHECKPOINT_EVERY === 0) {
        this.checkpoints.set(mark(i), flat);
        if (this.checkpoints.size > MAX_CHECKPOINTS) this.checkpoints.delete(this.checkpoints.keys().next().value!);
      }
    }
    if (flat && have?.index !== i) {
      // a step of one moves the mark it came from (a walk forward keeps one mark moving); a jump
      // (a look-ahead) adds one, the oldest going
      const at = have && i - have.index <= 1 ? marks.indexOf(have) : -1;
      if (at >= 0) marks[at] = { index: i, flat };
      else {
        marks.push({ index: i, flat });
        if (marks.length > CHECKPOINTS) marks.shift();
      }
      this.decoded.delete(ref.segment);
      this.decoded.set(ref.segment, marks);
      while (this.decoded.size > CHECKPOINT_SEGMENTS) this.decoded.delete(this.decoded.keys().next().value!);
    }
    return flat;
  }

  /** One sample as the fixture tree of that moment. */
  tree(ref: SampleRef): MemoryTree | undefined {
    const flat = this.flat(ref);
    if (!flat) return undefined;
    if (this.meta.format === 'tree') return unflattenTree(flat);
    const { answers, bad } = unflattenAnswers(flat);
    this.badEntries += bad;
    return answersToTree(answers, undefined, undefined, true);
  }

  /** One sample as a Source replaying it (as a bundle's sample replays). */
  source(ref: SampleRef): MemoryTreeSource | undefined {
    const t = this.tree(ref);
    return t ? new MemoryTreeSource(t, `${this.where}@${new Date(ref.wallMs).toISOString()}`) : undefined;
  }
}

/**
 * A compact fixture tree (snapshot layout, process records) as a flat map, for a bundle's
 * history: its files by tree path, each process's record line under `\u0000p<pid>`, so an
 * unchanged process is an unchanged entry.
 */
export function flattenTree(tree: MemoryTree): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, t] of tree.files) out.set(p, t);
  if (tree.procs) {
    for (const [, text] of tree.procs.chunks()) {
      for (const line of text.split('\n')) {
        const m = /^\{"pid":"(\d+)"/.exec(line);
        if (m) out.set(`\u0000p${m[1]}`, line);
      }
    }
  }
  return out;
}

/** The tree a flattenTree map came from (its process lines as chunk files, as a bundle holds them). */
export function unflattenTree(flat: FlatSample): MemoryTree {
  const files = new Map<string, string>();
  const lines: string[] = [];
  for (const [k, v] of flat) {
    if (k.startsWith('\u0000p')) lines.push(v);
    else if (k.startsWith('/')) files.set(k, v);
  }
  for (let i = 0; i < lines.length; i += PROCS_PER_CHUNK) files.set(`/${META_DIR}/${chunkName(i / PROCS_PER_CHUNK)}`, lines.slice(i, i + PROCS_PER_CHUNK).join('\n') + '\n');
  return { files, dropped: 0 };
}
