import { parsed, parseFail, seconds, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * `dmesg --raw` output: "<prio>[seconds.micros] message" per line (continuation lines of a
 * multi-line message have no prefix); prio = facility * 8 + level, and only kernel messages
 * (facility 0) count: user space can write anything to /dev/kmsg. Messages are classified into the kinds of trouble a
 * USE check looks for; everything at level err or worse also counts as "kernel_error".
 */
export const KERNEL_EVENT_KINDS = ['oom_kill', 'io_error', 'fs_error', 'hung_task', 'mce', 'edac', 'lockup', 'net_watchdog', 'link_down', 'conntrack_full', 'segfault', 'kernel_error'] as const;
export type KernelEventKind = (typeof KERNEL_EVENT_KINDS)[number];

const PATTERNS: ReadonlyArray<readonly [Exclude<KernelEventKind, 'kernel_error'>, RegExp]> = [
  ['oom_kill', /\bKilled process \d+/],
  ['io_error', /\bI\/O error\b|critical medium error|blk_update_request: .*error|end_request: I\/O error/],
  ['fs_error', /EXT[234]-fs error|EXT[234]-fs \(.*\): (?:error|Remounting filesystem read-only)|XFS \(.*\): (?:.*metadata I\/O error|Corruption|.*Shutting down filesystem)|BTRFS (?:error|critical)|[Rr]emounting filesystem read-only/],
  ['hung_task', /blocked for more than \d+ seconds/],
  ['mce', /\[Hardware Error\]|Machine check events logged|mce: .*(?:error|Machine check)/i],
  ['edac', /\bEDAC\b.*\b(?:CE|UE)\b/],
  ['lockup', /soft lockup - CPU#|hard LOCKUP|rcu: INFO: rcu_\w+ (?:self-)?detected stall|rcu_sched self-detected stall/],
  ['net_watchdog', /NETDEV WATCHDOG|transmit queue \d+ timed out/],
  ['link_down', /\bLink is Down\b|\bNIC Link is Down\b/],
  ['conntrack_full', /nf_conntrack: (?:nf_conntrack: )?table full, dropping packet/],
  ['segfault', /\bsegfault at\b|\btraps: .* general protection/],
];

/** The kind of trouble one kernel message reports (not kernel_error, which is by level), if any. */
export function classifyKernelMessage(msg: string): Exclude<KernelEventKind, 'kernel_error'> | undefined {
  for (const [kind, re] of PATTERNS) if (re.test(msg)) return kind;
  return undefined;
}

/** The prefix of one `dmesg --raw` line: priority, seconds since boot (if printk timestamps), message. */
export function splitKernelLine(raw: string): { prio: number; at: number | undefined; msg: string } | undefined {
  const m = LINE.exec(raw);
  if (!m) return undefined;
  return { prio: Number(m[1]), at: m[2] === undefined ? undefined : Number(`${m[2]}.${m[3]}`), msg: m[4] ?? '' };
}

export interface KernelEvent {
  readonly kind: KernelEventKind;
  /** Count in the whole kernel log buffer. */
  readonly count: number;
  /** Seconds since boot of the last one (undefined without printk timestamps). */
  readonly lastAt: number | undefined;
  readonly lastMessage: string;
  /** Times (seconds since boot) of each, for "in the last N minutes". */
  readonly times: readonly number[];
}

export interface KernelLog {
  readonly lines: number;
  readonly events: ReadonlyMap<KernelEventKind, KernelEvent>;
}

const LINE = /^<(\d{1,3})>(?:\[\s*(\d+)\.(\d+)\]\s?)?(.*)$/;

export function parseKernelLog(text: string): ParseResult<KernelLog> {
  const events = new Map<KernelEventKind, { count: number; lastAt: number | undefined; lastMessage: string; times: number[] }>();
  let lines = 0;
  let sawPrefix = false;
  const add = (kind: KernelEventKind, at: number | undefined, msg: string) => {
    const e = events.get(kind) ?? { count: 0, lastAt: undefined, lastMessage: '', times: [] };
    e.count++;
    e.lastAt = at;
    e.lastMessage = msg.slice(0, 300);
    if (at !== undefined) e.times.push(at);
    events.set(kind, e);
  };
  for (const raw of text.split('\n')) {
    if (raw.length === 0) continue;
    const m = LINE.exec(raw);
    if (!m) continue; // continuation line of the previous message
    sawPrefix = true;
    const prio = Number(m[1]);
    if (prio >> 3 !== 0) continue; // not from the kernel
    lines++;
    const level = prio & 7;
    const at = m[2] === undefined ? undefined : seconds(m[2], m[3]);
    const msg = m[4] ?? '';
    for (const [kind, re] of PATTERNS) {
      if (re.test(msg)) {
        add(kind, at, msg);
        break;
      }
    }
    if (level <= 3) add('kernel_error', at, msg);
  }
  if (!sawPrefix && text.trim().length > 0) return parseFail('dmesg --raw', 'no "<level>[time] message" lines: expected the output of dmesg --raw');
  return parsed<KernelLog>({ lines, events: new Map([...events].map(([kind, e]) => [kind, { kind, ...e }])) });
}
