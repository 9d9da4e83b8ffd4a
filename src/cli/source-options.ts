import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { LiveSource } from '../core/live-source.js';
import type { Source } from '../core/source.js';

/** The live source for --root DIR (validated: it must be a directory holding proc/). */
export function liveSourceFor(root: string | undefined): Source {
  if (root === undefined || root === '/') return new LiveSource();
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`--root: ${JSON.stringify(root)} is not a directory`);
  if (!existsSync(`${root}/proc/stat`)) throw new UsageError(`--root: ${JSON.stringify(root)} has no proc/stat`, { hint: 'mount the host\'s /proc there, e.g. docker run -v /proc:/host/proc:ro' });
  return new LiveSource({ root });
}
