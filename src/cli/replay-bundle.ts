import type { OfflineInput } from '../bundle/input.js';
import type { Model } from '../core/derive.js';
import { DiagError } from '../core/errors.js';
import type { Report } from '../engine/report-schema.js';
import { runPlaybook } from '../engine/run.js';
import { modelToJson } from './model-json.js';
import type { EngineSession } from '../engine/session.js';

/**
 * The 'use' report and the derived tables of a bundle, recomputed from its raw inputs exactly as
 * `run playbook use --from` computes them (and as the snapshot computed them when it was taken).
 * What a bundle stores as results (report.json, records/model.json) is never read: a forged or
 * damaged one cannot change what diag says about the bundle.
 */
export async function replayUse(bundle: Pick<OfflineInput, 'file' | 'sources' | 'windowMs'>, session: EngineSession): Promise<{ report: Report; records: ReturnType<typeof modelToJson> }> {
  const use = session.loaded.playbooks.get('use');
  if (!use) throw new DiagError(`the built-in 'use' playbook did not load: ${session.loaded.errors.map(String).join('; ') || 'not found'}`);
  let model: Model | undefined;
  const report = await runPlaybook({
    playbook: use,
    catalogue: session.catalogue,
    collectors: session.collectors,
    sources: bundle.sources,
    windowMs: bundle.windowMs,
    onModel: (m) => (model = m),
  });
  if (!model) throw new DiagError(`${bundle.file}: the use playbook derived no model from it`);
  return { report, records: modelToJson(model, 'all') };
}
