import { COLLECTORS, PROBE_COLLECTORS } from '../../collectors/index.js';
import { openSession, type EngineSession } from '../engine/session.js';

/**
 * The CLI is the composition root: it alone picks the collector registry (and the BPF probes'
 * collectors) and hands them to the engine (test/layers.test.ts keeps it so). `only`: load just
 * that playbook and its includes.
 */
export function cliSession(playbookDir?: string, only?: string): EngineSession {
  return openSession({ collectors: COLLECTORS, probeCollectors: PROBE_COLLECTORS, playbookDir, only });
}
