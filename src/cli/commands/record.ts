import { COLLECTORS } from '../../../collectors/index.js';
import type { Collector } from '../../core/collector.js';
import { CollectorMemo } from '../../core/collector-memo.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { LiveSource } from '../../core/live-source.js';
import { recordHost } from '../../recording/recorder.js';
import { DashboardSource } from '../../tui/dashboard-source.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';
import { liveSourceFor } from '../source-options.js';
import { diagVersion } from '../version.js';

export const DEFAULT_RECORDING_DIR = '/var/lib/diag/recording';

export const HELP = `Usage: diag record [--dir DIR] [--interval 10s] [--slow-interval 30s] [--max-size 2GiB]
                   [--max-age 7d] [--root DIR]

The flight recorder: sample the host every interval, in the foreground until SIGTERM or
SIGINT, and keep what diag read (the raw inputs of every collector, before any derive) in
a bounded recording. Judge it later as it was then:
  diag run playbook use --recording DIR --at -10m      (the report of that moment)
  diag run playbook use --recording DIR --since 1h     (when did each finding start and end?)
  diag snapshot --recording DIR --since 15m            (a redacted ticket bundle of that history)

  --dir DIR         where the recording is kept (default ${DEFAULT_RECORDING_DIR}; mode 0700)
  --interval 10s    time between samples (500ms to 60m)
  --slow-interval 30s
                    the slow lane: the collectors that run commands or enter network
                    namespaces (ss, tc, nft/iptables, ethtool, conntrack, dmesg...) are read
                    this often only (default 30s, at least --interval); a playbook judging a
                    moment takes their rates over the two readings around it, and says so
  --max-size 2GiB   the recording's size limit (K, M, G, T; KiB, MiB, GiB, TiB): the oldest
                    segments are removed first
  --max-age 7d      samples older than this are removed (s, m, h, d)
  --quiet, -q       no log lines

A kill -9 loses no stored sample (a torn last frame is skipped when read); a power loss at
most the open segment (~10 minutes). contrib/systemd/diag-record.service runs it as a
hardened service. The format: docs/architecture.md, "The flight recorder".`;

/** "2GiB", "500M", "1g", "4096" (bytes) -> bytes. */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B?)$/i.exec(text.trim());
  const mult = m ? 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  const n = m ? Math.floor(Number(m[1]) * mult) : NaN;
  if (!Number.isFinite(n) || n < 1024 * 1024 || n > 2 ** 50) throw new UsageError(`${option}: expected a size from 1MiB, such as 500MiB or 2GiB, got ${JSON.stringify(text)}`);
  return n;
}

/** "7d", "12h", "90m", "30s" -> ms. */
export function parseAge(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  const n = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'] : NaN;
  if (!Number.isFinite(n) || n < 1000 || n > 3650 * 86_400_000) throw new UsageError(`${option}: expected an age such as 30m, 12h or 7d, got ${JSON.stringify(text)}`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('record', argv, {
    ...COMMON_OPTIONS,
    dir: { type: 'string' },
    interval: { type: 'string' },
    'slow-interval': { type: 'string' },
    'max-size': { type: 'string' },
    'max-age': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`record: unexpected argument ${JSON.stringify(positionals[0])}`, { hint: 'the recording folder is given with --dir DIR' });
  const intervalMs = parseDuration(values.interval ?? '10s', '--interval');
  if (intervalMs < 500) throw new UsageError(`--interval: at least 500ms, got ${JSON.stringify(values.interval)}`);
  const laneMs = Math.max(intervalMs, parseDuration(values['slow-interval'] ?? '30s', '--slow-interval'));
  const maxBytes = parseSize(values['max-size'] ?? '2GiB', '--max-size');
  const maxAgeMs = parseAge(values['max-age'] ?? '7d', '--max-age');
  const dir = values.dir ?? DEFAULT_RECORDING_DIR;
  const log = (m: string) => {
    if (!values.quiet) process.stderr.write(`diag record: ${m}\n`);
  };
  const live = liveSourceFor(values.root);
  // As diag serve reads: a process that did not run since the last sample costs one read of its
  // schedstat; its other files are the answers read before (the recording dedupes them anyway).
  const source = new DashboardSource(live, undefined, undefined, live instanceof LiveSource ? live.pinnedFiles() : undefined, { maxAgeMs: 5 * 60_000 });
  const ac = new AbortController();
  const stop = () => ac.abort();
  // Kept installed (not once): execa's exit handler re-raises a signal that has no other
  // listener, which would kill the recorder mid-sample instead of letting it close its segment.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // the slow lane: a process or many per collector and sample (the cost of a 1 s interval was
  // ~240x sadc's with them every sample); the recent changes keep their own 10 minutes
  const inLane = (c: Collector) => (c.origin === 'commands' || c.origin === 'namespaces') && c.id !== 'changes';
  const lane = COLLECTORS.filter(inLane);
  log(`recording ${COLLECTORS.length} collectors every ${intervalMs / 1000} s (${lane.map((c) => c.id).join(', ')} every ${laneMs / 1000} s) into ${dir} (limits ${(maxBytes / 1048576).toFixed(0)} MiB, ${(maxAgeMs / 3_600_000).toFixed(1)} h)`);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await recordHost({
    dir,
    intervalMs,
    maxBytes,
    maxAgeMs,
    source,
    // the recent changes (package logs, logins, units, sysctls) every 10 minutes: events with
    // their own times, stored with every sample between
    collectors: COLLECTORS.filter((c) => c.id !== 'changes' && !inLane(c)),
    lane: { collectors: lane, intervalMs: laneMs },
    slow: COLLECTORS.filter((c) => c.id === 'changes'),
    slowIntervalMs: 600_000,
    memo: new CollectorMemo(),
    beforeSample: () => source.beginTick(),
    signal: ac.signal,
    diagVersion: diagVersion(),
    log,
    collectorTimeoutMs: Math.min(5000, intervalMs),
  });
  const cpu = process.cpuUsage(cpu0);
  log(`stopped after ${r.samples} samples in ${((performance.now() - started) / 1000).toFixed(0)} s: ${(r.bytes / 1048576).toFixed(2)} MiB kept, ${r.samples > 0 ? ((cpu.user + cpu.system) / 1000 / r.samples).toFixed(0) : '-'} ms CPU per sample`);
  return 0;
}
