/**
 * The C structs the decoders read (map keys, ring-buffer records), as data: the struct's size
 * and the offset and size of each member a decoder uses. Decoders read offsets from these
 * tables, and test/collectors/bpf/layout.test.ts checks every table against the struct the
 * compiler actually laid out, read from the embedded object's BTF (addon btfStruct): a field
 * added, moved or resized in native/bpf/X.h fails that test instead of decoding garbage.
 */
export interface MemberLayout {
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout<M extends string = string> {
  /** The embedded BPF object whose BTF holds the struct (native/bpf/<object>.bpf.c). */
  readonly object: string;
  /** The struct's C name (native/bpf/<object>.h). */
  readonly struct: string;
  readonly size: number;
  readonly members: { readonly [K in M]: MemberLayout };
}

/** A struct layout from `member: [offset, size]` pairs (bytes). */
export function structLayout<M extends string>(object: string, struct: string, size: number, members: Record<M, readonly [number, number]>): StructLayout<M> {
  const out = {} as Record<M, MemberLayout>;
  for (const name of Object.keys(members) as M[]) {
    const [offset, bytes] = members[name];
    out[name] = { offset, size: bytes };
  }
  return { object, struct, size, members: out };
}
