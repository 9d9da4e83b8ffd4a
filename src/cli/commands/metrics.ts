import { sanitizeForTerminal as clean } from '../../core/sanitize.js';
import { buildCatalogue } from '../../engine/metrics.js';
import { COLLECTORS, PROBE_COLLECTORS } from '../../../collectors/index.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';

export const HELP = `Usage: diag metrics [PREFIX] [--json]

The metric catalogue playbooks refer to: every table.field the registered collectors and BPF
probes declare, with its unit (counters read as per-second rates), kind and scope. PREFIX filters by name
(e.g. "cpu." or "tcp").`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('metrics', argv, { ...COMMON_OPTIONS, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const prefix = positionals[0] ?? '';
  const cat = buildCatalogue([...COLLECTORS, ...PROBE_COLLECTORS]);
  const list = [...cat.metrics.values()].filter((m) => m.name.startsWith(prefix));
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        {
          schema: 'diag.metrics/v1',
          metrics: list.map((m) => ({ name: m.name, collector: m.collector, scope: m.scope, kind: m.kind, unit: m.unit, title: m.title, ...(m.desc ? { desc: m.desc } : {}) })),
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const w = Math.max(...list.map((m) => m.name.length), 6);
  const u = Math.max(...list.map((m) => m.unit.length), 4);
  let table = '';
  for (const m of list) {
    if (m.table !== table) {
      table = m.table;
      process.stdout.write(`\n${m.table} (${m.collector}, scope ${m.scope}): ${clean(m.tableTitle)}\n`);
    }
    process.stdout.write(`  ${m.name.padEnd(w)}  ${m.kind.padEnd(7)}  ${m.unit.padEnd(u)}  ${clean(m.title)}\n`);
  }
  return 0;
}
