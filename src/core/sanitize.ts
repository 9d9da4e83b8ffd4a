/**
 * The one sanitiser for host text on its way to a terminal or a ticket (docs/architecture.md,
 * "Sanitiser"). Host text (process names, command lines, cgroup, mount, interface names, file
 * contents) can hold characters that act instead of showing:
 *   - C0 controls and DEL: escape sequences ("\x1b[2J" clears the screen), newlines that forge
 *     lines of output, bells;
 *   - C1 controls (U+0080-009F): U+009B is CSI, an escape sequence in one character;
 *   - bidi controls (U+202A-202E, U+2066-2069, U+200E/200F, U+061C): U+202E reverses what the
 *     on-call engineer reads;
 *   - invisible ones: zero-width (U+200B-200D, U+2060-2064, U+FEFF, U+180E), line and paragraph
 *     separators (U+2028/2029), deprecated format characters (U+206A-206F), interlinear
 *     annotations (U+FFF9-FFFB), tag characters (U+E0000-E007F: ASCII hidden in plain sight).
 * They are shown escaped and visibly, never raw: `\x1b`, `\u202e`.
 *
 * Two levels:
 *   - sanitizeForTerminal, per field (a name, a cell, a reason): escapes every one of them,
 *     newlines and tabs included, so a field stays on its line and in its column;
 *   - sanitizeOutput, the last line of defence at the sinks (guardOutput wraps stdout and stderr
 *     for every command but the terminal UI; the UI applies it to what it hands blessed): the
 *     same, but diag's own line structure (\n, \t) is kept; characters from U+007F up are
 *     written as \uXXXX, which is also a valid JSON escape, so `--json` output stays JSON and
 *     carries C1, bidi and zero-width characters escaped (JSON.stringify leaves them raw).
 */

const HOSTILE = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/;
const HOSTILE_ALL = new RegExp(HOSTILE.source, 'g');
const HOSTILE_OUTPUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/;
const HOSTILE_OUTPUT_ALL = new RegExp(HOSTILE_OUTPUT.source, 'g');

const hex = (c: number, width: number) => c.toString(16).padStart(width, '0');

/** One hostile character (or surrogate pair), escaped: \n \t \r, \xHH up to U+00FF, \uHHHH beyond (each UTF-16 unit). */
function escapeField(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  if (ch.length === 1 && ch.charCodeAt(0) <= 0xff) return `\\x${hex(ch.charCodeAt(0), 2)}`;
  return [...Array(ch.length).keys()].map((i) => `\\u${hex(ch.charCodeAt(i), 4)}`).join('');
}

/** At a sink: \xHH for C0 (never raw in JSON, which escapes them itself), \uHHHH from U+007F up (valid in JSON strings). */
function escapeOutput(ch: string): string {
  if (ch.length === 1 && ch.charCodeAt(0) < 0x20) return `\\x${hex(ch.charCodeAt(0), 2)}`;
  return [...Array(ch.length).keys()].map((i) => `\\u${hex(ch.charCodeAt(i), 4)}`).join('');
}

/**
 * A field of host text for a terminal: every control, bidi and invisible character escaped
 * (newlines and tabs too), so "\x1b[2J" shows as text and a newline in a process name cannot
 * forge a line of output.
 */
export function sanitizeForTerminal(text: string): string {
  if (!HOSTILE.test(text)) return text;
  return text.replace(HOSTILE_ALL, escapeField);
}

/** Whole output on its way out (text, Markdown, JSON, a screen): the same, keeping \n and \t. */
export function sanitizeOutput(text: string): string {
  if (!HOSTILE_OUTPUT.test(text)) return text;
  return text.replace(HOSTILE_OUTPUT_ALL, escapeOutput);
}

type Write = NodeJS.WriteStream['write'];

/**
 * Route every string written to `stream` through sanitizeOutput (Buffers, binary by nature,
 * pass as they are). Returns the function that removes the guard (the terminal UI writes
 * escape sequences of its own, and sanitises what it hands blessed instead).
 */
export function guardOutput(stream: NodeJS.WriteStream): () => void {
  const write: Write = stream.write;
  const guarded = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    return (write as (...a: unknown[]) => boolean).call(this, typeof chunk === 'string' ? sanitizeOutput(chunk) : chunk, ...rest);
  };
  stream.write = guarded as Write;
  return () => {
    if (stream.write === (guarded as Write)) stream.write = write;
  };
}

let released: Array<() => void> = [];

/** Guard stdout and stderr for the rest of this process (main does it for every command). */
export function guardProcessOutput(): void {
  if (released.length > 0) return;
  released = [guardOutput(process.stdout), guardOutput(process.stderr)];
}

/** Remove the process guard: the terminal UI takes the terminal (it sanitises its own text). */
export function releaseProcessOutput(): void {
  for (const r of released) r();
  released = [];
}
