import { COLLECTORS } from '../../../collectors/index.js';
import { deriveModel } from '../../core/derive.js';
import { parseDuration } from '../../core/duration.js';
import { collectWindow } from '../../core/sampler.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';
import { renderTable } from '../render-model.js';
import { liveSourceFor } from '../source-options.js';
import { parseInterval, runIntervals } from '../interval.js';
import { UsageError } from '../../core/errors.js';

export const HELP = `Usage: diag overview [--window 1s] [--root DIR] [INTERVAL [COUNT]]

Measure the host over a window and print every collector's view. INTERVAL [COUNT] prints
one every INTERVAL seconds, each over the interval before it, COUNT times or until Ctrl-C.`;

/** Tables that can be long: rows shown in the overview and their order. */
const LIMITS: Record<string, { maxRows: number; sortBy?: string }> = {
  processes: { maxRows: 15, sortBy: 'cpu_pct' },
  mounts: { maxRows: 30 },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('overview', argv, { ...COMMON_OPTIONS, window: { type: 'string' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const interval = parseInterval(positionals, 'overview');
  if (interval && values.window !== undefined) throw new UsageError('overview: --window and an interval exclude each other (each interval is the window of its view)');
  const windowMs = parseDuration(values.window ?? '1s', '--window');
  const src = liveSourceFor(values.root);
  if (interval) {
    await runIntervals(COLLECTORS, src, interval, (model) => {
      process.stdout.write(`--- ${model.end.wall} ---\n`);
      for (const t of Object.values(model.tables)) process.stdout.write(renderTable(t, LIMITS[t.id] ?? { maxRows: 40 }) + '\n');
    });
    return 0;
  }
  process.stderr.write(`diag: measuring for ${windowMs / 1000} s...\n`);
  const model = deriveModel(COLLECTORS, await collectWindow(COLLECTORS, src, windowMs));
  for (const t of Object.values(model.tables)) process.stdout.write(renderTable(t, LIMITS[t.id] ?? { maxRows: 40 }) + '\n');
  return 0;
}
