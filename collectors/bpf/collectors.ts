import type { ProbeDefinition, ProbeTables } from './probe.js';
import { biolatencyProbe } from './biolatency.js';
import { biosnoopProbe } from './biosnoop.js';
import { dropsProbe } from './drops.js';
import { offcpuProbe } from './offcpu.js';
import { profileProbe } from './profile.js';
import { runqlatProbe } from './runqlat.js';
import { syscallsProbe } from './syscalls.js';
import { tcpconnProbe } from './tcpconn.js';
import { tcpretransProbe } from './tcpretrans.js';
import type { Collector, Row, TableOutcomes } from '../../src/core/collector.js';
import { failed, ok, unavailable, type Outcome } from '../../src/core/outcome.js';

/** How long a probe runs when whoever asks for its tables says nothing (CollectContext.probe). */
export const DEFAULT_PROBE_MS = 1000;

/**
 * A BPF probe as a Collector: its tables (fields declared once, with units) are filled from a
 * capture read through the Source's BPF capability, so the same rows come from the live kernel
 * and from a bundle that recorded the capture. Each collect runs the probe once, for
 * `ctx.probe.durationMs`: these collectors run when asked (a drill-down, a playbook check on
 * their tables), never in the every-second refresh.
 */
export function probeCollector<R>(def: ProbeDefinition<R>, spec: ProbeTables<R>): Collector {
  const every = (o: Outcome<never>): TableOutcomes => Object.fromEntries(Object.keys(spec.tables).map((id) => [id, o]));
  return {
    id: def.id,
    title: def.title,
    origin: 'bpf',
    resources: spec.resources,
    inputs: [`BPF ${def.object}: ${def.variants.map((v) => v.hook).join(' / ')}`],
    tables: spec.tables,
    async collect(src, ctx) {
      if (!src.bpf) return every(unavailable('unsupported', `BPF probes cannot run through ${src.description}`, 'run diag as root on the host itself (diag probes says what works)'));
      const tgids = def.filter ? ctx.probe?.tgids : undefined;
      const cap = await src.bpf.run({ probe: def.id, durationMs: ctx.probe?.durationMs ?? DEFAULT_PROBE_MS, ...(tgids !== undefined ? { tgids } : {}) });
      if (cap.status !== 'ok') return every(cap);
      let rows: Readonly<Record<string, Row[]>>;
      try {
        rows = spec.rows(def.decode(cap.value, src), cap.value);
      } catch (err) {
        return every(failed('parse', `BPF capture of ${def.id} cannot be decoded: ${err instanceof Error ? err.message : String(err)}`, err));
      }
      const c = cap.value;
      const notes = [
        `hook ${c.hook}${c.fallbacks.length > 0 ? ` (${c.fallbacks.map((f) => `${f.hook}: ${f.reason}`).join('; ')})` : ''}`,
        ...c.notes,
      ];
      return Object.fromEntries(Object.keys(spec.tables).map((id) => [id, ok(rows[id] ?? [], notes)]));
    },
  };
}

function withTables<R>(def: ProbeDefinition<R>): Collector {
  if (!def.collector) throw new Error(`probe ${def.id} declares no tables`);
  return probeCollector(def, def.collector);
}

/**
 * The probes that produce tables, as collectors, in the order `diag collectors` would list them.
 * They are not in COLLECTORS (a snapshot or the dashboard never runs a probe for every sample):
 * the metric catalogue includes their tables and drill-downs find them here.
 */
export const PROBE_COLLECTORS: readonly Collector[] = [withTables(runqlatProbe), withTables(biolatencyProbe()), withTables(biosnoopProbe()), withTables(tcpretransProbe), withTables(tcpconnProbe()), withTables(dropsProbe), withTables(syscallsProbe()), withTables(offcpuProbe()), withTables(profileProbe())];
