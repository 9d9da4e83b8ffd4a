import { COLLECTORS } from '../../../collectors/index.js';
import { collectSample } from '../../core/sample.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';
import { liveSourceFor } from '../source-options.js';

export const HELP = `Usage: diag collectors [--json] [--root DIR]

List every collector with what it reads and whether it works on this host.
Each collector is tried once; tables it could not produce are shown with the reason and a hint.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('collectors', argv, { ...COMMON_OPTIONS, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const src = liveSourceFor(values.root);
  const sample = await collectSample(COLLECTORS, src);
  const list = COLLECTORS.map((c) => {
    const o = sample.collectors[c.id];
    const tables = Object.keys(c.tables).map((t) => {
      const r = o?.status === 'ok' ? o.value.tables[t] : o;
      if (!r) return { table: t, status: 'error' as const, code: 'bug' as const, reason: 'not produced' };
      return r.status === 'ok'
        ? { table: t, status: 'ok' as const, rows: r.value.length }
        : { table: t, status: r.status, code: r.code, reason: r.reason, ...(r.status === 'unavailable' && r.hint ? { hint: r.hint } : {}) };
    });
    const okCount = tables.filter((t) => t.status === 'ok').length;
    const status = okCount === tables.length ? 'available' : okCount > 0 ? 'partial' : 'unavailable';
    return {
      id: c.id,
      title: c.title,
      origin: c.origin,
      resources: c.resources,
      inputs: c.inputs,
      status,
      durationMs: o?.status === 'ok' ? Math.round(o.value.durationMs * 100) / 100 : undefined,
      tables,
    };
  });
  if (values.json) {
    process.stdout.write(JSON.stringify({ schema: 'diag.collectors/v1', collectors: list }, null, 2) + '\n');
    return 0;
  }
  const w = Math.max(...list.map((c) => c.id.length));
  for (const c of list) {
    process.stdout.write(`${c.id.padEnd(w)}  ${c.status.padEnd(11)}  ${c.title}\n`);
    for (const t of c.tables) {
      if (t.status !== 'ok') {
        const hint = 'hint' in t && t.hint ? ` (hint: ${t.hint})` : '';
        process.stdout.write(`${''.padEnd(w)}    ${t.table}: ${t.status}: ${t.reason}${hint}\n`);
      }
    }
  }
  return 0;
}
