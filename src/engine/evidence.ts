import { parseScope } from '../core/entity.js';
import type { Culprit, Finding } from './report-schema.js';

/**
 * Which finding carries the strongest evidence for a cause: the one a guided investigation
 * (and anyone reading a report) should follow first, whatever order the checks ran in.
 *
 * Compared in this order, each criterion deciding only between findings the ones before it tie:
 *
 * 1. severity: critical, warning, info;
 * 2. specificity of the scope: a finding measured on an entity that can be a cause (a process,
 *    a cgroup, a socket, a network namespace or anything seen inside one, a qdisc, a rule, a
 *    kernel event) explains more than one on a resource (a device, an interface, a mount), and
 *    that more than a host-wide one, which it often causes: a throttled cgroup explains host
 *    CPU pressure, a process at its fd limit is a cause where "host CPUs busy" is a symptom;
 * 3. a dominant culprit: the first culprit besides the scope itself (or the processes of one
 *    cgroup leading the list together) holds at least half of what the culprits were ranked by;
 * 4. how far past its threshold the value is (value / threshold, or threshold / value for a
 *    "below" check). Distances past thresholds of different metrics (a PSI percentage, a count
 *    of overflows) are not comparable, so this only breaks ties among findings alike so far.
 *
 * Ties keep the order they were given in. Pure.
 */
export interface EvidenceStrength {
  /** 2 critical, 1 warning, 0 info. */
  readonly severity: number;
  /** 2 an entity that can be a cause, 1 a resource (device, interface, mount), 0 the host or its CPUs. */
  readonly specificity: number;
  /** Share (0..1) of the leading culprit besides the scope, or of the leading processes of one cgroup; 0 without shares. */
  readonly dominance: number;
  /** value / threshold crossed (threshold / value for "below"); Infinity past a threshold of 0. */
  readonly excess: number;
}

const SEVERITY = { critical: 2, warning: 1, info: 0 } as const;

/** Kinds of entity a finding can be about that are causes rather than resources. */
const CAUSES = new Set(['process', 'thread', 'cgroup', 'socket', 'netns', 'qdisc', 'rule', 'event']);
const RESOURCE_KINDS = new Set(['device', 'interface', 'mount', 'filesystem']);

/** A culprit holding at least this share of the ranked total is dominant. */
export const DOMINANT_SHARE = 0.5;

export function evidenceStrength(f: Finding): EvidenceStrength {
  return { severity: SEVERITY[f.severity], specificity: specificity(f.scope), dominance: dominance(f), excess: excess(f) };
}

function specificity(scope: string): number {
  const e = parseScope(scope);
  if (e.within !== undefined || CAUSES.has(e.kind)) return 2;
  return RESOURCE_KINDS.has(e.kind) ? 1 : 0;
}

function dominance(f: Finding): number {
  const others = (f.culprits ?? []).filter((c) => c.entity.id !== f.scope);
  const first = others[0];
  if (!first) return 0;
  let share = first.share ?? 0;
  const cg = first.identity.cgroup;
  if ((first.entity.kind === 'process' || first.entity.kind === 'thread') && cg !== undefined && cg !== '/') {
    let sum = 0;
    for (const c of others) {
      if (!sameGroup(c, first)) break;
      sum += c.share ?? 0;
    }
    share = Math.max(share, sum);
  }
  return Math.min(1, Math.max(0, share));
}

const sameGroup = (c: Culprit, first: Culprit) => c.entity.kind === first.entity.kind && c.identity.cgroup === first.identity.cgroup;

function excess(f: Finding): number {
  const e = f.evidence;
  const t = (f.severity === 'critical' ? e.threshold.critical : e.threshold.warning) ?? e.threshold.warning ?? e.threshold.critical;
  if (!t || !Number.isFinite(e.value)) return 1;
  if (e.when === 'below') return e.value > 0 ? t.value / e.value : Infinity;
  if (t.value > 0) return e.value / t.value;
  return e.value > 0 ? Infinity : 1;
}

/** Negative when `a` has the stronger evidence. */
export function compareEvidence(a: EvidenceStrength, b: EvidenceStrength): number {
  return (
    b.severity - a.severity ||
    b.specificity - a.specificity ||
    Number(b.dominance >= DOMINANT_SHARE) - Number(a.dominance >= DOMINANT_SHARE) ||
    (a.excess === b.excess ? 0 : b.excess > a.excess ? 1 : -1)
  );
}

/** The findings, strongest evidence first (stable). */
export function rankByEvidence(findings: readonly Finding[]): Finding[] {
  const scored = findings.map((f, i) => ({ f, i, s: evidenceStrength(f) }));
  scored.sort((a, b) => compareEvidence(a.s, b.s) || a.i - b.i);
  return scored.map((x) => x.f);
}

/** The finding with the strongest evidence for a cause, if any. */
export function strongestFinding(findings: readonly Finding[]): Finding | undefined {
  return rankByEvidence(findings)[0];
}
