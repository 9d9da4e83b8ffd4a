import type { CollectContext, Collector, Row, RowWindow, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { failed, ok, type Outcome } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { mapLimited } from '../limit.js';
import { netnsEntry } from '../netns.js';
import { parseTcClassText, parseTcQdiscJson, parseTcQdiscText, type Qdiscs, type TcClass } from './parse.js';

export const TC_JSON_ARGS = ['-s', '-j', 'qdisc', 'show'] as const;
export const TC_TEXT_ARGS = ['-s', 'qdisc', 'show'] as const;

/** JSON where tc has it (iproute2 >= 4.13); text otherwise. */
type Entry = ReturnType<typeof netnsEntry>;

async function readQdiscs(src: Source, ns: Entry): Promise<Outcome<Qdiscs>> {
  const j = await runTool(src, { cmd: 'tc', args: TC_JSON_ARGS, ...ns });
  if (j.status === 'ok') {
    const p = parseTcQdiscJson(j.value);
    if (p.ok) return ok(p.value);
  } else if (j.code !== 'bad-option') {
    return j;
  }
  const t = await runTool(src, { cmd: 'tc', args: TC_TEXT_ARGS, ...ns });
  if (t.status !== 'ok') return t;
  const p = parseTcQdiscText(t.value);
  return p.ok ? ok(p.value) : failed('parse', p.error.message, p.error);
}

/** Qdiscs whose classes carry their own statistics (mq's classes repeat its child qdiscs). */
const CLASSFUL: ReadonlySet<string> = new Set(['htb', 'hfsc', 'cbq', 'drr', 'qfq', 'ets', 'prio', 'multiq', 'atm', 'cake']);
/** `tc -s class show dev DEV`: one command per device with a classful qdisc. */
export const tcClassArgs = (dev: string): string[] => ['-s', 'class', 'show', 'dev', dev];

async function readClasses(src: Source, q: Qdiscs, ns: Entry): Promise<Outcome<Row[]>> {
  const devs = [...new Set(q.qdiscs.filter((d) => CLASSFUL.has(d.kind)).map((d) => d.dev))].sort();
  const per = await mapLimited(devs, 4, async (dev): Promise<Outcome<Array<{ dev: string; c: TcClass }>>> => {
    // The device name is one argv element, never part of a command string.
    const out = await runTool(src, { cmd: 'tc', args: tcClassArgs(dev), ...ns });
    if (out.status !== 'ok') return out;
    const p = parseTcClassText(out.value);
    return p.ok ? ok(p.value.classes.map((c) => ({ dev, c }))) : failed('parse', p.error.message, p.error);
  });
  const rows: Row[] = [];
  for (const o of per) {
    if (o.status !== 'ok') {
      if (devs.length === 1) return o;
      continue;
    }
    for (const { dev, c } of o.value) {
      rows.push({
        key: `${dev} ${c.classid}`,
        labels: { dev, kind: c.kind, classid: c.classid, parent: c.parent, ...(c.leaf ? { leaf: c.leaf } : {}) },
        values: { bytes: c.bytes, packets: c.packets, drops: c.drops, overlimits: c.overlimits, requeues: c.requeues, backlog_bytes: c.backlogBytes, backlog_packets: c.backlogPackets },
      });
    }
  }
  return ok(rows);
}

export function qdiscRows(q: Qdiscs): Row[] {
  return q.qdiscs.map((d) => ({
    key: `${d.dev} ${d.handle} ${d.parent}`,
    labels: { dev: d.dev, kind: d.kind, handle: d.handle, parent: d.parent },
    values: {
      bytes: d.bytes,
      packets: d.packets,
      drops: d.drops,
      overlimits: d.overlimits,
      requeues: d.requeues,
      backlog_bytes: d.backlogBytes,
      backlog_packets: d.backlogPackets,
    },
  }));
}

const QUEUE_FIELDS = {
  bytes: counter('bytes sent', 'bytes'),
  packets: counter('packets sent', 'count', { bits: 32 }),
  drops: counter('packets dropped', 'count', { bits: 32 }),
  overlimits: counter('over-limit events (shaping/policing)', 'count', { bits: 32 }),
  requeues: counter('requeues (driver busy)', 'count', { bits: 32 }),
  backlog_bytes: gauge('bytes queued', 'bytes'),
  backlog_packets: gauge('packets queued (qlen)'),
};

function dropPct(w: RowWindow): Record<string, number | undefined> {
  const d = w.delta('drops');
  const p = w.delta('packets');
  return { drop_pct: d !== undefined && p !== undefined && d + p > 0 ? (100 * d) / (d + p) : undefined };
}

export const qdiscsCollector: Collector = {
  id: 'qdiscs',
  title: 'Queueing disciplines per interface: sent, drops, overlimits, requeues, backlog (tc)',
  origin: 'commands',
  resources: ['network'],
  inputs: [`tc ${TC_JSON_ARGS.join(' ')}`, `tc ${TC_TEXT_ARGS.join(' ')} (tc without JSON)`, 'tc -s class show dev DEV (devices with a classful qdisc)'],
  netns: true,
  tables: {
    qdiscs: {
      title: 'Qdiscs (the root qdisc of a device counts all its children)',
      scope: 'qdisc',
      identity: ['kind'],
      fields: QUEUE_FIELDS,
      derived: { drop_pct: derived('dropped / (sent + dropped) packets over the window', 'percent') },
      derive: dropPct,
    },
    qdisc_classes: {
      title: 'Classes of classful qdiscs (htb, hfsc, drr...): which class drops or hits its limit',
      scope: 'qdisc_class',
      identity: ['kind'],
      fields: QUEUE_FIELDS,
      derived: { drop_pct: derived('dropped / (sent + dropped) packets over the window', 'percent') },
      derive: dropPct,
    },
  },
  async collect(src: Source, ctx: CollectContext): Promise<TableOutcomes> {
    const ns = netnsEntry(ctx);
    const q = await readQdiscs(src, ns);
    if (q.status !== 'ok') return { qdiscs: q, qdisc_classes: q };
    return { qdiscs: ok(qdiscRows(q.value)), qdisc_classes: await readClasses(src, q.value, ns) };
  },
};
