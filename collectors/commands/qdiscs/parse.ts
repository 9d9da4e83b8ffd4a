import { z } from 'zod';
import { parseJsonBounded } from '../../../src/core/bounded-json.js';
import { decimal, parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** One queueing discipline with its statistics, as `tc -s qdisc show` reports it. */
/** The counters tc prints for a qdisc or a class ("Sent ... bytes ... pkt (dropped ...)", "backlog ..."). */
export interface QdiscStats {
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

export interface Qdisc extends QdiscStats {
  readonly dev: string;
  readonly kind: string;
  /** "1:", "0:", "ffff:" */
  readonly handle: string;
  /** "root", or the parent class ("1:10", ":1", "ffff:fff1"). */
  readonly parent: string;
}

export interface Qdiscs {
  readonly qdiscs: Qdisc[];
  /** Entries that did not have the expected shape. */
  readonly skipped: number;
}

// a counter past 2^53 cannot be held exactly: missing, like a garbled one (parse-result.ts)
const count = z
  .number()
  .nonnegative()
  .optional()
  .transform((v) => (v !== undefined && Number.isSafeInteger(v) ? v : undefined));
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
  const json = parseJsonBounded(text.trim().length === 0 ? '[]' : text);
  if (!json.ok) return parseFail('tc -s -j qdisc show', `output ${json.reason}`);
  const data = json.value;
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

/** A class of a classful qdisc (htb, hfsc, drr...) with its statistics (`tc -s class show dev X`). */
export interface TcClass extends QdiscStats {
  readonly kind: string;
  /** "1:10" */
  readonly classid: string;
  /** "root" or the parent class ("1:1"). */
  readonly parent: string;
  /** The qdisc attached under this class ("10:"), when one is. */
  readonly leaf: string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Stats = QdiscStats;

/** Read a " Sent ..." or " backlog ..." line into `into`; false when it is neither. */
function statsLine(line: string, into: Mutable<Stats>): 'sent' | 'backlog' | undefined {
  const sent = /^\s*Sent (\d+) bytes (\d+) pkts? \(dropped (\d+), overlimits (\d+) requeues (\d+)\)/.exec(line);
  if (sent) {
    into.bytes = uint(sent[1]);
    into.packets = uint(sent[2]);
    into.drops = uint(sent[3]);
    into.overlimits = uint(sent[4]);
    into.requeues = uint(sent[5]);
    return 'sent';
  }
  const backlog = /^\s*backlog (\S+) (\d+)p(?: requeues (\d+))?/.exec(line);
  if (backlog) {
    into.backlogBytes = tcSize(backlog[1]);
    into.backlogPackets = uint(backlog[2]);
    return 'backlog';
  }
  return undefined;
}

const noStats = (): Mutable<Stats> => ({ bytes: undefined, packets: undefined, drops: undefined, overlimits: undefined, requeues: undefined, backlogBytes: undefined, backlogPackets: undefined });

export interface TcClasses {
  /** Classes that carry statistics (tbf's pseudo class "10:1" has none and is left out). */
  readonly classes: TcClass[];
  readonly skipped: number;
}

/**
 * Parse `tc -s class show dev DEV` (text: iproute2 up to at least 6.1 prints classes as text even
 * with -j). Header: `class KIND CLASSID (root|parent P) [leaf L:] ...`, then Sent and backlog lines.
 */
export function parseTcClassText(text: string): ParseResult<TcClasses> {
  const { blocks, skipped } = tcBlocks(text, 'class ', /^class (\S+) (\S+) (?:(root)|parent (\S+))(?: leaf (\S+))?/);
  const classes: TcClass[] = [];
  for (const { head, lines } of blocks) {
    const cur: Mutable<TcClass> = { kind: head[1]!, classid: head[2]!, parent: head[3] ? 'root' : head[4]!, leaf: head[5], ...noStats() };
    let hasStats = false;
    for (const line of lines) if (statsLine(line, cur) !== undefined) hasStats = true;
    if (hasStats) classes.push(cur);
  }
  if (classes.length === 0 && skipped > 0) return parseFail('tc -s class show', 'no "class KIND CLASSID" line');
  return parsed({ classes, skipped });
}

/**
 * Parse `tc -s qdisc show` text (tc without JSON support). Note that tc rounds a backlog near a
 * multiple of 1024 to "NKb" in text, so the JSON form is preferred where it exists.
 */
export function parseTcQdiscText(text: string): ParseResult<Qdiscs> {
  const { blocks, skipped } = tcBlocks(text, 'qdisc ', /^qdisc (\S+) (\S+) dev (\S+) (?:(root)|parent (\S+))/);
  const qdiscs: Qdisc[] = [];
  for (const { head, lines } of blocks) {
    const cur: Mutable<Qdisc> = { kind: head[1]!, handle: head[2]!, dev: head[3]!, parent: head[4] ? 'root' : head[5]!, ...noStats() };
    for (const line of lines) statsLine(line, cur);
    qdiscs.push(cur);
  }
  if (qdiscs.length === 0 && skipped > 0) return parseFail('tc -s qdisc show', 'no "qdisc KIND HANDLE dev DEV" line');
  if (qdiscs.length === 0 && text.trim().length > 0) return parseFail('tc -s qdisc show', 'no qdisc in the output');
  return parsed({ qdiscs, skipped });
}

/**
 * `tc -s` text as blocks: a head line (starting with `word` and matching `head`) and the lines
 * under it up to the next line starting with `word`. A `word` line that does not match, and
 * the non-blank lines outside any block, are counted as skipped.
 */
function tcBlocks(text: string, word: string, head: RegExp): { blocks: Array<{ head: RegExpExecArray; lines: string[] }>; skipped: number } {
  const blocks: Array<{ head: RegExpExecArray; lines: string[] }> = [];
  let skipped = 0;
  let cur: { head: RegExpExecArray; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(word)) {
      const m = head.exec(line);
      cur = m ? { head: m, lines: [] } : undefined;
      if (cur) blocks.push(cur);
      else skipped++;
      continue;
    }
    if (cur) cur.lines.push(line);
    else if (line.trim().length > 0) skipped++;
  }
  return { blocks, skipped };
}
