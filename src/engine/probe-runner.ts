import type { Outcome } from '../core/outcome.js';

/**
 * Runs a BPF probe on the spot and says what it saw, as data and as text: the terminal UI's
 * guide runs probes one-second slice by slice with it. The CLI provides it (src/cli/probe-runner.ts:
 * collectors/bpf and the text of src/report/probe-text.ts). Drill-downs do not use it: they read
 * probes as collectors through the Source (drilldown.ts).
 */
export interface ProbeRunner {
  /** Run probe `name` for durationMs; tgids limits it to these processes (a container target). */
  run(name: string, durationMs: number, tgids?: readonly number[]): Promise<Outcome<ProbeRunResult>>;
}

export interface ProbeRunResult {
  readonly probe: string;
  readonly hook: string;
  readonly durationMs: number;
  readonly lost: { readonly ring: number; readonly map: number };
  readonly result: unknown;
  /** The result for a person (src/report/probe-text.ts). */
  readonly text: string;
}
