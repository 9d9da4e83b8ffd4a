import type { ProbeDefinition } from './probe.js';
import { cString } from './cstring.js';
import { sanitizeForTerminal } from '../../src/core/sanitize.js';

/** native/bpf/oomkill.h: struct oom_event. */
export const OOM_EVENT_SIZE = 64;

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
  if (rec.length < OOM_EVENT_SIZE) return undefined;
  return {
    tsNs: Number(rec.readBigUInt64LE(0)),
    victimPid: rec.readUInt32LE(8),
    victimTgid: rec.readUInt32LE(12),
    triggerPid: rec.readUInt32LE(16),
    triggerTgid: rec.readUInt32LE(20),
    oomScoreAdj: rec.readInt32LE(24),
    victimComm: cString(rec, 32, 16),
    triggerComm: cString(rec, 48, 16),
  };
}

export interface OomkillResult {
  readonly victims: readonly OomEvent[];
}

const line = (v: OomEvent): string =>
  `OOM victim pid ${v.victimTgid} (${sanitizeForTerminal(v.victimComm)}), oom_score_adj ${v.oomScoreAdj}; triggered by pid ${v.triggerTgid} (${sanitizeForTerminal(v.triggerComm)})`;

/** `live`: print each victim as it arrives (the CLI's text mode). */
export function oomkillProbe(opts: { live?: (text: string) => void } = {}): ProbeDefinition<OomkillResult> {
  const victims: OomEvent[] = [];
  const live = opts.live;
  return {
    id: 'oomkill',
    title: 'OOM kills: the victim and the task that ran out of memory',
    object: 'oomkill',
    variants: [
      { hook: 'tp_btf', programs: ['victim_btf'] },
      { hook: 'raw_tp', programs: ['victim_raw'] },
    ],
    filter: false,
    settings: ['live'],
    start(s) {
      s.stream('events', (rec) => {
        const e = decodeOomEvent(rec);
        if (!e) return;
        live?.(line(e) + '\n');
        if (victims.length < 10_000) victims.push(e);
      });
    },
    finish() {
      return { victims: [...victims] };
    },
    render(r) {
      if (r.victims.length === 0) return 'no OOM kills in the window\n';
      if (live) return `${r.victims.length} OOM kills\n`;
      return r.victims.map(line).join('\n') + '\n';
    },
  };
}
