import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { guardOutput, sanitizeForTerminal, sanitizeOutput } from '../../src/core/sanitize.js';

/** Every class the sanitiser must never let through raw, with how a field shows it. */
const CLASSES: ReadonlyArray<readonly [string, string]> = [
  ['\u0000', '\\x00'],
  ['\u0007', '\\x07'],
  ['\u001b', '\\x1b'],
  ['\n', '\\n'],
  ['\t', '\\t'],
  ['\r', '\\r'],
  ['\u007f', '\\x7f'],
  ['\u0085', '\\x85'],
  ['\u009b', '\\x9b'],
  ['\u202a', '\\u202a'],
  ['\u202e', '\\u202e'],
  ['\u2066', '\\u2066'],
  ['\u2069', '\\u2069'],
  ['\u200e', '\\u200e'],
  ['\u200f', '\\u200f'],
  ['\u061c', '\\u061c'],
  ['\u200b', '\\u200b'],
  ['\u200d', '\\u200d'],
  ['\ufeff', '\\ufeff'],
  ['\u2060', '\\u2060'],
  ['\u2028', '\\u2028'],
  ['\u180e', '\\u180e'],
  ['\u{e0041}', '\\udb40\\udc41'],
];

describe('sanitizeForTerminal (a field)', () => {
  it.each(CLASSES)('shows %j escaped', (raw, shown) => {
    expect(sanitizeForTerminal(`a${raw}b`)).toBe(`a${shown}b`);
  });
  it('leaves ordinary text, accents and box drawing alone', () => {
    for (const t of ['nginx: worker process', 'café ünïcödé 日本語', '│ ▶ …', 'emoji 🔥']) expect(sanitizeForTerminal(t)).toBe(t);
  });
});

describe('sanitizeOutput (a sink)', () => {
  it('keeps the line structure and escapes the rest', () => {
    expect(sanitizeOutput('a\tb\nc\u001b[2J\u009b\u202e\r')).toBe('a\tb\nc\\x1b[2J\\u009b\\u202e\\x0d');
  });
  it('keeps JSON valid and the strings the same once parsed (C1, bidi, zero-width as \\uXXXX)', () => {
    const value = { name: 'x\u009b\u202e\u200b\ufeff\u2066\u007f\u{e0041}y' };
    const out = sanitizeOutput(JSON.stringify(value, null, 2));
    expect(out).toContain('x\\u009b\\u202e\\u200b\\ufeff\\u2066\\u007f\\udb40\\udc41y');
    expect(out).not.toMatch(/[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/);
    expect(JSON.parse(out)).toEqual(value);
  });
  it('guards a stream: strings pass the sanitiser, and the guard comes off', () => {
    const s = new PassThrough() as unknown as NodeJS.WriteStream;
    const chunks: string[] = [];
    (s as unknown as PassThrough).on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
    const release = guardOutput(s);
    s.write('evil\u202e\n');
    release();
    s.write('raw\u202e\n');
    expect(chunks.join('')).toBe('evil\\u202e\nraw\u202e\n');
  });
});
