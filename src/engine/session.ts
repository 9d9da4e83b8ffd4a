import { COLLECTORS } from '../../collectors/index.js';
import type { Collector } from '../core/collector.js';
import { defaultPlaybookDirs, loadPlaybooks, type LoadResult } from './loader.js';
import { buildCatalogue, type MetricCatalogue } from './metrics.js';

/** The registered collectors, their metric catalogue and the playbooks loaded against it. */
export interface EngineSession {
  readonly collectors: readonly Collector[];
  readonly catalogue: MetricCatalogue;
  readonly loaded: LoadResult;
}

/** `only`: load just that playbook and its includes (a run), not every playbook file. */
export function openSession(playbookDir?: string, collectors: readonly Collector[] = COLLECTORS, only?: string): EngineSession {
  const catalogue = buildCatalogue(collectors);
  return { collectors, catalogue, loaded: loadPlaybooks(catalogue, defaultPlaybookDirs(playbookDir), only === undefined ? {} : { only }) };
}
