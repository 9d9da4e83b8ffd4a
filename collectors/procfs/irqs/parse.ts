import { parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** One numbered interrupt line of /proc/interrupts. */
export interface IrqLine {
  readonly irq: number;
  /** Count per CPU column, in column order. */
  readonly perCpu: readonly number[];
  /** The action names (last field: "virtio2-input.0", "eth0-TxRx-3", "mlx5_comp1@pci:0000:3b:00.0"). */
  readonly name: string;
}

export interface Interrupts {
  /** CPU columns ("CPU0", "CPU1"...): their numbers. */
  readonly cpus: readonly number[];
  readonly lines: readonly IrqLine[];
}

/**
 * /proc/interrupts: a header of CPU columns, then "IRQ: count... chip hwirq-type name" per
 * numbered interrupt (named ones such as NMI/LOC are skipped: no device). A line with too few
 * counts or a count that is not a number is skipped.
 */
export function parseInterrupts(text: string): ParseResult<Interrupts> {
  const lines = text.split('\n');
  const head = (lines[0] ?? '').trim().split(/\s+/);
  if (head.length === 0 || head.some((h) => !/^CPU\d{1,5}$/.test(h))) return parseFail(text, 'expected a header of CPU columns');
  const cpus = head.map((h) => Number(h.slice(3)));
  const out: IrqLine[] = [];
  for (const line of lines.slice(1)) {
    const m = /^\s*(\d{1,7}):\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/);
    if (f.length < cpus.length + 1) continue;
    const counts = f.slice(0, cpus.length).map((v) => uint(v));
    if (counts.some((v) => v === undefined)) continue;
    const name = f[f.length - 1]!;
    out.push({ irq: Number(m[1]), perCpu: counts as number[], name });
  }
  return parsed({ cpus, lines: out });
}

/** A CPU mask of /sys/class/net/IF/queues/rx-N/rps_cpus ("00000000,00000003"): whether any CPU is set. */
export function maskHasCpus(text: string): ParseResult<boolean> {
  const t = text.trim();
  if (!/^[0-9a-f]{1,16}(,[0-9a-f]{1,16}){0,255}$/i.test(t)) return parseFail(text, 'expected a hexadecimal CPU mask');
  return parsed(/[1-9a-f]/i.test(t));
}
