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

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];

/** Human form of a value in its unit: bytes in KiB/MiB/GiB, kB counts likewise, booleans as yes/no. */
export function fmtValue(v: number | undefined, unit: string): string {
  if (v === undefined) return '-';
  if (!Number.isFinite(v)) return '?';
  const perSecond = unit.endsWith('/s');
  const base = perSecond ? unit.slice(0, -2) : unit;
  if (base === 'bytes' || base === 'kB') {
    let x = base === 'kB' ? v * 1024 : v;
    let i = 0;
    while (Math.abs(x) >= 1024 && i < BINARY.length - 1) {
      x /= 1024;
      i++;
    }
    const num = i === 0 ? String(Math.round(x)) : x.toFixed(Math.abs(x) < 10 ? 2 : 1);
    return `${num}${BINARY[i]}B${perSecond ? '/s' : ''}`;
  }
  if (base === 'boolean') return v ? 'yes' : 'no';
  if (base === 'percent') return `${v.toFixed(Math.abs(v) < 10 ? 2 : 1)}%`;
  return fmtNumber(v);
}

export interface RenderOptions {
  /** At most this many rows per table (e.g. processes), the rest summarised. */
  readonly maxRows?: number;
  /** Order rows by this value, descending. */
  readonly sortBy?: string;
}

/** Render one model table as aligned text: columns, or field-per-line for one wide row. Host text is sanitised. */
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
  const sortBy = opts.sortBy;
  if (sortBy) rows.sort((a, b) => (b.values[sortBy] ?? -Infinity) - (a.values[sortBy] ?? -Infinity));
  const total = rows.length;
  if (opts.maxRows !== undefined && rows.length > opts.maxRows) rows = rows.slice(0, opts.maxRows);
  const labelNames = [...new Set(rows.flatMap((r) => Object.keys(r.labels)))];
  const unitOf = (n: string) => t.spec.derived?.[n]?.unit ?? (t.spec.fields[n] ? modelUnit(t.spec.fields[n]) : '');
  const notes = (t.rows.notes ?? []).map((n) => `\n  note: ${sanitizeForTerminal(n)}`).join('');
  const window = hasWindow ? ` (rates over ${t.seconds!.toFixed(2)} s)` : '';
  if (rows.length === 0) return `${head}${window}\n  (none)${notes}\n`;

  if (rows.length === 1 && cols.length + labelNames.length > 8) {
    // One wide row (meminfo, vmstat...): one field per line reads better than 40 columns.
    const r = rows[0]!;
    const items: Array<[string, string]> = [
      ...(r.key !== 'host' ? ([['key', sanitizeForTerminal(r.key)]] as Array<[string, string]>) : []),
      ...labelNames.map((l): [string, string] => [l, sanitizeForTerminal(r.labels[l] ?? '')]),
      ...cols.filter((c) => r.values[c] !== undefined).map((c): [string, string] => [c, fmtValue(r.values[c], unitOf(c))]),
    ];
    const missing = cols.filter((c) => r.values[c] === undefined);
    const w = Math.max(...items.map(([k]) => k.length));
    const body = items.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
    const miss = missing.length > 0 ? `\n  (not available: ${missing.join(', ')})` : '';
    return `${head}${window}\n${body}${miss}${notes}\n`;
  }

  const header = ['key', ...labelNames, ...cols];
  const body = rows.map((r) => [
    sanitizeForTerminal(r.key).slice(0, 60),
    ...labelNames.map((l) => sanitizeForTerminal(r.labels[l] ?? '').slice(0, 60)),
    ...cols.map((c) => fmtValue(r.values[c], unitOf(c))),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const more = total > rows.length ? `\n  ... ${total - rows.length} more rows (use --json for all)` : '';
  return `${head}${window}\n${line(header)}\n${body.map(line).join('\n')}${more}${notes}\n`;
}
