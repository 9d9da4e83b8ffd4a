import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bpfCaptureKey, type BpfAccess, type BpfCapture, type BpfProbeRequest, type BpfRequestKey } from './bpf.js';
import { bpfCaptureEntries } from './bpf-tree.js';
import { ok, outcomeRecord, unavailable, type Outcome, type OutcomeRecord } from './outcome.js';
import { procPath, ProcRecords } from './proc-records.js';
import { treePath } from './tree-meta.js';
import { commandKey, META_DIR, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs, type StatFsOptions } from './source.js';

/** Rewrites recorded text on its way into a tree; undefined drops it. */
export type TextTransform = (kind: 'file' | 'command' | 'link', pathOrCommand: string, text: string) => string | undefined;

/**
 * Rewrites everything recorded on its way into a tree, names included (a snapshot's redaction):
 * `text` each file's text, command output and link target (undefined drops it); `path` every
 * path (files, listings, links, statfs, what is missing, a command's namespace); `name` each
 * entry of a directory listing; `argv` a recorded command's argv (its key is computed from the
 * result, so a replay that asks for the rewritten command finds it); `settle`, once all of those
 * ran, every resulting string again (what the first pass learned: a secret found in one place,
 * masked everywhere); `bytes` binary files (BPF maps).
 */
export interface TreeTransform {
  readonly text: TextTransform;
  readonly path: (path: string) => string;
  readonly name: (name: string) => string;
  readonly argv: (argv: readonly string[]) => string[];
  readonly settle: (text: string) => string;
  readonly bytes: (data: Buffer) => Buffer;
}

const identity: TreeTransform = { text: (_k, _p, t) => t, path: (p) => p, name: (n) => n, argv: (a) => [...a], settle: (s) => s, bytes: (b) => b };

function treeTransform(t: TextTransform | TreeTransform | undefined): TreeTransform {
  if (t === undefined) return identity;
  if (typeof t === 'function') return { ...identity, text: t };
  return t;
}

/**
 * One copy of each distinct text (RecordingSource's `texts`): equal texts read from different
 * files or samples become the same string. Texts over `maxLength` are kept as read (a long text
 * is rarely repeated and would only cost its hashing).
 */
export class TextTable {
  private readonly seen = new Map<string, string>();
  constructor(private readonly maxLength = 16 * 1024) {}
  keep(text: string): string {
    if (text.length > this.maxLength) return text;
    const known = this.seen.get(text);
    if (known !== undefined) return known;
    this.seen.set(text, text);
    return text;
  }
  get size(): number {
    return this.seen.size;
  }
  clear(): void {
    this.seen.clear();
  }
}

/** Why a BPF capture must not go into a tree (e.g. it holds addresses and the tree is obfuscated); undefined keeps it. */
export type CaptureFilter = (capture: BpfCapture) => string | undefined;

type NotOk = OutcomeRecord;

/**
 * Wraps another source and remembers every answer, so the exact raw inputs of a sample can be
 * written out as a fixture tree (the layout FixtureSource reads). Used by snapshots, and by
 * developers to capture fixtures from a real host.
 */
export class RecordingSource implements Source {
  readonly kind = 'recording' as const;
  /** It records the live host as it is read: sampling it takes real time. */
  readonly replay = false;
  readonly description: string;
  readonly files = new Map<string, string>();
  readonly dirs = new Map<string, string[]>();
  readonly links = new Map<string, string>();
  readonly statfsMap = new Map<string, StatFs>();
  readonly missing = new Map<string, NotOk>();
  readonly commands = new Map<string, { spec: CommandSpec; answer: CommandResult | NotOk }>();
  readonly clocks = new Map<string, Clock>();
  /** BPF captures, by the request they answer (bpf-tree.ts layout). */
  readonly captures = new Map<string, { request: BpfRequestKey; answer: Outcome<BpfCapture> }>();
  readonly bpf?: BpfAccess;
  private readonly texts: TextTable | undefined;

