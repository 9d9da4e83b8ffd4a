import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { perNetnsScope } from '../core/entity.js';
import type { MetricCatalogue } from './metrics.js';
import { suggestMetrics } from './metrics.js';
import { playbookSchema, type CheckSpec, type PlaybookFile } from './playbook-schema.js';
import { defaultCachePath, PlaybookCache } from './playbook-cache.js';
import { locate, parseYaml, type LocatedDocument, type Position } from './yaml-locate.js';

/**
 * Loads playbooks: the built-in ones (playbooks/*.yaml), then /etc/diag/playbooks,
 * ~/.config/diag/playbooks and --playbook-dir, later ones overriding earlier ones by name.
 * A bad file gets an error naming the file, the line and the field, and never stops the others.
 */

export type PlaybookOrigin = 'builtin' | 'system' | 'user' | 'dir';

export interface ResolvedSource {
  readonly key: string;
  readonly title: string;
  readonly url?: string;
}

/** A check as the evaluator runs it: its threshold sources resolved, its playbook named. */
export interface LoadedCheck extends CheckSpec {
  readonly playbook: string;
  readonly file: string;
  readonly sourceRefs: Readonly<Record<string, ResolvedSource>>;
}

export interface LoadedPlaybook {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly file: string;
  readonly origin: PlaybookOrigin;
  readonly resources: PlaybookFile['resources'];
  readonly target: PlaybookFile['target'];
  readonly essential: readonly string[];
  readonly budgetSeconds: number;
  readonly includes: readonly string[];
  readonly checks: readonly LoadedCheck[];
  /** A playbook of the same name it replaced (from an earlier directory). */
  readonly overrides?: string;
}

export class PlaybookError {
  readonly name = 'PlaybookError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly message: string,
    readonly position?: Position,
  ) {}
  toString(): string {
    const where = this.position ? `${this.file}:${this.position.line}:${this.position.column}` : this.file;
    return `${where}: ${this.field ? `${this.field}: ` : ''}${this.message}`;
  }
}

export interface LoadResult {
  readonly playbooks: ReadonlyMap<string, LoadedPlaybook>;
  readonly errors: readonly PlaybookError[];
}

export interface PlaybookDir {
  readonly dir: string;
  readonly origin: PlaybookOrigin;
  /** An explicit --playbook-dir must exist; the default places may not. */
  readonly required?: boolean;
}

const MAX_FILE_BYTES = 1024 * 1024;

/** Values a `where` filter may name instead of a literal (filled in at run time). */
export const FILTER_VARS = ['$host_netns', '$target_netns', '$target_cgroup'];

/** The repository's playbooks/ folder, from src/engine (tests) or dist/src/engine (built). */
export function builtinPlaybookDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'playbooks'))) return join(d, 'playbooks');
    d = dirname(d);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../playbooks');
}

export function defaultPlaybookDirs(extra?: string): PlaybookDir[] {
  const config = process.env.XDG_CONFIG_HOME && process.env.XDG_CONFIG_HOME.startsWith('/') ? process.env.XDG_CONFIG_HOME : join(homedir(), '.config');
  const dirs: PlaybookDir[] = [
    { dir: builtinPlaybookDir(), origin: 'builtin' },
    { dir: '/etc/diag/playbooks', origin: 'system' },
    { dir: join(config, 'diag', 'playbooks'), origin: 'user' },
  ];
  if (extra !== undefined) dirs.push({ dir: resolve(extra), origin: 'dir', required: true });
  return dirs;
}

interface Parsed {
  readonly file: string;
  readonly origin: PlaybookOrigin;
  readonly pb: PlaybookFile;
  /** Positions in the file: parsed on demand when the data came from the cache. */
  readonly located: () => LocatedDocument | undefined;
}

function at(p: Parsed, path: readonly (string | number)[]): Position | undefined {
  const l = p.located();
  return l ? locate(l, path) : undefined;
}

function pathText(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s;
}

type Issue = z.core.$ZodIssue;

