import { normalize } from 'node:path';
import { z } from 'zod';
import { parseJsonBounded } from './bounded-json.js';
import { procPath, ProcRecords } from './proc-records.js';
import { failed, fromRecord, isOutcomeCode, notCaptured, ok, type Outcome, type OutcomeCode, type OutcomeRecord } from './outcome.js';
import { META_DIR, type Clock, type CommandResult, type StatFs } from './source.js';

/**
 * The answers of a recorded tree that are not plain files, in `<tree>/.diag/`, shared by every
 * source that replays a tree (FixtureSource on disk, the bundle reader in memory):
 *   clock.json            { monoMs, wall } or { "<label>": { monoMs, wall } }
 *   statfs.json           { "/mount": StatFs }
 *   links.json            { "/proc/1/ns/net": "net:[4026531840]" }
 *   dirs.json             { "/proc/1/fd": ["0","1","2"] }  (listings without files)
 *   missing.json          { "/proc/pressure/cpu": { status, code, reason, hint? } }
 *   commands/<key>.json   { stdout, stderr, exitCode } or { status, code, reason, hint? }
 * A tree may come from a bundle someone sent: every file is validated.
 *
 * An input the tree does not hold at all answers 'not-captured': the tree says nothing about the
 * host it came from. What the recording says instead of an answer (a file the host lacked, a tool
 * it had not installed) is replayed with the code recorded, so a replay decides as the live run
 * did.
 */
const notOk = z.object({ status: z.enum(['unavailable', 'error']), code: z.string().optional(), reason: z.string(), hint: z.string().optional() });
const commandRecord = z.union([z.object({ stdout: z.string(), stderr: z.string(), exitCode: z.number().int() }), notOk]);
const statfsRecord = z.object({ type: z.number(), bsize: z.number(), blocks: z.number(), bfree: z.number(), bavail: z.number(), files: z.number(), ffree: z.number() });
const clockRecord = z.object({ monoMs: z.number(), wall: z.string() });
const META_SCHEMAS = {
  'links.json': z.record(z.string(), z.string()),
  'dirs.json': z.record(z.string(), z.array(z.string())),
  'missing.json': z.record(z.string(), notOk),
  'statfs.json': z.record(z.string(), statfsRecord),
  'clock.json': z.union([clockRecord, z.record(z.string(), clockRecord)]),
} as const;

const EPOCH: Clock = { monoMs: 0, wall: '1970-01-01T00:00:00.000Z' };

/** A tree's metadata file is not what diag writes. */
export class TreeError extends Error {
  override readonly name = 'TreeError';
}

/** Normalised absolute tree path, or undefined for one that would leave the tree or enter META_DIR. */
export function treePath(path: string): string | undefined {
  const n = normalize('/' + path);
  if (n.split('/').includes('..')) return undefined;
  if (n === `/${META_DIR}` || n.startsWith(`/${META_DIR}/`)) return undefined;
  return n;
}

/**
 * Trees written before outcomes had a code (diag.bundle/v1 as first released) recorded only the
 * reason and hint. Their code is recovered once, here, from the exact texts those versions wrote
 * (live-source.ts, outcome.ts, recording-source.ts of that time): frozen history, so rewording a
 * message today cannot change what this recovers. Nothing else reads a reason.
 */
const LEGACY_TEXTS: ReadonlyArray<readonly [RegExp, OutcomeCode]> = [
  [/ does not exist$/, 'not-found'],
  [/: the process has exited$/, 'exited'],
  [/: permission denied$/, 'permission'],
  [/: not supported here \(E[A-Z]+\)$/, 'unsupported'],
  [/ timed out after \d+ ms$|did not answer within \d+ ms/, 'timeout'],
  [/ is not installed/, 'tool-missing'],
  [/ printed more than \d+ bytes$|^statfs\(.*\) failed: /, 'tool-failed'],
  [/ is not stored in snapshots$/, 'not-captured'],
];

function legacyCode(text: string, status: 'unavailable' | 'error'): OutcomeCode {
  for (const [re, code] of LEGACY_TEXTS) if (re.test(text)) return code;
  return status === 'error' ? 'bug' : 'tool-failed';
}

function recordOf(r: z.infer<typeof notOk>): OutcomeRecord {
  const code = isOutcomeCode(r.code) ? r.code : legacyCode(r.reason, r.status);
  return { status: r.status, code, reason: r.reason, ...(r.hint !== undefined ? { hint: r.hint } : {}) };
}

export class TreeMeta {
  private constructor(
    private readonly links: Record<string, string>,
    private readonly dirs: Record<string, string[]>,
    private readonly missing: Record<string, z.infer<typeof notOk>>,
    private readonly statfsMap: Record<string, StatFs>,
    private readonly clocks: Record<string, Clock>,
    /** What the tree is, for "not captured in this <kind>": fixture, bundle. */
    private readonly kind: string,
    /** The per-process records of the tree (proc-records.ts), when it has `.diag/procs/`. */
    readonly procs: ProcRecords | undefined,
  ) {}

