import type { BpfMapDump } from '../../src/core/bpf.js';

/** A capture is not what a decoder reads: a corrupt or hostile bundle (a live kernel's never is). */
export class BpfDecodeError extends Error {
  override readonly name = 'BpfDecodeError';
}

/**
 * The dump of `map` with the key and value sizes the decoder reads; throws BpfDecodeError
 * otherwise, so a decoder never reads past an entry or invents one.
 */
export function expectDump(maps: Readonly<Record<string, BpfMapDump>>, map: string, want: { readonly keySize: number; readonly valueStride: number }): BpfMapDump {
  const d = maps[map];
  if (d === undefined) throw new BpfDecodeError(`map ${map} was not captured`);
  if (d.keySize !== want.keySize || d.valueStride !== want.valueStride) {
    throw new BpfDecodeError(`map ${map} has keys of ${d.keySize} bytes and values of ${d.valueStride}; the decoder reads ${want.keySize} and ${want.valueStride}`);
  }
  if (d.keys.length < d.count * d.keySize || d.values.length < d.count * d.valueStride) throw new BpfDecodeError(`map ${map} is shorter than its ${d.count} entries`);
  return d;
}

/** Value stride of a per-CPU map of u64 values. */
export const perCpuU64 = (ncpus: number): number => 8 * ncpus;


/**
 * A u64 count or sum at `at` as an exact number: a kernel's counter of events or nanoseconds
 * within one probe run never reaches 2^53, so a value past it comes from a damaged or forged
 * capture and is refused (BpfDecodeError), never rounded.
 */
export function u64Exact(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BpfDecodeError(`a count of ${v} at byte ${at} is past 2^53: not a value a probe run can reach`);
  return Number(v);
}