/** Pick the most telling issue of a union: the branch that got furthest. */
function flattenIssue(issue: Issue): { path: PropertyKey[]; issue: Issue } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branches = issue.errors.filter((b) => b.length > 0);
    // A branch that failed only on its discriminant ("run") is the wrong branch; prefer deeper ones.
    const scored = branches.map((b) => ({ b, depth: Math.max(...b.map((i) => i.path.length)) - b.length / 100 }));
    scored.sort((x, y) => y.depth - x.depth);
    const first = scored[0]?.b[0];
    if (first) {
      const inner = flattenIssue(first);
      return { path: [...issue.path, ...inner.path], issue: inner.issue };
    }
  }
  return { path: [...issue.path], issue };
}

function zodErrors(file: string, located: LocatedDocument, issues: readonly Issue[]): PlaybookError[] {
  return issues.map((raw) => {
    const { path, issue } = flattenIssue(raw);
    const segs = path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      return new PlaybookError(file, pathText([...segs, key]), `unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''} (not in diag.playbook/v1; see schemas/playbook.schema.json)`, locate(located, segs, key));
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = `missing (${message})`;
    return new PlaybookError(file, pathText(segs), message, locate(located, segs));
  });
}

/** Checks that need the metric catalogue: metric names, fields, tables, collectors. */
function semanticErrors(p: Parsed, cat: MetricCatalogue): PlaybookError[] {
  const errs: PlaybookError[] = [];
  const err = (path: (string | number)[], message: string) => errs.push(new PlaybookError(p.file, pathText(path), message, at(p, path)));
  const collectorIds = new Set([...cat.tables.values()].map((t) => t.collector.id));
  p.pb.essential.forEach((t, i) => {
    if (!cat.tables.has(t)) err(['essential', i], `unknown table ${JSON.stringify(t)} (tables: see \`diag metrics\`)`);
  });
  p.pb.checks.forEach((c, i) => {
    const base: (string | number)[] = ['checks', i];
    const m = cat.metrics.get(c.metric);
    if (!m) {
      const hint = suggestMetrics(cat, c.metric);
      err([...base, 'metric'], `unknown metric ${JSON.stringify(c.metric)}${hint.length ? `; did you mean ${hint.join(', ')}?` : ''} (see \`diag metrics\`)`);
      return;
    }
    if (c.measure === 'rate' || c.measure === 'delta') {
      if (m.kind !== 'counter') err([...base, 'measure'], `${c.metric} is a ${m.kind}, not a counter: measure ${c.measure} needs a counter`);
    } else if (c.measure === 'value' && m.kind === 'counter') {
      err([...base, 'measure'], `${c.metric} is a counter: read it as a rate (default) or a delta over the window`);
    }
    if (c.divide_by !== undefined) {
      const d = cat.metrics.get(c.divide_by);
      if (!d) {
        const hint = suggestMetrics(cat, c.divide_by);
        err([...base, 'divide_by'], `unknown metric ${JSON.stringify(c.divide_by)}${hint.length ? `; did you mean ${hint.join(', ')}?` : ''}`);
      } else if (d.table !== m.table && d.scope !== 'host') {
        err([...base, 'divide_by'], `${c.divide_by} is in table ${d.table} (scope ${d.scope}): divide by a field of ${m.table} or of a host-wide table`);
      }
    }
    const table = cat.tables.get(m.table);
    c.where?.forEach((f, j) => {
      if (f.on.startsWith('field.')) {
        const name = f.on.slice(6);
        if (!table || (!(name in table.spec.fields) && !(name in (table.spec.derived ?? {})))) err([...base, 'where', j, 'on'], `table ${m.table} has no field ${JSON.stringify(name)}`);
      }
    });
    c.where?.forEach((f, j) => {
      const vals = Array.isArray(f.value) ? f.value : [f.value];
      for (const v of vals) if (typeof v === 'string' && v.startsWith('$') && !FILTER_VARS.includes(v)) err([...base, 'where', j, 'value'], `unknown variable ${JSON.stringify(v)} (known: ${FILTER_VARS.join(', ')})`);
    });
    if (c.target === 'netns') {
      if (table && !perNetnsScope(m.scope) && table.collector.netns !== true) err([...base, 'target'], `target netns needs a table of scope netns or a collector that can observe another network namespace; ${table.collector.id} cannot`);
    } else if (c.target !== undefined && m.scope !== (c.target === 'pid' ? 'process' : c.target)) {
      const want = c.target === 'pid' ? 'process' : c.target;
      err([...base, 'target'], `target ${c.target} needs a table of scope ${want}; ${m.table} has scope ${m.scope}`);
    }
    c.next.forEach((n, j) => {
      if (typeof n === 'string' || n.run !== 'collector') return;
      if (!collectorIds.has(n.collector)) {
        err([...base, 'next', j, 'collector'], `unknown collector ${JSON.stringify(n.collector)} (see \`diag collectors\`)`);
        return;
      }
      const t = n.table === undefined ? undefined : cat.tables.get(n.table);
      if (n.table !== undefined && (!t || t.collector.id !== n.collector)) err([...base, 'next', j, 'table'], `collector ${n.collector} has no table ${JSON.stringify(n.table)}`);
      const tt = t ?? [...cat.tables.values()].find((x) => x.collector.id === n.collector);
      if (n.sort_by !== undefined && tt && !(n.sort_by in tt.spec.fields) && !(n.sort_by in (tt.spec.derived ?? {}))) {
        err([...base, 'next', j, 'sort_by'], `table ${tt.id} has no field ${JSON.stringify(n.sort_by)}`);
      }
    });
    const scopes = new Set([...cat.tables.values()].map((t) => t.spec.scope));
    c.culprits.forEach((k, j) => {
      const t = cat.tables.get(k.table);
      if (!t) {
        err([...base, 'culprits', j, 'table'], `unknown table ${JSON.stringify(k.table)} (tables: see \`diag metrics\`)`);
        return;
      }
      const has = (f: string) => f in t.spec.fields || f in (t.spec.derived ?? {});
      if (k.rank_by !== 'count' && !has(k.rank_by)) err([...base, 'culprits', j, 'rank_by'], `table ${k.table} has no field ${JSON.stringify(k.rank_by)}`);
      if (k.measure !== undefined && k.rank_by !== 'count' && t.spec.fields[k.rank_by]?.kind === 'gauge') err([...base, 'culprits', j, 'measure'], `${k.table}.${k.rank_by} is a gauge: measure ${k.measure} needs a counter`);
      k.show.forEach((f, x) => {
        if (!has(f)) err([...base, 'culprits', j, 'show', x], `table ${k.table} has no field ${JSON.stringify(f)}`);
      });
      k.where?.forEach((f, x) => {
        if (f.on.startsWith('field.') && !has(f.on.slice(6))) err([...base, 'culprits', j, 'where', x, 'on'], `table ${k.table} has no field ${JSON.stringify(f.on.slice(6))}`);
      });
      if (k.group_by?.startsWith('field.') && !has(k.group_by.slice(6))) err([...base, 'culprits', j, 'group_by'], `table ${k.table} has no field ${JSON.stringify(k.group_by.slice(6))}`);
      if (k.as !== undefined && !scopes.has(k.as)) err([...base, 'culprits', j, 'as'], `no table has scope ${JSON.stringify(k.as)} (scopes: ${[...scopes].sort().join(', ')})`);
    });
  });
  return errs;
}

