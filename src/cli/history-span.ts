import { MemoryTreeSource } from '../bundle/tree.js';
import { answersToTree } from '../core/recording-source.js';
import type { Source } from '../core/source.js';
import { unflattenAnswers } from '../recording/flat-answers.js';
import { History } from '../recording/history.js';
import type { RecordedSpan } from '../tui/history-feed.js';

/**
 * Host-wide inputs of the history charts' collectors (cpu, memory, disk, netdev: /proc/stat,
 * PSI, meminfo and its companions, diskstats and /sys/block, /proc/net/dev and
 * /sys/class/net): a chart sample is built from these entries only, never from the thousands of
 * per-process files of the sample.
 */
const CHART_PATHS = ['/proc/stat', '/proc/loadavg', '/proc/pressure/', '/proc/meminfo', '/proc/vmstat', '/proc/swaps', '/proc/zoneinfo', '/proc/sys/vm/', '/proc/diskstats', '/sys/block', '/proc/net/dev', '/sys/class/net', '/sys/devices/'];
/** What a bundle's history tree keeps besides files: clocks, listings, links, what could not be read. */
const TREE_META = ['/.diag/clock.json', '/.diag/dirs.json', '/.diag/links.json', '/.diag/missing.json', '/.diag/statfs.json'];

const chartPath = (p: string) => CHART_PATHS.some((x) => p.startsWith(x));

/**
 * A recording (History) as the TUI's RecordedSpan. The charts read through a History of their
 * own (its own decoded samples and checkpoints), walking forward from the first sample while the
 * dashboard moves elsewhere: neither makes the other decode its segment again.
 */
export function recordedSpan(history: History): RecordedSpan {
  const refs = history.samples();
  const charts = new History(history.store, history.meta);
  const name = (i: number) => `${history.where}@${new Date(refs[i]!.wallMs).toISOString()}`;
  return {
    where: history.where,
    host: history.meta.host,
    intervalMs: history.meta.intervalMs,
    times: refs.map((r) => r.wallMs),
    source: (i) => (refs[i] ? history.source(refs[i]) : undefined),
    hostSource(i): Source | undefined {
      const ref = refs[i];
      const flat = ref ? charts.flat(ref) : undefined;
      if (!flat) return undefined;
      if (history.meta.format === 'tree') {
        const files = new Map<string, string>();
        for (const [k, v] of flat) if (chartPath(k) || TREE_META.includes(k)) files.set(k, v);
        return new MemoryTreeSource({ files, dropped: 0 }, name(i));
      }
      const picked = new Map<string, string>();
      for (const [k, v] of flat) if (k[0] === 'k' || ('fdlms'.includes(k[0]!) && chartPath(k.slice(1)))) picked.set(k, v);
      return new MemoryTreeSource(answersToTree(unflattenAnswers(picked).answers), name(i));
    },
  };
}
