import type { ProbeDefinition } from './probe.js';
import { cString } from './cstring.js';
import { structLayout } from './layout.js';
import { ringRecords } from './session.js';

/** native/bpf/oomkill.h: struct oom_event (ring-buffer record). */
export const OOM_EVENT = structLayout('oomkill', 'oom_event', 64, {
  ts_ns: [0, 8],
  victim_pid: [8, 4],
  victim_tgid: [12, 4],
  trigger_pid: [16, 4],
  trigger_tgid: [20, 4],
  oom_score_adj: [24, 4],
  victim_comm: [32, 16],
  trigger_comm: [48, 16],
});
export const OOM_EVENT_SIZE = OOM_EVENT.size;

export interface OomEvent {
  readonly tsNs: number;
  readonly victimPid: number;
  readonly victimTgid: number;
  readonly victimComm: string;
  readonly triggerPid: number;
  readonly triggerTgid: number;
  readonly triggerComm: string;
  readonly oomScoreAdj: number;
}

export function decodeOomEvent(rec: Buffer): OomEvent | undefined {
  if (rec.length < OOM_EVENT.size) return undefined;
  const m = OOM_EVENT.members;
  return {
    tsNs: Number(rec.readBigUInt64LE(m.ts_ns.offset)),
    victimPid: rec.readUInt32LE(m.victim_pid.offset),
    victimTgid: rec.readUInt32LE(m.victim_tgid.offset),
    triggerPid: rec.readUInt32LE(m.trigger_pid.offset),
    triggerTgid: rec.readUInt32LE(m.trigger_tgid.offset),
    oomScoreAdj: rec.readInt32LE(m.oom_score_adj.offset),
    victimComm: cString(rec, m.victim_comm.offset, m.victim_comm.size),
    triggerComm: cString(rec, m.trigger_comm.offset, m.trigger_comm.size),
  };
}

export interface OomkillResult {
  readonly victims: readonly OomEvent[];
}

/** OOM victims (the text, live or not, is src/report/probe-text.ts). */
export function oomkillProbe(): ProbeDefinition<OomkillResult> {
  return {
    id: 'oomkill',
    title: 'OOM kills: the victim and the task that ran out of memory',
    object: 'oomkill',
    layouts: [OOM_EVENT],
    variants: [
      { hook: 'tp_btf', programs: ['victim_btf'] },
      { hook: 'raw_tp', programs: ['victim_raw'] },
    ],
    filter: false,
    maps: [],
    rings: ['events'],
    ringLimit: 10_000,
    decode(cap) {
      const victims: OomEvent[] = [];
      for (const rec of ringRecords(cap.rings.events?.batch ?? Buffer.alloc(0))) {
        const e = decodeOomEvent(rec);
        if (e) victims.push(e);
      }
      return { victims };
    },
  };
}
