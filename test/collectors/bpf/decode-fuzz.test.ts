import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeExecEvent } from '../../../collectors/bpf/execsnoop.js';
import { decodeOomEvent } from '../../../collectors/bpf/oomkill.js';
import { parseCapEff } from '../../../collectors/bpf/privileges.js';
import { parseNetDevNames } from '../../../collectors/commands/nic/collector.js';
import { parseSpeed, parseSysfsInt, parseSysfsWord } from '../../../collectors/procfs/netdev/parse.js';
import { checkNumbers } from '../../helpers/fuzz.js';

/**
 * Audit item 27: the parsers and record decoders that returned no ParseResult were never
 * fuzzed. Any bytes must give a decoded record or undefined, never a throw, and a decoded
 * record holds only numbers the kernel can write (finite, exact); text parsers the same.
 */
const bytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));

describe('BPF record decoders on arbitrary bytes', () => {
  it.each([
    ['decodeExecEvent', decodeExecEvent],
    ['decodeOomEvent', decodeOomEvent],
  ] as const)('%s: a record or undefined, never a throw, never an inexact number', (_, decode) => {
    fc.assert(
      fc.property(bytes, (buf) => {
        const r = decode(buf);
        if (r !== undefined) checkNumbers(r, { signed: '*' });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('small text parsers on arbitrary text', () => {
  it('parseCapEff: a 64-bit mask or undefined', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxz '), maxLength: 20 }), (junk, hex) => {
        for (const t of [junk, `Name:\tx\nCapEff:\t${hex}\n`]) {
          const v = parseCapEff(t);
          if (v !== undefined) expect(v >= 0n && v < 2n ** 64n, `${JSON.stringify(t)} -> ${v}`).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('parseSpeed, parseSysfsInt, parseSysfsWord, parseNetDevNames: never throw, only exact numbers', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('10000\n', '-1\n', '18446744073709551615\n', '4294967295\n', 'up\n')), (t) => {
        for (const v of [parseSpeed(t), parseSysfsInt(t)]) if (v !== undefined) checkNumbers(v, { signed: '*' });
        const w = parseSysfsWord(t);
        if (w !== undefined) expect(w).not.toMatch(/\s/);
        for (const n of parseNetDevNames(t)) expect(n.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});
