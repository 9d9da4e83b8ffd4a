import { parsed, parseFail, uint, uintLimit, type ParseResult } from '../../../src/core/parse-result.js';

export interface FileNr {
  /** File handles allocated (in use, since 2.6 freed handles are returned at once). */
  readonly allocated: number;
  /** Allocated but unused handles: always 0 since Linux 2.6. */
  readonly free: number;
  /** fs.file-max: the system-wide limit (same value as /proc/sys/fs/file-max). */
  readonly max: number;
}

/** Parse /proc/sys/fs/file-nr: "allocated<TAB>free<TAB>max". */
export function parseFileNr(text: string): ParseResult<FileNr> {
  const f = text.trim().split(/[ \t]+/);
  const allocated = uint(f[0]);
  const free = uint(f[1]);
  const max = uintLimit(f[2]); // fs.file-max: LONG_MAX on systemd hosts
  if (f.length !== 3 || allocated === undefined || free === undefined || max === undefined) {
    return parseFail('/proc/sys/fs/file-nr', `expected "allocated free max", got ${JSON.stringify(text.slice(0, 80))}`);
  }
  return parsed({ allocated, free, max });
}

/** Parse a sysctl file holding one non-negative integer (pid_max, threads-max, file-max). */
export function parseSysctlUint(text: string, input = 'sysctl'): ParseResult<number> {
  const v = uintLimit(text.trim()); // maxima: file-max may be LONG_MAX
  return v === undefined ? parseFail(input, `expected one non-negative integer, got ${JSON.stringify(text.slice(0, 40))}`) : parsed(v);
}
