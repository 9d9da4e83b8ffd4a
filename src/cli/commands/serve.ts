import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import type { Model } from '../../core/derive.js';
import type { Collector, Sample } from '../../core/collector.js';
import { CollectorMemo } from '../../core/collector-memo.js';
import { LiveSource } from '../../core/live-source.js';
import { Sampler } from '../../core/sampler.js';
import { DashboardSource } from '../../tui/dashboard-source.js';
import { collectorsFor, runPlaybook } from '../../engine/run.js';
import { startExporter, type Judged } from '../../export/http.js';
import { memoExposition } from '../../export/openmetrics.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';
import { cliSession } from '../session.js';
import { liveSourceFor } from '../source-options.js';
import { diagVersion } from '../version.js';

export const HELP = `Usage: diag serve [--listen 127.0.0.1:9464] [--playbook use] [--cache 1s]
                  [--min-window 1s] [--slow-interval 15s] [--max-rows 50] [--idle-refresh 5m]
                  [--playbook-dir DIR] [--root DIR]

An HTTP endpoint for Prometheus and other scrapers (loopback unless --listen says otherwise):

  /metrics   the playbook's findings (diag_finding{check,resource,kind,scope,severity,playbook}),
             the USE coverage matrix (diag_coverage), each check's state, and the tables the
             playbook samples: counters raw as _total, gauges, derived values; names in base
             units (diag_disk_read_seconds_total), OpenTelemetry hostmetrics names where they
             overlap (system_cpu_time_seconds_total). OpenMetrics 1.0 when the Accept header
             asks for it, else the Prometheus text format 0.0.4.
  /report    the last diag.report/v1 JSON (as diag run playbook --json)
  /healthz   "ok" while the server runs

Each scrape judges the window since the sample before it (one new sample, no waiting), unless
the last one is younger than --cache: then it answers from that one, and scrapes arriving while
a sample is taken share it. A window is at least --min-window long (a scrape waits for the rest).

  --listen HOST:PORT   where to listen (default 127.0.0.1:9464; PORT alone: 127.0.0.1)
  --playbook NAME      the playbook judged (default use)
  --cache DURATION     how long one judged sample answers scrapes (default 1s)
  --min-window DUR     the shortest window judged (default 1s)
  --slow-interval DUR  how often the collectors that run commands (tc, nft, ss, conntrack,
                       dmesg) or enter network namespaces are sampled, in the background
                       (default 15s): each scrape judges their last window beside its own
  --max-rows N         rows exported per table of processes, sockets, cgroups... (default 50;
                       those named by findings first, then the largest)
  --idle-refresh DUR   how late a limit changed by prlimit or a move to another cgroup shows
                       for a process that sleeps throughout (default 5m). Whether a process
                       ran is one read of its schedstat per scrape; one that did not is not
                       read again (its memory and parent are, after host reclaim or its
                       parent's exit; the rest within 2-4 x DUR).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  listen: { type: 'string' },
  playbook: { type: 'string' },
  cache: { type: 'string' },
  'min-window': { type: 'string' },
  'max-rows': { type: 'string' },
  'slow-interval': { type: 'string' },
  'idle-refresh': { type: 'string' },
  'playbook-dir': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** "127.0.0.1:9464", "[::1]:9464", "9464" -> host and port. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^\d{1,5}$/.test(text) ? ['', '127.0.0.1', text] : (/^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text));
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (host === undefined || !(port <= 65535) || (isIP(host) === 0 && host !== 'localhost')) {
    throw new UsageError(`--listen: expected HOST:PORT with an IP address (127.0.0.1:9464, [::1]:9464) or a port, got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`serve: unexpected argument ${JSON.stringify(positionals[0])}`);
  const { host, port } = parseListen(values.listen ?? '127.0.0.1:9464');
  const cacheMs = parseDuration(values.cache ?? '1s', '--cache');
  const minWindowMs = parseDuration(values['min-window'] ?? '1s', '--min-window');
  const slowIntervalMs = parseDuration(values['slow-interval'] ?? '15s', '--slow-interval');
  const idleRefreshMs = parseDuration(values['idle-refresh'] ?? '5m', '--idle-refresh');
  const maxRows = values['max-rows'] === undefined ? 50 : Number(values['max-rows']);
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new UsageError(`--max-rows: expected a positive integer, got ${JSON.stringify(values['max-rows'])}`);
  const name = values.playbook ?? 'use';
  const log = (m: string) => {
    if (!values.quiet) process.stderr.write(`diag: ${m}\n`);
  };
  const session = cliSession(values['playbook-dir'], name);
  const playbook = session.loaded.playbooks.get(name);
  if (!playbook) throw new UsageError(`serve: no playbook named ${JSON.stringify(name)}`, { hint: `one of: ${[...session.loaded.playbooks.keys()].sort().join(', ')}` });
  if (playbook.target === 'required') throw new UsageError(`serve: playbook ${name} needs a target (--pid/--cgroup), which serve does not take`);
  const source = liveSourceFor(values.root);
  const collectors = collectorsFor(playbook, session.catalogue);
  // Collectors that run commands (tc, nft, ss, conntrack, dmesg) or enter namespaces cost a
  // process each or many: like the terminal UI's slow lane, they are sampled in the background
  // at most every --slow-interval, and each scrape judges their last window beside its own.
  const isSlow = (c: Collector) => c.origin === 'commands' || c.origin === 'namespaces';
  const fastSet = collectors.filter((c) => !isSlow(c));
  const slowSet = collectors.filter(isSlow);
  // As the terminal UI refreshes (docs/architecture.md, "The TUI's refresh"): the files of
  // processes that did not run since the last sample are reused, and unchanged rows are the same
  // objects; with 2,000 idle processes a sample reads a few hundred files instead of ~14,000.
  // Scrapes come 15-60 s apart, longer than any of the dashboard's ages: a process that did not
  // run between two scrapes (most of 2,000) costs one read of its schedstat, not seven files.
  const dashboard = new DashboardSource(source, undefined, undefined, source instanceof LiveSource ? source.pinnedFiles() : undefined, { maxAgeMs: idleRefreshMs });
  const cadence = new Sampler(dashboard).cadence(fastSet, { memo: new CollectorMemo() });
  // through the dashboard source too: the namespace sweep's links of processes that did not run
  // since the last scrape are reused (everything else it reads passes through)
  const slowCadence = new Sampler(dashboard).cadence(slowSet);
  let slow: { prev: Sample | undefined; cur: Sample; at: number } | undefined;
  let slowPending: Promise<void> | undefined;
  const refreshSlow = (): Promise<void> => {
    slowPending ??= slowCadence
      .next()
      .then((step) => {
        slow = { prev: step.prev, cur: step.sample, at: performance.now() };
      })
      .catch((e: unknown) => log(`sampling ${slowSet.map((c) => c.id).join(', ')} failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        slowPending = undefined;
      });
    return slowPending;
  };
  const merge = (a: Sample, b: Sample | undefined): Sample => (b ? { clock: a.clock, collectors: { ...b.collectors, ...a.collectors } } : a);
  const version = diagVersion();
  let lastSampleAt = performance.now();
  dashboard.beginTick();
  await Promise.all([cadence.next(), slowSet.length > 0 ? refreshSlow() : undefined]);
  let samplesTaken = 0;

  const refresh = async (): Promise<Judged> => {
    const wait = minWindowMs - (performance.now() - lastSampleAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lastSampleAt = performance.now();
    dashboard.beginTick();
    const step = await cadence.next();
    samplesTaken++;
    if (!step.prev) throw new Error('serve: a cadence step without the sample before it');
    // the slow tables' last window (a first slow sample alone: their levels, no rates yet)
    const first = merge(step.prev, slow?.prev);
    const second = merge(step.sample, slow?.cur);
    if (slowSet.length > 0 && (!slow || performance.now() - slow.at >= slowIntervalMs)) void refreshSlow();
    let model: Model | undefined;
    const report = await runPlaybook({
      playbook,
      catalogue: session.catalogue,
      collectors: session.collectors,
      sources: source,
      windowMs: minWindowMs,
      samples: { first, second },
      budgetMs: 0,
      liveProbes: false,
      onModel: (m) => (model = m),
    });
    if (!model) throw new Error('serve: the run derived no model');
    return { report, exposition: memoExposition({ report, sample: second, model, maxRows, version, exporter: { samplesTaken } }) };
  };

  const exporter = await startExporter({ host, port, refresh, cacheMs, onError: (e) => log(`sampling failed: ${e instanceof Error ? e.message : String(e)}`) });
  const shown = exporter.address.family === 'IPv6' ? `[${exporter.address.address}]` : exporter.address.address;
  log(`serving http://${shown}:${exporter.address.port}/metrics (playbook ${name}, cache ${cacheMs / 1000} s)`);
  if (!/^(127\.|::1$|localhost$)/.test(host)) log(`warning: listening on ${host}, not loopback: anyone who can reach it sees this host's processes and findings`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void exporter.close().then(() => {
        dashboard.close();
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
