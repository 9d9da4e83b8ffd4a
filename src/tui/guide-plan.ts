import { parseScope } from '../core/entity.js';
import { rankByEvidence } from '../engine/evidence.js';
import type { LoadedCheck } from '../engine/loader.js';
import type { NextStep } from '../engine/playbook-schema.js';
import type { Culprit, Finding } from '../engine/report-schema.js';
import type { GuideTarget } from './panels/types.js';

/**
 * Where a guided investigation goes, from the evidence: the playbook and the first step follow
 * the finding with the strongest evidence for a cause (engine/evidence.ts), not the order the
 * checks ran in. Pure: the guide (guide.ts) asks, the app shows.
 */
export interface GuidePlan {
  readonly playbook: string;
  /** The cgroup or process the playbook is aimed at: the one the finding was measured on. */
  readonly target?: GuideTarget;
  /** The finding the recommendation follows. */
  readonly finding?: Finding;
}

/** The playbook that looks deeper into each resource (tasks and fds: the use playbook's own checks). */
const RESOURCE_PLAYBOOK: Readonly<Record<string, string>> = { cpu: 'cpu', memory: 'memory', disk: 'disk', filesystem: 'disk', network: 'network' };

/**
 * The playbook to recommend: for a target chosen by the user, the one that judges a single
 * cgroup or process; else the one that follows the strongest finding: a cgroup's or a process's
 * finding gets the container playbook aimed at it, any other the playbook of its resource.
 * `has` says which playbooks are loaded.
 */
export function guidePlan(findings: readonly Finding[], chosen: GuideTarget | undefined, has: (name: string) => boolean): GuidePlan {
  const use = (name: string) => (has(name) ? name : 'use');
  if (chosen) return { playbook: use('container'), target: chosen };
  const f = rankByEvidence(findings)[0];
  if (!f) return { playbook: 'use' };
  const e = parseScope(f.scope);
  if (e.within === undefined && has('container')) {
    if (e.kind === 'cgroup') return { playbook: 'container', target: { cgroup: e.key }, finding: f };
    if (e.kind === 'process' && /^\d+$/.test(e.key)) return { playbook: 'container', target: { pid: Number(e.key) }, finding: f };
  }
  return { playbook: use(RESOURCE_PLAYBOOK[f.resource] ?? 'use'), finding: f };
}

/** The steps of a playbook: checks with findings first, by the strongest evidence among their findings; the rest in playbook order. */
export function stepOrder(checks: readonly LoadedCheck[], findings: readonly Finding[]): LoadedCheck[] {
  const ranked = rankByEvidence(findings);
  const rank = (c: LoadedCheck) => {
    const i = ranked.findIndex((f) => f.check === c.id);
    return i < 0 ? Infinity : i;
  };
  return checks
    .map((c, i) => ({ c, i, r: rank(c) }))
    .sort((a, b) => (a.r === b.r ? a.i - b.i : a.r < b.r ? -1 : 1))
    .map((x) => x.c);
}

/** A step's findings, strongest first, and their culprits (each entity once, at most `max`). */
export function stepEvidence(check: LoadedCheck, findings: readonly Finding[], max = 10): { findings: Finding[]; culprits: Culprit[] } {
  const mine = rankByEvidence(findings.filter((f) => f.check === check.id));
  const seen = new Set<string>();
  const culprits: Culprit[] = [];
  for (const f of mine) {
    for (const c of f.culprits ?? []) {
      if (seen.has(c.entity.id) || culprits.length >= max) continue;
      seen.add(c.entity.id);
      culprits.push({ ...c, rank: culprits.length + 1 });
    }
  }
  return { findings: mine, culprits };
}

/** The drill-downs of a step (collectors and probes it can run), the first one the recommended one. */
export function drilldowns(check: LoadedCheck): Exclude<NextStep, string>[] {
  return check.next.filter((n): n is Exclude<NextStep, string> => typeof n !== 'string');
}
