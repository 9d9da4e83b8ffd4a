import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Synchronous whole-file read into one reused buffer. procfs files report size 0, so we read
 * until EOF. Returns the text decoded as UTF-8 (process names and command lines may hold any
 * bytes; invalid sequences become U+FFFD rather than throwing).
 */
let buf = Buffer.allocUnsafe(64 * 1024);

export function readTextSync(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    return buf.toString('utf8', 0, len);
  } finally {
    closeSync(fd);
  }
}
