import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { readTextSync } from './fast-read.js';
import { ok, outcomeFromErrno, type Failed, type Outcome, type Unavailable } from './outcome.js';

/** Texts larger than this are read the ordinary way (open, read to EOF, close), never pinned. */
const PIN_MAX_BYTES = 4096;
/**
 * Files whose text is one seq_file record (single_open in the kernel): a read from offset 0
 * that is shorter than the buffer holds all of it. A file of many records (maps, mountinfo) can
 * stop short before a record that does not fit, so it is never pinned.
 */
const PINNABLE = /^\/proc\/\d+\/(schedstat|stat|statm)$/;

/**
 * Small procfs files read again and again through one open descriptor: procfs builds a seq_file's
 * text afresh on every read from offset 0, so the open and close (most of what reading
 * /proc/PID/schedstat costs) are paid once per file instead of once per refresh, and each refresh
 * is one pread. For seq_files only (schedstat, stat...): one of them returns everything that fits
 * in one read, so a read shorter than the buffer is the whole text (PINNABLE). A descriptor of a process
 * that exited reads ESRCH (it holds that process, never another one that gets its PID); it is
 * then closed, and the next read of the path opens it again.
 *
 * At most `max` descriptors are held (diag keeps the rest of its limit for commands, probes and
 * bundles); beyond that, and for a text that does not fit in PIN_MAX_BYTES, reads are ordinary.
 */
export class PinnedFiles {
  private readonly fds = new Map<string, number>();
  private readonly buf = Buffer.allocUnsafe(PIN_MAX_BYTES);

  constructor(
    private readonly root: string,
    readonly max: number,
  ) {}

  private at(path: string): string {
    return this.root === '/' ? path : join(this.root, path);
  }

  /** Descriptors held (for tests and the bench). */
  get size(): number {
    return this.fds.size;
  }

  read(path: string): Outcome<string> {
    if (!this.pinnable(path)) return this.ordinary(path);
    const n = this.pread(path);
    if (typeof n !== 'number') return n;
    if (n < PIN_MAX_BYTES) return ok(this.buf.toString('utf8', 0, n));
    // too big to be read in one go: not a file for pinning
    this.close(path);
    return this.ordinary(path);
  }

  /**
   * The number the file starts with (schedstat's run time in ns), read without making a string:
   * this is asked of every process every second. Exact up to 2^53 (104 days of CPU time in ns);
   * above that, close enough to tell a change. Unavailable when the text does not start with a
   * digit.
   */
  readLeadingNumber(path: string): Outcome<number> {
    const n = this.pread(path);
    if (typeof n !== 'number') return n;
    let v = 0;
    let i = 0;
    for (; i < n && i < PIN_MAX_BYTES; i++) {
      const c = this.buf[i]!;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    return i > 0 ? ok(v) : { status: 'unavailable', code: 'parse', reason: `${path}: does not start with a number` };
  }

  private pinnable(path: string): boolean {
    return this.fds.has(path) || (this.fds.size < this.max && PINNABLE.test(path));
  }

  /**
   * One read from offset 0 into buf: its length, or why it failed (the descriptor let go). A
   * path that cannot be pinned is opened and closed around that one read: its start only.
   */
  private pread(path: string): number | Unavailable | Failed {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      if (!this.pinnable(path)) return this.ordinaryInto(path);
      try {
        fd = openSync(this.at(path), 'r');
      } catch (err) {
        return outcomeFromErrno(path, err);
      }
      this.fds.set(path, fd);
    }
    try {
      return readSync(fd, this.buf, 0, PIN_MAX_BYTES, 0);
    } catch (err) {
      this.close(path);
      return outcomeFromErrno(path, err);
    }
  }

  /** Not pinned: open, one read into buf, close (the start of the text only). */
  private ordinaryInto(path: string): number | Unavailable | Failed {
    let fd: number;
    try {
      fd = openSync(this.at(path), 'r');
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
    try {
      return readSync(fd, this.buf, 0, PIN_MAX_BYTES, 0);
    } catch (err) {
      return outcomeFromErrno(path, err);
    } finally {
      closeSync(fd);
    }
  }

  private ordinary(path: string): Outcome<string> {
    try {
      return ok(readTextSync(this.at(path)));
    } catch (err) {
      return outcomeFromErrno(path, err);
    }
  }

  close(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing held any more
    }
  }

  closeAll(): void {
    for (const path of [...this.fds.keys()]) this.close(path);
  }
}

/**
 * How many descriptors diag may pin: its open-files limit (Node raises the soft limit to the
 * hard one at start) less 1,024 kept for everything else, at most 32,768; 0 when unknown.
 */
export function pinBudget(limitsText: string | undefined): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limitsText ?? '');
  if (!m) return 0;
  const soft = m[1] === 'unlimited' ? Infinity : Number(m[1]);
  return Math.max(0, Math.min(32_768, soft - 1024));
}
