import { COLLECTORS } from '../../../collectors/index.js';
import type { ManifestProbe } from '../../bundle/manifest.js';
import { LiveSource } from '../../core/live-source.js';
import type { Model } from '../../core/derive.js';
import { parseDuration } from '../../core/duration.js';
import { DiagError, UsageError } from '../../core/errors.js';
import { needsWindow } from '../../core/sampler.js';
import type { Source } from '../../core/source.js';
import { writeSnapshot } from '../../bundle/writer.js';
import { runPlaybook } from '../../engine/run.js';
import { cliSession } from '../session.js';
import { renderMarkdown } from '../../report/markdown.js';
import { parseCommandArgs, COMMON_OPTIONS, joinRelativeTimes } from '../args.js';
import { modelToJson } from '../model-json.js';
import { liveSourceFor } from '../source-options.js';
import { diagVersion } from '../version.js';

export const HELP = `Usage: diag snapshot [-o FILE.tar.gz] [--window 1s] [--force] [--no-redact] [--obfuscate] [--timeout 30s] [--root DIR]
       diag snapshot --recording DIR --since 15m [-o FILE.tar.gz] [--force] [--no-redact]

Record everything diag reads over a window into a bundle to attach to a ticket:
the raw inputs of both samples, the parsed records, report.json and report.md (the
'use' playbook) and manifest.json. Replay it anywhere with
  diag run playbook <name> --from FILE     (same findings, offline)
  diag diff OLD.tar.gz NEW.tar.gz          (what changed)

Secrets in command lines and files are masked by default (the manifest lists each
rule and its hits); environment variables are never collected.
  --obfuscate   also replace IP and MAC addresses and host names, consistently,
                keeping their class and length
  --no-redact   store everything as read (only for bundles that stay private)
  --force       replace FILE if it exists
  --timeout 30s time limit of the whole snapshot (each command has its own, 4 s)
  --recording DIR --since 15m
                a bundle of a flight recording's history (diag record) since then,
                redacted as every bundle: --from judges its last window, and
                run playbook --recording FILE --at/--since any moment of it

Bundle layout, redaction and reading: docs/snapshots.md`;

function defaultName(src: Source): string {
  const h = src.readFile('/proc/sys/kernel/hostname');
  const host = (h.status === 'ok' ? h.value.trim() : 'host').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 40) || 'host';
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `diag-${host}-${t}.tar.gz`;
}

/**
 * Time limit of each collector's asynchronous part (its commands) per sample. Each command is
 * also bounded on its own (4 s); this keeps a collector that runs several from holding the
 * snapshot.
 */
const COLLECTOR_TIMEOUT_MS = 5_000;

/**
 * Each BPF probe and whether its prerequisites hold here (addon, privileges, BTF, its own), as
 * `diag probes` checks them but without loading or attaching anything. The probes the report's
 * drill-downs ask for do run (through the live source's BPF capability) and are stored.
 */
async function probeAvailability(): Promise<ManifestProbe[]> {
  const [{ probeContext }, { PROBES }] = await Promise.all([import('../../../collectors/bpf/probe.js'), import('../../../collectors/bpf/probes.js')]);
  const ctx = probeContext(new LiveSource(), { durationMs: 0 });
  return PROBES.map((make) => make({})).map((p): ManifestProbe => {
    const base = { name: p.id, title: p.title, hooks: p.variants.map((v) => v.hook) };
    if (ctx.status !== 'ok') return { ...base, status: 'unavailable', code: ctx.code, reason: ctx.reason, ...(ctx.status === 'unavailable' && ctx.hint ? { hint: ctx.hint } : {}) };
    const pre = p.prerequisites?.(ctx.value);
    if (pre && pre.status !== 'ok') return { ...base, status: 'unavailable', code: pre.code, reason: pre.reason, ...(pre.status === 'unavailable' && pre.hint ? { hint: pre.hint } : {}) };
    return { ...base, status: 'available' };
  });
}

export interface TakeSnapshotOptions {
  readonly live: Source;
  readonly windowMs: number;
  readonly output: string;
  readonly force: boolean;
  readonly redact: boolean;
  readonly obfuscate: boolean;
  readonly snapshotTimeoutMs: number;
  readonly progress?: (msg: string) => void;
  readonly extraFiles?: Readonly<Record<string, unknown>>;
}

/** A snapshot of every registered collector with the 'use' report (the CLI command and the TUI's `s`). */
export function takeSnapshot(o: TakeSnapshotOptions): ReturnType<typeof writeSnapshot> {
  const session = cliSession(undefined, 'use');
  return writeSnapshot({
    live: o.live,
    collectors: COLLECTORS,
    inFirstSample: needsWindow,
    windowMs: o.windowMs,
    output: o.output,
    force: o.force,
    redact: o.redact,
    obfuscate: o.obfuscate,
    diagVersion: diagVersion(),
    collectorTimeoutMs: Math.min(COLLECTOR_TIMEOUT_MS, o.snapshotTimeoutMs),
    probes: probeAvailability,
    snapshotTimeoutMs: o.snapshotTimeoutMs,
    ...(o.progress ? { progress: o.progress } : {}),
    ...(o.extraFiles ? { extraFiles: o.extraFiles } : {}),
    makeReport: async (sources, win) => {
      const use = session.loaded.playbooks.get('use');
      if (!use) throw new DiagError(`the built-in 'use' playbook did not load: ${session.loaded.errors.map(String).join('; ') || 'not found'}`);
      // The report is judged from the stored inputs exactly as `run playbook use --from` the
      // bundle judges them (same engine, same sampling), and the model that run derived is
      // stored as the records: one replay for both.
      let model: Model | undefined;
      const report = await runPlaybook({ playbook: use, catalogue: session.catalogue, collectors: session.collectors, sources, windowMs: win, onModel: (m) => (model = m) });
      if (!model) throw new DiagError('the use playbook derived no model');
      return { report, markdown: renderMarkdown(report), model: modelToJson(model, 'all') };
    },
  });
}

