import type { EntryContent } from './archive.js';
import { BPF_DIR, TreeBpf, type CaptureThrough, type TreeEntry } from '../core/bpf-tree.js';
import { failed, notCaptured, ok, unavailable, type Outcome } from '../core/outcome.js';
import type { CaptureFilter, RecordingSource, TextTransform, TreeTransform } from '../core/recording-source.js';
import { commandKey, META_DIR, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs } from '../core/source.js';
import { PROCS_DIR, type ProcRecords } from '../core/proc-records.js';
import { TreeMeta, treePath } from '../core/tree-meta.js';

export { TreeError } from '../core/tree-meta.js';

/**
 * A sample's fixture tree held in memory: tree path ("/proc/stat", "/.diag/dirs.json") -> text.
 * The same files RecordingSource.writeTree writes, so a snapshot can pack them straight into the
 * archive and replay them for its report without a round trip through a (possibly slow, busy)
 * disk.
 */
export interface MemoryTree {
  readonly files: ReadonlyMap<string, string>;
  /** Binary files (BPF map dumps under /.diag/bpf/), by the same kind of path. */
  readonly blobs?: ReadonlyMap<string, Buffer>;
  /** Files the transform dropped (recorded as unavailable instead). */
  readonly dropped: number;
  /**
   * Everything recorded under /proc/PID/, one record per process (proc-records.ts); packed as
   * `.diag/procs/*.jsonl`. A tree read back from a bundle has those chunk files in `files` instead.
   */
  readonly procs?: ProcRecords;
}

/**
 * What `rec.writeTree(dir, transform)` would write under dir, in memory (one implementation:
 * RecordingSource.toTree); `compact`: processes as records (a snapshot's layout since diag.bundle/v2).
 */
export function recordedTree(rec: RecordingSource, transform?: TextTransform | TreeTransform, refuseCapture?: CaptureFilter, compact = false): MemoryTree {
  return rec.toTree(transform, refuseCapture, compact);
}

/** A tree's files as archive entries under `dir` (samples/0): its files, blobs and process records, the records written line by line as they are packed. */
export function* treeEntries(dir: string, tree: MemoryTree): Generator<readonly [string, EntryContent]> {
  for (const [p, content] of tree.files) yield [dir + p, content];
  if (tree.blobs) for (const [p, content] of tree.blobs) yield [dir + p, content];
  if (tree.procs) for (const [p, content] of tree.procs.chunkParts()) yield [dir + p, content];
}

export interface MemoryTreeSourceOptions {
  /** A snapshot being taken: BPF probes the tree lacks are run live and stored in it (bpf-tree.ts). */
  readonly capture?: Omit<CaptureThrough, 'store'>;
}

/**
 * Answers from a MemoryTree exactly as FixtureSource answers from the same tree written to disk
 * (the bundle reader's source), so the report a snapshot stores is the report a replay gives.
 * Its .diag/ files are validated (a bundle read back is outside input).
 */
export class MemoryTreeSource implements Source {
  readonly kind = 'bundle' as const;
  readonly replay = true;
  readonly description: string;
  private readonly files: ReadonlyMap<string, string>;
  private readonly meta: TreeMeta;
  /** Directory -> names in it, from the file paths (what readdir of the written tree lists). */
  private readonly children = new Map<string, Set<string>>();
  /** Replays the BPF captures under .diag/bpf/ (and, while a snapshot is taken, captures). */
  readonly bpf: TreeBpf;
  /** BPF captures made through this source (a snapshot packs them with the tree). */
  private readonly captured = new Map<string, string | Buffer>();

