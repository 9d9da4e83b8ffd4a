import { parseScope } from '../core/entity.js';
import type { Culprit, Finding } from '../engine/report-schema.js';
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

/**
 * A culprit in a few words, for a line that also holds the finding's title (the TUI's findings
 * list): who, where, how much. "sh 941 (cgroup /batch), 49.5 %". Host text NOT sanitised.
 */
export function culpritBrief(c: Culprit): string {
  const amount = c.value === undefined || c.value === null ? '' : `, ${formatWithUnit(c.value, c.unit ?? '')}`;
  return `${who(c)}${where(c)}${amount}`;
}

/** "sh 941", "cgroup /batch", "netns blue (netns 4026532)", "qdisc veth0 1: root". */
function who(c: Culprit): string {
  switch (c.entity.kind) {
    case 'process':
    case 'thread': {
      const pid = parseScope(c.entity.id).key;
      return c.entity.name === pid ? `${c.entity.kind} ${pid}` : `${c.entity.name} ${pid}`;
    }
    case 'cgroup':
      return `cgroup ${c.entity.name}`;
    case 'netns':
      return c.entity.name.startsWith('netns ') ? c.entity.name : `netns ${c.entity.name}`;
    default:
      return `${c.entity.kind} ${c.entity.name}`;
  }
}

/** The cgroup of a process, the namespace of an entity seen inside one. */
function where(c: Culprit): string {
  const parts: string[] = [];
  const cg = c.identity.cgroup;
  if (c.entity.kind !== 'cgroup' && cg !== undefined && cg !== '/') parts.push(`cgroup ${c.identity.cgroup_name ?? cg}`);
  if (c.entity.kind !== 'netns' && c.identity.netns !== undefined) parts.push(`netns ${c.identity.netns_name ?? c.identity.netns}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * What explains a finding, in one line: its first culprit other than the finding's own scope
 * (the title names that already). When the leading culprits are processes of one cgroup, the
 * cgroup and their PIDs first, then how many and how much in all: "cgroup /batch: sh 941, 943,
 * 940 (3 processes, 147 %)". Undefined: no culprit besides the scope. Host text NOT sanitised.
 */
export function findingCause(f: Finding): string | undefined {
  const others = (f.culprits ?? []).filter((c) => c.entity.id !== f.scope);
  const first = others[0];
  if (!first) return undefined;
  const cg = first.identity.cgroup;
  if ((first.entity.kind === 'process' || first.entity.kind === 'thread') && cg !== undefined && cg !== '/') {
    const same: Culprit[] = [];
    for (const c of others) {
      if (c.entity.kind !== first.entity.kind || c.identity.cgroup !== cg) break;
      same.push(c);
    }
    if (same.length > 1) {
      // "sh 941, 943, nginx 950": a name once for the PIDs that follow it
      const names: string[] = [];
      let last: string | undefined;
      for (const c of same) {
        const pid = parseScope(c.entity.id).key;
        names.push(c.entity.name === last ? pid : who(c));
        last = c.entity.name;
      }
      const values = same.map((c) => c.value).filter((v): v is number => v !== undefined && v !== null);
      const total = values.length === same.length ? `, ${formatWithUnit(values.reduce((a, b) => a + b, 0), first.unit ?? '')}` : '';
      return `cgroup ${first.identity.cgroup_name ?? cg}: ${names.join(', ')} (${same.length} ${first.entity.kind === 'thread' ? 'threads' : 'processes'}${total})`;
    }
  }
  return culpritBrief(first);
}
