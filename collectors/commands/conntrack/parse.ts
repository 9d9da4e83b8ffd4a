import { parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** Connection tracking statistics summed over CPUs; a counter the kernel lacks stays undefined. */
export type ConntrackStats = Partial<Record<string, number>>;

/**
 * Parse `conntrack -S`: one line per CPU, `cpu=N found=.. invalid=.. insert_failed=.. drop=..`
 * (names vary by kernel: `error`/`icmp_error`, `clash_resolve`/`clashres`...). Values are summed
 * over CPUs; `entries` (the same global count on every line) is taken once.
 */
export function parseConntrackStats(text: string): ParseResult<ConntrackStats> {
  const sums: Record<string, number> = {};
  let cpus = 0;
  for (const line of text.split('\n')) {
    if (!/^cpu=\d+\s/.test(line)) continue;
    cpus++;
    for (const m of line.matchAll(/([a-z_]{1,32})=(\d{1,20})(?=\s|$)/g)) {
      const k = m[1]!;
      const v = uint(m[2]);
      if (k === 'cpu' || v === undefined) continue;
      sums[k] = k === 'entries' ? v : (sums[k] ?? 0) + v;
    }
  }
  if (cpus === 0) return parseFail('conntrack -S', 'no "cpu=N key=value..." line');
  return parsed(sums);
}

/**
 * Parse /proc/net/stat/nf_conntrack (or /proc/PID/net/stat/nf_conntrack): a header of names,
 * then one row of hexadecimal values per CPU. Same summing rules as `conntrack -S`.
 */
export function parseProcConntrackStat(text: string): ParseResult<ConntrackStats> {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const head = (lines[0] ?? '').trim().split(/\s+/);
  if (head[0] !== 'entries' || head.some((h) => !/^[a-z_]{1,32}$/.test(h))) return parseFail('/proc/net/stat/nf_conntrack', 'expected a header starting with "entries"');
  const sums: Record<string, number> = {};
  let rows = 0;
  for (const line of lines.slice(1)) {
    const vals = line.trim().split(/\s+/);
    if (vals.length !== head.length || vals.some((v) => !/^[0-9a-f]{1,16}$/i.test(v))) continue;
    rows++;
    head.forEach((k, i) => {
      const v = parseInt(vals[i]!, 16);
      sums[k] = k === 'entries' ? v : (sums[k] ?? 0) + v;
    });
  }
  if (rows === 0) return parseFail('/proc/net/stat/nf_conntrack', 'no per-CPU row');
  return parsed(sums);
}

/** A single unsigned integer file such as nf_conntrack_count. */
export function parseCount(text: string): ParseResult<number> {
  const v = uint(text.trim());
  return v === undefined ? parseFail('nf_conntrack value', `expected an unsigned integer, got ${JSON.stringify(text.slice(0, 40))}`) : parsed(v);
}
