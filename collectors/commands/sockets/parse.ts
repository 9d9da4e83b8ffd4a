import { decimal, udecimal, parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Parsers for `ss` text output. ss prints irregular, version-dependent text:
 *  - with -O (iproute2 >= 4.19) a socket is one line; without it, details follow on lines that
 *    start with a tab; with -H (>= 4.13) there is no header line. Both layouts are accepted.
 *  - the process list `users:(("name",pid=1,fd=3),...)` carries names read from /proc/PID/stat
 *    up to the first ")", unescaped: they may contain quotes, commas, "(" and even newlines.
 *    Older ss printed `users:(("name",1,3))`.
 *  - -e adds `uid:N ino:N sk:HEX cgroup:PATH` (the path may contain blanks) and a shutdown
 *    marker (`<->`, `-->`, `<--`, `---`); -m adds `skmem:(r..,rb..,...,d<drops>)`; -i adds TCP
 *    info as `name:value` tokens, `send 1.2Mbps`-style pairs and bare flags.
 */

export const SS_STATES = [
  'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT',
  'LAST-ACK', 'LISTEN', 'CLOSING', 'UNKNOWN', 'NEW-SYN-RECV', 'BOUND-INACTIVE',
] as const;

export interface SocketUser {
  /** Process name as ss printed it (untrusted: sanitise before display). */
  readonly name: string;
  readonly pid: number | undefined;
  readonly fd: number | undefined;
}

/** Socket memory from `skmem:(...)`; `d` is the socket's drop counter (sk_drops). */
export type SkMem = Partial<Record<'r' | 'rb' | 't' | 'tb' | 'f' | 'w' | 'o' | 'bl' | 'd', number>>;

export interface SsSocket {
  /** "tcp", "udp"... when ss printed a Netid column. */
  readonly netid: string | undefined;
  readonly state: string;
  /** For LISTEN: current accept queue length. Otherwise: bytes not yet read by the application. */
  readonly recvQ: number;
  /** For LISTEN: the accept queue limit (backlog). Otherwise: bytes not yet acknowledged. */
  readonly sendQ: number;
  readonly local: string;
  readonly peer: string;
  readonly users: readonly SocketUser[];
  readonly uid: number | undefined;
  readonly ino: number | undefined;
  readonly cgroup: string | undefined;
  readonly skmem: SkMem | undefined;
  /** Congestion control algorithm ("cubic", "bbr"...), when -i printed it. */
  readonly cc: string | undefined;
  /** Numeric `-i` values by name: rtt and rttvar (ms), rto, cwnd, retrans (current) and
   * retrans_total, bytes_retrans, lost, unacked, send/pacing_rate/delivery_rate (bits/s)... */
  readonly info: Readonly<Record<string, number>>;
  /** Bare `-i` flags such as "ts", "sack", "ecn", "app_limited". */
  readonly flags: readonly string[];
}

const STATE_SET: ReadonlySet<string> = new Set(SS_STATES);
const SHUTDOWN_MARKERS = new Set(['<->', '-->', '<--', '---']);
const HEAD = /^(?:(\S+)[ \t]+)?(\S+)[ \t]+(\d+)[ \t]+(\d+)[ \t]+(\S+)[ \t]+(\S+)(?:[ \t]+|$)/;
const MAX_TOKENS = 400;

function isRecordStart(line: string): boolean {
  const m = HEAD.exec(line);
  if (!m) return false;
  if (STATE_SET.has(m[2]!)) return true;
  return false;
}

/** Split ss output into one text per socket: continuation lines are joined to their socket. */
function records(text: string): { records: string[]; stray: number } {
  const out: string[] = [];
  let stray = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    if (/^(?:Netid|State)[ \t]+/.test(line) && /Recv-Q/.test(line)) continue; // header
    if (isRecordStart(line)) {
      out.push(line);
    } else if (out.length > 0) {
      // A tab-indented detail line (ss without -O), or the rest of a process name that held a
      // newline: either way it belongs to the socket above.
      out[out.length - 1] += /^[ \t]/.test(line) ? ` ${line}` : `\n${line}`;
    } else if (line.trim().length > 0) {
      stray++;
    }
  }
  return { records: out, stray };
}

