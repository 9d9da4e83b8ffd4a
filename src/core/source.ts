import { createHash } from 'node:crypto';
import type { BpfAccess } from './bpf.js';
import type { Outcome } from './outcome.js';

/**
 * The Source seam: every raw input diag uses is read through one of these.
 * File and directory reads are synchronous on purpose: procfs and sysfs are generated in memory
 * and never block on a disk, and synchronous reads are 25-50x cheaper from Node than
 * fs.promises (shared/notes/procfs-scan-cost.md). Commands are asynchronous.
 */
export interface Source {
  readonly kind: 'live' | 'fixture' | 'bundle' | 'recording' | 'sosreport';
  /**
   * This source replays inputs recorded earlier (a fixture tree, a bundle): its clocks are the
   * recorded ones, so a sampler never waits on it, and nothing can be measured anew (no
   * drill-down window, no probe). False for the live host and for a recording of it. Decide
   * "live or replay?" by this, never by `kind`.
   */
  readonly replay: boolean;
  /** Human description for messages, e.g. "live host" or "fixture test/fixtures/host-a". */
  readonly description: string;
  /** Text of a file, by its absolute path on the observed host (e.g. "/proc/stat"). */
  readFile(path: string): Outcome<string>;
  /** Entry names of a directory (no "." or ".."), unsorted. */
  readDir(path: string): Outcome<string[]>;
  /** Target of a symbolic link (e.g. /proc/PID/ns/net -> "net:[4026531840]"). */
  readLink(path: string): Outcome<string>;
  /** statfs(2) of a mount point. */
  statfs(path: string, opts?: StatFsOptions): Outcome<StatFs>;
  /** Output of a command; never through a shell. */
  run(spec: CommandSpec): Promise<Outcome<CommandResult>>;
  /**
   * When this source's data was read: monotonic ms for rates, wall clock for reports. `label`
   * names the reading (e.g. "collector:cpu") so a recording can replay each clock exactly.
   */
  now(label?: string): Clock;
  /**
   * Run a BPF probe and read its maps (bpf.ts). Optional: a live source has it when the CLI lends
   * it the addon's runner; recorded trees replay the captures they hold; wrappers pass it on.
   */
  readonly bpf?: BpfAccess;
}

export interface CommandSpec {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Run inside the network namespace of this PID (nsenter --target PID --net). */
  readonly netnsPid?: number;
  /**
   * Run inside the network namespace bound at this path (nsenter --net=PATH): a namespace made
   * with `ip netns add NAME` (/run/netns/NAME) that no process lives in. An absolute path in
   * diag's mount namespace; never together with netnsPid.
   */
  readonly netnsPath?: string;
  /** Kill the command after this long (default 5 s). */
  readonly timeoutMs?: number;
  /** Refuse output larger than this (default 16 MiB). */
  readonly maxBytes?: number;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface StatFsOptions {
  /**
   * The filesystem can block statfs(2) for as long as its server or daemon is gone (NFS, CIFS,
   * FUSE): the live source bounds the call by asking a child process (`stat -f`, killed after
   * `timeoutMs`) instead of calling statfs in-process, which would block diag itself.
   */
  readonly mayHang?: boolean;
  /** Bound for a mayHang call, ms (default 2000). */
  readonly timeoutMs?: number;
}

export interface StatFs {
  readonly type: number;
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

export interface Clock {
  /** Monotonic milliseconds (only differences are meaningful). */
  readonly monoMs: number;
  /** Wall-clock time, ISO 8601. */
  readonly wall: string;
}

/** Debian package that provides each command diag runs, for "apt-get install X" hints. */
export const COMMAND_PACKAGES: Readonly<Record<string, string>> = {
  ss: 'iproute2',
  ip: 'iproute2',
  tc: 'iproute2',
  nft: 'nftables',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-legacy-save': 'iptables',
  'iptables-nft-save': 'iptables',
  ip6tables: 'iptables',
  'ip6tables-save': 'iptables',
  ethtool: 'ethtool',
  conntrack: 'conntrack',
  nsenter: 'util-linux',
  head: 'coreutils',
  cat: 'coreutils',
  date: 'coreutils',
  stat: 'coreutils',
  gzip: 'gzip',
  last: 'util-linux',
  journalctl: 'systemd',
  bpftool: 'bpftool',
  mpstat: 'sysstat',
  iostat: 'sysstat',
  sar: 'sysstat',
};

/**
 * A stable, filesystem-safe name for a command's answer, shared by the fixture, bundle and
 * recording sources. Readable prefix + hash of the exact argv, so two different argument lists
 * never collide and nothing from the argv can escape the directory.
 */
export function commandKey(spec: Pick<CommandSpec, 'cmd' | 'args' | 'netnsPid' | 'netnsPath'>): string {
  const argv = [spec.cmd, ...spec.args];
  const readable = argv
    .join('_')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 60);
  const hash = createHash('sha1')
    // netnsPath only when set: the keys of every answer recorded before it existed stay the same.
    .update(JSON.stringify({ argv, netns: spec.netnsPid ?? null, ...(spec.netnsPath === undefined ? {} : { netnsPath: spec.netnsPath }) }))
    .digest('hex')
    .slice(0, 12);
  const ns =
    spec.netnsPid !== undefined
      ? `netns${spec.netnsPid}-`
      : spec.netnsPath !== undefined
        ? `netns-${(spec.netnsPath.split('/').pop() ?? '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 30)}-`
        : '';
  return `${ns}${readable}-${hash}`;
}

/**
 * A path nsenter may be given for --net=PATH: absolute, no "." or ".." component, no control
 * characters, bounded. It is one argv element (never a shell word); this keeps it from naming
 * anything but a file.
 */
export function isValidNetnsPath(path: string): boolean {
  if (path.length < 2 || path.length > 1024 || !path.startsWith('/')) return false;
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return path.split('/').every((c) => c !== '.' && c !== '..');
}

/** Where a fixture or bundle tree keeps answers that are not plain files. */
export const META_DIR = '.diag';
