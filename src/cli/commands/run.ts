import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { EXIT_CODE_MODES, type ExitCodeMode } from '../../engine/report-schema.js';
import type { Model } from '../../core/derive.js';
import type { WindowSamples } from '../../core/sample.js';
import { renderExposition } from '../../export/openmetrics.js';
import { writeTextfileAtomic } from '../../export/textfile.js';
import { renderNagios } from '../../report/nagios.js';
import { diagVersion } from '../version.js';
import { runPlaybook } from '../../engine/run.js';
import { cliSession } from '../session.js';
import { renderMarkdown } from '../../report/markdown.js';
import { renderText } from '../../report/text.js';
import { ANSI_PAINT, NO_PAINT, paintedBytes, wantColour } from '../../report/paint.js';
import { sanitizeOutput } from '../../core/sanitize.js';
import { renderJson } from '../../report/json.js';
import { parseCommandArgs, COMMON_OPTIONS, joinRelativeTimes } from '../args.js';
import { liveSourceFor } from '../source-options.js';
import { openOffline } from '../../bundle/input.js';

export const HELP = `Usage: diag run playbook <name> [--json | --markdown | --nagios] [--window 1s]
                         [--pid PID | --cgroup PATH] [--playbook-dir DIR] [--root DIR]
                         [--from BUNDLE.tar.gz | SOSREPORT] [--openmetrics FILE]
                         [--exit-codes nagios|npd]
                         [--recording DIR (--at TIME [--window 30s] | --since 1h)]
                         [--changes 24h | --changes off] [--journal-dir DIR]

Measure the host over a window and judge it with a playbook (see \`diag playbooks\`).
Text for a terminal (default), --markdown for a ticket, --json for a bot (one
diag.report/v1 document on stdout, schema in schemas/report.schema.json).
Progress and warnings go to stderr.

  --pid PID, --cgroup PATH   what the container playbook judges (a process's cgroup and
                             network namespace, or a cgroup path such as /system.slice/x)
  --from BUNDLE              judge a snapshot bundle offline (diag snapshot) instead of
                             this host: the same findings as when it was taken
  --no-color                 no colour (also NO_COLOR=1; colour is only used on a terminal)
  --from SOSREPORT           judge a sosreport (.tar.xz, .tar.gz or extracted folder) at
                             its one moment: rates are unknown, nothing read live
  --changes 24h | 2d | 90m   look-back of "Recent changes" (default 24h; off leaves them out):
                             packages, boots, kernels, units, sysctls, mounts, kernel events
  --journal-dir DIR          the journal the changes read unit starts and failures from
                             (journalctl --directory DIR; default the system's journal)
  --recording DIR --at TIME  judge a recording of diag record as a live run would have
                             judged the host then: TIME in ISO 8601 or relative (-10m);
                             the window is the two recorded samples around TIME, or
                             --window 30s ending at the first sample from TIME on
  --recording DIR --since 1h every recorded window since then, judged: the periods with
                             findings (start, end, worst severity, finding, culprits);
                             --json prints diag.history/v1; exit code of the worst
  --playbook-dir DIR         also load playbooks from DIR (after the built-in ones,
                             /etc/diag/playbooks and ~/.config/diag/playbooks)
  --nagios                   print as a monitoring plugin: 'DIAG USE CRITICAL - <worst finding>'
                             (under 80 characters), the other findings, then performance data
  --openmetrics FILE         also write the run's metrics (as diag serve's /metrics, in the
                             Prometheus text format) to FILE by atomic rename: for
                             node_exporter's textfile collector (FILE ends in .prom)
  --exit-codes MODE          nagios (default): 0 ok, 1 warning, 2 critical, 3 could not judge;
                             npd (node-problem-detector plugins): 0 ok, 1 a problem, 2 unknown

Exit codes: 0 ok, 1 warning, 2 critical, 3 could not judge (essential inputs unavailable),
64 usage error (with --exit-codes npd: 0, 1, 2 as above; 64 still for usage errors).`;

export const RUN_OPTIONS = {
  ...COMMON_OPTIONS,
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  window: { type: 'string' },
  pid: { type: 'string' },
  cgroup: { type: 'string' },
  'playbook-dir': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  from: { type: 'string' },
  nagios: { type: 'boolean' },
  openmetrics: { type: 'string' },
  'exit-codes': { type: 'string' },
  changes: { type: 'string' },
  'journal-dir': { type: 'string' },
  recording: { type: 'string' },
  at: { type: 'string' },
  since: { type: 'string' },
} as const;