  constructor(tree: MemoryTree, name: string, opts: MemoryTreeSourceOptions = {}) {
    this.files = tree.files;
    this.description = `bundle ${name}`;
    const chunkPrefix = `/${META_DIR}/${PROCS_DIR}/`;
    const chunks = function* () {
      for (const [p, text] of tree.files) if (p.startsWith(chunkPrefix)) yield [p.slice(chunkPrefix.length - PROCS_DIR.length - 1), text] as const;
    };
    this.meta = TreeMeta.read((file) => tree.files.get(`/${META_DIR}/${file}`), name, this.kind, tree.procs ?? chunks);
    const at = (n: string) => `/${BPF_DIR}/${n}`;
    const text = (n: string): string | undefined => {
      const c = this.captured.get(at(n));
      if (c !== undefined) return typeof c === 'string' ? c : c.toString('utf8');
      return tree.files.get(at(n)) ?? tree.blobs?.get(at(n))?.toString('utf8');
    };
    const bytes = (n: string): Buffer | undefined => {
      const c = this.captured.get(at(n));
      if (c !== undefined) return typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      const b = tree.blobs?.get(at(n));
      if (b !== undefined) return b;
      const t = tree.files.get(at(n));
      return t === undefined ? undefined : Buffer.from(t, 'utf8');
    };
    const through = opts.capture ? { ...opts.capture, store: (entries: readonly TreeEntry[]) => entries.forEach(([p, c]) => this.captured.set(p, c)) } : undefined;
    this.bpf = new TreeBpf({ text, bytes }, this.description, through);
    for (const p of tree.files.keys()) addToListing(this.children, p.split('/').slice(1));
    // Processes held as records are folders of /proc, as their files would be.
    const procs = this.meta.procs;
    if (procs && procs.size > 0) {
      if (!this.children.has('/')) this.children.set('/', new Set());
      this.children.get('/')!.add('proc');
      let set = this.children.get('/proc');
      if (!set) this.children.set('/proc', (set = new Set()));
      for (const pid of procs.pids()) set.add(pid);
    }
  }

  readFile(path: string): Outcome<string> {
    const r = this.meta.recorded(path);
    if (r) return r;
    const n = treePath(path);
    if (n === undefined) return unavailable('bad-option', `${path} is outside the ${this.kind}`);
    const proc = this.meta.procFile(n);
    if (proc) return proc;
    const text = this.files.get(n);
    if (text !== undefined) return ok(text);
    if (this.children.has(n)) return failed('bug', `${path}: EISDIR: illegal operation on a directory, read`);
    return notCaptured(path, this.kind);
  }

  readDir(path: string): Outcome<string[]> {
    const listed = this.meta.listing(path);
    if (listed) return ok(listed);
    const r = this.meta.recorded(path);
    if (r) return r;
    const n = treePath(path);
    if (n === undefined) return unavailable('bad-option', `${path} is outside the ${this.kind}`);
    const proc = this.meta.procDir(n);
    if (proc) return proc;
    const names = this.children.get(n);
    if (!names) return notCaptured(path, this.kind);
    return ok(n === '/' ? [...names].filter((x) => x !== META_DIR) : [...names]);
  }

  readLink(path: string): Outcome<string> {
    return this.meta.readLink(path);
  }

  statfs(path: string): Outcome<StatFs> {
    return this.meta.statfs(path);
  }

  now(label = 'sample'): Clock {
    return this.meta.now(label);
  }

  run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    const text = this.files.get(`/${META_DIR}/commands/${commandKey(spec)}.json`);
    return Promise.resolve(TreeMeta.command(text, [spec.cmd, ...spec.args].join(' '), this.kind));
  }

  /** The files of the BPF captures made through this source while a snapshot was taken. */
  capturedEntries(): TreeEntry[] {
    return [...this.captured];
  }
}

/** Record a file's path (its components below the root) in a directory -> names listing, as readdir of the written tree lists it. */
export function addToListing(children: Map<string, Set<string>>, parts: readonly string[]): void {
  let dir = '/';
  for (const part of parts) {
    let set = children.get(dir);
    if (!set) children.set(dir, (set = new Set()));
    set.add(part);
    dir = dir === '/' ? `/${part}` : `${dir}/${part}`;
  }
}
