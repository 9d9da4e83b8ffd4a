import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { readTextSync } from './fast-read.js';
import { classifyRoot, commandsRefused, hostViewPath, probesRefused, statfsRefused, TREE_HINT, type HostRoot } from './host-root.js';
import { PinnedFiles, pinBudget } from './pinned-files.js';
import { failed, ok, outcomeFromErrno, unavailable, type Outcome } from './outcome.js';
import type { BpfAccess } from './bpf.js';
import { COMMAND_PACKAGES, isValidNetnsPath, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs, type StatFsOptions } from './source.js';

export interface LiveSourceOptions {
  /**
   * Root of the observed host's filesystem; "/" normally, e.g. "/host" inside a container. What
   * it is (host-root.ts) decides where commands run: a running host's root mounted elsewhere gets
   * them in its PID 1's network namespace; a copied or extracted tree gets none, and no statfs.
   */
  readonly root?: string;
  /** Default per-command timeout in ms. */
  readonly commandTimeoutMs?: number;
  /** Runs BPF probes (collectors/bpf, lent by the CLI: core does not load the addon). */
  readonly bpf?: BpfAccess;
}

const refusedBpf = (why: Outcome<never>): BpfAccess => ({ run: () => Promise.resolve(why) });

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const DEFAULT_STATFS_TIMEOUT_MS = 2_000;

/** Reads the running host (optionally under --root) and runs commands with execa, no shell. */
export class LiveSource implements Source {
  readonly kind = 'live' as const;
  readonly replay = false;
  readonly description: string;
  readonly root: string;
  /** What the root is: this machine, another running system's root, or a tree of copied files. */
  readonly host: HostRoot;
  readonly bpf?: BpfAccess;
  private readonly timeoutMs: number;

  constructor(options: LiveSourceOptions = {}) {
    this.root = options.root ?? '/';
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.host = classifyRoot(this.root);
    // A probe attaches to the kernel diag runs on: for a tree of copied files that kernel is not
    // the tree's host, so no probe runs (it says why).
    if (options.bpf) this.bpf = this.host.kind === 'tree' ? refusedBpf(unavailable('not-captured', probesRefused(this.host), TREE_HINT)) : options.bpf;
    this.description = this.host.kind === 'self' ? 'live host' : this.host.kind === 'live' ? `live host under ${this.root}` : `files under ${this.root} (not a running host: no commands, no statfs)`;
  }

  private at(path: string): string {
    if (this.host.kind === 'self') return path;
    return join(this.root, this.host.kind === 'live' ? hostViewPath(path) : path);
  }

  /** Under a `live` root: whether diag already is in that host's network namespace (nsenter is then not needed). */
  private sharesHostNetns: boolean | undefined;

  /**
   * The network namespace file a command must enter, or undefined to run it where diag is:
   * under a `live` root every command runs in that host's namespaces, reached by file through its
   * procfs (DIR/proc/PID/ns/net), since the PID numbers of that procfs need not be diag's own
   * (a container without the host's PID namespace); the host's own view is its PID 1's.
   */
  private netnsFile(netnsPid: number | undefined): string | undefined {
    if (this.host.kind !== 'live') return undefined;
    const file = join(this.root, `/proc/${netnsPid ?? 1}/ns/net`);
    if (netnsPid !== undefined) return file;
    if (this.sharesHostNetns === undefined) {
      try {
        this.sharesHostNetns = readlinkSync(file) === readlinkSync('/proc/self/ns/net');
      } catch {
        this.sharesHostNetns = false; // nsenter says why
      }
    }
    return this.sharesHostNetns ? undefined : file;
  }

  /**
   * A copied or extracted tree (host-root.ts `tree`) is a recording of some host: a file it lacks
   * was not captured, which says nothing about that host's kernel ('not-captured', no kernel hint).
   */
  private get copied(): string | undefined {
    return this.host.kind === 'tree' ? 'copied tree' : undefined;
  }

  readFile(path: string): Outcome<string> {
    try {
      return ok(readTextSync(this.at(path)));
    } catch (err) {
      return outcomeFromErrno(path, err, this.copied);
    }
  }

  /** Small procfs files of this host kept open for re-reading (the TUI's refreshes): pinned-files.ts. */
  pinnedFiles(): PinnedFiles {
    let limits: string | undefined;
    try {
      limits = readTextSync('/proc/self/limits');
    } catch {
      // no budget known: nothing is pinned
    }
    return new PinnedFiles(this.root, pinBudget(limits));
  }

  readDir(path: string): Outcome<string[]> {
    try {
      return ok(readdirSync(this.at(path)));
    } catch (err) {
      return outcomeFromErrno(path, err, this.copied);
    }
  }

  readLink(path: string): Outcome<string> {
    try {
      return ok(readlinkSync(this.at(path)));
    } catch (err) {
      return outcomeFromErrno(path, err, this.copied);
    }
  }

  statfs(path: string, opts: StatFsOptions = {}): Outcome<StatFs> {
    if (this.host.kind === 'tree') return unavailable('not-captured', statfsRefused(this.host), TREE_HINT);
    if (opts.mayHang) return this.boundedStatfs(path, opts.timeoutMs ?? DEFAULT_STATFS_TIMEOUT_MS);
    try {
      const s = statfsSync(this.at(path));
      return ok({ type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree });
    } catch (err) {
      return outcomeFromErrno(path, err, this.copied);
    }
  }

  /** Mount points whose statfs did not answer in time: not asked again by this source. */
  private readonly hungStatfs = new Set<string>();

