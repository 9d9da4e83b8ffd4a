import { PROBES } from '../../../collectors/bpf/probes.js';
import { detectHooks, type HookSupport } from '../../../collectors/bpf/hooks.js';
import { probeContext } from '../../../collectors/bpf/probe.js';
import { closeObject, openFirstWorking, type Attempt } from '../../../collectors/bpf/session.js';
import { LiveSource } from '../../core/live-source.js';
import { parseCommandArgs } from '../args.js';

export const HELP = `Usage: diag probes [--json]

List diag's BPF probes with whether they work here, the hook each would use (tp_btf, raw_tp,
tp, perf_event) and, when one does not work, exactly why (not root / needs CAP_BPF+CAP_PERFMON,
no BTF, addon not built, kernel lacks the tracepoint). Each probe is loaded and attached for a
moment to find out: nothing is guessed from version numbers.`;

interface ProbeStatus {
  readonly id: string;
  readonly title: string;
  readonly available: boolean;
  readonly hook?: string;
  readonly reason?: string;
  readonly hint?: string;
  readonly fallbacks?: readonly Attempt[];
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('probes', argv, { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const src = new LiveSource();
  const ctx = probeContext(src, { durationMs: 0 });
  let hooks: HookSupport[] = [];
  const list: ProbeStatus[] = PROBES.map((make) => make({})).map((p) => {
    if (ctx.status !== 'ok') return { id: p.id, title: p.title, available: false, reason: ctx.reason, ...(ctx.status === 'unavailable' && ctx.hint ? { hint: ctx.hint } : {}) };
    const pre = p.prerequisites?.(ctx.value);
    if (pre && pre.status !== 'ok') return { id: p.id, title: p.title, available: false, reason: pre.reason };
    const r = openFirstWorking({ addon: ctx.value.addon, object: p.object, variants: p.variants, perfHz: 1, tracefsMounted: ctx.value.tracefs, configure: (obj, variant) => p.configure?.(obj, ctx.value, variant) });
    if (r.status !== 'ok') return { id: p.id, title: p.title, available: false, reason: r.reason };
    closeObject(r.value.obj);
    return { id: p.id, title: p.title, available: true, hook: r.value.hook, ...(r.value.failed.length > 0 ? { fallbacks: r.value.failed } : {}) };
  });
  if (ctx.status === 'ok') hooks = detectHooks(ctx.value.addon, ctx.value.tracefs);
  if (values.json) {
    const out = {
      schema: 'diag.probes/v1',
      bpf: ctx.status === 'ok' ? { available: true, libbpf: ctx.value.addon.libbpfVersion() } : { available: false, reason: ctx.reason },
      hooks,
      probes: list,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    if (ctx.status !== 'ok') process.stdout.write(`BPF off: ${ctx.reason.replace(/^BPF off: /, '')}\n${ctx.status === 'unavailable' && ctx.hint ? `hint: ${ctx.hint}\n` : ''}\n`);
    else process.stdout.write(`hooks: ${hooks.map((h) => `${h.feature} ${h.works ? 'yes' : `no (${h.reason ?? ''})`}`).join(', ')}\n\n`);
    const w = Math.max(...list.map((p) => p.id.length));
    for (const p of list) {
      const state = p.available ? `available    ${(p.hook ?? '').padEnd(10)}` : 'unavailable  ';
      process.stdout.write(`${p.id.padEnd(w)}  ${state} ${p.title}\n`);
      if (!p.available) process.stdout.write(`${''.padEnd(w)}    ${p.reason ?? ''}\n`);
      for (const f of p.fallbacks ?? []) process.stdout.write(`${''.padEnd(w)}    (${f.hook} not usable: ${f.reason})\n`);
    }
  }
  return ctx.status === 'ok' ? 0 : 3;
}
