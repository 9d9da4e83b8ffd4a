import { fields, int, parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Protocol -> field -> value, e.g. get('Tcp')?.get('RetransSegs'). Maps, not objects, because
 * names come from the file (a field called "__proto__" must stay a plain key).
 */
export type SnmpTables = ReadonlyMap<string, ReadonlyMap<string, number | undefined>>;

/**
 * Parse /proc/net/snmp or /proc/net/netstat (or /proc/PID/net/... of another namespace): pairs of
 *   Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens ...
 *   Tcp: 1 200 120000 -1 94 ...
 * Generic on purpose: every protocol and field the kernel prints is kept, so fields added by newer
 * kernels appear and fields older kernels lack are simply absent. Values are unsigned counters
 * except Tcp MaxConn (-1 = no limit); a garbled or negative counter stays undefined. A header without its value line, or a value line whose
 * length differs from its header, is a parse error (the kernel always prints both in full).
 */
export function parseSnmp(text: string, input = '/proc/net/snmp'): ParseResult<SnmpTables> {
  const out = new Map<string, Map<string, number | undefined>>();
  const lines = text.split('\n').map((l, i) => ({ l, n: i + 1 })).filter((x) => x.l.trim().length > 0);
  for (let i = 0; i < lines.length; i += 2) {
    const head = lines[i]!;
    const vals = lines[i + 1];
    const hf = fields(head.l);
    const proto = hf[0];
    if (proto === undefined || !proto.endsWith(':') || proto.length < 2) return parseFail(input, `expected "Proto: names...", got ${JSON.stringify(head.l.slice(0, 60))}`, head.n);
    if (vals === undefined) return parseFail(input, `${proto} header without a value line (truncated?)`, head.n);
    const vf = fields(vals.l);
    if (vf[0] !== proto) return parseFail(input, `${proto} header followed by ${JSON.stringify((vf[0] ?? '').slice(0, 40))}`, vals.n);
    if (vf.length !== hf.length) return parseFail(input, `${proto} has ${hf.length - 1} names but ${vf.length - 1} values`, vals.n);
    const name = proto.slice(0, -1);
    if (out.has(name)) return parseFail(input, `${name} listed twice`, head.n);
    const t = new Map<string, number | undefined>();
    // unsigned counters (%lu), except Tcp MaxConn (%ld, -1 = no limit)
    for (let c = 1; c < hf.length; c++) t.set(hf[c]!, hf[c] === 'MaxConn' ? int(vf[c]) : uint(vf[c]));
    out.set(name, t);
  }
  if (out.size === 0) return parseFail(input, 'empty file');
  return parsed(out);
}

/**
 * Parse /proc/net/snmp6: one "Ip6InReceives <blanks> 85" per line. Names are grouped by their
 * protocol prefix (Ip6, Icmp6, Udp6, UdpLite6: everything up to the first "6") into the same shape
 * as parseSnmp, with the prefix removed (Udp6NoPorts -> Udp6 / NoPorts).
 */
export function parseSnmp6(text: string, input = '/proc/net/snmp6'): ParseResult<SnmpTables> {
  const out = new Map<string, Map<string, number | undefined>>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    const m = f.length === 2 ? /^([A-Za-z]+6)([A-Za-z0-9]+)$/.exec(f[0]!) : null;
    if (!m) return parseFail(input, `expected "Proto6Name value", got ${JSON.stringify((lines[i] ?? '').slice(0, 60))}`, i + 1);
    let t = out.get(m[1]!);
    if (!t) out.set(m[1]!, (t = new Map()));
    t.set(m[2]!, uint(f[1]));
  }
  if (out.size === 0) return parseFail(input, 'empty file');
  return parsed(out);
}

export interface SockStat {
  /** Section ("sockets", "TCP", "UDP", "UDPLITE", "RAW", "FRAG", "TCP6"...) -> key -> value. */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, number | undefined>>;
}

/**
 * Parse /proc/net/sockstat (and sockstat6): "TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 130", i.e.
 * a section name and key/value pairs. Unknown sections and keys are kept; mem is in pages.
 */
