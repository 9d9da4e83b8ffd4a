import { failed, ok, type Outcome } from './outcome.js';
import type { ParseResult } from './parse-result.js';
import type { Source } from './source.js';

/** Read one file through the source and parse it: unavailable stays unavailable, a parse error is an error. */
export function readParsed<T>(src: Source, path: string, parse: (text: string) => ParseResult<T>): Outcome<T> {
  const text = src.readFile(path);
  if (text.status !== 'ok') return text;
  const p = parse(text.value);
  return p.ok ? ok(p.value) : failed('parse', p.error.message, p.error);
}