/** Parse a `users:((...),(...))` section starting at `at` (index of "users:(("). */
function parseUsers(text: string, at: number): { users: SocketUser[]; end: number } | undefined {
  let p = at + 'users:('.length;
  const users: SocketUser[] = [];
  const tail = /",(?:pid=)?(\d+),(?:fd=)?(\d+)(?:,[^)]*)?\)/y;
  for (let guard = 0; guard < 1000; guard++) {
    if (text.startsWith('("', p)) {
      // The name ends at the first `",pid=N,fd=N)`: the kernel's name can hold no ")" as ss
      // reads it, so no name can forge that sequence.
      let found: RegExpExecArray | null = null;
      for (let q = text.indexOf('"', p + 2); q !== -1; q = text.indexOf('"', q + 1)) {
        tail.lastIndex = q;
        found = tail.exec(text);
        if (found) {
          users.push({ name: text.slice(p + 2, q), pid: uint(found[1]), fd: uint(found[2]) });
          p = q + found[0].length;
          break;
        }
      }
      if (!found) return undefined;
      if (text[p] === ',') {
        p++;
        continue;
      }
      if (text[p] === ')') return { users, end: p + 1 };
      return undefined;
    }
    if (text[p] === ')') return { users, end: p + 1 };
    return undefined;
  }
  return undefined;
}

/** "1.2Mbps", "70849729730bps", "512Kbps" -> bits per second. */
export function bitsPerSecond(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)bps$/.exec(text ?? '');
  if (!m) return undefined;
  const v = decimal(m[1]);
  if (v === undefined) return undefined;
  const mult = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return v * mult;
}

/** "44ms" -> 44, "0.037" -> 0.037, "12" -> 12; anything else undefined. */
function msValue(text: string): number | undefined {
  // times, counts and sizes: none of ss's name:value numbers is negative
  return udecimal(text.endsWith('ms') ? text.slice(0, -2) : text);
}

function parseSkmem(inner: string): SkMem | undefined {
  const out: Record<string, number> = {};
  for (const part of inner.split(',')) {
    const m = /^(rb|tb|bl|r|t|f|w|o|d)(\d{1,20})$/.exec(part);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return Object.keys(out).length > 0 ? (out as SkMem) : undefined;
}

/** The `name:value` numbers kept from ss -i/-e (others, like sk:HEX or wscale:a,b, are skipped). */
const INFO_NAMES: ReadonlySet<string> = new Set([
  'rto', 'ato', 'mss', 'pmtu', 'rcvmss', 'advmss', 'cwnd', 'ssthresh', 'bytes_sent', 'bytes_retrans', 'bytes_acked',
  'bytes_received', 'segs_out', 'segs_in', 'data_segs_out', 'data_segs_in', 'lastsnd', 'lastrcv', 'lastack',
  'delivered', 'delivered_ce', 'busy', 'rwnd_limited', 'sndbuf_limited', 'unacked', 'retrans', 'lost', 'sacked',
  'fackets', 'reordering', 'reord_seen', 'rcv_rtt', 'rcv_space', 'rcv_ssthresh', 'minrtt', 'snd_wnd', 'rcv_wnd',
  'notsent', 'dsack_dups', 'backoff', 'app_limited', 'v6only', 'rcv_ooopack', 'probes',
]);
const RATE_WORDS = new Set(['send', 'pacing_rate', 'delivery_rate', 'pacing_rate_max']);
const CC_NAMES = new Set(['reno', 'cubic', 'bbr', 'bbr2', 'bbr3', 'dctcp', 'vegas', 'westwood', 'htcp', 'hybla', 'illinois', 'scalable', 'lp', 'veno', 'yeah', 'bic', 'highspeed', 'nv', 'cdg']);

function parseRecord(rec: string): SsSocket | undefined {
  const m = HEAD.exec(rec);
  if (!m) return undefined;
  const recvQ = uint(m[3]);
  const sendQ = uint(m[4]);
  if (recvQ === undefined || sendQ === undefined) return undefined;
  let rest = rec.slice(m[0].length);
  let users: SocketUser[] = [];
  const u = rest.indexOf('users:((');
  if (u !== -1) {
    const pu = parseUsers(rest, u);
    if (pu) {
      users = pu.users;
      rest = rest.slice(0, u) + ' ' + rest.slice(pu.end);
    } else {
      // Unparseable process list: drop it up to the next blank-separated token we know.
      rest = rest.slice(0, u);
    }
  }
  let cgroup: string | undefined;
  const cg = /(?:^|[ \t])cgroup:/.exec(rest);
  if (cg) {
    const from = cg.index + cg[0].length;
    const marker = /[ \t](?:<->|-->|<--|---)(?=[ \t]|$)/.exec(rest.slice(from));
    const to = marker ? from + marker.index : rest.length;
    let path = rest.slice(from, to);
    const v6 = /[ \t]v6only:(\d)$/.exec(path);
    if (v6) path = path.slice(0, v6.index);
    cgroup = path;
    rest = rest.slice(0, cg.index) + ' ' + (v6 ? v6[0] : '') + ' ' + rest.slice(to);
  }
  const info: Record<string, number> = {};
  const flags: string[] = [];
  let uid: number | undefined;
  let ino: number | undefined;
  let skmem: SkMem | undefined;
  let cc: string | undefined;
  const tokens = rest.split(/[ \t\n]+/).filter((t) => t.length > 0).slice(0, MAX_TOKENS);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (SHUTDOWN_MARKERS.has(tok)) continue;
    if (RATE_WORDS.has(tok)) {
      const v = bitsPerSecond(tokens[i + 1]);
      if (v !== undefined) {
        info[tok] = v;
        i++;
      }
      continue;
    }
    const colon = tok.indexOf(':');
    if (colon <= 0) {
      if (CC_NAMES.has(tok)) cc = tok;
      else if (/^[a-z_]{1,32}$/.test(tok)) flags.push(tok);
      continue;
    }
    const name = tok.slice(0, colon);
    const value = tok.slice(colon + 1);
    if (name === 'skmem' && value.startsWith('(') && value.endsWith(')')) {
      skmem = parseSkmem(value.slice(1, -1));
      continue;
    }
    if (name === 'uid') uid = uint(value);
    else if (name === 'ino') ino = uint(value);
    else if (name === 'rtt' || name === 'retrans') {
      const [a, b] = value.split('/');
      const va = name === 'rtt' ? udecimal(a) : uint(a);
      const vb = name === 'rtt' ? udecimal(b) : uint(b);
      if (va !== undefined) info[name] = va;
      if (vb !== undefined) info[name === 'rtt' ? 'rttvar' : 'retrans_total'] = vb;
    } else if (INFO_NAMES.has(name)) {
      // busy:44ms, rwnd_limited:10ms(5.0%), rto:200, rcv_rtt:0.042
      const paren = value.indexOf('(');
      const v = msValue(paren === -1 ? value : value.slice(0, paren));
      if (v !== undefined) info[name] = v;
    }
  }
  return {
    netid: m[1],
    state: m[2]!,
    recvQ,
    sendQ,
    local: m[5]!,
    peer: m[6]!,
    users,
    uid,
    ino,
    cgroup,
    skmem,
    cc,
    info,
    flags,
  };
}

