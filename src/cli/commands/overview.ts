import { COLLECTORS } from '../../../collectors/index.js';
import { deriveModel } from '../../core/derive.js';
import { parseDuration } from '../../core/duration.js';
import { collectWindow } from '../../core/sampler.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';
import { renderTable } from '../render-model.js';
import { liveSourceFor } from '../source-options.js';

export const HELP = `Usage: diag [--window 1s] [--root DIR]

With no command, diag measures the host over a window and prints every collector's view.`;

/** Tables that can be long: rows shown in the overview and their order. */
const LIMITS: Record<string, { maxRows: number; sortBy?: string }> = {
  processes: { maxRows: 15, sortBy: 'cpu_pct' },
  mounts: { maxRows: 30 },
};

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('diag', argv, { ...COMMON_OPTIONS, window: { type: 'string' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const windowMs = parseDuration(values.window ?? '1s', '--window');
  const src = liveSourceFor(values.root);
  process.stderr.write(`diag: measuring for ${windowMs / 1000} s...\n`);
  const model = deriveModel(COLLECTORS, await collectWindow(COLLECTORS, src, windowMs));
  for (const t of Object.values(model.tables)) process.stdout.write(renderTable(t, LIMITS[t.id] ?? { maxRows: 40 }) + '\n');
  return 0;
}
