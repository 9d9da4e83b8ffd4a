/**
 * Outcomes, not exceptions: every read of the outside world ends in one of three states.
 * `unavailable` is an expected condition the user can act on (a missing file, tool, privilege);
 * `error` is a real bug or an unexpected failure.
 */
export type Outcome<T> = Ok<T> | Unavailable | Failed;

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
  /** What is missing and why, e.g. "/proc/pressure/cpu does not exist (kernel without PSI)". */
  readonly reason: string;
  /** What the user can do about it, e.g. "run as root" or "apt-get install ethtool". */
  readonly hint?: string;
}

export interface Failed {
  readonly status: 'error';
  readonly reason: string;
  readonly cause?: unknown;
}

export const ok = <T>(value: T, notes?: readonly string[]): Ok<T> => (notes === undefined || notes.length === 0 ? { status: 'ok', value } : { status: 'ok', value, notes });

export const unavailable = (reason: string, hint?: string): Unavailable =>
  hint === undefined ? { status: 'unavailable', reason } : { status: 'unavailable', reason, hint };

export const failed = (reason: string, cause?: unknown): Failed =>
  cause === undefined ? { status: 'error', reason } : { status: 'error', reason, cause };

export const isOk = <T>(o: Outcome<T>): o is Ok<T> => o.status === 'ok';

/** Re-type a non-ok outcome (its value type is irrelevant). */
export const notOk = <T>(o: Unavailable | Failed): Outcome<T> => o;

export function map<T, U>(o: Outcome<T>, f: (v: T) => U): Outcome<U> {
  return o.status === 'ok' ? ok(f(o.value)) : o;
}

/** Errno codes that mean "this input is not there / not for us", as opposed to a bug. */
export function outcomeFromErrno(path: string, err: unknown): Unavailable | Failed {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return unavailable(`${path} does not exist`);
    case 'ESRCH':
      return unavailable(`${path}: the process has exited`);
    case 'EACCES':
    case 'EPERM':
      return unavailable(`${path}: permission denied`, 'run diag as root');
    case 'EINVAL':
    case 'EOPNOTSUPP':
    case 'ENODEV':
    case 'ENXIO':
      return unavailable(`${path}: not supported here (${String(code)})`);
    default:
      return failed(`${path}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}