function listYaml(d: PlaybookDir, errors: PlaybookError[]): string[] {
  if (!existsSync(d.dir)) {
    if (d.required) errors.push(new PlaybookError(d.dir, '', 'playbook directory does not exist'));
    return [];
  }
  try {
    return readdirSync(d.dir)
      .filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.'))
      .sort()
      .map((n) => join(d.dir, n));
  } catch (e) {
    errors.push(new PlaybookError(d.dir, '', `cannot list: ${e instanceof Error ? e.message : String(e)}`));
    return [];
  }
}

/** Parse and validate one file; errors are returned, never thrown. */
export function parsePlaybookFile(file: string, textContent: string, origin: PlaybookOrigin, cat: MetricCatalogue, cache?: PlaybookCache): { parsed?: Parsed; errors: PlaybookError[] } {
  const cached = cache?.get(textContent);
  if (cached !== undefined) {
    // Data parsed from this exact text before: validate again (the schema or the collectors may
    // have changed); on any error, parse the YAML for positions.
    const z = playbookSchema.safeParse(cached);
    if (z.success) {
      let located: LocatedDocument | undefined;
      const parsed: Parsed = {
        file,
        origin,
        pb: z.data,
        located: () => {
          if (located) return located;
          const y = parseYaml(textContent);
          located = y.ok ? y.located : undefined;
          return located;
        },
      };
      if (semanticErrors(parsed, cat).length === 0) return { parsed, errors: [] };
    }
  }
  const y = parseYaml(textContent);
  if (!y.ok) return { errors: [new PlaybookError(file, '', `invalid YAML: ${y.message}`, y.position)] };
  if (typeof y.value !== 'object' || y.value === null || Array.isArray(y.value)) {
    return { errors: [new PlaybookError(file, '', 'a playbook is a YAML mapping (name:, title:, checks: ...)', locate(y.located, []))] };
  }
  const z = playbookSchema.safeParse(y.value);
  if (!z.success) return { errors: zodErrors(file, y.located, z.error.issues) };
  const parsed: Parsed = { file, origin, pb: z.data, located: () => y.located };
  const sem = semanticErrors(parsed, cat);
  if (sem.length > 0) return { errors: sem };
  cache?.put(textContent, y.value);
  return { parsed, errors: [] };
}

