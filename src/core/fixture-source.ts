import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { z } from 'zod';
import { failed, ok, outcomeFromErrno, unavailable, type Outcome } from './outcome.js';
import { commandKey, META_DIR, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs } from './source.js';

/**
 * A directory tree standing in for a host: `<tree>/proc/stat` answers readFile('/proc/stat').
 * Answers that are not plain files live in `<tree>/.diag/`:
 *   clock.json            { monoMs, wall }
 *   statfs.json           { "/mount": StatFs }
 *   links.json            { "/proc/1/ns/net": "net:[4026531840]" }
 *   dirs.json             { "/proc/1/fd": ["0","1","2"] }  (listings without files)
 *   missing.json          { "/proc/pressure/cpu": { status, reason, hint? } }
 *   commands/<key>.json   { stdout, stderr, exitCode } or { status, reason, hint? }
 * The bundle reader uses the same layout for each sample.
 */
const outcomeRecord = z.object({
  status: z.enum(['unavailable', 'error']),
  reason: z.string(),
  hint: z.string().optional(),
});
const commandRecord = z.union([
  z.object({ stdout: z.string(), stderr: z.string(), exitCode: z.number().int() }),
  outcomeRecord,
]);
const statfsRecord = z.object({
  type: z.number(),
  bsize: z.number(),
  blocks: z.number(),
  bfree: z.number(),
  bavail: z.number(),
  files: z.number(),
  ffree: z.number(),
});
const clockRecord = z.object({ monoMs: z.number(), wall: z.string() });
/** One clock for every reading, or one per label ("sample", "collector:cpu"...) as recorded. */
const clockFile = z.union([clockRecord, z.record(z.string(), clockRecord)]);

function readJson<T>(file: string, schema: z.ZodType<T>, fallback: T): T {
  if (!existsSync(file)) return fallback;
  const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is malformed: ${parsed.error.message}`);
  return parsed.data;
}

export class FixtureSource implements Source {
  readonly kind: 'fixture' | 'bundle';
  readonly description: string;
  private readonly tree: string;
  private readonly links: Record<string, string>;
  private readonly dirs: Record<string, string[]>;
  private readonly missing: Record<string, z.infer<typeof outcomeRecord>>;
  private readonly statfsMap: Record<string, StatFs>;
  private readonly clocks: Record<string, Clock>;

  constructor(tree: string, kind: 'fixture' | 'bundle' = 'fixture') {
    this.tree = tree;
    this.kind = kind;
    this.description = `${kind} ${tree}`;
    const meta = join(tree, META_DIR);
    this.links = readJson(join(meta, 'links.json'), z.record(z.string(), z.string()), {});
    this.dirs = readJson(join(meta, 'dirs.json'), z.record(z.string(), z.array(z.string())), {});
    this.missing = readJson(join(meta, 'missing.json'), z.record(z.string(), outcomeRecord), {});
    this.statfsMap = readJson(join(meta, 'statfs.json'), z.record(z.string(), statfsRecord), {});
    const c = readJson(join(meta, 'clock.json'), clockFile, { monoMs: 0, wall: '1970-01-01T00:00:00.000Z' });
    this.clocks = 'monoMs' in c && typeof c.monoMs === 'number' ? { sample: c as Clock } : (c as Record<string, Clock>);
  }

  /** Map a host path into the tree; refuses anything that would leave it. */
  private at(path: string): string | undefined {
    const n = normalize('/' + path);
    if (n.split('/').includes('..')) return undefined;
    if (n === `/${META_DIR}` || n.startsWith(`/${META_DIR}/`)) return undefined;
    return join(this.tree, n);
  }

  private recorded(path: string): Outcome<never> | undefined {
    const m = this.missing[path];
    if (m === undefined) return undefined;
    return m.status === 'unavailable' ? unavailable(m.reason, m.hint) : failed(m.reason);
  }

  readFile(path: string): Outcome<string> {
    const r = this.recorded(path);
    if (r) return r;
    const p = this.at(path);
    if (p === undefined) return unavailable(`${path} is outside the ${this.kind}`);
    try {
      return ok(readFileSync(p, 'utf8'));
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
  }

  readDir(path: string): Outcome<string[]> {
    const listed = this.dirs[path];
    if (listed) return ok([...listed]);
    const r = this.recorded(path);
    if (r) return r;
    const p = this.at(path);
    if (p === undefined) return unavailable(`${path} is outside the ${this.kind}`);
    try {
      const names = readdirSync(p);
      return ok(path === '/' || path === '' ? names.filter((n) => n !== META_DIR) : names);
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
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
    const file = join(this.tree, META_DIR, 'commands', `${commandKey(spec)}.json`);
    const shown = [spec.cmd, ...spec.args].join(' ');
    if (!existsSync(file)) return Promise.resolve(unavailable(`\`${shown}\` was not recorded in this ${this.kind}`));
    try {
      const rec = commandRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
      if ('status' in rec) return Promise.resolve(rec.status === 'unavailable' ? unavailable(rec.reason, rec.hint) : failed(rec.reason));
      return Promise.resolve(ok(rec));
    } catch (err) {
      return Promise.resolve(failed(`recorded output of \`${shown}\` is malformed`, err));
    }
  }
}