export function parseSockstat(text: string, input = '/proc/net/sockstat'): ParseResult<SockStat> {
  const sections = new Map<string, Map<string, number | undefined>>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    const sec = f[0]!;
    if (!sec.endsWith(':') || sec.length < 2 || f.length % 2 !== 1) return parseFail(input, `expected "SECTION: key value ...", got ${JSON.stringify((lines[i] ?? '').slice(0, 60))}`, i + 1);
    const m = new Map<string, number | undefined>();
    // counts in use and pages: never negative (sock_prot_inuse_get clamps at 0)
    for (let k = 1; k < f.length; k += 2) m.set(f[k]!, uint(f[k + 1]));
    sections.set(sec.slice(0, -1), m);
  }
  if (sections.size === 0) return parseFail(input, 'empty file');
  return parsed({ sections });
}

/**
 * Columns of /proc/net/softnet_stat, one line per online CPU, hexadecimal (net/core/net-procfs.c).
 * 3..8 were fastroute and cpu_collision counters, printed as 0 since 2.6/3.x. Kernels add columns
 * at the end: 9 (2.6.x) or 10 with received_rps, 11 with flow_limit_count (3.11), 13 with the
 * backlog length and the CPU number (5.10), 15 with input and process queue lengths (6.x).
 */
export const SOFTNET_COLUMNS = [
  'processed', 'dropped', 'time_squeeze', 'unused3', 'unused4', 'unused5', 'unused6', 'unused7', 'cpu_collision',
  'received_rps', 'flow_limit_count', 'backlog_len', 'cpu', 'input_qlen', 'process_qlen',
] as const;
export type SoftnetColumn = (typeof SOFTNET_COLUMNS)[number];

export interface SoftnetCpu {
  /** CPU number: the 13th column where the kernel prints it, else the line's position (which
   * is wrong when CPUs are offline on kernels before 5.10 — marked by cpuFromPosition). */
  readonly cpu: number;
  readonly cpuFromPosition: boolean;
  readonly values: Partial<Record<SoftnetColumn, number>>;
}

const HEX = /^[0-9a-fA-F]{1,16}$/;

export function parseSoftnetStat(text: string, input = '/proc/net/softnet_stat'): ParseResult<SoftnetCpu[]> {
  const out: SoftnetCpu[] = [];
  const seen = new Set<number>();
  const lines = text.split('\n');
  let pos = 0;
  for (let i = 0; i < lines.length; i++) {
    const f = fields(lines[i] ?? '');
    if (f.length === 0) continue;
    if (f.length < 3) return parseFail(input, `expected at least 3 hex columns, got ${f.length}`, i + 1);
    const values: Partial<Record<SoftnetColumn, number>> = {};
    for (let c = 0; c < f.length && c < SOFTNET_COLUMNS.length; c++) {
      const t = f[c]!;
      if (!HEX.test(t)) return parseFail(input, `column ${c + 1} is not hexadecimal: ${JSON.stringify(t.slice(0, 20))}`, i + 1);
      // The kernel prints 32-bit columns (%08x); a value JavaScript cannot hold exactly is
      // missing, never rounded (as every counter past 2^53).
      const v = parseInt(t, 16);
      if (Number.isSafeInteger(v)) values[SOFTNET_COLUMNS[c]!] = v;
    }
    const fromKernel = values.cpu;
    const cpu = fromKernel ?? pos;
    if (seen.has(cpu)) return parseFail(input, `CPU ${cpu} listed twice`, i + 1);
    seen.add(cpu);
    out.push({ cpu, cpuFromPosition: fromKernel === undefined, values });
    pos++;
  }
  if (out.length === 0) return parseFail(input, 'empty file');
  return parsed(out);
}

/** A /proc/sys value: one integer, or several separated by blanks (tcp_mem "min pressure max"). */
export function parseSysctlInts(text: string): ParseResult<number[]> {
  const f = fields(text.trim());
  const v = f.map((x) => int(x));
  if (f.length === 0 || v.some((x) => x === undefined)) return parseFail('sysctl', `expected integers, got ${JSON.stringify(text.slice(0, 40))}`);
  return parsed(v as number[]);
}

/**
 * Output of `sysctl KEY...` ("net.core.somaxconn = 4096", tcp_mem's three values separated by
 * tabs), used to read /proc/sys/net of another network namespace through nsenter. Lines that are
 * not "key = integers" are ignored (sysctl prints errors for keys this kernel lacks on stderr).
 */
export function parseSysctlOutput(text: string): ParseResult<ReadonlyMap<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf(' = ');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const v = parseSysctlInts(line.slice(eq + 3));
    if (/^[a-z0-9_.]+$/.test(key) && v.ok) out.set(key, v.value);
  }
  if (out.size === 0) return parseFail('sysctl', `no "key = value" lines in ${JSON.stringify(text.slice(0, 60))}`);
  return parsed(out);
}
