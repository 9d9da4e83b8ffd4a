import type { Outcome } from './outcome.js';
import type { BpfAccess } from './bpf.js';
import type { Clock, CommandResult, CommandSpec, Source, StatFs } from './source.js';

/**
 * One sample is one moment: when several collectors read the same host-wide file in a sample
 * (/proc/self/mountinfo, /proc/loadavg, the /proc listing), the host is read once. Only
 * successful reads are kept, and never files of a process (/proc/PID/...): a collector that reads
 * one again wants to know whether the process is still there. Commands are not memoised.
 */
export class MemoSource implements Source {
  readonly kind: Source['kind'];
  readonly replay: boolean;
  readonly description: string;
  readonly bpf?: BpfAccess;
  private readonly files = new Map<string, Outcome<string>>();
  private readonly dirs = new Map<string, Outcome<string[]>>();

  constructor(private readonly inner: Source) {
    this.kind = inner.kind;
    this.replay = inner.replay;
    this.description = inner.description;
    if (inner.bpf) this.bpf = inner.bpf;
  }

  /** Not a file of one process (/proc/PID/...): checked without a regex, it runs for every read. */
  private static shareable(path: string): boolean {
    if (!path.startsWith('/proc/')) return true;
    const c = path.charCodeAt(6);
    return !(c >= 48 && c <= 57);
  }

  readFile(path: string): Outcome<string> {
    if (!MemoSource.shareable(path)) return this.inner.readFile(path);
    const hit = this.files.get(path);
    if (hit) return hit;
    const o = this.inner.readFile(path);
    if (o.status === 'ok') this.files.set(path, o);
    return o;
  }

  readDir(path: string): Outcome<string[]> {
    if (!MemoSource.shareable(path)) return this.inner.readDir(path);
    const hit = this.dirs.get(path);
    if (hit) return hit.status === 'ok' ? { status: 'ok', value: [...hit.value] } : hit;
    const o = this.inner.readDir(path);
    if (o.status === 'ok') this.dirs.set(path, { status: 'ok', value: [...o.value] });
    return o;
  }

  readLink(path: string): Outcome<string> {
    return this.inner.readLink(path);
  }

  statfs(path: string, opts?: Parameters<Source['statfs']>[1]): Outcome<StatFs> {
    return this.inner.statfs(path, opts);
  }

  run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    return this.inner.run(spec);
  }

  now(label?: string): Clock {
    return this.inner.now(label);
  }
}
