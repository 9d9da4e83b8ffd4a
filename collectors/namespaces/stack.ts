import type { TableOutcomes } from '../../src/core/collector.js';
import { failed, ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import { parsed, parseFail, type ParseResult } from '../../src/core/parse-result.js';
import type { Clock, CommandResult, Source, StatFs } from '../../src/core/source.js';
import { runTool } from '../commands/command.js';
import { collectNetdev } from '../procfs/netdev/collector.js';
import { collectNetstack } from '../procfs/netstack/collector.js';

/**
 * A network namespace's own counters: /proc/net/{dev,snmp,netstat,sockstat} (and the IPv6 ones)
 * as that namespace sees them, read with the host collectors' own functions and declarations.
 *
 * With a process inside, /proc/PID/net/* of that process shows its namespace: plain file reads,
 * no nsenter. A namespace that only a bind mount keeps alive (`ip netns add NAME` and nothing
 * started in it) has no /proc/PID/net: one command inside it (nsenter --net=PATH) prints the
 * same files, with `head` headers between them (`head` with several files prints
 * "==> FILE <==" before each: one short-lived process per namespace instead of one per file).
 */

/** Tried in turn when the first member exits before its /proc/PID/net is read. */
export const MEMBER_TRIES = 3;
/** Largest file `head` copies (a /proc/net/dev of thousands of interfaces is ~0.5 MB). */
const HEAD_MAX_FILE = 4 * 1024 * 1024;

export interface StackRead {
  readonly tables: TableOutcomes;
  /** How it was read: "process 1234" or the bind-mount path entered. */
  readonly via: string;
}

/** Per-namespace tables from a directory laid out like /proc/net (netdev + every netstack table). */
export function stackTables(src: Source, procNetDir: string): TableOutcomes {
  return { netdev: collectNetdev(src, procNetDir, null), ...collectNetstack(src, procNetDir) };
}

/** Read the namespace's counters through one member's /proc/PID/net (no nsenter needed). */
export function stackOfMembers(src: Source, pids: readonly number[], inode: string): StackRead | Outcome<never> {
  let last: Outcome<never> = unavailable('not-found', `network namespace ${inode} has no process to read /proc/PID/net through`);
  for (const pid of pids.slice(0, MEMBER_TRIES)) {
    const dir = `/proc/${pid}/net`;
    const dev = collectNetdev(src, dir, null);
    if (dev.status !== 'ok') {
      last = dev;
      continue;
    }
    return { via: `process ${pid}`, tables: { netdev: dev, ...collectNetstack(src, dir) } };
  }
  return last;
}

/** The files read inside a namespace without a process; the IPv6 ones only where the kernel has IPv6 (the host says). */
export function stackFiles(src: Source): string[] {
  const v6 = src.readFile('/proc/net/snmp6').status === 'ok';
  return ['dev', 'snmp', 'netstat', 'sockstat', ...(v6 ? ['snmp6', 'sockstat6'] : [])].map((f) => `/proc/net/${f}`);
}

/** `head -c N FILE...` inside the namespace: every file, each after a "==> FILE <==" header. */
export const stackCommandArgs = (files: readonly string[]): string[] => ['-c', String(HEAD_MAX_FILE), '--', ...files];

/**
 * Split the output of `head FILE1 FILE2 ...` into its files (pure). head prints
 * "==> FILE <==\n" before each file, and "\n" before every header but the first.
 */
export function splitHeadOutput(text: string): ParseResult<Map<string, string>> {
  const out = new Map<string, string>();
  const header = /^==> (\/[^\n]*) <==$/gm;
  const marks: { name: string; start: number; end: number }[] = [];
  for (let m = header.exec(text); m !== null; m = header.exec(text)) marks.push({ name: m[1]!, start: m.index, end: m.index + m[0].length + 1 });
  if (marks.length === 0) return parseFail('head output', text.trim() === '' ? 'expected "==> FILE <==" headers, got nothing' : `expected "==> FILE <==" headers, got ${JSON.stringify(text.slice(0, 60))}`);
  if (marks[0]!.start !== 0) return parseFail('head output', 'text before the first "==> FILE <==" header');
  marks.forEach((m, i) => {
    const next = marks[i + 1];
    // the blank line head puts before the next header is not part of this file
    let body = text.slice(Math.min(m.end, text.length), next ? next.start : text.length);
    if (next && body.endsWith('\n')) body = body.slice(0, -1);
    if (!out.has(m.name)) out.set(m.name, body);
  });
  return parsed(out);
}

/** A Source over a few files' texts (what one command printed), for the collectors' own readers. */
class PrintedFiles implements Source {
  readonly kind = 'live' as const;
  readonly replay = false;
  constructor(
    private readonly files: ReadonlyMap<string, string>,
    readonly description: string,
  ) {}
  readFile(path: string): Outcome<string> {
    const t = this.files.get(path);
    return t === undefined ? unavailable('not-found', `${path} was not printed inside the namespace (${this.description})`) : ok(t);
  }
  readDir(path: string): Outcome<string[]> {
    return unavailable('not-captured', `${path}: not listed (${this.description})`);
  }
  readLink(path: string): Outcome<string> {
    return unavailable('not-captured', `${path}: not read (${this.description})`);
  }
  statfs(path: string): Outcome<StatFs> {
    return unavailable('not-captured', `statfs(${path}): not read (${this.description})`);
  }
  run(): Promise<Outcome<CommandResult>> {
    return Promise.resolve(unavailable('not-captured', `no command runs here (${this.description})`));
  }
  now(): Clock {
    return { monoMs: 0, wall: new Date(0).toISOString() };
  }
}

/** Read the counters of a namespace that only a bind mount keeps alive: one command inside it. */
export async function stackByCommand(src: Source, netnsPath: string, files: readonly string[]): Promise<StackRead | Outcome<never>> {
  const out = await runTool(src, { cmd: 'head', args: stackCommandArgs(files), netnsPath, timeoutMs: 3_000 });
  if (out.status !== 'ok') return out;
  const parts = splitHeadOutput(out.value);
  if (!parts.ok) return failed('parse', `head inside ${netnsPath}: ${parts.error.message}`, parts.error);
  const printed = new PrintedFiles(parts.value, `head inside ${netnsPath}`);
  return { via: `bind mount ${netnsPath}`, tables: stackTables(printed, '/proc/net') };
}
