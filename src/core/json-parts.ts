/**
 * JSON.stringify(value) written in parts, for documents too large to hold as one string (a
 * snapshot's model of 20,000 processes is ~20 MB of JSON, and its bytes another 20 MB): arrays
 * of more than SPLIT elements are written element by element, each element whole, and the
 * objects that hold them key by key. Joined, the parts are exactly JSON.stringify(value) for
 * plain data (members that are undefined, functions or symbols left out of objects and null in
 * arrays, toJSON honoured), which a test checks.
 */
const SPLIT = 64;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

const skipped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** Whether an object or array is worth writing in parts: it is or holds (through objects) an array longer than SPLIT. */
function large(v: unknown, depth = 0): boolean {
  if (depth > 8) return false;
  if (Array.isArray(v)) return v.length > SPLIT;
  if (!isPlainObject(v)) return false;
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k) && large(v[k], depth + 1)) return true;
  return false;
}

export function* jsonParts(value: unknown): Generator<string> {
  if (Array.isArray(value) && value.length > SPLIT) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      const e: unknown = value[i];
      if (i > 0) yield ',';
      if (large(e)) yield* jsonParts(e);
      else yield skipped(e) ? 'null' : (JSON.stringify(e) ?? 'null');
    }
    yield ']';
    return;
  }
  if (isPlainObject(value) && large(value)) {
    yield '{';
    let first = true;
    for (const k of Object.keys(value)) {
      const v = value[k];
      if (skipped(v)) continue;
      yield `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      yield* jsonParts(v);
    }
    yield '}';
    return;
  }
  const s = JSON.stringify(value) as string | undefined;
  if (s !== undefined) yield s;
}