  /**
   * `opts.texts`: texts already recorded (by this recording or another one sharing the table, a
   * snapshot's two samples), content -> the one copy kept. The files of a process are often
   * identical to another process's (limits, cgroup) or to its own in the other sample (an idle
   * process's stat, status, io): with thousands of processes, keeping one copy of each distinct
   * text keeps a snapshot's memory to what differs.
   */
  constructor(
    private readonly inner: Source,
    opts: { readonly texts?: TextTable } = {},
  ) {
    this.texts = opts.texts;
    this.description = `recording of ${inner.description}`;
    const live = inner.bpf;
    if (live) {
      this.bpf = {
        run: async (req: BpfProbeRequest) => {
          const o = await live.run(req);
          const request: BpfRequestKey = { probe: req.probe, ...(req.tgids ? { tgids: req.tgids } : {}), ...(req.settings ? { settings: req.settings } : {}) };
          this.captures.set(bpfCaptureKey(request), { request, answer: o });
          return o;
        },
      };
    }
  }

  private miss(key: string, o: Outcome<unknown>): void {
    if (o.status === 'ok') return;
    this.missing.set(key, outcomeRecord(o));
  }

  readFile(path: string): Outcome<string> {
    const o = this.inner.readFile(path);
    if (o.status !== 'ok') {
      this.miss(path, o);
      return o;
    }
    const text = this.texts ? this.texts.keep(o.value) : o.value;
    this.files.set(path, text);
    return text === o.value ? o : ok(text);
  }

  /** Forget everything recorded (a snapshot drops a sample's raw answers once its tree holds them). */
  clear(): void {
    for (const m of [this.files, this.dirs, this.links, this.statfsMap, this.missing, this.commands, this.clocks, this.captures] as const) m.clear();
  }

  readDir(path: string): Outcome<string[]> {
    const o = this.inner.readDir(path);
    if (o.status === 'ok') this.dirs.set(path, o.value);
    else this.miss(path, o);
    return o;
  }

  readLink(path: string): Outcome<string> {
    const o = this.inner.readLink(path);
    if (o.status === 'ok') this.links.set(path, o.value);
    else this.miss(path, o);
    return o;
  }

  statfs(path: string, opts?: StatFsOptions): Outcome<StatFs> {
    const o = this.inner.statfs(path, opts);
    if (o.status === 'ok') this.statfsMap.set(path, o.value);
    else this.miss(`statfs:${path}`, o);
    return o;
  }

  now(label = 'sample'): Clock {
    const c = this.inner.now(label);
    this.clocks.set(label, c);
    return c;
  }

