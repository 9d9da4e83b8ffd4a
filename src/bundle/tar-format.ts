/**
 * The bytes of a tar archive's entries (POSIX ustar, with a pax extended header for a path that
 * does not fit ustar's name/prefix fields), written by diag itself: a snapshot streams its
 * entries from memory into gzip, and node-tar's packer both cost ~35 µs per entry and stalled
 * for good on entries of a few MiB (the per-process record chunks). Reading stays node-tar's.
 * Entries are regular files, mode 0644, owner 0, stamped with one mtime.
 */
const BLOCK = 512;

/** The end of an archive: two zero blocks. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: Buffer<ArrayBufferLike>, prefix: Buffer<ArrayBufferLike>, size: number, mtimeSec: number, type: '0' | 'x'): Buffer {
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0);
  h.write(octal(0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(mtimeSec, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  prefix.copy(h, 345);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'latin1');
  return h;
}

/** ustar's split of a path into prefix (<= 155 bytes) and name (<= 100 bytes) at a "/", if one fits. */
function ustarSplit(path: Buffer): [Buffer<ArrayBufferLike>, Buffer<ArrayBufferLike>] | undefined {
  if (path.length <= 100) return [path, Buffer.alloc(0)];
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== 0x2f) continue;
    if (path.length - i - 1 > 100) return undefined;
    if (i <= 155) return [path.subarray(i + 1), path.subarray(0, i)];
  }
  return undefined;
}

/** A pax record "LEN key=value\n", LEN counting the whole record in bytes. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let len = bytes + String(bytes).length;
  if (String(len).length !== String(bytes).length) len = bytes + String(len).length;
  return Buffer.from(`${len}${body}`, 'utf8');
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** The blocks of one regular file entry: [pax header, its records, padding,] header, content, padding. */
export function tarEntry(path: string, data: Buffer, mtime: Date): Buffer[] {
  return [...tarEntryHead(path, data.length, mtime), data, tarPadding(data.length)];
}

/** The padding after an entry's `size` bytes of content. */
export function tarPadding(size: number): Buffer {
  return padding(size);
}

/** The blocks before an entry's content of `size` bytes (the content and tarPadding follow): an entry streamed in parts. */
export function tarEntryHead(path: string, size: number, mtime: Date): Buffer[] {
  const sec = Math.floor(mtime.getTime() / 1000);
  const p = Buffer.from(path, 'utf8');
  const split = /^[\x20-\x7e]*$/.test(path) ? ustarSplit(p) : undefined;
  const out: Buffer[] = [];
  let name: Buffer<ArrayBufferLike>;
  let prefix: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  if (split) [name, prefix] = split;
  else {
    const records = paxRecord('path', path);
    out.push(header(Buffer.from('PaxHeader', 'latin1'), Buffer.alloc(0), records.length, sec, 'x'), records, padding(records.length));
    // ustar readers that ignore pax see a truncated, plain name
    name = Buffer.from(path.replace(/[^\x20-\x7e]/g, '_').slice(-100), 'latin1');
  }
  out.push(header(name, prefix, size, sec, '0'));
  return out;
}
