import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../../../collectors/bpf/addon.js';
import { detectHooks } from '../../../collectors/bpf/hooks.js';
import { openFirstWorking, type Hook } from '../../../collectors/bpf/session.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { ensureTracefs } from '../../helpers/bpf.js';

// test-group: shared (its probe is filtered to what it made (its own PIDs, loop device, namespace or sockets) and counts that exactly, never the host's load): it runs beside another file (vitest.config.ts)

const req = liveRequirement('root');

/**
 * What this kernel offers, from facts read without the BPF loader: the kernel release (raw
 * tracepoints since 4.17, BTF tracepoints since 5.5, the ring buffer since 5.8), the kernel's BTF
 * (tp_btf needs /sys/kernel/btf/vmlinux), tracefs' event directories (tp) and the perf_event
 * sysctl (perf events). Detection by trying must agree with it on any kernel, not only on ours.
 */
function kernelOffers(): Array<[string, boolean]> {
  const m = /^(\d+)\.(\d+)/.exec(release());
  const v = m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
  const tracefs = ['/sys/kernel/tracing/events/sched', '/sys/kernel/debug/tracing/events/sched'].some((d) => existsSync(d));
  return [
    ['tp_btf', v >= 5005 && existsSync('/sys/kernel/btf/vmlinux')],
    ['raw_tp', v >= 4017],
    ['tp', tracefs],
    ['perf_event', existsSync('/proc/sys/kernel/perf_event_paranoid')],
    ['ringbuf', v >= 5008],
  ];
}

describe.skipIf(req.skip)('hook detection (live)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('finds every hook type this kernel offers by trying it', () => {
    cleanups.push(ensureTracefs());
    const addon = loadAddon();
    expect(addon.status).toBe('ok');
    if (addon.status !== 'ok') return;
    const hooks = detectHooks(addon.value, true);
    const expected = kernelOffers();
    expect(hooks.map((h) => [h.feature, h.works])).toEqual(expected);
    // on the machines this project runs on, every hook is there (a kernel lacking one would say so above)
    if (process.env.CI === 'true') expect(expected.every(([, works]) => works)).toBe(true);
  });

  it('a kernel without the tracepoint gets that reason, for each hook type', () => {
    const addon = loadAddon();
    if (addon.status !== 'ok') throw new Error(addon.reason);
    const cases: Array<[Hook, string, RegExp]> = [
      ['raw_tp', 'missing_raw_tp', /^no hook works: raw_tp: kernel lacks the tracepoint raw_tp\/diag_no_such_tracepoint$/],
      ['tp_btf', 'missing_tp_btf', /^no hook works: tp_btf: kernel lacks the BTF tracepoint tp_btf\/diag_no_such_tracepoint$/],
      ['tp', 'missing_tp', /^no hook works: tp: kernel lacks the tracepoint tp\/diag\/no_such_tracepoint$/],
    ];
    for (const [hook, program, reason] of cases) {
      const r = openFirstWorking({ addon: addon.value, object: 'hooks', variants: [{ hook, programs: [program] }], tracefsMounted: true });
      expect(r.status).toBe('unavailable');
      if (r.status === 'unavailable') expect(r.reason).toMatch(reason);
    }
  });
});
