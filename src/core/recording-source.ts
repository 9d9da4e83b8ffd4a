import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { Outcome } from './outcome.js';
import { commandKey, META_DIR, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs } from './source.js';

type NotOk = { status: 'unavailable' | 'error'; reason: string; hint?: string };

/**
 * Wraps another source and remembers every answer, so the exact raw inputs of a sample can be
 * written out as a fixture tree (the layout FixtureSource reads). Used by snapshots, and by
 * developers to capture fixtures from a real host.
 */
export class RecordingSource implements Source {
  readonly kind = 'recording' as const;
  readonly description: string;
  readonly files = new Map<string, string>();
  readonly dirs = new Map<string, string[]>();
  readonly links = new Map<string, string>();
  readonly statfsMap = new Map<string, StatFs>();
  readonly missing = new Map<string, NotOk>();
  readonly commands = new Map<string, { spec: CommandSpec; answer: CommandResult | NotOk }>();
  readonly clocks = new Map<string, Clock>();

  constructor(private readonly inner: Source) {
    this.description = `recording of ${inner.description}`;
  }

  private miss(key: string, o: Outcome<unknown>): void {
    if (o.status === 'ok') return;
    this.missing.set(key, o.status === 'unavailable' ? { status: o.status, reason: o.reason, ...(o.hint ? { hint: o.hint } : {}) } : { status: 'error', reason: o.reason });
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

  statfs(path: string): Outcome<StatFs> {
    const o = this.inner.statfs(path);
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
    const answer: CommandResult | NotOk =
      o.status === 'ok' ? o.value : o.status === 'unavailable' ? { status: o.status, reason: o.reason, ...(o.hint ? { hint: o.hint } : {}) } : { status: 'error', reason: o.reason };
    this.commands.set(commandKey(spec), { spec, answer });
    return o;
  }

  /** Write everything recorded as a fixture tree under dir. */
  writeTree(dir: string): void {
    for (const [path, text] of this.files) {
      const n = normalize('/' + path);
      if (n.split('/').includes('..')) continue;
      const target = join(dir, n);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
    const meta = join(dir, META_DIR);
    mkdirSync(join(meta, 'commands'), { recursive: true });
    // Directory listings are kept as data: empty dirs and dirs whose files were not read
    // (/proc/PID/fd) must list the same on replay.
    writeFileSync(join(meta, 'dirs.json'), JSON.stringify(Object.fromEntries(this.dirs)));
    writeFileSync(join(meta, 'links.json'), JSON.stringify(Object.fromEntries(this.links)));
    writeFileSync(join(meta, 'statfs.json'), JSON.stringify(Object.fromEntries(this.statfsMap)));
    writeFileSync(join(meta, 'missing.json'), JSON.stringify(Object.fromEntries(this.missing)));
    if (this.clocks.size > 0) writeFileSync(join(meta, 'clock.json'), JSON.stringify(Object.fromEntries(this.clocks)));
    for (const [key, { spec, answer }] of this.commands) {
      writeFileSync(join(meta, 'commands', `${key}.json`), JSON.stringify({ argv: [spec.cmd, ...spec.args], netnsPid: spec.netnsPid ?? null, ...answer }));
    }
  }
}