export interface SsSockets {
  readonly sockets: SsSocket[];
  /** Lines that looked like neither a socket nor part of one (garbled or unknown format). */
  readonly skipped: number;
}

/**
 * Parse `ss -t/-u ... [-a] [-n] [-p] [-i] [-e] [-m] [-O] [-H]` output. Empty output is a valid
 * answer (no sockets). Text with content but no recognisable socket line is a parse error.
 */
export function parseSsSockets(text: string): ParseResult<SsSockets> {
  const { records: recs, stray } = records(text);
  const sockets: SsSocket[] = [];
  let skipped = stray;
  for (const r of recs) {
    const s = parseRecord(r);
    if (s) sockets.push(s);
    else skipped++;
  }
  if (sockets.length === 0 && skipped > 0) return parseFail('ss', `no socket line recognised in ${skipped} line(s)`);
  return parsed({ sockets, skipped });
}

export interface SsSummary {
  readonly total: number | undefined;
  /** From "TCP: 12 (estab 9, closed 0, orphaned 0, timewait 0)"; older ss adds synrecv and ports. */
  readonly tcp: Readonly<Record<string, number>>;
  /** The transport table: RAW/UDP/TCP/INET/FRAG -> total, ip, ipv6. */
  readonly transports: Readonly<Record<string, { total?: number; ip?: number; ipv6?: number }>>;
}

/** Parse `ss -s`. */
export function parseSsSummary(text: string): ParseResult<SsSummary> {
  let total: number | undefined;
  const tcp: Record<string, number> = {};
  const transports: Record<string, { total?: number; ip?: number; ipv6?: number }> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^Total:\s+(\d+)/.exec(line);
    if (m) {
      total = uint(m[1]);
      continue;
    }
    m = /^TCP:\s+(\d+)\s*\((.*)\)/.exec(line);
    if (m) {
      const t = uint(m[1]);
      if (t !== undefined) tcp.total = t;
      for (const part of m[2]!.split(',')) {
        const kv = /^\s*([a-z_]+)\s+(\d+)(?:\/(\d+))?\s*$/.exec(part);
        if (kv) {
          const v = uint(kv[2]);
          if (v !== undefined) tcp[kv[1]!] = v;
        }
      }
      continue;
    }
    m = /^(RAW|UDP|TCP|INET|FRAG)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) transports[m[1]!.toLowerCase()] = { total: uint(m[2]), ip: uint(m[3]), ipv6: uint(m[4]) };
  }
  if (total === undefined && Object.keys(tcp).length === 0 && Object.keys(transports).length === 0) return parseFail('ss -s', 'no "Total:", "TCP:" or transport line');
  return parsed({ total, tcp, transports });
}
