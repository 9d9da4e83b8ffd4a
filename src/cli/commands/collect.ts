import { COLLECTORS, findCollector } from '../../../collectors/index.js';
import type { Collector } from '../../core/collector.js';
import { deriveModel, type Model } from '../../core/derive.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { collectSample, collectWindow } from '../../core/sample.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';
import { renderTable } from '../render-model.js';
import { modelToJson } from '../model-json.js';
import { liveSourceFor } from '../source-options.js';

export const HELP = `Usage: diag collect <collector> [--json] [--window 1s] [--root DIR]

Print one collector's record. Counters become per-second rates and derived values
(busy %, await, %util...) appear only with a window, e.g. --window 1s.
Collectors: ${COLLECTORS.map((c) => c.id).join(', ')}`;

/** Rows shown per table in text mode, and how they are ordered, for tables that can be long. */
const TEXT_LIMITS: Record<string, { maxRows: number; sortBy?: string }> = {
  processes: { maxRows: 25, sortBy: 'cpu_pct' },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('collect', argv, { ...COMMON_OPTIONS, json: { type: 'boolean' }, window: { type: 'string' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const ids = COLLECTORS.map((c) => c.id).join(', ');
  const id = positionals[0];
  if (id === undefined) throw new UsageError('collect: which collector?', { hint: `one of: ${ids}` });
  if (positionals.length > 1) throw new UsageError(`collect: unexpected argument ${JSON.stringify(positionals[1])}`);
  const collector = findCollector(id);
  if (!collector) throw new UsageError(`collect: no collector named ${JSON.stringify(id)}`, { hint: `one of: ${ids}` });
  const windowMs = values.window === undefined ? undefined : parseDuration(values.window, '--window');
  const src = liveSourceFor(values.root);
  const list: Collector[] = [collector];
  const model: Model =
    windowMs === undefined ? deriveModel(list, await collectSample(list, src)) : deriveModel(list, await collectWindow(list, src, windowMs));
  if (values.json) {
    process.stdout.write(JSON.stringify(modelToJson(model, collector.id), null, 2) + '\n');
  } else {
    for (const t of Object.values(model.tables)) process.stdout.write(renderTable(t, TEXT_LIMITS[t.id] ?? {}) + '\n');
    if (windowMs === undefined) process.stdout.write('(single sample: counters need a window for rates, e.g. --window 1s)\n');
  }
  const allBad = Object.values(model.tables).every((t) => t.rows.status !== 'ok');
  return allBad ? 3 : 0;
}
