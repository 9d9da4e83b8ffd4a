import { bpfStatus } from '../../../collectors/bpf/status.js';
import { LiveSource } from '../../core/live-source.js';
import { parseCommandArgs } from '../args.js';

export const HELP = `Usage: diag probes [--json]

List diag's BPF probes with whether they work here, the hook each would use (tp_btf, raw_tp,
tp, perf_event) and, when one does not work, exactly why (not root / needs CAP_BPF+CAP_PERFMON,
no BTF, addon not built, kernel lacks the tracepoint). Each probe is loaded and attached for a
moment to find out: nothing is guessed from version numbers.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('probes', argv, { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const status = bpfStatus(new LiveSource());
  const list = status.probes;
  if (values.json) {
    process.stdout.write(JSON.stringify({ schema: 'diag.probes/v1', ...status }, null, 2) + '\n');
  } else {
    if (!status.bpf.available) process.stdout.write(`BPF off: ${status.bpf.reason.replace(/^BPF off: /, '')}\n${status.bpf.hint ? `hint: ${status.bpf.hint}\n` : ''}\n`);
    else process.stdout.write(`hooks: ${status.hooks.map((h) => `${h.feature} ${h.works ? 'yes' : `no (${h.reason ?? ''})`}`).join(', ')}\n\n`);
    const w = Math.max(...list.map((p) => p.id.length));
    for (const p of list) {
      const state = p.available ? `available    ${(p.hook ?? '').padEnd(10)}` : 'unavailable  ';
      process.stdout.write(`${p.id.padEnd(w)}  ${state} ${p.title}\n`);
      if (!p.available) process.stdout.write(`${''.padEnd(w)}    ${p.reason ?? ''}\n`);
      for (const f of p.fallbacks ?? []) process.stdout.write(`${''.padEnd(w)}    (${f.hook} not usable: ${f.reason})\n`);
    }
  }
  return status.bpf.available ? 0 : 3;
}
