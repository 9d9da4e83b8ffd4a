import { z } from 'zod';
import { parseJsonBounded } from './bounded-json.js';
import { failed, notCaptured, ok, type Outcome, type OutcomeRecord } from './outcome.js';
import { META_DIR } from './source.js';

/**
 * Compact per-process storage of a recorded tree: everything recorded under /proc/PID/ (files,
 * link targets, directory listings, what could not be read) as ONE record per process, one JSON
 * line each, in chunk files `.diag/procs/NNNNN.jsonl` of at most PROCS_PER_CHUNK processes:
 *
 *   {"pid":"123","files":{"stat":"...","status":"...","io":"..."},"links":{"ns/net":"net:[4026531840]"},
 *    "dirs":{"fd":["0","1","2"]},"missing":{"io":{"status":"unavailable","code":"permission","reason":"..."}}}
 *
 * Paths in a record are relative to /proc/PID/ ("task/124/stat"). A snapshot of 20,000 processes
 * is then ~40 archive entries instead of ~240,000 (one per file per sample), written and read
 * without per-entry cost. Trees without `.diag/procs/` (bundles written before diag.bundle/v2,
 * fixtures) keep /proc/PID files as plain files and are read as before.
 */
export const PROCS_DIR = 'procs';
export const PROCS_PER_CHUNK = 1000;

const notOk = z.object({ status: z.enum(['unavailable', 'error']), code: z.string().optional(), reason: z.string(), hint: z.string().optional() });
const recordLine = z.object({
  pid: z.string().regex(/^[0-9]{1,10}$/),
  files: z.record(z.string(), z.string()).optional(),
  links: z.record(z.string(), z.string()).optional(),
  dirs: z.record(z.string(), z.array(z.string())).optional(),
  missing: z.record(z.string(), notOk).optional(),
});

export type ProcRecord = { files: Record<string, string>; links: Record<string, string>; dirs: Record<string, string[]>; missing: Record<string, z.infer<typeof notOk>> };

/** "/proc/123/task/124/stat" -> ["123", "task/124/stat"]; "/proc/123" -> ["123", ""]; undefined for anything else. */
export function procPath(path: string): [pid: string, rel: string] | undefined {
  if (!path.startsWith('/proc/')) return undefined;
  const c = path.charCodeAt(6);
  if (c < 48 || c > 57) return undefined;
  const slash = path.indexOf('/', 6);
  const pid = slash < 0 ? path.slice(6) : path.slice(6, slash);
  if (!/^[0-9]+$/.test(pid)) return undefined;
  const rel = slash < 0 ? '' : path.slice(slash + 1).replace(/\/+$/, '');
  if (rel.split('/').some((p) => p === '..' || p === '.')) return undefined;
  return [pid, rel];
}

const emptyRecord = (): ProcRecord => ({ files: {}, links: {}, dirs: {}, missing: {} });

/** One process's line of a chunk file (without its newline). */
function lineOf(pid: string, r: ProcRecord): string {
  const line: Record<string, unknown> = { pid };
  for (const k of ['files', 'links', 'dirs', 'missing'] as const) if (Object.keys(r[k]).length > 0) line[k] = r[k];
  return JSON.stringify(line);
}

/** The per-process records of one tree, built while a recording is turned into a tree, or read back from chunk files. */
export class ProcRecords {
  private readonly byPid = new Map<string, ProcRecord>();

  get size(): number {
    return this.byPid.size;
  }

  pids(): IterableIterator<string> {
    return this.byPid.keys();
  }

  private at(pid: string): ProcRecord {
    let r = this.byPid.get(pid);
    if (!r) this.byPid.set(pid, (r = emptyRecord()));
    return r;
  }

  setFile(pid: string, rel: string, text: string): void {
    this.at(pid).files[rel] = text;
  }
  setLink(pid: string, rel: string, target: string): void {
    this.at(pid).links[rel] = target;
  }
  setDir(pid: string, rel: string, names: string[]): void {
    this.at(pid).dirs[rel] = names;
  }
  setMissing(pid: string, rel: string, o: OutcomeRecord): void {
    this.at(pid).missing[rel] = o;
  }

