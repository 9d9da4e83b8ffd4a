import { readdirSync, readlinkSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { readTextSync } from './fast-read.js';
import { failed, ok, outcomeFromErrno, unavailable, type Outcome } from './outcome.js';
import { COMMAND_PACKAGES, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs } from './source.js';

export interface LiveSourceOptions {
  /** Root of the observed host's filesystem; "/" normally, e.g. "/host" inside a container. */
  readonly root?: string;
  /** Default per-command timeout in ms. */
  readonly commandTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Reads the running host (optionally under --root) and runs commands with execa, no shell. */
export class LiveSource implements Source {
  readonly kind = 'live' as const;
  readonly description: string;
  readonly root: string;
  private readonly timeoutMs: number;

  constructor(options: LiveSourceOptions = {}) {
    this.root = options.root ?? '/';
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.description = this.root === '/' ? 'live host' : `live host under ${this.root}`;
  }

  private at(path: string): string {
    return this.root === '/' ? path : join(this.root, path);
  }

  readFile(path: string): Outcome<string> {
    try {
      return ok(readTextSync(this.at(path)));
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
  }

  readDir(path: string): Outcome<string[]> {
    try {
      return ok(readdirSync(this.at(path)));
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
  }

  readLink(path: string): Outcome<string> {
    try {
      return ok(readlinkSync(this.at(path)));
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
  }

  statfs(path: string): Outcome<StatFs> {
    try {
      const s = statfsSync(this.at(path));
      return ok({ type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree });
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
  }

  now(_label?: string): Clock {
    return { monoMs: Number(process.hrtime.bigint()) / 1e6, wall: new Date().toISOString() };
  }

  async run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    const timeout = spec.timeoutMs ?? this.timeoutMs;
    const maxBuffer = spec.maxBytes ?? DEFAULT_MAX_BYTES;
    let file = spec.cmd;
    let args: string[] = [...spec.args];
    if (spec.netnsPid !== undefined) {
      if (!Number.isSafeInteger(spec.netnsPid) || spec.netnsPid <= 0) {
        return failed(`invalid PID for nsenter: ${String(spec.netnsPid)}`);
      }
      file = 'nsenter';
      args = ['--target', String(spec.netnsPid), '--net', '--', spec.cmd, ...args];
    }
    const shown = spec.netnsPid === undefined ? spec.cmd : `nsenter --net ${spec.cmd}`;
    try {
      // Loaded on first use: most commands never run one, and startup time matters.
      const { execa } = await import('execa');
      const r = await execa(file, args, {
        reject: false,
        timeout,
        maxBuffer,
        stdin: 'ignore',
        stripFinalNewline: false,
        env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
        extendEnv: false,
        encoding: 'utf8',
      });
      if (r.timedOut) return unavailable(`${shown} timed out after ${timeout} ms`, 'the host may be overloaded; retry with a longer timeout');
      if (r.isMaxBuffer) return unavailable(`${shown} printed more than ${maxBuffer} bytes`);
      const code = (r as { code?: string }).code;
      if (code === 'ENOENT' || (r.failed && r.exitCode === undefined && /ENOENT/.test(String(r.message)))) {
        const missing = spec.netnsPid !== undefined && /nsenter/.test(String(r.message)) ? 'nsenter' : spec.cmd;
        const pkg = COMMAND_PACKAGES[missing];
        return unavailable(`${missing} is not installed`, pkg ? `apt-get install ${pkg}` : undefined);
      }
      if (r.exitCode === undefined) return failed(`${shown} failed: ${String(r.shortMessage ?? r.message)}`);
      return ok({ stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode });
    } catch (err) {
      return failed(`${shown} could not be started: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
}
