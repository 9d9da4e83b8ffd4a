import type { CollectContext, Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { counter, derived, gauge } from '../../../src/core/fields.js';
import { failed, ok, type Outcome } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { parseTcQdiscJson, parseTcQdiscText, type Qdiscs } from './parse.js';

export const TC_JSON_ARGS = ['-s', '-j', 'qdisc', 'show'] as const;
export const TC_TEXT_ARGS = ['-s', 'qdisc', 'show'] as const;

/** JSON where tc has it (iproute2 >= 4.13); text otherwise. */
async function readQdiscs(src: Source, netnsPid: number | undefined): Promise<Outcome<Qdiscs>> {
  const j = await runTool(src, { cmd: 'tc', args: TC_JSON_ARGS, netnsPid });
  if (j.status === 'ok') {
    const p = parseTcQdiscJson(j.value);
    if (p.ok) return ok(p.value);
  } else if (j.status === 'unavailable' || !/unknown|invalid option|usage/i.test(j.reason)) {
    return j;
  }
  const t = await runTool(src, { cmd: 'tc', args: TC_TEXT_ARGS, netnsPid });
  if (t.status !== 'ok') return t;
  const p = parseTcQdiscText(t.value);
  return p.ok ? ok(p.value) : failed(p.error.message, p.error);
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

export const qdiscsCollector: Collector = {
  id: 'qdiscs',
  title: 'Queueing disciplines per interface: sent, drops, overlimits, requeues, backlog (tc)',
  origin: 'commands',
  resources: ['network'],
  inputs: [`tc ${TC_JSON_ARGS.join(' ')}`, `tc ${TC_TEXT_ARGS.join(' ')} (tc without JSON)`],
  netns: true,
  tables: {
    qdiscs: {
      title: 'Qdiscs (the root qdisc of a device counts all its children)',
      scope: 'qdisc',
      identity: ['kind'],
      fields: {
        bytes: counter('bytes sent', 'bytes'),
        packets: counter('packets sent', 'count', { bits: 32 }),
        drops: counter('packets dropped', 'count', { bits: 32 }),
        overlimits: counter('over-limit events (shaping/policing)', 'count', { bits: 32 }),
        requeues: counter('requeues (driver busy)', 'count', { bits: 32 }),
        backlog_bytes: gauge('bytes queued', 'bytes'),
        backlog_packets: gauge('packets queued (qlen)'),
      },
      derived: { drop_pct: derived('dropped / (sent + dropped) packets over the window', 'percent') },
      derive: (w) => {
        const d = w.delta('drops');
        const p = w.delta('packets');
        return { drop_pct: d !== undefined && p !== undefined && d + p > 0 ? (100 * d) / (d + p) : undefined };
      },
    },
  },
  async collect(src: Source, ctx: CollectContext): Promise<TableOutcomes> {
    const q = await readQdiscs(src, ctx.netnsPid);
    return { qdiscs: q.status === 'ok' ? ok(qdiscRows(q.value)) : q };
  },
};
