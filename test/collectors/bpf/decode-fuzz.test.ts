import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBioEvent } from '../../../collectors/bpf/biosnoop.js';
import { decodeDrops, DROP_KEY } from '../../../collectors/bpf/drops.js';
import { BpfDecodeError, expectDump, perCpuU64 } from '../../../collectors/bpf/dump.js';
import { decodeExecEvent } from '../../../collectors/bpf/execsnoop.js';
import { histogramFromPerCpuArray } from '../../../collectors/bpf/histogram.js';
import { decodeOomEvent } from '../../../collectors/bpf/oomkill.js';
import { parseCapEff } from '../../../collectors/bpf/privileges.js';
import { decodeSampleKeys, SAMPLE_KEY } from '../../../collectors/bpf/profile.js';
import { decodeTcpEvent } from '../../../collectors/bpf/tcpconn.js';
import { decodeRetrans, RETRANS_KEY } from '../../../collectors/bpf/tcpretrans.js';
import { parseNetDevNames } from '../../../collectors/commands/nic/collector.js';
import { parseSpeed, parseSysfsInt, parseSysfsWord } from '../../../collectors/procfs/netdev/parse.js';
import type { BpfMapDump } from '../../../src/core/bpf.js';
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
    ['decodeBioEvent', decodeBioEvent],
    ['decodeTcpEvent', decodeTcpEvent],
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

/**
 * Map dumps as a bundle can hold them: sizes consistent with the buffers (the bundle reader
 * checks that), any bytes, and a key size and value stride that are either the decoder's layout
 * or any other. Every probe hands its decoder a dump through expectDump, as here: a layout
 * that does not fit is a BpfDecodeError naming the map, and a dump that fits decodes to records
 * whose numbers are exact (a count past 2^53 is refused, never rounded), never a RangeError
 * from reading past an entry.
 */
function dumpFor(keySize: number, valueStride: number) {
  const size = (want: number) => fc.oneof(fc.constant(want), fc.integer({ min: 1, max: 64 }));
  return fc
    .record({ count: fc.integer({ min: 0, max: 12 }), keySize: size(keySize), valueStride: size(valueStride) })
    .chain((m) =>
      fc.record({
        meta: fc.constant(m),
        keys: fc.uint8Array({ minLength: m.count * m.keySize, maxLength: m.count * m.keySize }).map((a) => Buffer.from(a)),
        // any bytes, or counts a probe run can reach (each u64's top two bytes zero): random
        // bytes alone are almost always past 2^53, so the decoders' records would seldom be seen
        values: fc
          .tuple(fc.uint8Array({ minLength: m.count * m.valueStride, maxLength: m.count * m.valueStride }), fc.boolean())
          .map(([a, small]) => Buffer.from(small ? a.map((b, i) => (i % 8 >= 6 ? 0 : b)) : a)),
      }),
    )
    .map(({ meta, keys, values }): BpfMapDump => ({ count: meta.count, keySize: meta.keySize, valueStride: meta.valueStride, keys, values }));
}

describe('BPF map decoders on arbitrary dumps, through expectDump as the probes call them', () => {
  const NCPUS = 3;
  it.each([
    ['histogramFromPerCpuArray', 4, perCpuU64(NCPUS), (d: BpfMapDump) => histogramFromPerCpuArray(d, NCPUS, 'ns')],
    ['decodeRetrans', RETRANS_KEY.size, 8, (d: BpfMapDump) => decodeRetrans(d)],
    ['decodeSampleKeys', SAMPLE_KEY.size, 8, (d: BpfMapDump) => decodeSampleKeys(d)],
    ['decodeDrops', DROP_KEY.size, 8, (d: BpfMapDump) => decodeDrops(d, new Map([[2, 'NOT_SPECIFIED']]), undefined)],
  ] as const)('%s: records with exact numbers, or a BpfDecodeError naming the map', (_, keySize, valueStride, decode) => {
    let decoded = 0;
    fc.assert(
      fc.property(dumpFor(keySize, valueStride), (d) => {
        let fits: BpfMapDump;
        try {
          fits = expectDump({ m: d }, 'm', { keySize, valueStride });
        } catch (err) {
          expect(err).toBeInstanceOf(BpfDecodeError);
          expect((err as Error).message).toMatch(/^map m /);
          return;
        }
        let out: unknown;
        try {
          out = decode(fits);
        } catch (err) {
          // a count no probe run can reach (past 2^53) is refused, never rounded
          expect(err).toBeInstanceOf(BpfDecodeError);
          expect((err as Error).message).toMatch(/past 2\^53/);
          return;
        }
        decoded++;
        checkNumbers(out, { signed: '*' });
      }),
      { numRuns: 1000 },
    );
    // the property saw dumps that fit, not only refusals
    expect(decoded).toBeGreaterThan(20);
  });
});
