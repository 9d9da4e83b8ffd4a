import { acrossNetns, isValidPid, listNetns, netnsInode, netnsOfPid } from '../../../collectors/commands/netns.js';
import { COLLECTORS, findCollector } from '../../../collectors/index.js';
import type { Collector } from '../../core/collector.js';
import { DiagError } from '../../core/errors.js';
import type { Source } from '../../core/source.js';
import { deriveModel, type Model } from '../../core/derive.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { collectSample } from '../../core/sample.js';
import { collectWindow } from '../../core/sampler.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';
import { renderTable } from '../render-model.js';
import { modelToJson } from '../model-json.js';
import { liveSourceFor } from '../source-options.js';
import { parseInterval, runIntervals } from '../interval.js';

export const HELP = `Usage: diag collect <collector> [--json] [--window 1s] [--root DIR] [--netns PID|all]
                    [INTERVAL [COUNT]]

Print one collector's record. Counters become per-second rates and derived values
(busy %, await, %util...) appear only with a window, e.g. --window 1s.
INTERVAL [COUNT] prints a record every INTERVAL seconds, each over the interval before
it, COUNT times or until Ctrl-C (as sar 1 5); with --json one JSON document per line.
--netns PID observes the network namespace of process PID (files from /proc/PID/net,
commands through nsenter); --netns all observes every namespace that has a process,
rows keyed "<netns inode>/<key>". Collectors that can: ${COLLECTORS.filter((c) => c.netns).map((c) => c.id).join(', ')}
Collectors: ${COLLECTORS.map((c) => c.id).join(', ')}`;

/** The collector as seen from one network namespace (--netns PID) or all of them (--netns all). */
function inNetns(collector: Collector, spec: string, src: Source): Collector {
  if (!collector.netns) {
    const can = COLLECTORS.filter((c) => c.netns).map((c) => c.id).join(', ');
    throw new UsageError(`collect: ${collector.id} does not observe other network namespaces`, { hint: `--netns works with: ${can}; diag collect namespaces lists every namespace` });
  }
  if (spec === 'all') {
    const targets = listNetns(src);
    if (targets.status !== 'ok') throw new DiagError(`--netns all: ${targets.reason}`, targets.status === 'unavailable' && targets.hint ? { hint: targets.hint } : {});
    return acrossNetns(collector, targets.value);
  }
  const pid = /^\d{1,7}$/.test(spec) ? Number(spec) : NaN;
  if (!isValidPid(pid)) throw new UsageError(`collect: --netns wants a PID or "all", got ${JSON.stringify(spec)}`);
  const inode = netnsOfPid(src, pid);
  if (inode.status !== 'ok') throw new DiagError(`--netns ${pid}: ${inode.reason}`, inode.status === 'unavailable' && inode.hint ? { hint: inode.hint } : {});
  const self = src.readLink('/proc/self/ns/net');
  return acrossNetns(collector, [{ inode: inode.value, pid, self: self.status === 'ok' && netnsInode(self.value) === inode.value }]);
}

/** Rows shown per table in text mode, and how they are ordered, for tables that can be long. */
const TEXT_LIMITS: Record<string, { maxRows: number; sortBy?: string }> = {
  processes: { maxRows: 25, sortBy: 'cpu_pct' },
  tcp_sockets: { maxRows: 40, sortBy: 'recv_q' },
  udp_sockets: { maxRows: 25, sortBy: 'drops' },
  nic_counters: { maxRows: 30, sortBy: 'value' },
  firewall_rules: { maxRows: 40, sortBy: 'packets' },
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('collect', argv, { ...COMMON_OPTIONS, json: { type: 'boolean' }, window: { type: 'string' }, netns: { type: 'string' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const ids = COLLECTORS.map((c) => c.id).join(', ');
  const id = positionals[0];
  if (id === undefined) throw new UsageError('collect: which collector?', { hint: `one of: ${ids}` });
  const interval = parseInterval(positionals.slice(1), 'collect');
  if (interval && values.window !== undefined) throw new UsageError('collect: --window and an interval exclude each other (each interval is the window of its record)');
  const collector = findCollector(id);
  if (!collector) throw new UsageError(`collect: no collector named ${JSON.stringify(id)}`, { hint: `one of: ${ids}` });
  const windowMs = values.window === undefined ? undefined : parseDuration(values.window, '--window');
  const src = liveSourceFor(values.root);
  const list: Collector[] = [values.netns === undefined ? collector : inNetns(collector, values.netns, src)];
  if (interval) {
    let bad = false;
    await runIntervals(list, src, interval, (model) => {
      bad = Object.values(model.tables).every((t) => t.rows.status !== 'ok');
      if (values.json) process.stdout.write(JSON.stringify({ at: model.end.wall, ...modelToJson(model, collector.id) }) + '\n');
      else {
        process.stdout.write(`${model.end.wall.slice(11, 19)}  ${collector.id} over ${((Date.parse(model.end.wall) - Date.parse(model.start.wall)) / 1000).toFixed(2)} s\n`);
        for (const t of Object.values(model.tables)) process.stdout.write(renderTable(t, TEXT_LIMITS[t.id] ?? {}) + '\n');
      }
    });
    return bad ? 3 : 0;
  }
  const model: Model =
    windowMs === undefined ? deriveModel(list, await collectSample(list, src)) : deriveModel(list, await collectWindow(list, src, windowMs));
  if (values.json) {
    process.stdout.write(JSON.stringify(modelToJson(model, collector.id), null, 2) + '\n');
  } else {
    for (const t of Object.values(model.tables)) process.stdout.write(renderTable(t, TEXT_LIMITS[t.id] ?? {}) + '\n');
    if (windowMs === undefined) process.stdout.write('(single sample: counters need a window for rates, e.g. --window 1s)\n');
  }
  const allBad = Object.values(model.tables).every((t) => t.rows.status !== 'ok');
  return allBad ? 3 : 0;
}