  /**
   * statfs through `stat -f` in a child process killed (SIGKILL: NFS and CIFS waits are
   * TASK_KILLABLE) after timeoutMs, so a dead server costs at most timeoutMs once. A wait the
   * kernel does not let even SIGKILL end would still block here.
   */
  private boundedStatfs(path: string, timeoutMs: number): Outcome<StatFs> {
    if (this.hungStatfs.has(path)) return unavailable('timeout', `statfs(${path}) did not answer within ${timeoutMs} ms earlier: not asked again`, 'the server or FUSE daemon behind this mount is not responding');
    const r = spawnSync('stat', ['-f', '-c', '%S %b %f %a %c %d %t', '--', this.at(path)], {
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024,
      env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const code = (r.error as { code?: string } | undefined)?.code;
    if (code === 'ETIMEDOUT' || (r.signal === 'SIGKILL' && r.status === null)) {
      this.hungStatfs.add(path);
      return unavailable('timeout', `statfs(${path}) did not answer within ${timeoutMs} ms`, 'the server or FUSE daemon behind this mount is not responding');
    }
    if (code === 'ENOENT') return unavailable('tool-missing', `stat is not installed: statfs(${path}) was not attempted (it could hang)`, 'apt-get install coreutils');
    if (r.error) return failed('bug', `stat -f ${path} could not run: ${r.error.message}`, r.error);
    if (r.status !== 0) {
      // stat's text is the only signal of why (it exits 1 for everything): errno wording of coreutils.
      const why = r.stderr.split('\n')[0]?.replace(/^stat: /, '') ?? '';
      if (/No such file or directory|Not a directory/.test(r.stderr)) return unavailable('not-found', `statfs(${path}) failed: ${why}`);
      if (/Permission denied|Operation not permitted/.test(r.stderr)) return unavailable('permission', `statfs(${path}) failed: ${why}`, 'run diag as root');
      return unavailable('tool-failed', `statfs(${path}) failed: ${why}`);
    }
    const v = r.stdout.trim().split(' ');
    const n = v.slice(0, 6).map((x) => (/^\d{1,20}$/.test(x) ? Number(x) : NaN));
    const type = /^[0-9a-f]{1,16}$/.test(v[6] ?? '') ? parseInt(v[6]!, 16) : NaN;
    if (v.length !== 7 || n.some((x) => !Number.isFinite(x)) || !Number.isFinite(type)) return failed('parse', `stat -f ${path} printed ${JSON.stringify(r.stdout.slice(0, 120))}`);
    // %S is the unit of the block counts (f_frsize), which is what df multiplies by.
    const [frsize, blocks, bfree, bavail, files, ffree] = n as [number, number, number, number, number, number];
    return ok({ type, bsize: frsize, blocks, bfree, bavail, files, ffree });
  }

  now(_label?: string): Clock {
    return { monoMs: Number(process.hrtime.bigint()) / 1e6, wall: new Date().toISOString() };
  }

  async run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    if (this.host.kind === 'tree') return unavailable('not-captured', commandsRefused(this.host), TREE_HINT);
    const timeout = spec.timeoutMs ?? this.timeoutMs;
    const maxBuffer = spec.maxBytes ?? DEFAULT_MAX_BYTES;
    let file = spec.cmd;
    let args: string[] = [...spec.args];
    if (spec.netnsPid !== undefined && spec.netnsPath !== undefined) return failed('bad-option', `nsenter takes a PID or a path, not both (PID ${spec.netnsPid}, ${spec.netnsPath})`);
    if (spec.netnsPid !== undefined && (!Number.isSafeInteger(spec.netnsPid) || spec.netnsPid <= 0)) {
      return failed('bad-option', `invalid PID for nsenter: ${String(spec.netnsPid)}`);
    }
    const nsFile = spec.netnsPath === undefined ? this.netnsFile(spec.netnsPid) : undefined;
    if (spec.netnsPath !== undefined) {
      if (!isValidNetnsPath(spec.netnsPath)) return failed('bad-option', `invalid network namespace path for nsenter: ${JSON.stringify(spec.netnsPath.slice(0, 100))}`);
      file = 'nsenter';
      // Under a live --root the bind mount is the observed host's: reached below DIR.
      args = [`--net=${this.host.kind === 'live' ? join(this.root, spec.netnsPath) : spec.netnsPath}`, '--', spec.cmd, ...args];
    } else if (nsFile !== undefined) {
      file = 'nsenter';
      args = [`--net=${nsFile}`, '--', spec.cmd, ...args];
    } else if (spec.netnsPid !== undefined) {
      file = 'nsenter';
      args = ['--target', String(spec.netnsPid), '--net', '--', spec.cmd, ...args];
    }
    const nsenter = file === 'nsenter';
    const shown = nsenter ? `nsenter --net ${spec.cmd}` : spec.cmd;
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
      if (r.timedOut) return unavailable('timeout', `${shown} timed out after ${timeout} ms`, 'the host may be overloaded; retry with a longer timeout');
      if (r.isMaxBuffer) return unavailable('tool-failed', `${shown} printed more than ${maxBuffer} bytes`);
      const code = (r as { code?: string }).code;
      if (code === 'ENOENT' || (r.failed && r.exitCode === undefined && /ENOENT/.test(String(r.message)))) {
        const missing = nsenter && /nsenter/.test(String(r.message)) ? 'nsenter' : spec.cmd;
        const pkg = COMMAND_PACKAGES[missing];
        return unavailable('tool-missing', `${missing} is not installed`, pkg ? `apt-get install ${pkg}` : undefined);
      }
      if (r.exitCode === undefined) return failed('tool-failed', `${shown} failed: ${String(r.shortMessage ?? r.message)}`);
      return ok({ stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode });
    } catch (err) {
      return failed('bug', `${shown} could not be started: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
}
