import type { ProbeDefinition } from './probe.js';
import { cString } from './cstring.js';
import { sanitizeForTerminal } from '../../src/core/sanitize.js';

/** native/bpf/execsnoop.h: struct exec_event. */
export const EXEC_EVENT_SIZE = 8 + 4 * 4 + 16 + 256;

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
  if (rec.length < EXEC_EVENT_SIZE) return undefined;
  return {
    tsNs: Number(rec.readBigUInt64LE(0)),
    pid: rec.readUInt32LE(8),
    tgid: rec.readUInt32LE(12),
    ppid: rec.readUInt32LE(16),
    uid: rec.readUInt32LE(20),
    comm: cString(rec, 24, 16),
    filename: cString(rec, 40, 256),
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
