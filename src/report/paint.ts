/**
 * Colour for text on a terminal, as a set of functions a renderer calls around the words that
 * carry a judgement (CRITICAL, WARNING, ok, unknown). The renderer never decides whether colour
 * is on: the CLI does (a terminal, no NO_COLOR, no --no-color, TERM not dumb) and passes either
 * ANSI_PAINT or NO_PAINT. Colour is never the only carrier: the words stay the same.
 */
export interface Paint {
  readonly critical: (s: string) => string;
  readonly warning: (s: string) => string;
  readonly ok: (s: string) => string;
  readonly unknown: (s: string) => string;
  readonly bold: (s: string) => string;
}

const id = (s: string) => s;
export const NO_PAINT: Paint = { critical: id, warning: id, ok: id, unknown: id, bold: id };

const sgr = (on: string) => (s: string) => (s === '' ? s : `\u001b[${on}m${s}\u001b[0m`);
export const ANSI_PAINT: Paint = { critical: sgr('1;31'), warning: sgr('33'), ok: sgr('32'), unknown: sgr('35'), bold: sgr('1') };

/** Should output to `stream` be coloured? NO_COLOR (https://no-color.org: any non-empty value) and --no-color turn it off; so do a pipe, a file and TERM=dumb. */
export function wantColour(opts: { noColorFlag?: boolean | undefined; isTTY: boolean | undefined; env: NodeJS.ProcessEnv }): boolean {
  if (opts.noColorFlag) return false;
  if (opts.env.NO_COLOR !== undefined && opts.env.NO_COLOR !== '') return false;
  if (!opts.isTTY) return false;
  const term = opts.env.TERM ?? '';
  return term !== 'dumb' && term !== '';
}

/** Pad a painted word to a width (the escape codes take no columns). */
export function padPainted(word: string, painted: string, width: number): string {
  return painted + ' '.repeat(Math.max(0, width - word.length));
}

/** Exactly the sequences ANSI_PAINT writes. */
const OUR_SGR = /(\u001b\[(?:0|1|32|33|35|1;31)m)/;

/**
 * Painted text for a stream that is guarded (sanitizeOutput at the sink escapes every control
 * character): everything but ANSI_PAINT's own colour sequences sanitised here, the result as
 * bytes, which the guard passes as they are.
 */
export function paintedBytes(text: string, sanitize: (s: string) => string): Buffer {
  return Buffer.from(
    text
      .split(OUR_SGR)
      .map((part, i) => (i % 2 === 1 ? part : sanitize(part)))
      .join(''),
    'utf8',
  );
}
