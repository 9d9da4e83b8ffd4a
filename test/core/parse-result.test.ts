import { describe, expect, it } from 'vitest';
import { fields, forEachLine, parseFieldLines, uint } from '../../src/core/parse-result.js';

describe('line helpers every procfs parser uses', () => {
  it('forEachLine gives each line without its newline, a last line without one too, and nothing for ""', () => {
    const seen: string[] = [];
    forEachLine('a b\n\nc\r\nlast', (l) => seen.push(l));
    expect(seen).toEqual(['a b', '', 'c\r', 'last']);
    const none: string[] = [];
    forEachLine('', (l) => none.push(l));
    expect(none).toEqual([]);
  });

  it('parseFieldLines keeps parsed lines, lists skipped ones by number and ignores blank ones', () => {
    const r = parseFieldLines(' 1 2\n\n  \nx y\n3\t4\n', (f) => (f.every((x) => uint(x) !== undefined) ? f.map(Number) : undefined));
    expect(r).toEqual({ items: [[1, 2], [3, 4]], skippedLines: [4], nonEmpty: 3 });
    expect(fields(' \t a\t\tb ')).toEqual(['a', 'b']);
  });
});
