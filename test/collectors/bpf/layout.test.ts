import { describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from '../../../collectors/bpf/addon.js';
import type { StructLayout } from '../../../collectors/bpf/layout.js';
import { PROBES } from '../../../collectors/bpf/probes.js';

/**
 * Every struct a decoder reads (collectors/bpf/*.ts offset tables) against the struct the
 * compiler laid out, read from the embedded object's BTF. No privileges needed (the objects are
 * opened, never loaded); the addon must be built, which CI does.
 */
const addon = loadAddon();
const layouts: StructLayout[] = PROBES.flatMap((make) => make({}).layouts);

function btfOf(a: NativeAddon, l: StructLayout) {
  if (!a.btfStruct) throw new Error('the addon has no btfStruct: rebuild it (node scripts/build-native.mjs)');
  return a.btfStruct(l.object, l.struct);
}

describe.skipIf(addon.status !== 'ok' && process.env.CI !== 'true')('BPF struct layouts: decoders against the objects\' BTF', () => {
  it('the addon is built (CI builds it)', () => {
    expect(addon.status === 'ok' ? 'built' : addon.reason).toBe('built');
  });

  it('every probe declares the structs its decoder reads', () => {
    expect(layouts.map((l) => `${l.object}.${l.struct}`).sort()).toEqual(
      ['biolatency.bio_hist_key', 'biosnoop.bio_event', 'biosnoop.bio_start', 'drops.drop_key', 'execsnoop.exec_event', 'offcpu.offcpu_key', 'offcpu.offcpu_start', 'offcpu.offcpu_val', 'oomkill.oom_event', 'profile.sample_key', 'runqlat.proc_slot', 'syscalls.sc_key', 'syscalls.sc_start', 'syscalls.sc_stats', 'tcpconn.tcp_event', 'tcpconn.tcp_sk_info', 'tcpretrans.retrans_key'].sort(),
    );
  });

  for (const l of layouts) {
    it(`${l.object}: struct ${l.struct}`, () => {
      if (addon.status !== 'ok') throw new Error(addon.reason);
      const btf = btfOf(addon.value, l);
      expect(btf, `struct ${l.struct} is not in ${l.object}'s BTF`).not.toBeNull();
      expect(btf!.size).toBe(l.size);
      const byName = new Map(btf!.members.map((m) => [m.name, m]));
      for (const [name, want] of Object.entries(l.members)) {
        const got = byName.get(name);
        expect(got, `${l.struct}.${name} is not a member of the compiled struct`).toBeDefined();
        expect({ member: name, offset: got!.offset, size: got!.size, bits: got!.bits }).toEqual({ member: name, offset: want.offset, size: want.size, bits: undefined });
      }
      // Members the decoder skips are padding only: a new field must be decoded (or named pad*).
      const unread = btf!.members.filter((m) => !(m.name in l.members)).map((m) => m.name);
      expect(unread.filter((n) => !/^pad/.test(n))).toEqual([]);
    });
  }

  it('a wrong table fails: the check compares real offsets', () => {
    if (addon.status !== 'ok') throw new Error(addon.reason);
    const btf = btfOf(addon.value, { object: 'execsnoop', struct: 'exec_event', size: 0, members: {} });
    expect(btf?.members.find((m) => m.name === 'filename')?.offset).not.toBe(24);
    expect(addon.value.btfStruct!('execsnoop', 'no_such_struct')).toBeNull();
    expect(() => addon.value.btfStruct!('no_such_object', 'exec_event')).toThrow(/no BPF object no_such_object/);
  });
});
