import type { Collector } from '../core/collector.js';
import { defaultPlaybookDirs, loadPlaybooks, type LoadResult } from './loader.js';
import { buildCatalogue, type MetricCatalogue } from './metrics.js';

/** The collectors a session judges with, their metric catalogue and the playbooks loaded against it. */
export interface EngineSession {
  /** Sampled collectors (the BPF probes' collectors are in the catalogue only: they run when asked). */
  readonly collectors: readonly Collector[];
  readonly catalogue: MetricCatalogue;
  readonly loaded: LoadResult;
}

export interface SessionOptions {
  /**
   * The sampled collectors: the registry (collectors/index.ts) as the CLI composes it, or a
   * test's own. The engine never picks them itself (docs/architecture.md, "Layers").
   */
  readonly collectors: readonly Collector[];
  /** The BPF probes' collectors: in the metric catalogue (playbooks may name their tables), run only when asked. */
  readonly probeCollectors?: readonly Collector[] | undefined;
  /** A directory of the user's playbooks, besides the built-in ones. */
  readonly playbookDir?: string | undefined;
  /** Load just that playbook and its includes (a run), not every playbook file. */
  readonly only?: string | undefined;
}

export function openSession(opts: SessionOptions): EngineSession {
  const catalogue = buildCatalogue([...opts.collectors, ...(opts.probeCollectors ?? [])]);
  return { collectors: opts.collectors, catalogue, loaded: loadPlaybooks(catalogue, defaultPlaybookDirs(opts.playbookDir), opts.only === undefined ? {} : { only: opts.only }) };
}
