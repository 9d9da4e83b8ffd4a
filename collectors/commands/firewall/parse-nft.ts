import { z } from 'zod';
import { parseJsonBounded } from '../../../src/core/bounded-json.js';
import { parsed, parseFail, type ParseResult } from '../../../src/core/parse-result.js';

/** A chain of `nft -j list ruleset`; base chains have a hook and a policy. */
export interface NftChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly handle: number | undefined;
  readonly hook: string | undefined;
  readonly policy: string | undefined;
}

export interface NftRule {
  readonly family: string;
  readonly table: string;
  readonly chain: string;
  /** Kernel handle: stable for the life of the rule. */
  readonly handle: number;
  /** 1-based position in its chain. */
  readonly index: number;
  /** The last verdict statement: accept, drop, reject, jump, goto, return, queue, continue,
   * "vmap" / "vmap-drop" (a verdict map; -drop when it holds drop or reject), or the iptables target of an xt statement (iptables-nft). */
  readonly verdict: string | undefined;
  /** Where jump/goto leads. */
  readonly target: string | undefined;
  /** Inline or named counter; undefined when the rule counts nothing. */
  readonly packets: number | undefined;
  readonly bytes: number | undefined;
  readonly hasCounter: boolean;
  readonly comment: string | undefined;
  /** Compact nft-like rendering of the rule, e.g. `udp dport 9 counter drop`. */
  readonly text: string;
}

export interface NftRuleset {
  readonly version: string | undefined;
  readonly tables: ReadonlyArray<{ readonly family: string; readonly name: string }>;
  readonly chains: readonly NftChain[];
  readonly rules: readonly NftRule[];
  /** Objects with an unexpected shape. */
  readonly skipped: number;
}

const name = z.string().max(256);
const tableObj = z.looseObject({ family: name, name });
// handles and counters are safe integers (z.int): past 2^53 a double cannot hold them exactly (parse-result.ts)
const chainObj = z.looseObject({ family: name, table: name, name, handle: z.int().nonnegative().optional(), hook: name.optional(), policy: name.optional() });
const ruleObj = z.looseObject({ family: name, table: name, chain: name, handle: z.int().nonnegative(), comment: z.string().optional(), expr: z.array(z.unknown()) });
const counterObj = z.looseObject({ family: name, table: name, name, packets: z.int().nonnegative(), bytes: z.int().nonnegative() });
const inlineCounter = z.looseObject({ packets: z.int().nonnegative(), bytes: z.int().nonnegative() });
const metainfo = z.looseObject({ version: z.string().optional() });
const top = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) });