export function defaultSnapshotName(src: Source): string {
  return defaultName(src);
}

/** The use report judged from two stored samples, and its model: what a bundle stores. */
function useReport(session: ReturnType<typeof cliSession>) {
  return async (sources: readonly [Source, Source], win: number) => {
    const use = session.loaded.playbooks.get('use');
    if (!use) throw new DiagError(`the built-in 'use' playbook did not load: ${session.loaded.errors.map(String).join('; ') || 'not found'}`);
    let model: Model | undefined;
    const report = await runPlaybook({ playbook: use, catalogue: session.catalogue, collectors: session.collectors, sources, windowMs: win, onModel: (m) => (model = m) });
    if (!model) throw new DiagError('the use playbook derived no model');
    return { report, markdown: renderMarkdown(report), model: modelToJson(model, 'all') };
  };
}

async function snapshotOfRecording(values: { recording?: string | undefined; since?: string | undefined; output?: string | undefined; force?: boolean | undefined; 'no-redact'?: boolean | undefined; obfuscate?: boolean | undefined; window?: string | undefined; root?: string | undefined }): Promise<number> {
  if (values.recording === undefined || values.since === undefined) throw new UsageError('snapshot: --recording DIR and --since TIME go together', { hint: 'diag snapshot --recording /var/lib/diag/recording --since 15m' });
  if (values.obfuscate || values.window !== undefined || values.root !== undefined) throw new UsageError('snapshot --recording: --obfuscate, --window and --root apply to live snapshots');
  const [{ openRecording, parseTimeArg }, { writeRecordingSnapshot }] = await Promise.all([import('../recording-judge.js'), import('../../recording/bundle-history.js')]);
  const history = await openRecording(values.recording);
  const since = parseTimeArg(values.since, '--since', Date.now());
  const output = values.output ?? `diag-${history.meta.host.replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 40) || 'host'}-history-${new Date(since).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}.tar.gz`;
  if (!output.endsWith('.tar.gz') && !output.endsWith('.tgz')) throw new UsageError(`snapshot: ${JSON.stringify(output)} should end in .tar.gz`);
  const say = (m: string) => process.stderr.write(`diag snapshot: ${m}\n`);
  const session = cliSession(undefined, 'use');
  const r = await writeRecordingSnapshot({ history, fromMs: since, output, force: values.force ?? false, redact: !(values['no-redact'] ?? false), collectors: COLLECTORS, diagVersion: diagVersion(), makeReport: useReport(session), progress: say });
  const rep = r.report as { status?: string; findings?: unknown[] };
  const hits = r.manifest.redaction.rules.reduce((a, x) => a + x.hits, 0);
  say(`wrote ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB): ${r.samples} samples ${r.manifest.history?.from ?? ''} -> ${r.manifest.history?.to ?? ''}; last window: status ${rep.status ?? '?'}, ${rep.findings?.length ?? 0} findings; ${r.manifest.redaction.enabled ? `${hits} secrets masked` : 'NOT redacted'}`);
  process.stdout.write(r.file + '\n');
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('snapshot', joinRelativeTimes(argv), {
    ...COMMON_OPTIONS,
    output: { type: 'string', short: 'o' },
    window: { type: 'string' },
    force: { type: 'boolean' },
    'no-redact': { type: 'boolean' },
    obfuscate: { type: 'boolean' },
    timeout: { type: 'string' },
    recording: { type: 'string' },
    since: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`snapshot: unexpected argument ${JSON.stringify(positionals[0])}`, { hint: 'the output file is given with -o FILE' });
  if (values.recording !== undefined || values.since !== undefined) return snapshotOfRecording(values);
  const windowMs = parseDuration(values.window ?? '1s', '--window');
  const snapshotTimeoutMs = parseDuration(values.timeout ?? '30s', '--timeout');
  const live = liveSourceFor(values.root);
  const output = values.output ?? defaultName(live);
  if (!output.endsWith('.tar.gz') && !output.endsWith('.tgz')) throw new UsageError(`snapshot: ${JSON.stringify(output)} should end in .tar.gz`);

  const say = (m: string) => process.stderr.write(`diag snapshot: ${m}\n`);
  const result = await takeSnapshot({
    live,
    windowMs,
    output,
    force: values.force ?? false,
    redact: !(values['no-redact'] ?? false),
    obfuscate: values.obfuscate ?? false,
    snapshotTimeoutMs,
    progress: say,
  });
  const r = result.report as { status?: string; findings?: unknown[] };
  const hits = result.manifest.redaction.rules.reduce((a, x) => a + x.hits, 0);
  say(
    `wrote ${result.file} (${(result.bytes / 1024).toFixed(0)} KiB): status ${r.status ?? '?'}, ${r.findings?.length ?? 0} findings; ` +
      (result.manifest.redaction.enabled ? `${hits} secrets masked` : 'NOT redacted') +
      (result.manifest.redaction.obfuscated ? ', addresses and host names obfuscated' : ''),
  );
  say(`time (ms): ${Object.entries(result.phasesMs).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}; total ${result.totalMs}; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  process.stdout.write(result.file + '\n');
  return 0;
}