/** `--changes`: "24h", "2d", "90m", or "off"/"0" -> seconds (0: no changes section). */
export function parseLookback(text: string): number {
  const t = text.trim();
  if (t === 'off' || t === '0') return 0;
  const m = /^(\d+)(m|h|d)$/.exec(t);
  const s = m ? Number(m[1]) * (m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 86_400) : NaN;
  if (!Number.isFinite(s) || s <= 0 || s > 90 * 86_400) throw new UsageError(`--changes: expected a look-back such as 90m, 24h or 7d (at most 90d), or off; got ${JSON.stringify(text)}`);
  return s;
}

export interface RunFlags {
  readonly json?: boolean | undefined;
  readonly markdown?: boolean | undefined;
  readonly window?: string | undefined;
  readonly pid?: string | undefined;
  readonly cgroup?: string | undefined;
  readonly 'playbook-dir'?: string | undefined;
  readonly root?: string | undefined;
  readonly quiet?: boolean | undefined;
  readonly from?: string | undefined;
  readonly nagios?: boolean | undefined;
  readonly openmetrics?: string | undefined;
  readonly 'exit-codes'?: string | undefined;
  readonly changes?: string | undefined;
  readonly 'journal-dir'?: string | undefined;
  readonly 'no-color'?: boolean | undefined;
  readonly recording?: string | undefined;
  readonly at?: string | undefined;
  readonly since?: string | undefined;
}

