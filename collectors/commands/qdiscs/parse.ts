import { z } from 'zod';
import { decimal, parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** One queueing discipline with its statistics, as `tc -s qdisc show` reports it. */
export interface Qdisc {
  readonly dev: string;
  readonly kind: string;
  /** "1:", "0:", "ffff:" */
  readonly handle: string;
  /** "root", or the parent class ("1:10", ":1", "ffff:fff1"). */
  readonly parent: string;
  readonly bytes: number | undefined;
  readonly packets: number | undefined;
  readonly drops: number | undefined;
  readonly overlimits: number | undefined;
  readonly requeues: number | undefined;
  /** Bytes queued now. */
  readonly backlogBytes: number | undefined;
  /** Packets queued now (qlen). */
  readonly backlogPackets: number | undefined;
}

export interface Qdiscs {
  readonly qdiscs: Qdisc[];
  /** Entries that did not have the expected shape. */
  readonly skipped: number;
}

const count = z.number().nonnegative().optional();
/** The fields diag reads from one element of `tc -s -j qdisc show`; the rest passes through. */
const qdiscEntry = z.looseObject({
  kind: z.string().min(1).max(64),
  handle: z.string().max(32),
  dev: z.string().min(1).max(64),
  parent: z.string().max(32).optional(),
  root: z.boolean().optional(),
  bytes: count,
  packets: count,
  drops: count,
  overlimits: count,
  requeues: count,
  backlog: count,
  qlen: count,
});

/** Parse `tc -s -j qdisc show` (iproute2 >= 4.13 JSON). */
export function parseTcQdiscJson(text: string): ParseResult<Qdiscs> {
  let data: unknown;
  try {
    data = JSON.parse(text.trim().length === 0 ? '[]' : text);
  } catch (err) {
    return parseFail('tc -s -j qdisc show', `not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(data)) return parseFail('tc -s -j qdisc show', `expected a JSON array, got ${typeof data}`);
  const qdiscs: Qdisc[] = [];
  let skipped = 0;
  for (const item of data) {
    const e = qdiscEntry.safeParse(item);
    if (!e.success) {
      skipped++;
      continue;
    }
    const q = e.data;
    qdiscs.push({
      dev: q.dev,
      kind: q.kind,
      handle: q.handle,
      parent: q.root === true ? 'root' : (q.parent ?? 'root'),
      bytes: q.bytes,
      packets: q.packets,
      drops: q.drops,
      overlimits: q.overlimits,
      requeues: q.requeues,
      backlogBytes: q.backlog,
      backlogPackets: q.qlen,
    });
  }
  if (qdiscs.length === 0 && skipped > 0) return parseFail('tc -s -j qdisc show', `none of ${skipped} entries has the expected shape`);
  return parsed({ qdiscs, skipped });
}

/** tc's sprint_size: "3126b", "2Kb", "1.5Mb" -> bytes (K and M are 1024-based). */
function tcSize(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(b|Kb|Mb|Gb)$/.exec(text ?? '');
  if (!m) return undefined;
  const v = decimal(m[1]);
  if (v === undefined) return undefined;
  return Math.round(v * { b: 1, Kb: 1024, Mb: 1024 ** 2, Gb: 1024 ** 3 }[m[2] as 'b' | 'Kb' | 'Mb' | 'Gb']);
}

/**
 * Parse `tc -s qdisc show` text (tc without JSON support). Note that tc rounds a backlog near a
 * multiple of 1024 to "NKb" in text, so the JSON form is preferred where it exists.
 */
export function parseTcQdiscText(text: string): ParseResult<Qdiscs> {
  const qdiscs: Qdisc[] = [];
  let skipped = 0;
  let cur: { -readonly [K in keyof Qdisc]: Qdisc[K] } | undefined;
  const flush = () => {
    if (cur) qdiscs.push(cur);
    cur = undefined;
  };
  for (const line of text.split('\n')) {
    const head = /^qdisc (\S+) (\S+) dev (\S+) (?:(root)|parent (\S+))/.exec(line);
    if (head) {
      flush();
      cur = { kind: head[1]!, handle: head[2]!, dev: head[3]!, parent: head[4] ? 'root' : head[5]!, bytes: undefined, packets: undefined, drops: undefined, overlimits: undefined, requeues: undefined, backlogBytes: undefined, backlogPackets: undefined };
      continue;
    }
    if (line.startsWith('qdisc ')) {
      flush();
      skipped++;
      continue;
    }
    if (!cur) {
      if (line.trim().length > 0) skipped++;
      continue;
    }
    const sent = /^\s*Sent (\d+) bytes (\d+) pkts? \(dropped (\d+), overlimits (\d+) requeues (\d+)\)/.exec(line);
    if (sent) {
      cur.bytes = uint(sent[1]);
      cur.packets = uint(sent[2]);
      cur.drops = uint(sent[3]);
      cur.overlimits = uint(sent[4]);
      cur.requeues = uint(sent[5]);
      continue;
    }
    const backlog = /^\s*backlog (\S+) (\d+)p(?: requeues (\d+))?/.exec(line);
    if (backlog) {
      cur.backlogBytes = tcSize(backlog[1]);
      cur.backlogPackets = uint(backlog[2]);
    }
  }
  flush();
  if (qdiscs.length === 0 && skipped > 0) return parseFail('tc -s qdisc show', 'no "qdisc KIND HANDLE dev DEV" line');
  if (qdiscs.length === 0 && text.trim().length > 0) return parseFail('tc -s qdisc show', 'no qdisc in the output');
  return parsed({ qdiscs, skipped });
}
