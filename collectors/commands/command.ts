import { failed, ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import { COMMAND_PACKAGES, type Source } from '../../src/core/source.js';

/** Default bounds for the network commands: a few seconds and a few MiB are plenty. */
export const COMMAND_TIMEOUT_MS = 4_000;
export const COMMAND_MAX_BYTES = 8 * 1024 * 1024;

export interface ToolRun {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Run inside this process's network namespace (nsenter --target PID --net). */
  readonly netnsPid?: number | undefined;
  /** Run inside the network namespace bound at this path (nsenter --net=PATH: `ip netns add`, no process). */
  readonly netnsPath?: string | undefined;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Exit codes that still mean "the output is valid" (besides 0). */
  readonly okExitCodes?: readonly number[];
}

/**
 * A tool's own words are the only signal of why it failed (most exit 1 for everything), so they
 * are read here, once, and turned into a code; nothing downstream reads a reason. The texts are
 * those of the tools diag runs, in the C locale (LC_ALL=C): strerror() wording
 * ("Operation not permitted", "Operation not supported", "No such device"), iptables' "(you must
 * be root)", getopt's "invalid option" / "unrecognized option", iproute2's
 * `Option "-j" is unknown`, and nsenter's own failures.
 */
const NO_PERMISSION = /operation not permitted|permission denied|must be root/i;
const NOT_SUPPORTED = /not supported|no stats available/i;
const NO_DEVICE = /no such device/i;
const BAD_OPTION = /invalid option|unrecognized option|\bis unknown\b|^usage:/im;
const NO_EXEC = /^nsenter: failed to execute .*: no such file or directory/im;
const NO_PROCESS = /^nsenter: .*(?:no such file or directory|no such process)/im;
/** nsenter --net=PATH on a file that is not an nsfs bind mount (a stale /run/netns entry). */
const NOT_A_NETNS = /^nsenter: .*(?:invalid argument|reassociate to namespace)/im;

/**
 * The code a failed run's texts stand for, in order of precedence: a missing privilege (stderr);
 * an unsupported or absent device (stderr or stdout: ethtool prints "no stats available" on
 * stdout); options the tool's version refuses (stderr); otherwise a failure diag does not
 * recognise.
 */
export function codeOfToolFailure(stderr: string, stdout: string): 'permission' | 'unsupported' | 'not-found' | 'bad-option' | 'tool-failed' {
  if (NO_PERMISSION.test(stderr)) return 'permission';
  for (const text of [stderr, stdout]) {
    if (NOT_SUPPORTED.test(text)) return 'unsupported';
    if (NO_DEVICE.test(text)) return 'not-found';
  }
  if (BAD_OPTION.test(stderr)) return 'bad-option';
  return 'tool-failed';
}

/** First line of a command's stderr, bounded, for messages. Untrusted text: sanitise on display. */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? '';
  return line.trim().slice(0, 200);
}

/**
 * Run one diagnostic command through the Source with bounded time and output, and turn its
 * ending into an Outcome: stdout when it worked; `unavailable` for a missing tool (with the apt
 * package, from the Source), a missing privilege, an unsupported device or a vanished process;
 * `error` only for an unexpected failure.
 */
export async function runTool(src: Source, t: ToolRun): Promise<Outcome<string>> {
  const r = await src.run({
    cmd: t.cmd,
    args: t.args,
    ...(t.netnsPid === undefined ? {} : { netnsPid: t.netnsPid }),
    ...(t.netnsPath === undefined ? {} : { netnsPath: t.netnsPath }),
    timeoutMs: t.timeoutMs ?? COMMAND_TIMEOUT_MS,
    maxBytes: t.maxBytes ?? COMMAND_MAX_BYTES,
  });
  if (r.status !== 'ok') return r;
  const { stdout, stderr, exitCode } = r.value;
  if (exitCode === 0 || t.okExitCodes?.includes(exitCode)) return ok(stdout);
  const msg = firstLine(stderr) || firstLine(stdout) || `exit code ${exitCode}`;
  const shown = `${t.cmd} ${t.args.join(' ')}`.slice(0, 120);
  if (NO_EXEC.test(stderr)) {
    // nsenter itself ran (for a netnsPid, or into the host's namespace under a live --root), the
    // tool inside it is missing: the same answer as without nsenter.
    const pkg = COMMAND_PACKAGES[t.cmd];
    return unavailable('tool-missing', `${t.cmd} is not installed`, pkg ? `apt-get install ${pkg}` : undefined);
  }
  if (t.netnsPid !== undefined && NO_PROCESS.test(stderr)) return unavailable('exited', `process ${t.netnsPid} has exited: its network namespace is gone (${msg})`);
  if (t.netnsPath !== undefined && NO_PROCESS.test(stderr)) return unavailable('not-found', `network namespace ${t.netnsPath} is gone (${msg})`);
  if (t.netnsPath !== undefined && NOT_A_NETNS.test(stderr)) return unavailable('not-found', `${t.netnsPath} is not a network namespace (${msg})`);
  const code = codeOfToolFailure(stderr, stdout);
  switch (code) {
    case 'permission':
      return unavailable(code, `${shown}: ${msg}`, 'run diag as root');
    case 'unsupported':
    case 'not-found':
      return unavailable(code, `${shown}: ${msg}`);
    default:
      return failed(code, `${shown} exited with code ${exitCode}: ${msg}`);
  }
}
