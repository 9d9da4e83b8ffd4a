import { COLLECTORS, PROBE_COLLECTORS } from '../../collectors/index.js';
import type { Collector } from '../core/collector.js';
import { defaultPlaybookDirs, loadPlaybooks, type LoadResult } from './loader.js';
import { buildCatalogue, type MetricCatalogue } from './metrics.js';

/** The registered collectors, their metric catalogue and the playbooks loaded against it. */
export interface EngineSession {
  /** Sampled collectors (the BPF probes' collectors are in the catalogue only: they run when asked). */
  readonly collectors: readonly Collector[];
  readonly catalogue: MetricCatalogue;
  readonly loaded: LoadResult;
}

/** `only`: load just that playbook and its includes (a run), not every playbook file. */
export function openSession(playbookDir?: string, collectors: readonly Collector[] = COLLECTORS, only?: string, probeCollectors: readonly Collector[] = PROBE_COLLECTORS): EngineSession {
  const catalogue = buildCatalogue([...collectors, ...probeCollectors]);
  return { collectors, catalogue, loaded: loadPlaybooks(catalogue, defaultPlaybookDirs(playbookDir), only === undefined ? {} : { only }) };
}
