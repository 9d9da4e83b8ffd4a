import { resolve } from 'node:path';
import { openOffline } from '../bundle/input.js';
import { DiagError } from '../core/errors.js';
import type { Source } from '../core/source.js';
import { cliSession } from './session.js';
import { runTui } from '../tui/app.js';
import { BundleFeed, LiveFeed } from '../tui/feed.js';
import { HistoryFeed } from '../tui/history-feed.js';
import type { History } from '../recording/history.js';
import { bundleHistory } from '../recording/bundle-history.js';
import { recordedSpan } from './history-span.js';
import { createGuide } from '../tui/guide.js';
import { probeRunnerForCli } from './probe-runner.js';
import { defaultSnapshotName, takeSnapshot } from './commands/snapshot.js';

/** `diag` on a terminal: the dashboard on the live host, refreshing every refreshMs. */
export async function launchLiveTui(source: Source, refreshMs: number, playbookDir?: string, allowSignals = false, mouse = true): Promise<number> {
  const session = cliSession(playbookDir);
  const use = session.loaded.playbooks.get('use');
  if (!use) throw new DiagError(`the 'use' playbook did not load: ${session.loaded.errors.map(String).join('; ') || 'not found'}`);
  const probes = await probeRunnerForCli(source);
  const guide = createGuide({ session, source, probes, windowMs: 1000 });
  const feed = new LiveFeed(source, session, use);
  try {
    return await runTui({
      feed,
      refreshMs,
      allowSignals,
      mouse,
      guide,
      playbooks: [...session.loaded.playbooks.values()],
      snapshot: async (investigation) => {
        const output = resolve(defaultSnapshotName(source));
        const r = await takeSnapshot({ live: source, windowMs: 1000, output, force: false, redact: true, obfuscate: false, snapshotTimeoutMs: 30_000, extraFiles: { 'investigation.json': { schema: 'diag.investigation/v1', steps: investigation } } });
        return `snapshot written: ${r.file} (${Math.round(r.bytes / 1024)} KiB, with ${Array.isArray(investigation) ? investigation.length : 0} investigation steps)`;
      },
    });
  } finally {
    feed.close();
  }
}

/**
 * `diag open --recording DIR` (or a bundle with a history): the dashboard at any moment of the
 * recording, moved with the time-travel keys; `atMs` the moment shown first (default: the end).
 * Read-only as a bundle: no snapshot, no signals, no probes; the guided investigation needs a
 * live host or one snapshot.
 */
export async function launchRecordingTui(history: History, playbookDir?: string, atMs?: number, mouse = true): Promise<number> {
  const session = cliSession(playbookDir);
  const use = session.loaded.playbooks.get('use');
  if (!use) throw new DiagError(`the 'use' playbook did not load: ${session.loaded.errors.map(String).join('; ') || 'not found'}`);
  const span = recordedSpan(history);
  if (span.times.length < 2) throw new DiagError(`${history.where} holds ${span.times.length} sample(s): two are needed to show a window`, { hint: 'let diag record run for two intervals' });
  let start: number | undefined;
  if (atMs !== undefined) {
    const i = span.times.findIndex((t) => t >= atMs);
    start = i < 0 ? span.times.length - 1 : Math.max(1, i);
  }
  const feed = new HistoryFeed(span, session, use, start);
  try {
    return await runTui({ feed, timeline: feed, refreshMs: 1000, mouse, playbooks: [...session.loaded.playbooks.values()] });
  } finally {
    feed.close();
  }
}

/** `diag open BUNDLE|SOSREPORT`: the same UI on a snapshot (or a sosreport), time frozen at the capture; a bundle with a history opens on it. */
export async function launchBundleTui(file: string, playbookDir?: string, mouse = true): Promise<number> {
  const input = await openOffline(file);
  if (input.bundle?.manifest.history) {
    input.close();
    const h = await bundleHistory(file);
    if (h) return launchRecordingTui(h, playbookDir, undefined, mouse);
    return launchBundleTui1(await openOffline(file), playbookDir, mouse);
  }
  return launchBundleTui1(input, playbookDir, mouse);
}

async function launchBundleTui1(input: Awaited<ReturnType<typeof openOffline>>, playbookDir: string | undefined, mouse: boolean): Promise<number> {
  try {
    const session = cliSession(playbookDir);
    const use = session.loaded.playbooks.get('use');
    if (!use) throw new DiagError(`the 'use' playbook did not load: ${session.loaded.errors.map(String).join('; ') || 'not found'}`);
    const guide = createGuide({
      session,
      source: input.sources[1],
      sources: input.sources,
      probes: { run: () => Promise.resolve({ status: 'unavailable', code: 'not-captured', reason: `probes run on a live host, not on a ${input.kind === 'sosreport' ? 'sosreport' : 'snapshot'}` }) },
      windowMs: input.windowMs,
    });
    const at = input.bundle?.manifest.samples[1]?.clock.wall ?? input.takenAt;
    const capture = { host: input.host, at };
    return await runTui({ feed: new BundleFeed(input.sources, session, use, input.windowMs, capture), refreshMs: 1000, guide, mouse, playbooks: [...session.loaded.playbooks.values()] });
  } finally {
    input.close();
  }
}
