import type { Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { counter, gauge } from '../../../src/core/fields.js';
import { ok } from '../../../src/core/outcome.js';
import { readParsed } from '../../../src/core/read-parsed.js';
import type { Source } from '../../../src/core/source.js';
import { maskHasCpus, parseInterrupts, type Interrupts, type IrqLine } from './parse.js';

/**
 * How a NIC's interrupts spread over the CPUs (/proc/interrupts), and whether anything spreads
 * the receive work: irqbalance running, RPS (rps_cpus) on its receive queues. One CPU taking
 * every interrupt of a busy NIC, with neither, caps receive processing at one CPU
 * (networking/scaling.rst).
 */

/** The interrupt lines of an interface (pure): named after it ("eth0-TxRx-0") or after its device ("virtio2-input.0"). */
export function linesOf(iface: string, device: string | undefined, irqs: Interrupts, msi: ReadonlySet<number>): IrqLine[] {
  const names = [iface, ...(device ? [device] : [])];
  return irqs.lines.filter((l) => msi.has(l.irq) || names.some((n) => l.name === n || l.name.startsWith(`${n}-`) || l.name.includes(`-${n}-`)) );
}

/** Totals of an interface's lines (pure): every interrupt, the CPU that took most and its share since boot. */
export function spreadOf(lines: readonly IrqLine[], cpus: readonly number[]): { total: number; topCpu: number | undefined; topPct: number | undefined } {
  const per = cpus.map((_, i) => lines.reduce((a, l) => a + (l.perCpu[i] ?? 0), 0));
  const total = per.reduce((a, b) => a + b, 0);
  if (total === 0) return { total, topCpu: undefined, topPct: undefined };
  let best = 0;
  per.forEach((v, i) => {
    if (v > per[best]!) best = i;
  });
  return { total, topCpu: cpus[best], topPct: (100 * per[best]!) / total };
}

function irqbalanceRunning(src: Source): boolean {
  const dir = src.readDir('/proc');
  if (dir.status !== 'ok') return false;
  for (const n of dir.value) {
    if (!/^\d+$/.test(n)) continue;
    const c = src.readFile(`/proc/${n}/comm`);
    if (c.status === 'ok' && c.value.replace(/\n$/, '') === 'irqbalance') return true;
  }
  return false;
}

function rpsOn(src: Source, iface: string): boolean {
  const q = src.readDir(`/sys/class/net/${iface}/queues`);
  if (q.status !== 'ok') return false;
  return q.value.filter((x) => x.startsWith('rx-')).some((rx) => {
    const m = readParsed(src, `/sys/class/net/${iface}/queues/${rx}/rps_cpus`, maskHasCpus);
    return m.status === 'ok' && m.value;
  });
}

function msiIrqs(src: Source, iface: string): Set<number> {
  for (const p of [`/sys/class/net/${iface}/device/msi_irqs`, `/sys/class/net/${iface}/device/../msi_irqs`]) {
    const d = src.readDir(p);
    if (d.status === 'ok') return new Set(d.value.filter((x) => /^\d+$/.test(x)).map(Number));
  }
  return new Set();
}

export const irqsCollector: Collector = {
  id: 'irqs',
  title: "NIC interrupts per CPU: the CPU taking most of each interface's interrupts, irqbalance and RPS",
  origin: 'procfs',
  resources: ['network'],
  inputs: ['/proc/interrupts', '/sys/class/net/IFACE/device', '/sys/class/net/IFACE/queues/rx-*/rps_cpus', '/proc/PID/comm (irqbalance)'],
  tables: {
    nic_irqs: {
      title: 'Interrupts of each device-backed interface and how they spread over the CPUs',
      scope: 'interface',
      fields: {
        irqs: counter('interrupts of its lines, all CPUs'),
        lines: gauge('interrupt lines (queues)'),
        cpus: gauge('CPUs online'),
        top_cpu_pct: gauge('share of its interrupts since boot taken by one CPU', 'percent'),
        irqbalance: gauge('1 when irqbalance is running', 'boolean'),
        rps: gauge('1 when RPS spreads one of its receive queues (rps_cpus)', 'boolean'),
      },
    },
  },
  collect(src: Source): TableOutcomes {
    const irqs = readParsed(src, '/proc/interrupts', parseInterrupts);
    if (irqs.status !== 'ok') return { nic_irqs: irqs };
    const dir = src.readDir('/sys/class/net');
    if (dir.status !== 'ok') return { nic_irqs: dir };
    const rows: Row[] = [];
    let balance: boolean | undefined;
    for (const iface of [...dir.value].sort()) {
      const dev = src.readLink(`/sys/class/net/${iface}/device`);
      if (dev.status !== 'ok') continue;
      const device = dev.value.split('/').pop();
      const lines = linesOf(iface, device, irqs.value, msiIrqs(src, iface));
      if (lines.length === 0) continue;
      const s = spreadOf(lines, irqs.value.cpus);
      balance ??= irqbalanceRunning(src);
      rows.push({
        key: iface,
        labels: { ...(device ? { device } : {}), ...(s.topCpu !== undefined ? { top_cpu: String(s.topCpu) } : {}), irq_lines: lines.map((l) => `${l.irq}:${l.name}`).join(' ').slice(0, 200) },
        values: { irqs: s.total, lines: lines.length, cpus: irqs.value.cpus.length, top_cpu_pct: s.topPct, irqbalance: balance ? 1 : 0, rps: rpsOn(src, iface) ? 1 : 0 },
      });
    }
    return { nic_irqs: ok(rows) };
  },
};
