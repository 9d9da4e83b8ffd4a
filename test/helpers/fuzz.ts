import fc from 'fast-check';
import { expect } from 'vitest';
import { ParseError } from '../../src/core/errors.js';
import type { ParseResult } from '../../src/core/parse-result.js';

/** Mutations of real inputs: truncation, dropped/duplicated lines, garbled bytes, huge numbers. */
function mutated(seed: string): fc.Arbitrary<string> {
  const lines = seed.split('\n');
  return fc.oneof(
    fc.nat({ max: seed.length }).map((n) => seed.slice(0, n)),
    fc.nat({ max: Math.max(0, lines.length - 1) }).map((i) => lines.filter((_, j) => j !== i).join('\n')),
    fc.nat({ max: Math.max(0, lines.length - 1) }).map((i) => [...lines.slice(0, i + 1), ...lines.slice(i)].join('\n')),
    fc.tuple(fc.nat({ max: Math.max(0, seed.length - 1) }), fc.string({ maxLength: 8 })).map(([i, s]) => seed.slice(0, i) + s + seed.slice(i + 1)),
    fc.tuple(fc.nat({ max: Math.max(0, seed.length - 1) }), fc.constantFrom('-1', '99999999999999999999999', 'NaN', '1e400', '\u0000', '\n', ' ', ')', '(', ':', '=', '\t')).map(([i, s]) => seed.slice(0, i) + s + seed.slice(i)),
    fc.constant(seed.replace(/\d+/g, '18446744073709551615')),
    fc.constant(seed.replace(/ +/g, '\t')),
  );
}

/**
 * Every parser returns a typed record or a typed ParseError for any input: random text and
 * mutations of real fixtures. It never throws.
 */
export function fuzzParser<T>(parse: (text: string) => ParseResult<T>, seeds: readonly string[], runs = 400): void {
  const arb = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }), ...seeds.map(mutated));
  fc.assert(
    fc.property(arb, (text) => {
      const r = parse(text);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.error).toBeInstanceOf(ParseError);
    }),
    { numRuns: runs },
  );
}
