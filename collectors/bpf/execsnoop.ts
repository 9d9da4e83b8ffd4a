import type { ProbeDefinition } from './probe.js';
import { cString } from './cstring.js';
import { structLayout } from './layout.js';
import { ringRecords } from './session.js';

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

/** Process executions (the text, live or not, is src/report/probe-text.ts). */
export function execsnoopProbe(): ProbeDefinition<ExecsnoopResult> {
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
    maps: [],
    rings: ['events'],
    decode(cap) {
      const ring = cap.rings.events;
      const events: ExecEvent[] = [];
      for (const rec of ringRecords(ring?.batch ?? Buffer.alloc(0))) {
        const e = decodeExecEvent(rec);
        if (e) events.push(e);
      }
      return { events, dropped: ring?.dropped ?? 0 };
    },
  };
}
