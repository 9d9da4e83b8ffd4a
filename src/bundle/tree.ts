import { normalize } from 'node:path';
import { z } from 'zod';
import { failed, ok, unavailable, type Outcome } from '../core/outcome.js';
import type { RecordingSource, TextTransform } from '../core/recording-source.js';
import { commandKey, META_DIR, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs } from '../core/source.js';

/**
 * A sample's fixture tree held in memory: tree path ("/proc/stat", "/.diag/dirs.json") -> text.
 * The same files RecordingSource.writeTree writes, so a snapshot can pack them straight into the
 * archive and replay them for its report without a round trip through a (possibly slow, busy)
 * disk.
 */
export interface MemoryTree {
  readonly files: ReadonlyMap<string, string>;
  /** Files the transform dropped (recorded as unavailable instead). */
  readonly dropped: number;
}

type NotOk = { status: 'unavailable' | 'error'; reason: string; hint?: string };

// The shapes of a tree's .diag/ files (as FixtureSource reads them): a bundle is outside input.
const notOk = z.object({ status: z.enum(['unavailable', 'error']), reason: z.string(), hint: z.string().optional() });
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

export class TreeError extends Error {
  override readonly name = 'TreeError';
}

/** Normalised absolute tree path, or undefined for one that would leave the tree or enter META_DIR. */
function treePath(path: string): string | undefined {
  const n = normalize('/' + path);
  if (n.split('/').includes('..')) return undefined;
  if (n === `/${META_DIR}` || n.startsWith(`/${META_DIR}/`)) return undefined;
  return n;
}

/** What `rec.writeTree(dir, transform)` would write under dir, in memory (one implementation: RecordingSource.toTree). */
export function recordedTree(rec: RecordingSource, transform?: TextTransform): MemoryTree {
  return rec.toTree(transform);
}

/**
 * Answers from a MemoryTree exactly as FixtureSource answers from the same tree written to disk
 * (the bundle reader's source), so the report a snapshot stores is the report a replay gives.
 * Its .diag/ files are validated (a bundle read back is outside input).
 */
export class MemoryTreeSource implements Source {
  readonly kind = 'bundle' as const;
  readonly description: string;
  private readonly files: ReadonlyMap<string, string>;
  private readonly links: Record<string, string>;
  private readonly dirs: Record<string, string[]>;
  private readonly missing: Record<string, NotOk>;
  private readonly statfsMap: Record<string, StatFs>;
  private readonly clocks: Record<string, Clock>;
  /** Directory -> names in it, from the file paths (what readdir of the written tree lists). */
  private readonly children = new Map<string, Set<string>>();

  constructor(tree: MemoryTree, name: string) {
    this.files = tree.files;
    this.description = `bundle ${name}`;
    const json = <K extends keyof typeof META_SCHEMAS>(file: K): z.infer<(typeof META_SCHEMAS)[K]> | undefined => {
      const t = tree.files.get(`/${META_DIR}/${file}`);
      if (t === undefined) return undefined;
      let raw: unknown;
      try {
        raw = JSON.parse(t);
      } catch (err) {
        throw new TreeError(`${name}/${META_DIR}/${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
      const r = META_SCHEMAS[file].safeParse(raw);
      if (!r.success) throw new TreeError(`${name}/${META_DIR}/${file} is malformed: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}`);
      return r.data as z.infer<(typeof META_SCHEMAS)[K]>;
    };
    this.links = json('links.json') ?? {};
    this.dirs = json('dirs.json') ?? {};
    this.missing = json('missing.json') ?? {};
    this.statfsMap = json('statfs.json') ?? {};
    const c = json('clock.json') ?? {};
    this.clocks = 'monoMs' in c && typeof c.monoMs === 'number' ? { sample: c as Clock } : (c as Record<string, Clock>);
    for (const p of tree.files.keys()) {
      const parts = p.split('/').slice(1);
      let dir = '/';
      for (const part of parts) {
        let set = this.children.get(dir);
        if (!set) this.children.set(dir, (set = new Set()));
        set.add(part);
        dir = dir === '/' ? `/${part}` : `${dir}/${part}`;
      }
    }
  }

  private recorded(path: string): Outcome<never> | undefined {
    const m = this.missing[path];
    if (m === undefined) return undefined;
    return m.status === 'unavailable' ? unavailable(m.reason, m.hint) : failed(m.reason);
  }

  readFile(path: string): Outcome<string> {
    const r = this.recorded(path);
    if (r) return r;
    const n = treePath(path);
    if (n === undefined) return unavailable(`${path} is outside the ${this.kind}`);
    const text = this.files.get(n);
    if (text !== undefined) return ok(text);
    if (this.children.has(n)) return failed(`${path}: EISDIR: illegal operation on a directory, read`);
    return unavailable(`${path} does not exist`);
  }

  readDir(path: string): Outcome<string[]> {
    const listed = this.dirs[path];
    if (listed) return ok([...listed]);
    const r = this.recorded(path);
    if (r) return r;
    const n = treePath(path);
    if (n === undefined) return unavailable(`${path} is outside the ${this.kind}`);
    const names = this.children.get(n);
    if (!names) return unavailable(`${path} does not exist`);
    return ok(n === '/' ? [...names].filter((x) => x !== META_DIR) : [...names]);
  }

  readLink(path: string): Outcome<string> {
    const l = this.links[path];
    if (l !== undefined) return ok(l);
    return this.recorded(path) ?? unavailable(`${path} does not exist`);
  }

  statfs(path: string): Outcome<StatFs> {
    const s = this.statfsMap[path];
    if (s) return ok(s);
    return this.recorded(`statfs:${path}`) ?? unavailable(`statfs(${path}) was not recorded`);
  }

  now(label = 'sample'): Clock {
    return this.clocks[label] ?? this.clocks.sample ?? Object.values(this.clocks)[0] ?? { monoMs: 0, wall: '1970-01-01T00:00:00.000Z' };
  }

  run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    const text = this.files.get(`/${META_DIR}/commands/${commandKey(spec)}.json`);
    const shown = [spec.cmd, ...spec.args].join(' ');
    if (text === undefined) return Promise.resolve(unavailable(`\`${shown}\` was not recorded in this ${this.kind}`));
    let rec: z.infer<typeof commandRecord>;
    try {
      rec = commandRecord.parse(JSON.parse(text));
    } catch (err) {
      return Promise.resolve(failed(`recorded output of \`${shown}\` is malformed`, err));
    }
    if ('status' in rec) return Promise.resolve(rec.status === 'unavailable' ? unavailable(rec.reason, rec.hint) : failed(rec.reason));
    return Promise.resolve(ok({ stdout: rec.stdout, stderr: rec.stderr, exitCode: rec.exitCode }));
  }
}