  /**
   * Read and validate the metadata; `text(name)` gives the text of `.diag/<name>` or undefined;
   * `procs` the tree's per-process records (already built, or read from its chunk files).
   */
  static read(text: (name: string) => string | undefined, where: string, kind: string, procs?: ProcRecords | (() => Iterable<readonly [string, string]>)): TreeMeta {
    const json = <K extends keyof typeof META_SCHEMAS>(file: K): z.infer<(typeof META_SCHEMAS)[K]> | undefined => {
      const t = text(file);
      if (t === undefined) return undefined;
      const raw = parseJsonBounded(t);
      if (!raw.ok) throw new TreeError(`${where}/${META_DIR}/${file} ${raw.reason}`);
      const r = META_SCHEMAS[file].safeParse(raw.value);
      if (!r.success) throw new TreeError(`${where}/${META_DIR}/${file} is malformed: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}`);
      return r.data as z.infer<(typeof META_SCHEMAS)[K]>;
    };
    const c = json('clock.json') ?? EPOCH;
    const clocks = 'monoMs' in c && typeof c.monoMs === 'number' ? { sample: c as Clock } : (c as Record<string, Clock>);
    let records: ProcRecords | undefined;
    if (procs instanceof ProcRecords) records = procs;
    else if (procs) {
      const chunks = [...procs()];
      if (chunks.length > 0) {
        try {
          records = ProcRecords.read(chunks, `${where}/${META_DIR}`);
        } catch (err) {
          throw new TreeError(err instanceof Error ? err.message : String(err));
        }
      }
    }
    return new TreeMeta(json('links.json') ?? {}, json('dirs.json') ?? {}, json('missing.json') ?? {}, json('statfs.json') ?? {}, clocks, kind, records);
  }

  /** What the recording said instead of an answer (unavailable / error), if it did. */
  recorded(path: string): Outcome<never> | undefined {
    const m = this.missing[path] ?? this.procMissing(path);
    if (m === undefined) return undefined;
    return fromRecord(recordOf(m));
  }

  private procMissing(path: string): z.infer<typeof notOk> | undefined {
    if (!this.procs) return undefined;
    const p = procPath(path);
    return p ? this.procs.missing(p[0], p[1]) : undefined;
  }

  /** A directory listing kept as data (a copy), if the recording has one. */
  listing(path: string): string[] | undefined {
    const l = this.dirs[path];
    if (l) return [...l];
    const p = this.procs ? procPath(path) : undefined;
    return p ? this.procs!.listing(p[0], p[1]) : undefined;
  }

  readLink(path: string): Outcome<string> {
    const l = this.links[path];
    if (l !== undefined) return ok(l);
    const r = this.recorded(path);
    if (r) return r;
    const p = this.procs ? procPath(path) : undefined;
    if (p) return this.procs!.readLink(path, p[0], p[1], this.kind);
    return notCaptured(path, this.kind);
  }

  /**
   * A file or directory of a process held in the tree's per-process records; undefined when the
   * tree has none or the path is not under /proc/PID (then the tree's files answer).
   */
  procFile(path: string): Outcome<string> | undefined {
    const p = this.procs ? procPath(path) : undefined;
    return p ? this.procs!.readFile(path, p[0], p[1], this.kind) : undefined;
  }

  procDir(path: string): Outcome<string[]> | undefined {
    const p = this.procs ? procPath(path) : undefined;
    return p ? this.procs!.readDir(path, p[0], p[1], this.kind) : undefined;
  }

  statfs(path: string): Outcome<StatFs> {
    const s = this.statfsMap[path];
    if (s) return ok(s);
    return this.recorded(`statfs:${path}`) ?? notCaptured(`statfs(${path})`, this.kind);
  }

  now(label = 'sample'): Clock {
    return this.clocks[label] ?? this.clocks.sample ?? Object.values(this.clocks)[0] ?? EPOCH;
  }

  /** A recorded command's answer from the text of its commands/<key>.json (undefined: not recorded). */
  static command(text: string | undefined, shown: string, where: string): Outcome<CommandResult> {
    if (text === undefined) return notCaptured(`\`${shown}\``, where);
    const raw = parseJsonBounded(text);
    if (!raw.ok) return failed('parse', `recorded output of \`${shown}\` ${raw.reason}`);
    const parsed = commandRecord.safeParse(raw.value);
    if (!parsed.success) return failed('parse', `recorded output of \`${shown}\` is malformed`, parsed.error);
    const rec = parsed.data;
    if ('status' in rec) return fromRecord(recordOf(rec));
    return ok({ stdout: rec.stdout, stderr: rec.stderr, exitCode: rec.exitCode });
  }
}