const VERDICTS = new Set(['accept', 'drop', 'reject', 'jump', 'goto', 'return', 'queue', 'continue']);
const MAX_TEXT = 300;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function word(v: unknown): string {
  if (typeof v === 'string') return v.startsWith('@') || /^[\w.:/-]+$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

/** Render an nft JSON expression compactly (never throws; unknown shapes become short JSON). */
function expr(v: unknown, depth = 0): string {
  if (depth > 6) return '…';
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v === null ? 'null' : word(v);
  if (Array.isArray(v)) return `{ ${v.slice(0, 8).map((x) => expr(x, depth + 1)).join(', ')}${v.length > 8 ? ', …' : ''} }`;
  if (!isRecord(v)) return '?';
  const [k, x] = Object.entries(v)[0] ?? ['', undefined];
  if (isRecord(x)) {
    if (k === 'payload') return x.protocol !== undefined ? `${word(x.protocol)} ${word(x.field)}` : `@${word(x.base)},${word(x.offset)},${word(x.len)}`;
    if (k === 'meta') return ['iifname', 'oifname', 'iif', 'oif', 'l4proto', 'mark', 'nfproto'].includes(String(x.key)) ? word(x.key) : `meta ${word(x.key)}`;
    if (k === 'ct') return `ct ${word(x.key)}`;
    if (k === 'prefix') return `${expr(x.addr, depth + 1)}/${word(x.len)}`;
    if (k === 'set' || k === 'elem') return expr(x.val ?? x, depth + 1);
  }
  if (k === 'range' && Array.isArray(x)) return `${expr(x[0], depth + 1)}-${expr(x[1], depth + 1)}`;
  if (k === 'set' && Array.isArray(x)) return expr(x, depth + 1);
  return JSON.stringify(v).slice(0, 60);
}

function statement(s: unknown): string {
  if (!isRecord(s)) return '?';
  const [k, x] = Object.entries(s)[0] ?? ['?', undefined];
  if (k === 'match' && isRecord(x)) {
    const op = x.op === '==' || x.op === 'in' ? '' : `${word(x.op)} `;
    return `${expr(x.left)} ${op}${expr(x.right)}`;
  }
  if (k === 'counter') return typeof x === 'string' ? `counter name ${word(x)}` : 'counter';
  if (k === 'jump' || k === 'goto') return `${k} ${isRecord(x) ? word(x.target) : '?'}`;
  if (k === 'reject') return isRecord(x) && typeof x.type === 'string' ? `reject with ${x.type}${typeof x.expr === 'string' ? ` ${x.expr}` : ''}` : 'reject';
  if (k === 'limit' && isRecord(x)) return `limit rate ${word(x.rate)}/${word(x.per)}`;
  if (k === 'xt' && isRecord(x)) return `xt ${word(x.type)} ${word(x.name)}`;
  if (k === 'vmap' && isRecord(x)) return `${expr(x.key)} vmap ${expr(x.data)}`.slice(0, 120);
  if (x === null || x === undefined) return k;
  return `${k} ${JSON.stringify(x).slice(0, 60)}`;
}

function vmapDrops(x: unknown): boolean {
  return JSON.stringify(x ?? null).match(/"(drop|reject)"/) !== null;
}

/**
 * Parse `nft -j list ruleset` (nftables >= 0.9, json_schema_version 1). Every rule is returned
 * with its verdict and counter; callers pick the ones that drop.
 */
export function parseNftRuleset(text: string): ParseResult<NftRuleset> {
  if (text.trim().length === 0) return parsed({ version: undefined, tables: [], chains: [], rules: [], skipped: 0 });
  const json = parseJsonBounded(text);
  if (!json.ok) return parseFail('nft -j list ruleset', `output ${json.reason}`);
  const data = json.value;
  const t = top.safeParse(data);
  if (!t.success) return parseFail('nft -j list ruleset', 'expected {"nftables": [...]}');
  let version: string | undefined;
  const tables: Array<{ family: string; name: string }> = [];
  const chains: NftChain[] = [];
  const rawRules: Array<z.infer<typeof ruleObj>> = [];
  const named = new Map<string, { packets: number; bytes: number }>();
  let skipped = 0;
  for (const item of t.data.nftables) {
    const [kind, body] = Object.entries(item)[0] ?? ['', undefined];
    if (kind === 'metainfo') {
      const m = metainfo.safeParse(body);
      if (m.success) version = m.data.version;
    } else if (kind === 'table') {
      const x = tableObj.safeParse(body);
      if (x.success) tables.push({ family: x.data.family, name: x.data.name });
      else skipped++;
    } else if (kind === 'chain') {
      const x = chainObj.safeParse(body);
      if (x.success) chains.push({ family: x.data.family, table: x.data.table, name: x.data.name, handle: x.data.handle, hook: x.data.hook, policy: x.data.policy });
      else skipped++;
    } else if (kind === 'rule') {
      const x = ruleObj.safeParse(body);
      if (x.success) rawRules.push(x.data);
      else skipped++;
    } else if (kind === 'counter') {
      const x = counterObj.safeParse(body);
      if (x.success) named.set(`${x.data.family}\u0000${x.data.table}\u0000${x.data.name}`, { packets: x.data.packets, bytes: x.data.bytes });
      else skipped++;
    }
  }
  const positions = new Map<string, number>();
  const rules: NftRule[] = rawRules.map((r) => {
    let verdict: string | undefined;
    let target: string | undefined;
    let packets: number | undefined;
    let bytes: number | undefined;
    let hasCounter = false;
    for (const s of r.expr) {
      if (!isRecord(s)) continue;
      const [k, x] = Object.entries(s)[0] ?? ['', undefined];
      if (VERDICTS.has(k)) {
        verdict = k;
        target = (k === 'jump' || k === 'goto') && isRecord(x) && typeof x.target === 'string' ? x.target : undefined;
      } else if (k === 'xt' && isRecord(x) && x.type === 'target' && typeof x.name === 'string') {
        verdict = x.name.toLowerCase();
      } else if (k === 'vmap' && isRecord(x)) {
        verdict = vmapDrops(x.data) ? 'vmap-drop' : 'vmap';
      } else if (k === 'counter') {
        hasCounter = true;
        const c = inlineCounter.safeParse(x);
        if (c.success) {
          packets = c.data.packets;
          bytes = c.data.bytes;
        } else if (typeof x === 'string') {
          const n = named.get(`${r.family}\u0000${r.table}\u0000${x}`);
          packets = n?.packets;
          bytes = n?.bytes;
        }
      }
    }
    const key = `${r.family}\u0000${r.table}\u0000${r.chain}`;
    const index = (positions.get(key) ?? 0) + 1;
    positions.set(key, index);
    let text = r.expr.map(statement).join(' ');
    if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT - 1)}…`;
    return { family: r.family, table: r.table, chain: r.chain, handle: r.handle, index, verdict, target, packets, bytes, hasCounter, comment: r.comment, text };
  });
  return parsed({ version, tables, chains, rules, skipped });
}

/** Verdicts that throw packets away ("vmap-drop": a verdict map that can drop or reject). */
export function isNftDropVerdict(v: string | undefined): boolean {
  return v === 'drop' || v === 'reject' || v === 'vmap-drop';
}
