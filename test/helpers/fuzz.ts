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

/** What a successful parse may hold, beyond "finite": see fuzzParser. */
export interface Invariants<T> {
  /** Keys whose numbers the kernel prints signed (nice, -1 for "none"): '*' for every key. Every other number must be >= 0. */
  readonly signed?: readonly string[] | '*' | RegExp;
  /** Keys that may hold a number past Number.MAX_SAFE_INTEGER: limits kept rounded (uintLimit: "no limit" sentinels). */
  readonly lossy?: readonly string[];
  /** Checks of the parser's own: ranges the kernel cannot leave (a PID <= PID_MAX_LIMIT, a share <= 100). */
  readonly check?: (value: T) => void;
}

/**
 * Every number in a parsed value: finite; a safe integer or a decimal within +-MAX_SAFE_INTEGER
 * (a double cannot hold a larger counter exactly: the parser must reject it, parse-result.ts),
 * unless its key is `lossy`; >= 0 unless its key is `signed`. Objects, arrays, Maps and Sets are
 * walked; the path names the offending field.
 */
export function checkNumbers(value: unknown, inv: Invariants<never> = {}, path = 'value', key = ''): void {
  if (typeof value === 'number') {
    expect(Number.isFinite(value), `${path} = ${value}: not finite`).toBe(true);
    if (!inv.lossy?.includes(key)) expect(Math.abs(value) <= Number.MAX_SAFE_INTEGER, `${path} = ${value}: past 2^53, not exact`).toBe(true);
    const signed = inv.signed === '*' || (inv.signed instanceof RegExp ? inv.signed.test(key) : inv.signed?.includes(key));
    if (!signed) expect(value >= 0, `${path} = ${value}: negative in an unsigned field`).toBe(true);
    return;
  }
  if (typeof value === 'bigint' || value === null || typeof value !== 'object') return;
  if (value instanceof Map) {
    for (const [k, v] of value) checkNumbers(v, inv, `${path}.get(${JSON.stringify(k)})`, typeof k === 'string' ? k : key);
    return;
  }
  if (value instanceof Set) {
    for (const v of value) checkNumbers(v, inv, `${path}[set]`, key);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkNumbers(v, inv, `${path}[${i}]`, key));
    return;
  }
  for (const [k, v] of Object.entries(value)) checkNumbers(v, inv, `${path}.${k}`, k);
}

/**
 * Every parser returns a typed record or a typed ParseError for any input: random text and
 * mutations of real fixtures. It never throws. A successful result holds only numbers the kernel
 * can produce (checkNumbers with `inv`, then the parser's own `inv.check`): a parser that takes
 * a PID of 18446744073709551615 or a negative load average fails here.
 */
export function fuzzParser<T>(parse: (text: string) => ParseResult<T>, seeds: readonly string[], runs = 400, inv: Invariants<T> = {}): void {
  const arb = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }), ...seeds.map(mutated));
  fc.assert(
    fc.property(arb, (text) => {
      const r = parse(text);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) {
        expect(r.error).toBeInstanceOf(ParseError);
        return;
      }
      checkNumbers(r.value, inv as Invariants<never>);
      inv.check?.(r.value);
    }),
    { numRuns: runs },
  );
}