  /**
   * The chunk files (tree path "/.diag/procs/00000.jsonl" -> text), built one at a time as they are iterated.
   */
  *chunks(): Generator<readonly [string, string]> {
    for (const [path, text] of this.chunkParts()) yield [path, [...text.parts()].join('')];
  }

  /**
   * The chunk files as their lines, one record's line at a time (a snapshot streams them into
   * the archive: no chunk of 1,000 records is ever one string).
   */
  *chunkParts(): Generator<readonly [string, { readonly parts: () => Iterable<string> }]> {
    const pids = [...this.byPid.keys()].sort((a, b) => Number(a) - Number(b));
    for (let i = 0; i < pids.length; i += PROCS_PER_CHUNK) {
      const these = pids.slice(i, i + PROCS_PER_CHUNK);
      const byPid = this.byPid;
      yield [
        `/${META_DIR}/${chunkName(i / PROCS_PER_CHUNK)}`,
        {
          *parts() {
            for (const pid of these) yield lineOf(pid, byPid.get(pid)!) + '\n';
          },
        },
      ];
    }
  }

  /**
   * Records read back from chunk texts (outside input: every line bounded and validated). Throws
   * an Error naming the chunk and line that is not what diag writes.
   */
  static read(chunks: Iterable<readonly [string, string]>, where: string): ProcRecords {
    const out = new ProcRecords();
    for (const [name, text] of chunks) {
      let n = 0;
      for (const line of text.split('\n')) {
        n++;
        if (line.length === 0) continue;
        const raw = parseJsonBounded(line);
        if (!raw.ok) throw new Error(`${where}: ${name} line ${n} ${raw.reason}`);
        const p = recordLine.safeParse(raw.value);
        if (!p.success) throw new Error(`${where}: ${name} line ${n} is malformed: ${p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}`);
        const { pid, files = {}, links = {}, dirs = {}, missing = {} } = p.data;
        if (out.byPid.has(pid)) throw new Error(`${where}: ${name} line ${n}: process ${pid} is recorded twice`);
        out.byPid.set(pid, { files, links, dirs, missing });
      }
    }
    return out;
  }

  has(pid: string): boolean {
    return this.byPid.has(pid);
  }

  /** What was recorded instead of an answer for this path, if anything (codes as stored: tree-meta.ts checks them). */
  missing(pid: string, rel: string): z.infer<typeof notOk> | undefined {
    return this.byPid.get(pid)?.missing[rel];
  }

  /** A recorded listing of a directory of a process. */
  listing(pid: string, rel: string): string[] | undefined {
    const l = this.byPid.get(pid)?.dirs[rel];
    return l ? [...l] : undefined;
  }

  /** The text of a file of a process, or why not (kind: "bundle", "fixture"). */
  readFile(path: string, pid: string, rel: string, kind: string): Outcome<string> {
    const r = this.byPid.get(pid);
    const text = r?.files[rel];
    if (text !== undefined) return ok(text);
    if (r && (rel === '' || this.childrenOf(r, rel).length > 0)) return failed('bug', `${path}: EISDIR: illegal operation on a directory, read`);
    return notCaptured(path, kind);
  }

  /** A directory of a process: its recorded listing, else the names of the files recorded under it. */
  readDir(path: string, pid: string, rel: string, kind: string): Outcome<string[]> {
    const r = this.byPid.get(pid);
    const listed = r?.dirs[rel];
    if (listed) return ok([...listed]);
    const names = r ? this.childrenOf(r, rel) : [];
    if (names.length === 0 && !(r && rel === '')) return notCaptured(path, kind);
    return ok(names);
  }

  readLink(path: string, pid: string, rel: string, kind: string): Outcome<string> {
    const l = this.byPid.get(pid)?.links[rel];
    return l !== undefined ? ok(l) : notCaptured(path, kind);
  }

  private childrenOf(r: ProcRecord, rel: string): string[] {
    const prefix = rel === '' ? '' : `${rel}/`;
    const names = new Set<string>();
    for (const f of Object.keys(r.files)) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length);
      const slash = rest.indexOf('/');
      names.add(slash < 0 ? rest : rest.slice(0, slash));
    }
    return [...names];
  }
}

/** `.diag/procs/00000.jsonl`, relative to the tree's .diag folder. */
export function chunkName(i: number): string {
  return `${PROCS_DIR}/${String(i).padStart(5, '0')}.jsonl`;
}
