/**
 * Outcomes, not exceptions: every read of the outside world ends in one of three states.
 * `unavailable` is an expected condition the user can act on (a missing file, tool, privilege);
 * `error` is a real bug or an unexpected failure.
 *
 * Every non-ok outcome carries a machine `code`, set where the outcome is made (the Source, the
 * tool runner, the collector that knows what it looked for). Code branches on `code` only: the
 * `reason` and `hint` are for people and may be reworded at any time. `cause` is kept for
 * debugging and is never needed for a decision (it does not survive serialisation).
 */
export type Outcome<T> = Ok<T> | Unavailable | Failed;

/**
 * What went wrong, for code to decide on: code -> its meaning. One meaning each; the reason
 * says the rest.
 * Serialised as is (bundle trees and manifests, the report's `unavailable` entries): a code may
 * be added, never renamed.
 */
export const OUTCOME_CODES = {
  'not-found':
    'The input does not exist where it was read: a missing file or directory on the observed host (ENOENT, ENOTDIR), or the thing it describes is absent there (a module not loaded, no cgroup filesystem, a namespace without a process).',
  'not-captured':
    'A recorded tree, bundle or archive (or a copied tree given as --root) does not hold this input: it says nothing about the host it came from (and a kernel hint would be a guess); a copied tree also answers no command and no statfs.',
  permission:
    'The input exists but diag may not read it: EACCES/EPERM, a tool saying "Operation not permitted" or "you must be root", missing capabilities.',
  exited:
    'The process (or the namespace only it held) went away between being listed and being read (ESRCH, nsenter\'s "No such process").',
  unsupported:
    'This kernel, device or driver does not offer it: EINVAL/EOPNOTSUPP/ENODEV/ENXIO, a tool saying "Operation not supported", no BTF, no PSI.',
  timeout:
    'No answer within its time limit: a command, a collector, statfs of a hung mount.',
  'tool-missing':
    'The program to run is not installed (spawn ENOENT, or nsenter could not find it).',
  'tool-failed':
    'The program ran and failed in a way diag does not recognise (a non-zero exit), or printed more than its output bound.',
  'bad-option':
    'An argument was refused: an option the tool\'s version does not know ("invalid option", "unknown"), or a request diag itself cannot make (a PID that is no number, a path that leaves a tree).',
  'not-run':
    'diag did not try, on purpose: deferred until the user asks (a drill-down probe not run yet).',
  parse:
    'The input was read but is not in the format its parser expects.',
  bug:
    'An unexpected failure: a collector that threw, an error diag has no name for.',
} as const satisfies Record<string, string>;

export type OutcomeCode = keyof typeof OUTCOME_CODES;
export const OUTCOME_CODE_LIST = Object.keys(OUTCOME_CODES) as [OutcomeCode, ...OutcomeCode[]];
export const isOutcomeCode = (x: unknown): x is OutcomeCode => typeof x === 'string' && Object.hasOwn(OUTCOME_CODES, x);

export interface Ok<T> {
  readonly status: 'ok';
  readonly value: T;
  /**
   * Caveats about a value that is still usable, said once instead of once per row, e.g.
   * "I/O bytes unreadable for 12 processes (run diag as root)". Absent when there are none.
   */
  readonly notes?: readonly string[];
}

export interface Unavailable {
  readonly status: 'unavailable';
  readonly code: OutcomeCode;
  /** What is missing and why, e.g. "/proc/pressure/cpu does not exist (kernel without PSI)". */
  readonly reason: string;
  /** What the user can do about it, e.g. "run as root" or "apt-get install ethtool". */
  readonly hint?: string;
}

export interface Failed {
  readonly status: 'error';
  readonly code: OutcomeCode;
  readonly reason: string;
  /** For debugging only: never needed for a decision, not serialised. */
  readonly cause?: unknown;
}

export const ok = <T>(value: T, notes?: readonly string[]): Ok<T> => (notes === undefined || notes.length === 0 ? { status: 'ok', value } : { status: 'ok', value, notes });

export const unavailable = (code: OutcomeCode, reason: string, hint?: string): Unavailable =>
  hint === undefined ? { status: 'unavailable', code, reason } : { status: 'unavailable', code, reason, hint };

export const failed = (code: OutcomeCode, reason: string, cause?: unknown): Failed =>
  cause === undefined ? { status: 'error', code, reason } : { status: 'error', code, reason, cause };

export const isOk = <T>(o: Outcome<T>): o is Ok<T> => o.status === 'ok';

/** Re-type a non-ok outcome (its value type is irrelevant). */
export const notOk = <T>(o: Unavailable | Failed): Outcome<T> => o;

/** A non-ok outcome as plain JSON (no `cause`): what recordings, manifests and reports store. */
export interface OutcomeRecord {
  readonly status: 'unavailable' | 'error';
  readonly code: OutcomeCode;
  readonly reason: string;
  readonly hint?: string;
}

export const outcomeRecord = (o: Unavailable | Failed): OutcomeRecord =>
  o.status === 'unavailable' && o.hint !== undefined ? { status: o.status, code: o.code, reason: o.reason, hint: o.hint } : { status: o.status, code: o.code, reason: o.reason };

/** The outcome a record stands for (the inverse of outcomeRecord). */
export const fromRecord = (r: OutcomeRecord): Unavailable | Failed => (r.status === 'unavailable' ? unavailable(r.code, r.reason, r.hint) : failed(r.code, r.reason));

/** A recorded tree does not hold `what` (a path, a command). */
export const notCaptured = (what: string, recording: string): Unavailable => unavailable('not-captured', `${what} was not captured in this ${recording}`);

export function map<T, U>(o: Outcome<T>, f: (v: T) => U): Outcome<U> {
  return o.status === 'ok' ? ok(f(o.value)) : o;
}

/**
 * Errno codes that mean "this input is not there / not for us", as opposed to a bug. A missing
 * path is 'not-found' on a host, 'not-captured' when `recording` names the tree it was read from
 * ("fixture", "bundle"): a tree that lacks a file says nothing about the host it came from.
 */
export function outcomeFromErrno(path: string, err: unknown, recording?: string): Unavailable | Failed {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return recording === undefined ? unavailable('not-found', `${path} does not exist`) : notCaptured(path, recording);
    case 'ESRCH':
      return unavailable('exited', `${path}: the process has exited`);
    case 'EACCES':
    case 'EPERM':
      return unavailable('permission', `${path}: permission denied`, 'run diag as root');
    case 'EINVAL':
    case 'EOPNOTSUPP':
    case 'ENODEV':
    case 'ENXIO':
      return unavailable('unsupported', `${path}: not supported here (${String(code)})`);
    default:
      return failed('bug', `${path}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}
