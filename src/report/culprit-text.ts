import type { Culprit } from '../engine/report-schema.js';
import { formatWithUnit } from '../engine/template.js';

/**
 * A culprit as two lines of plain text, the same in the text report, the Markdown report and the
 * TUI: who (rank, kind, name, id), how much (value, share), then what identifies it. Host text
 * is NOT sanitised here: each renderer escapes for its medium.
 */
export interface CulpritText {
  readonly head: string;
  readonly detail: string;
}

/** Identity labels in the order a person looks for them; the rest follow. */
const ORDER = ['cmdline', 'comm', 'user', 'uid', 'state', 'cgroup', 'cgroup_name', 'cgroup_kind', 'name', 'kind', 'runtime', 'container_id', 'pod_uid', 'names', 'netns', 'netns_name', 'limits'];
/** Shown in the head already, or bookkeeping. */
const HIDDEN = new Set(['pid', 'starttime', 'inode', 'type']);

export function culpritText(c: Culprit): CulpritText {
  const amount =
    c.value === undefined || c.value === null
      ? c.why
      : `${formatWithUnit(c.value, c.unit ?? '')}${c.share !== undefined && c.share !== null ? ` (${Math.round(c.share * 100)} % of the total)` : ''} — ${c.why}`;
  const id = c.entity.id === `${c.entity.kind}:${c.entity.name}` ? c.entity.id : `${c.entity.id} ${c.entity.name}`;
  const head = `${c.rank}. ${id}: ${amount}`;
  const keys = Object.keys(c.identity).filter((k) => !HIDDEN.has(k) && !(k === 'comm' && c.identity.comm === c.entity.name) && !repeatsName(c, k));
  keys.sort((a, b) => rankOf(a) - rankOf(b));
  const parts = keys.map((k) => `${k} ${c.identity[k]}`);
  return { head, detail: parts.join('; ') };
}

function rankOf(k: string): number {
  const i = ORDER.indexOf(k);
  return i < 0 ? ORDER.length : i;
}

/** A cgroup's name and kind "other" repeat its path, which the head shows. */
function repeatsName(c: Culprit, k: string): boolean {
  if (c.entity.kind !== 'cgroup') return false;
  if (k === 'kind') return c.identity.kind === 'other' || c.identity.kind === 'root';
  if (k === 'name') return c.identity.kind === 'other' || c.entity.id.endsWith(`/${c.identity.name ?? ''}`);
  return false;
}
