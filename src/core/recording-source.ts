import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bpfCaptureKey, type BpfAccess, type BpfCapture, type BpfProbeRequest, type BpfRequestKey } from './bpf.js';
import { bpfCaptureEntries } from './bpf-tree.js';
import { outcomeRecord, unavailable, type Outcome, type OutcomeRecord } from './outcome.js';
import { treePath } from './tree-meta.js';
import { commandKey, META_DIR, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs, type StatFsOptions } from './source.js';

/** Rewrites recorded text on its way into a tree; undefined drops it. */
export type TextTransform = (kind: 'file' | 'command' | 'link', pathOrCommand: string, text: string) => string | undefined;

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

  constructor(private readonly inner: Source) {
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
    if (o.status === 'ok') this.files.set(path, o.value);
    else this.miss(path, o);
    return o;
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
   * storing why instead.
   */
  toTree(transform?: TextTransform, refuseCapture?: CaptureFilter): { files: Map<string, string>; blobs: Map<string, Buffer>; dropped: number } {
    const files = new Map<string, string>();
    const blobs = new Map<string, Buffer>();
    let dropped = 0;
    const missing = new Map(this.missing);
    const drop = (path: string) => missing.set(path, { status: 'unavailable', code: 'not-captured', reason: `${path} is not stored in snapshots` });
    for (const [path, raw] of this.files) {
      const text = transform ? transform('file', path, raw) : raw;
      if (text === undefined) {
        dropped++;
        drop(path);
        continue;
      }
      const n = treePath(path);
      if (n !== undefined) files.set(n, text);
    }
    const links: Record<string, string> = {};
    for (const [path, target] of this.links) {
      const t = transform ? transform('link', path, target) : target;
      if (t === undefined) drop(path);
      else links[path] = t;
    }
    const meta = `/${META_DIR}`;
    // Directory listings are kept as data: empty dirs and dirs whose files were not read
    // (/proc/PID/fd) must list the same on replay.
    files.set(`${meta}/dirs.json`, JSON.stringify(Object.fromEntries(this.dirs)));
    files.set(`${meta}/links.json`, JSON.stringify(links));
    files.set(`${meta}/statfs.json`, JSON.stringify(Object.fromEntries(this.statfsMap)));
    files.set(`${meta}/missing.json`, JSON.stringify(Object.fromEntries(missing)));
    if (this.clocks.size > 0) files.set(`${meta}/clock.json`, JSON.stringify(Object.fromEntries(this.clocks)));
    for (const [key, { spec, answer }] of this.commands) {
      const shown = [spec.cmd, ...spec.args].join(' ');
      const a =
        transform && 'stdout' in answer
          ? { stdout: transform('command', shown, answer.stdout) ?? '', stderr: transform('command', shown, answer.stderr) ?? '', exitCode: answer.exitCode }
          : answer;
      files.set(`${meta}/commands/${key}.json`, JSON.stringify({ argv: [spec.cmd, ...spec.args], netnsPid: spec.netnsPid ?? null, ...(spec.netnsPath === undefined ? {} : { netnsPath: spec.netnsPath }), ...a }));
    }
    for (const { request, answer } of this.captures.values()) {
      const refused = answer.status === 'ok' ? refuseCapture?.(answer.value) : undefined;
      for (const [path, content] of bpfCaptureEntries(request, refused === undefined ? answer : unavailable('not-captured', refused))) {
        if (typeof content === 'string') files.set(path, content);
        else blobs.set(path, content);
      }
    }
    return { files, blobs, dropped };
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
