import type { ModelTable } from '../core/derive.js';
import { modelUnit } from '../core/fields.js';
import { sanitizeForTerminal } from '../core/sanitize.js';

/** Compact number for a terminal column. */
export function fmtNumber(v: number | undefined): string {
  if (v === undefined) return '-';
  if (!Number.isFinite(v)) return '?';
  const a = Math.abs(v);
  if (a !== 0 && a < 0.01) return v.toExponential(1);
  if (Number.isInteger(v) && a < 1e7) return String(v);
  if (a < 100) return v.toFixed(2);
  if (a < 1e7) return v.toFixed(1);
  return v.toExponential(3);
}

export interface RenderOptions {
  /** At most this many rows per table (e.g. processes), the rest summarised. */
  readonly maxRows?: number;
  /** Order rows by this value, descending. */
  readonly sortBy?: string;
}

/** Render one model table as aligned text columns. Host text is sanitised. */
export function renderTable(t: ModelTable, opts: RenderOptions = {}): string {
  const head = `${t.id}: ${t.spec.title}`;
  if (t.rows.status !== 'ok') return `${head}\n  ${t.rows.status}: ${t.rows.reason}${t.rows.status === 'unavailable' && t.rows.hint ? ` (hint: ${t.rows.hint})` : ''}\n`;
  const derivedNames = Object.keys(t.spec.derived ?? {});
  const hasWindow = t.seconds !== undefined;
  // Text shows what a person reads: derived values and levels; raw counter rates only when the
  // table derives nothing from them (--json has everything).
  const fieldNames = Object.entries(t.spec.fields)
    .filter(([, f]) => f.kind === 'gauge' || (hasWindow && derivedNames.length === 0))
    .map(([n]) => n);
  const cols = [...derivedNames, ...fieldNames];
  let rows = [...t.rows.value];
  if (opts.sortBy) rows.sort((a, b) => (b.values[opts.sortBy!] ?? -Infinity) - (a.values[opts.sortBy!] ?? -Infinity));
  const total = rows.length;
  if (opts.maxRows !== undefined && rows.length > opts.maxRows) rows = rows.slice(0, opts.maxRows);
  const labelNames = [...new Set(rows.flatMap((r) => Object.keys(r.labels)))];
  const units = (n: string) => t.spec.derived?.[n]?.unit ?? (t.spec.fields[n] ? modelUnit(t.spec.fields[n]!) : '');
  const header = ['key', ...labelNames, ...cols.map((c) => `${c}[${units(c)}]`)];
  const body = rows.map((r) => [sanitizeForTerminal(r.key), ...labelNames.map((l) => sanitizeForTerminal(r.labels[l] ?? '').slice(0, 60)), ...cols.map((c) => fmtNumber(r.values[c]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const more = total > rows.length ? `\n  ... ${total - rows.length} more rows (use --json for all)` : '';
  const notes = (t.rows.notes ?? []).map((n) => `\n  note: ${sanitizeForTerminal(n)}`).join('');
  return `${head}${hasWindow ? ` (rates over ${t.seconds!.toFixed(2)} s)` : ''}\n${line(header)}\n${body.map(line).join('\n')}${more}${notes}\n`;
}
