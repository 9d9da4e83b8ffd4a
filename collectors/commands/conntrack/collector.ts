import type { CollectContext, Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { failed, ok, unavailable, type Outcome } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { procNetPath } from '../netns.js';
import { parseConntrackStats, parseCount, parseProcConntrackStat, type ConntrackStats } from './parse.js';

const SYS = '/proc/sys/net/netfilter';
/** Counters diag reports, and older or /proc names for the same thing. */
const STAT_FIELDS: ReadonlyArray<[string, readonly string[]]> = [
  ['found', ['found']],
  ['invalid', ['invalid']],
  ['insert', ['insert']],
  ['insert_failed', ['insert_failed']],
  ['drop', ['drop']],
  ['early_drop', ['early_drop']],
  ['error', ['error', 'icmp_error']],
  ['search_restart', ['search_restart']],
  ['clash_resolve', ['clash_resolve', 'clashres']],
  ['chaintoolong', ['chaintoolong', 'chainlength']],
];

/** `conntrack -S` in the observed namespace; without the tool (or rights), the kernel's own table. */
async function readStats(src: Source, ctx: CollectContext): Promise<{ stats: Outcome<ConntrackStats>; via: string }> {
  const r = await runTool(src, { cmd: 'conntrack', args: ['-S'], netnsPid: ctx.netnsPid });
  if (r.status === 'ok') {
    const p = parseConntrackStats(r.value);
    return { stats: p.ok ? ok(p.value) : failed('parse', p.error.message, p.error), via: 'conntrack -S' };
  }
  const path = procNetPath(ctx, 'stat/nf_conntrack');
  const f = readParsed(src, path, parseProcConntrackStat);
  if (f.status === 'ok') return { stats: f, via: path };
  return { stats: r, via: 'conntrack -S' };
}

export const conntrackCollector: Collector = {
  id: 'conntrack',
  title: 'Connection tracking table use and statistics (nf_conntrack_count/max, conntrack -S)',
  origin: 'commands',
  resources: ['network'],
  inputs: [`${SYS}/nf_conntrack_count`, `${SYS}/nf_conntrack_max`, `${SYS}/nf_conntrack_buckets`, 'conntrack -S', '/proc/net/stat/nf_conntrack (fallback; per namespace: /proc/PID/net/stat/nf_conntrack)'],
  netns: true,
  tables: {
    conntrack: {
      title: 'Connection tracking (per network namespace; the limit is host-wide)',
      scope: 'host',
      fields: {
        count: gauge('tracked connections'),
        max: gauge('table limit (nf_conntrack_max)'),
        buckets: gauge('hash buckets'),
        found: counter('lookups that found an entry', 'count', { bits: 32 }),
        invalid: counter('packets that could not be tracked (invalid)', 'count', { bits: 32 }),
        insert: counter('entries inserted', 'count', { bits: 32 }),
        insert_failed: counter('insertions that failed (races, clashes)', 'count', { bits: 32 }),
        drop: counter('packets dropped: table full and no entry could be evicted', 'count', { bits: 32 }),
        early_drop: counter('entries evicted early to make room', 'count', { bits: 32 }),
        error: counter('ICMP errors that could not be matched', 'count', { bits: 32 }),
        search_restart: counter('lookups restarted (table resized or changed)', 'count', { bits: 32 }),
        clash_resolve: counter('insert clashes resolved', 'count', { bits: 32 }),
        chaintoolong: counter('insertions refused: hash chain too long', 'count', { bits: 32 }),
      },
      derived: { usage_pct: derived('table fill (count / max)', 'percent') },
      derive: (w) => {
        const c = w.value('count');
        const m = w.value('max');
        return { usage_pct: c !== undefined && m !== undefined && m > 0 ? (100 * c) / m : undefined };
      },
    },
  },
  async collect(src: Source, ctx: CollectContext): Promise<TableOutcomes> {
    // Loaded module <=> the sysctl exists (for another namespace: its /proc/PID/net/stat file).
    const probe = ctx.netnsPid === undefined ? `${SYS}/nf_conntrack_count` : procNetPath(ctx, 'stat/nf_conntrack');
    const present = src.readFile(probe);
    if (present.status !== 'ok') {
      return { conntrack: present.code === 'not-found' ? unavailable('not-found', 'nf_conntrack module not loaded', `${probe} does not exist`) : present };
    }
    const { stats, via } = await readStats(src, ctx);
    let count: number | undefined;
    if (ctx.netnsPid === undefined) {
      const c = parseCount(present.value);
      count = c.ok ? c.value : undefined;
    } else {
      const s = parseProcConntrackStat(present.value);
      count = s.ok ? s.value.entries : undefined;
    }
    const max = readParsed(src, `${SYS}/nf_conntrack_max`, parseCount);
    const buckets = readParsed(src, `${SYS}/nf_conntrack_buckets`, parseCount);
    const values: Record<string, number | undefined> = { count, max: max.status === 'ok' ? max.value : undefined, buckets: buckets.status === 'ok' ? buckets.value : undefined };
    const s = stats.status === 'ok' ? stats.value : {};
    for (const [field, names] of STAT_FIELDS) values[field] = names.map((n) => s[n]).find((v) => v !== undefined);
    const labels: Record<string, string> = { stats_from: via };
    if (stats.status !== 'ok') labels.stats_unavailable = stats.reason;
    const row: Row = { key: 'host', labels, values };
    return { conntrack: ok([row]) };
  },
};
