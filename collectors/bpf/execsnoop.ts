import type { ProbeDefinition } from './probe.js';
import { cString } from './cstring.js';
import { structLayout } from './layout.js';
import { sanitizeForTerminal } from '../../src/core/sanitize.js';

/** native/bpf/execsnoop.h: struct exec_event (ring-buffer record). */
export const EXEC_EVENT = structLayout('execsnoop', 'exec_event', 8 + 4 * 4 + 16 + 256, {
  ts_ns: [0, 8],
  pid: [8, 4],
  tgid: [12, 4],
  ppid: [16, 4],
  uid: [20, 4],
  comm: [24, 16],
  filename: [40, 256],
});
export const EXEC_EVENT_SIZE = EXEC_EVENT.size;

export interface ExecEvent {
  readonly tsNs: number;
  readonly pid: number;
  readonly tgid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly comm: string;
  readonly filename: string;
}

export function decodeExecEvent(rec: Buffer): ExecEvent | undefined {
  if (rec.length < EXEC_EVENT.size) return undefined;
  const m = EXEC_EVENT.members;
  return {
    tsNs: Number(rec.readBigUInt64LE(m.ts_ns.offset)),
    pid: rec.readUInt32LE(m.pid.offset),
    tgid: rec.readUInt32LE(m.tgid.offset),
    ppid: rec.readUInt32LE(m.ppid.offset),
    uid: rec.readUInt32LE(m.uid.offset),
    comm: cString(rec, m.comm.offset, m.comm.size),
    filename: cString(rec, m.filename.offset, m.filename.size),
  };
}

export interface ExecsnoopResult {
  readonly events: readonly ExecEvent[];
  /** Events beyond the kept maximum, counted but not kept. */
  readonly dropped: number;
}

const MAX_KEPT = 100_000;

const HEADER = `${'PID'.padStart(7)} ${'PPID'.padStart(7)} ${'UID'.padStart(6)} ${'COMM'.padEnd(16)} FILENAME`;
const line = (e: ExecEvent): string =>
  `${String(e.tgid).padStart(7)} ${String(e.ppid).padStart(7)} ${String(e.uid).padStart(6)} ${sanitizeForTerminal(e.comm).padEnd(16)} ${sanitizeForTerminal(e.filename)}`;

/** `live`: print each execution as it arrives (the CLI's text mode); render then prints only the
 * summary. */
export function execsnoopProbe(opts: { live?: (text: string) => void } = {}): ProbeDefinition<ExecsnoopResult> {
  const events: ExecEvent[] = [];
  let dropped = 0;
  const live = opts.live;
  return {
    id: 'execsnoop',
    title: 'process executions: pid, ppid, uid, comm, filename',
    object: 'execsnoop',
    layouts: [EXEC_EVENT],
    variants: [
      { hook: 'tp_btf', programs: ['exec_btf'] },
      { hook: 'raw_tp', programs: ['exec_raw'] },
    ],
    filter: true,
    settings: ['live'],
    start(s) {
      live?.(HEADER + '\n');
      s.stream('events', (rec) => {
        const e = decodeExecEvent(rec);
        if (!e) return;
        live?.(line(e) + '\n');
        if (events.length < MAX_KEPT) events.push(e);
        else dropped++;
      });
    },
    finish() {
      return { events: [...events], dropped };
    },
    render(r) {
      const lines = live ? [] : [HEADER, ...r.events.map(line)];
      lines.push(`${r.events.length} executions${r.dropped > 0 ? ` (${r.dropped} more not kept)` : ''}`);
      return lines.join('\n') + '\n';
    },
  };
}
