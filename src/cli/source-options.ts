import { existsSync, statSync } from 'node:fs';
import type { BpfAccess } from '../core/bpf.js';
import { UsageError } from '../core/errors.js';
import { LiveSource } from '../core/live-source.js';
import type { Source } from '../core/source.js';

/**
 * The BPF capability the CLI lends its live sources: collectors/bpf runs the probe through the
 * addon, loaded when a probe first runs (a command that runs none never loads it).
 */
export const liveBpfAccess: BpfAccess = {
  async run(req) {
    const { liveBpf } = await import('../../collectors/bpf/live-access.js');
    return liveBpf().run(req);
  },
};

/** The live source for --root DIR (validated: it must be a directory holding proc/). */
export function liveSourceFor(root: string | undefined): Source {
  if (root === undefined || root === '/') return new LiveSource({ bpf: liveBpfAccess });
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`--root: ${JSON.stringify(root)} is not a directory`);
  if (!existsSync(`${root}/proc/stat`)) throw new UsageError(`--root: ${JSON.stringify(root)} has no proc/stat`, { hint: 'mount the host\'s /proc there, e.g. docker run -v /proc:/host/proc:ro' });
  // An extracted sosreport holds saved copies, not a live /proc: read as --root, its saved
  // values would be taken for the moment of the run and commands would run on this machine.
  if (existsSync(`${root}/sos_commands`)) throw new UsageError(`--root: ${JSON.stringify(root)} is an extracted sosreport, not a mounted host`, { hint: `judge it with --from ${root}` });
  return new LiveSource({ root, bpf: liveBpfAccess });
}