  async run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    const o = await this.inner.run(spec);
    const answer: CommandResult | NotOk = o.status === 'ok' ? o.value : outcomeRecord(o);
    this.commands.set(commandKey(spec), { spec, answer });
    return o;
  }

  /**
   * Everything recorded, as the files of a fixture tree (tree path -> text, the layout
   * FixtureSource reads). `transform` may rewrite the text of a file, a command's output or a
   * link target (redaction) or drop it (return undefined: it is then recorded as unavailable,
   * so a replay says "not stored" instead of inventing anything). BPF captures go to
   * .diag/bpf/ (bpf-tree.ts; their binary files in `blobs`); `refuseCapture` may keep one out,
   * storing why instead. `compact` (snapshots) keeps what was recorded under /proc/PID/ as one
   * record per process in `procs` (proc-records.ts) instead of files and .diag/ entries.
   */
  toTree(transform?: TextTransform | TreeTransform, refuseCapture?: CaptureFilter, compact = false): RecordedTree {
    return answersToTree(this, transform, refuseCapture, compact);
  }

  /**
   * Everything recorded since the last drain, handed over, and the maps emptied: a long-running
   * recorder (diag record) keeps one RecordingSource and takes each sample's answers in turn.
   */
  drain(): RecordedAnswers {
    const copy = <K, V>(m: Map<K, V>) => {
      const c = new Map(m);
      m.clear();
      return c;
    };
    return {
      files: copy(this.files),
      dirs: copy(this.dirs),
      links: copy(this.links),
      statfsMap: copy(this.statfsMap),
      missing: copy(this.missing),
      commands: copy(this.commands),
      clocks: copy(this.clocks),
      captures: copy(this.captures),
    };
  }

  /** Write everything recorded as a fixture tree under dir (see toTree); returns how many files were dropped. */
  writeTree(dir: string, transform?: TextTransform): number {
    const { files, blobs, dropped } = this.toTree(transform);
    for (const [path, text] of [...files, ...blobs]) {
      const target = join(dir, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
    mkdirSync(join(dir, META_DIR, 'commands'), { recursive: true });
    return dropped;
  }
}

/** A fixture tree in memory: files, BPF blobs, how many were dropped, and the process records when compact. */
export interface RecordedTree {
  files: Map<string, string>;
  blobs: Map<string, Buffer>;
  dropped: number;
  procs?: ProcRecords;
}

/** What a RecordingSource remembered of the answers it passed on (one sample's raw inputs). */
export interface RecordedAnswers {
  readonly files: ReadonlyMap<string, string>;
  readonly dirs: ReadonlyMap<string, readonly string[]>;
  readonly links: ReadonlyMap<string, string>;
  readonly statfsMap: ReadonlyMap<string, StatFs>;
  readonly missing: ReadonlyMap<string, NotOk>;
  readonly commands: ReadonlyMap<string, { readonly spec: CommandSpec; readonly answer: CommandResult | NotOk }>;
  readonly clocks: ReadonlyMap<string, Clock>;
  readonly captures: ReadonlyMap<string, { readonly request: BpfRequestKey; readonly answer: Outcome<BpfCapture> }>;
}

/**
 * Recorded answers as the files of a fixture tree (RecordingSource.toTree; a flight recording's
 * samples are turned into trees by the same function, so they replay as a bundle's do).
 */
export function answersToTree(a: RecordedAnswers, transform?: TextTransform | TreeTransform, refuseCapture?: CaptureFilter, compact = false): RecordedTree {
    const t = treeTransform(transform);
    const files = new Map<string, string>();
    const blobs = new Map<string, Buffer>();
    let dropped = 0;
    const missing = new Map(a.missing);
    const drop = (path: string) => missing.set(path, { status: 'unavailable', code: 'not-captured', reason: `${path} is not stored in snapshots` });
    // First pass: every text, path and argv rewritten (a redactor learns what it masks here).
    const texts: Array<[string, string]> = [];
    for (const [path, raw] of a.files) {
      const text = t.text('file', path, raw);
      if (text === undefined) {
        dropped++;
        drop(path);
        continue;
      }
      const n = treePath(path);
      if (n !== undefined) texts.push([t.path(n), text]);
    }
    const links: Array<[string, string]> = [];
    for (const [path, target] of a.links) {
      const l = t.text('link', path, target);
      if (l === undefined) drop(path);
      else links.push([t.path(path), l]);
    }
    const dirs = [...a.dirs].map(([d, names]) => [t.path(d), names.map((x) => t.name(x))] as const);
    const statfs = [...a.statfsMap].map(([p, v]) => [t.path(p), v] as const);
    const commands = [...a.commands.values()].map(({ spec, answer }) => {
      const shown = [spec.cmd, ...spec.args].join(' ');
      const argv = t.argv([spec.cmd, ...spec.args]);
      const a = 'stdout' in answer ? { stdout: t.text('command', shown, answer.stdout) ?? '', stderr: t.text('command', shown, answer.stderr) ?? '', exitCode: answer.exitCode } : answer;
      return { argv, netnsPid: spec.netnsPid, netnsPath: spec.netnsPath === undefined ? undefined : t.path(spec.netnsPath), answer: a };
    });
    // Second pass: what the first learned, applied to every string.
    const s = t.settle;
    // Reasons and hints name paths and commands: rewritten as texts too.
    const say = (x: string) => s(t.text('command', '', x) ?? x);
    const record = (r: OutcomeRecord): OutcomeRecord => ({ ...r, reason: say(r.reason), ...(r.hint !== undefined ? { hint: say(r.hint) } : {}) });
    // compact: what was recorded under /proc/PID/ goes into one record per process (proc-records.ts)
    const procs = compact ? new ProcRecords() : undefined;
    const proc = (path: string) => (procs ? procPath(path) : undefined);
    for (const [p, text] of texts) {
      const path = s(p);
      const pp = proc(path);
      if (pp) procs!.setFile(pp[0], pp[1], s(text));
      else files.set(path, s(text));
    }
    const meta = `/${META_DIR}`;
    // Directory listings are kept as data: empty dirs and dirs whose files were not read
    // (/proc/PID/fd) must list the same on replay.
    /** Entries of a .diag/ JSON file, those of a process going to its record instead. */
    const hostWide = <V>(entries: Iterable<readonly [string, V]>, toRecord: (pid: string, rel: string, v: V) => void): Record<string, V> => {
      const out: Record<string, V> = {};
      for (const [p, v] of entries) {
        const pp = proc(p);
        if (pp) toRecord(pp[0], pp[1], v);
        else out[p] = v;
      }
      return out;
    };
    const dirsOut = hostWide(
      dirs.map(([d, names]) => [s(d), names.map(s)] as const),
      (pid, rel, v) => procs!.setDir(pid, rel, v),
    );
    const linksOut = hostWide(
      links.map(([p, l]) => [s(p), s(l)] as const),
      (pid, rel, v) => procs!.setLink(pid, rel, v),
    );
    const missingOut = hostWide(
      [...missing].map(([p, r]) => [s(t.path(p)), record(r)] as const),
      (pid, rel, v) => procs!.setMissing(pid, rel, v),
    );
    files.set(`${meta}/dirs.json`, JSON.stringify(dirsOut));
    files.set(`${meta}/links.json`, JSON.stringify(linksOut));
    files.set(`${meta}/statfs.json`, JSON.stringify(Object.fromEntries(statfs.map(([p, v]) => [s(p), v]))));
    files.set(`${meta}/missing.json`, JSON.stringify(missingOut));
    if (a.clocks.size > 0) files.set(`${meta}/clock.json`, JSON.stringify(Object.fromEntries(a.clocks)));
    for (const c of commands) {
      const argv = c.argv.map(s);
      const netnsPath = c.netnsPath === undefined ? undefined : s(c.netnsPath);
      const spec = { cmd: argv[0] ?? '', args: argv.slice(1), ...(c.netnsPid === undefined ? {} : { netnsPid: c.netnsPid }), ...(netnsPath === undefined ? {} : { netnsPath }) };
      const a = 'stdout' in c.answer ? { stdout: s(c.answer.stdout), stderr: s(c.answer.stderr), exitCode: c.answer.exitCode } : record(c.answer);
      files.set(`${meta}/commands/${commandKey(spec)}.json`, JSON.stringify({ argv, netnsPid: c.netnsPid ?? null, ...(netnsPath === undefined ? {} : { netnsPath }), ...a }));
    }
    for (const { request, answer } of a.captures.values()) {
      const refused = answer.status === 'ok' ? refuseCapture?.(answer.value) : undefined;
      for (const [path, content] of bpfCaptureEntries(request, refused === undefined ? answer : unavailable('not-captured', refused))) {
        if (typeof content === 'string') files.set(path, s(content));
        else blobs.set(path, t.bytes(content));
      }
    }
    return procs ? { files, blobs, dropped, procs } : { files, blobs, dropped };
  }
