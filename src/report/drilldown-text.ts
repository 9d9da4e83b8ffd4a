import type { DrilldownResult } from '../engine/report-schema.js';
import { formatValue } from '../engine/template.js';

/** Labels worth showing beside a drill-down row, in this order (at most two). */
const SHOWN_LABELS = ['comm', 'name', 'state', 'kind', 'what', 'last', 'reason', 'location', 'local', 'remote', 'dev'];

/**
 * A drill-down as lines: the head (what ran and why, or why not), then one line per row of its
 * evidence: collector and BPF probe drill-downs alike (a probe's table rows, e.g. run-queue
 * latency buckets). Host text is not sanitised here: each view does it (text report, TUI pane).
 */
export function drilldownLines(d: DrilldownResult): { head: string; rows: string[] } {
  const head = `${d.type} ${d.name}: ${d.why}`;
  if (d.status !== 'ok') return { head: `${head}: ${d.status}${d.reason ? `: ${d.reason}` : ''}`, rows: [] };
  if (Array.isArray(d.data)) {
    const rows = d.data.map((r) => {
      const row = r as { scope?: string; labels?: Record<string, string>; values?: Record<string, number> };
      const labels = SHOWN_LABELS.filter((k) => row.labels?.[k] !== undefined)
        .slice(0, 2)
        .map((k) => `${k}=${row.labels![k]!.slice(0, 60)}`)
        .join(' ');
      const values = row.values ?? {};
      const keys = d.sortBy !== undefined && d.sortBy in values ? [d.sortBy] : Object.keys(values).slice(0, 4);
      const vals = keys.map((k) => `${k}=${formatValue(values[k])}`).join(' ');
      return `${row.scope ?? ''} ${labels} ${vals}`.trimEnd();
    });
    return { head, rows };
  }
  const textOut = (d.data as { text?: unknown } | undefined)?.text;
  if (typeof textOut === 'string') return { head, rows: textOut.trimEnd().split('\n') };
  return { head, rows: [JSON.stringify(d.data).slice(0, 400)] };
}