export interface LoadOptions {
  /**
   * Load only this playbook and what it includes, finding files by name (NAME.yaml): a run
   * parses a few files instead of all. Falls back to loading everything when a name has no
   * file of that name (its file is named otherwise) or a file declares another name.
   */
  readonly only?: string;
  /** Parsed-YAML cache for built-in playbooks (default: ~/.cache/diag); null: none. */
  readonly cache?: PlaybookCache | null;
}

const baseName = (file: string) => file.slice(file.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');

export function loadPlaybooks(cat: MetricCatalogue, dirs: readonly PlaybookDir[] = defaultPlaybookDirs(), opts: LoadOptions = {}): LoadResult {
  const listErrors: PlaybookError[] = [];
  const listed = dirs.map((d) => ({ d, files: listYaml(d, listErrors) }));
  const cache = opts.cache === null ? undefined : (opts.cache ?? new PlaybookCache(defaultCachePath()));
  try {
    if (opts.only !== undefined) {
      const lazy = loadSome(cat, listed, opts.only, cache);
      if (lazy) return { playbooks: lazy.playbooks, errors: [...listErrors, ...lazy.errors] };
    }
    const r = loadFiles(cat, listed, undefined, new Map(), cache);
    return { playbooks: r.playbooks, errors: [...listErrors, ...r.errors] };
  } finally {
    cache?.save();
  }
}

function readAndParse(file: string, origin: PlaybookOrigin, cat: MetricCatalogue, cache: PlaybookCache | undefined): ReturnType<typeof parsePlaybookFile> | { readError: PlaybookError } {
  try {
    if (statSync(file).size > MAX_FILE_BYTES) return { readError: new PlaybookError(file, '', `larger than ${MAX_FILE_BYTES} bytes`) };
    return parsePlaybookFile(file, readFileSync(file, 'utf8'), origin, cat, origin === 'builtin' ? cache : undefined);
  } catch (e) {
    return { readError: new PlaybookError(file, '', `cannot read: ${e instanceof Error ? e.message : String(e)}`) };
  }
}

type Listed = ReadonlyArray<{ readonly d: PlaybookDir; readonly files: readonly string[] }>;

/** The wanted playbook and its includes, found by file name; undefined: fall back to all. */
function loadSome(cat: MetricCatalogue, listed: Listed, name: string, cache: PlaybookCache | undefined): LoadResult | undefined {
  const wanted = new Set([name]);
  const memo: ParseMemo = new Map();
  for (let round = 0; round < 16; round++) {
    const subset = listed.map(({ d, files }) => ({ d, files: files.filter((f) => wanted.has(baseName(f))) }));
    for (const n of wanted) if (!subset.some((x) => x.files.some((f) => baseName(f) === n))) return undefined;
    const r = loadFiles(cat, subset, wanted, memo, cache);
    if (r.misnamed) return undefined;
    const missing = r.includes.filter((i) => !wanted.has(i));
    if (missing.length === 0) return r;
    for (const m of missing) wanted.add(m);
  }
  return undefined;
}

type ParseMemo = Map<string, ReturnType<typeof parsePlaybookFile> | { readError: PlaybookError }>;

function loadFiles(cat: MetricCatalogue, listed: Listed, expectNames?: ReadonlySet<string>, memo: ParseMemo = new Map(), cache?: PlaybookCache): LoadResult & { misnamed: boolean; includes: string[] } {
  const errors: PlaybookError[] = [];
  const byName = new Map<string, Parsed>();
  const overridden = new Map<string, string>();
  let misnamed = false;
  for (const { d, files } of listed) {
    const seenHere = new Map<string, string>();
    for (const file of files) {
      let r = memo.get(file);
      if (r === undefined) {
        r = readAndParse(file, d.origin, cat, cache);
        memo.set(file, r);
      }
      if ('readError' in r) {
        errors.push(r.readError);
        continue;
      }
      errors.push(...r.errors);
      if (!r.parsed) continue;
      const name = r.parsed.pb.name;
      if (expectNames && name !== baseName(file)) misnamed = true;
      const dup = seenHere.get(name);
      if (dup !== undefined) {
        errors.push(new PlaybookError(file, 'name', `playbook ${JSON.stringify(name)} is already defined in ${dup}`, at(r.parsed, ['name'])));
        continue;
      }
      seenHere.set(name, file);
      const prev = byName.get(name);
      if (prev) overridden.set(name, prev.file);
      byName.set(name, r.parsed);
    }
  }
  const includes = [...new Set([...byName.values()].flatMap((p) => p.pb.include))];
  if (expectNames && includes.some((i) => !expectNames.has(i))) {
    // Not all includes are parsed yet: the caller widens the set and loads again.
    return { playbooks: new Map(), errors, misnamed, includes };
  }
  const playbooks = new Map<string, LoadedPlaybook>();
  const failed = new Set<string>();
  const resolving = new Set<string>();
  const resolveOne = (name: string): LoadedPlaybook | undefined => {
    const done = playbooks.get(name);
    if (done) return done;
    if (failed.has(name)) return undefined;
    const p = byName.get(name);
    if (!p) return undefined;
    resolving.add(name);
    let ok = true;
    const checks: LoadedCheck[] = [];
    const resources = new Set(p.pb.resources);
    const essential = new Set(p.pb.essential);
    const fail = (path: (string | number)[], message: string) => {
      ok = false;
      errors.push(new PlaybookError(p.file, pathText(path), message, at(p, path)));
    };
    p.pb.include.forEach((inc, i) => {
      if (resolving.has(inc)) return fail(['include', i], `include cycle: ${[...resolving, inc].join(' -> ')}`);
      if (!byName.has(inc)) return fail(['include', i], `unknown playbook ${JSON.stringify(inc)}`);
      const sub = resolveOne(inc);
      if (!sub) return fail(['include', i], `included playbook ${JSON.stringify(inc)} failed to load (see its errors)`);
      checks.push(...sub.checks);
      sub.resources.forEach((r) => resources.add(r));
      sub.essential.forEach((e) => essential.add(e));
    });
    const own = p.pb.checks.map((c): LoadedCheck => ({ ...c, playbook: p.pb.name, file: p.file, sourceRefs: resolveSources(p.pb, c) }));
    const ids = new Map(checks.map((c) => [c.id, c.playbook]));
    own.forEach((c, i) => {
      const from = ids.get(c.id);
      if (from !== undefined) fail(['checks', i, 'id'], `check id ${JSON.stringify(c.id)} is also in included playbook ${from}`);
    });
    checks.push(...own);
    resolving.delete(name);
    if (!ok) {
      failed.add(name);
      return undefined;
    }
    const lp: LoadedPlaybook = {
      name,
      title: p.pb.title,
      description: p.pb.description,
      file: p.file,
      origin: p.origin,
      resources: [...resources],
      target: p.pb.target,
      essential: [...essential],
      budgetSeconds: p.pb.budget_seconds,
      includes: p.pb.include,
      checks,
      ...(overridden.has(name) ? { overrides: overridden.get(name)! } : {}),
    };
    playbooks.set(name, lp);
    return lp;
  };
  for (const name of [...byName.keys()].sort()) resolveOne(name);
  return { playbooks, errors, misnamed, includes };
}

function resolveSources(pb: PlaybookFile, c: CheckSpec): Record<string, ResolvedSource> {
  const out: Record<string, ResolvedSource> = {};
  for (const t of [c.warning, c.critical]) {
    if (!t) continue;
    const s = pb.sources[t.source];
    if (s) out[t.source] = { key: t.source, title: s.title, ...(s.url === undefined ? {} : { url: s.url }) };
  }
  return out;
}
