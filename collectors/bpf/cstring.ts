/** A NUL-terminated C string from a fixed-size kernel buffer (bytes after the NUL ignored). */
export function cString(buf: Buffer, start: number, size: number): string {
  const end = Math.min(buf.length, start + size);
  let n = start;
  while (n < end && buf[n] !== 0) n++;
  return buf.toString('utf8', start, n);
}
