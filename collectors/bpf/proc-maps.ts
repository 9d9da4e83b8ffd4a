import { parsed, parseFail, type ParseResult } from '../../src/core/parse-result.js';

/** One file-backed executable mapping of /proc/PID/maps. */
export interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly offset: bigint;
  readonly path: string;
}

/** Parse /proc/PID/maps, keeping executable mappings ("r-xp") with a path or a [name]. */
export function parseProcMaps(text: string): ParseResult<Mapping[]> {
  const out: Mapping[] = [];
  let n = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    n++;
    const m = /^([0-9a-f]+)-([0-9a-f]+) ([rwxps-]{4}) ([0-9a-f]+) [0-9a-f]+:[0-9a-f]+ \d+\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[3]?.[2] !== 'x') continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[4]}`), path: m[5] ?? '' });
  }
  if (n > 0 && out.length === 0 && !text.includes(' ')) return parseFail('/proc/PID/maps', 'no mapping lines');
  return parsed(out.sort((a, b) => (a.start < b.start ? -1 : 1)));
}
