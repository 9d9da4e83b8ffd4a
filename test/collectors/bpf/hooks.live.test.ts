import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../../../collectors/bpf/addon.js';
import { detectHooks } from '../../../collectors/bpf/hooks.js';
import { openFirstWorking, type Hook } from '../../../collectors/bpf/session.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { ensureTracefs } from '../../helpers/bpf.js';

const req = liveRequirement('root');

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
    expect(hooks.map((h) => [h.feature, h.works])).toEqual([
      ['tp_btf', true],
      ['raw_tp', true],
      ['tp', true],
      ['perf_event', true],
      ['ringbuf', true],
    ]);
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