/** Run one playbook and print its report; returns the exit code. Shared with the default `diag`. */
export async function runNamedPlaybook(name: string, values: RunFlags): Promise<number> {
  if ([values.json, values.markdown, values.nagios].filter(Boolean).length > 1) throw new UsageError('run playbook: --json, --markdown and --nagios exclude each other');
  const exitMode = values['exit-codes'] ?? 'nagios';
  if (!(exitMode in EXIT_CODE_MODES)) throw new UsageError(`--exit-codes: expected nagios or npd, got ${JSON.stringify(exitMode)}`);
  const exitCodes = EXIT_CODE_MODES[exitMode as ExitCodeMode];
  if (values.openmetrics !== undefined && (values.openmetrics === '' || values.openmetrics.endsWith('/'))) throw new UsageError(`--openmetrics: expected a file name such as /var/lib/prometheus/node-exporter/diag.prom, got ${JSON.stringify(values.openmetrics)}`);
  let samples: WindowSamples | undefined;
  let model: Model | undefined;
  const keep = values.openmetrics === undefined ? {} : { onSamples: (w: WindowSamples) => (samples = w), onModel: (m: Model) => (model = m) };
  if (values.pid !== undefined && values.cgroup !== undefined) throw new UsageError('run playbook: give --pid or --cgroup, not both');
  let pid: number | undefined;
  if (values.pid !== undefined) {
    if (!/^\d+$/.test(values.pid) || Number(values.pid) <= 0 || Number(values.pid) > 2 ** 22) throw new UsageError(`--pid: expected a process id, got ${JSON.stringify(values.pid)}`);
    pid = Number(values.pid);
  }
  if (values.cgroup !== undefined && (values.cgroup.length === 0 || values.cgroup.includes('\0') || values.cgroup.split('/').includes('..'))) {
    throw new UsageError(`--cgroup: expected a cgroup path such as /system.slice/nginx.service, got ${JSON.stringify(values.cgroup)}`);
  }
  const windowMs = parseDuration(values.window ?? '1s', '--window');
  const journalDir = values['journal-dir'];
  if (journalDir !== undefined && (journalDir.length === 0 || journalDir.includes('\0'))) throw new UsageError(`--journal-dir: expected a directory of journal files such as /var/log/journal, got ${JSON.stringify(journalDir)}`);
  if (journalDir !== undefined && (values.from !== undefined || values.recording !== undefined)) throw new UsageError('run playbook: --journal-dir reads a live journal; --from and --recording replay what was recorded');
  const lookback = {
    ...(values.changes === undefined ? {} : { changesLookbackSeconds: parseLookback(values.changes) }),
    ...(journalDir === undefined ? {} : { changesJournalDirectory: journalDir }),
  };
  const log = (m: string) => {
    if (!values.quiet) process.stderr.write(`diag: ${m}\n`);
  };
  const session = cliSession(values['playbook-dir'], name);
  for (const e of session.loaded.errors) process.stderr.write(`diag: warning: playbook ${e.toString()}\n`);
  const playbook = session.loaded.playbooks.get(name);
  if (!playbook) {
    const bad = session.loaded.errors.filter((e) => e.file.endsWith(`/${name}.yaml`) || e.file.endsWith(`/${name}.yml`));
    if (bad.length > 0) {
      process.stderr.write(`diag: playbook ${JSON.stringify(name)} is invalid (errors above)\n`);
      return exitCodes.unknown;
    }
    throw new UsageError(`run playbook: no playbook named ${JSON.stringify(name)}`, { hint: `one of: ${[...session.loaded.playbooks.keys()].sort().join(', ')}` });
  }
  const target = pid !== undefined ? { pid } : values.cgroup !== undefined ? { cgroup: values.cgroup } : undefined;
  if (playbook.target === 'required' && !target) throw new UsageError(`run playbook ${name}: needs --pid PID or --cgroup PATH`);
  if (playbook.target === 'none' && target) throw new UsageError(`run playbook ${name}: takes no --pid/--cgroup (try the container playbook)`);
  if (values.recording === undefined && (values.at !== undefined || values.since !== undefined)) throw new UsageError('run playbook: --at and --since judge a recording: add --recording DIR');
  let report;
  if (values.recording !== undefined) {
    if (values.from !== undefined || values.root !== undefined) throw new UsageError('run playbook: --recording excludes --from and --root');
    if ((values.at === undefined) === (values.since === undefined)) throw new UsageError('run playbook --recording: give --at TIME (one moment) or --since 1h (the periods with findings)');
    if (values.openmetrics !== undefined) throw new UsageError('run playbook --recording: --openmetrics exports live runs only');
    if (values.since !== undefined && (values.nagios || values.markdown)) throw new UsageError('run playbook --since: prints text or --json (diag.history/v1)');
    const { openRecording, parseTimeArg, judgeAt, walkPeriods, renderPeriods } = await import('../recording-judge.js');
    const history = await openRecording(values.recording);
    const ctx = { history, playbook, session, log, ...(target ? { target } : {}), ...lookback };
    const now = Date.now();
    if (values.since !== undefined) {
      if (values.window !== undefined) throw new UsageError('run playbook --since: each window is two consecutive samples; --window applies to --at');
      const h = await walkPeriods(ctx, parseTimeArg(values.since, '--since', now));
      process.stdout.write(values.json ? sanitizeOutput(JSON.stringify(h, null, 2) + '\n') : renderPeriods(h));
      return exitCodes[h.status];
    }
    const windowOpt = values.window === undefined ? undefined : parseDuration(values.window, '--window');
    report = await judgeAt({ ...ctx, log }, parseTimeArg(values.at!, '--at', now), windowOpt);
  } else if (values.from !== undefined) {
    // Offline: the two recorded samples of a snapshot, judged exactly as they were live.
    if (values.root !== undefined) throw new UsageError('run playbook: --from and --root exclude each other');
    if (values.window !== undefined) throw new UsageError('run playbook: --window does not apply to --from (the bundle has its own window)');
    const input = await openOffline(values.from);
    try {
      log(
        input.kind === 'sosreport'
          ? `judging the sosreport ${values.from} (taken ${input.takenAt} on ${input.host.hostname}) at that one moment: limits and levels are judged, rates need two samples and are unknown`
          : `replaying ${values.from} (taken ${input.takenAt} on ${input.host.hostname}, window ${input.windowMs} ms)`,
      );
      report = await runPlaybook({
        playbook,
        catalogue: session.catalogue,
        collectors: session.collectors,
        sources: input.sources,
        windowMs: input.windowMs,
        ...(target ? { target } : {}),
        ...lookback,
        log,
        ...keep,
      });
      for (const c of input.caveats()) log(`note: ${c}`);
    } finally {
      input.close();
    }
  } else {
    const source = liveSourceFor(values.root);
    report = await runPlaybook({
      playbook,
      catalogue: session.catalogue,
      collectors: session.collectors,
      sources: source,
      windowMs,
      ...(target ? { target } : {}),
      ...lookback,
      log,
      ...keep,
    });
  }
  if (values.openmetrics !== undefined) {
    if (!samples || !model) throw new Error('run playbook: the run gave no samples to export');
    writeTextfileAtomic(values.openmetrics, renderExposition({ report, sample: samples.second, model, version: diagVersion() }, 'prometheus'));
    log(`metrics written to ${values.openmetrics}`);
  }
  if (!values.json && !values.markdown && !values.nagios && wantColour({ noColorFlag: values['no-color'], isTTY: process.stdout.isTTY, env: process.env })) {
    process.stdout.write(paintedBytes(renderText(report, ANSI_PAINT), sanitizeOutput));
  } else process.stdout.write(values.json ? renderJson(report) : values.markdown ? renderMarkdown(report) : values.nagios ? renderNagios(report) : renderText(report, NO_PAINT));
  return exitCodes[report.status];
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', joinRelativeTimes(argv), RUN_OPTIONS);
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals[0] !== 'playbook') throw new UsageError(`run: expected "run playbook <name>", got ${JSON.stringify(positionals.join(' '))}`, { hint: 'diag run playbook use' });
  const name = positionals[1];
  if (name === undefined) throw new UsageError('run playbook: which playbook?', { hint: 'see diag playbooks' });
  if (positionals.length > 2) throw new UsageError(`run playbook: unexpected argument ${JSON.stringify(positionals[2])}`);
  return runNamedPlaybook(name, values);
}
