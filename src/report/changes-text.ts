import type { Change, Changes } from '../engine/report-schema.js';

/**
 * The "Recent changes" section shared by the text and Markdown reports and the TUI header: one
 * line per change, time first. Host text is returned raw: each view sanitises or escapes it.
 */

/** Changes shown in the text and Markdown reports (the JSON report has them all). */
export const CHANGES_SHOWN = 20;

/** "2026-12-03 18:43:54Z", or "now (no time)" for a change the kernel keeps no time of. */
export function changeTime(c: Change): string {
  return c.at === null ? 'now (no time)' : `${c.at.slice(0, 10)} ${c.at.slice(11, 19)}Z`;
}

export function changeLine(c: Change): string {
  return `${c.kind} ${c.action}: ${c.detail || c.subject}`;
}

export function lookbackText(ch: Changes): string {
  const h = ch.lookbackSeconds / 3600;
  return h >= 1 && Number.isInteger(h) ? `${h} h` : `${Math.round(ch.lookbackSeconds / 60)} min`;
}

/** The inputs that could not be read, one phrase each. */
export function unreadSources(ch: Changes): string[] {
  return ch.sources.filter((s) => s.status !== 'ok').map((s) => `${s.name}: ${s.reason ?? 'unavailable'}`);
}

/** One line for a header: how many changes, the newest with a time. */
export function changesSummary(ch: Changes): string {
  if (ch.status !== 'ok') return `changes: ${ch.reason ?? ch.status}`;
  const timed = ch.items.filter((c) => c.at !== null);
  const newest = timed[0];
  return `changes (${lookbackText(ch)}): ${ch.items.length}${newest ? `; newest ${changeTime(newest)} ${changeLine(newest)}` : ''}`;
}

/** The findings a change may explain, the first two by id and how many more. */
export function explainsText(c: Change): string {
  const f = c.findings ?? [];
  if (f.length === 0) return '';
  return `may explain: ${f.slice(0, 2).join(', ')}${f.length > 2 ? ` +${f.length - 2} more` : ''}`;
}
