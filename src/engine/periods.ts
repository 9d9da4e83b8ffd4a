import type { Finding, Report } from './report-schema.js';

/**
 * Findings over time: consecutive windows judged one after another, folded into periods. A
 * finding (check @ scope) seen in consecutive windows is one period, from the start of its first
 * window to the end of its last, with its worst severity and the top culprits of its worst
 * window. Pure. The rule is the one `diag run playbook --recording DIR --since`
 * (src/cli/recording-judge.ts `walkPeriods`) folds by; the TUI's time travel
 * (src/tui/time-travel.ts `findingStep`) starts a period where walkPeriods does. walkPeriods
 * keeps its own fold for now (its culprits are counted over the period's windows).
 */
export interface Period {
  readonly check: string;
  readonly scope: string;
  readonly resource: Finding['resource'];
  readonly kind: Finding['kind'];
  /** Start of the first window and end of the last window with the finding. */
  readonly start: string;
  readonly end: string;
  readonly worst: Finding['severity'];
  readonly title: string;
  /** Windows judged with the finding. */
  readonly windows: number;
  /** The top culprits of the worst window (entity ids and names). */
  readonly culprits: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  /** The finding still holds in the last window judged. */
  readonly ongoing: boolean;
}

export const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

/** What identifies a finding across windows: its check and scope. */
export function findingKey(f: Pick<Finding, 'check' | 'scope'>): string {
  return `${f.check}\u0000${f.scope}`;
}

/** The part of a finding a fold reads (a Report's finding, or an Evaluation's). */
export type FoldedFinding = Pick<Finding, 'check' | 'scope' | 'resource' | 'kind' | 'severity' | 'title' | 'culprits'> & { readonly evidence: { readonly value: number } };

const iso = (ms: number) => new Date(ms).toISOString();

/** Windows added in order (`index` counts them: a gap in it ends every open period). */
export class PeriodFold {
  private readonly open = new Map<string, { p: Omit<Period, 'ongoing'>; last: number; worstRank: number; worstValue: number }>();
  private readonly done: Period[] = [];

  /** The window numbered `index`, from `startMs` to `endMs`, with its findings. */
  add(index: number, startMs: number, endMs: number, findings: readonly FoldedFinding[]): void {
    for (const f of findings) {
      const key = findingKey(f);
      const o = this.open.get(key);
      const culprits = (f.culprits ?? []).slice(0, 3).map((c) => ({ id: c.entity.id, name: c.entity.name }));
      const value = f.evidence.value;
      if (o && o.last === index - 1) {
        o.last = index;
        const worse = SEVERITY_RANK[f.severity] > o.worstRank || (SEVERITY_RANK[f.severity] === o.worstRank && value > o.worstValue);
        o.p = { ...o.p, end: iso(endMs), windows: o.p.windows + 1, ...(worse ? { worst: f.severity, title: f.title, culprits } : {}) };
        if (worse) [o.worstRank, o.worstValue] = [SEVERITY_RANK[f.severity], value];
      } else {
        if (o) this.done.push({ ...o.p, ongoing: false });
        this.open.set(key, {
          p: { check: f.check, scope: f.scope, resource: f.resource, kind: f.kind, start: iso(startMs), end: iso(endMs), worst: f.severity, title: f.title, windows: 1, culprits },
          last: index,
          worstRank: SEVERITY_RANK[f.severity],
          worstValue: value,
        });
      }
    }
  }

  /** Every period, sorted by start (the worse first at the same start); `lastIndex`: the last window judged, whose periods are ongoing. */
  periods(lastIndex: number): Period[] {
    const out = [...this.done];
    for (const o of this.open.values()) out.push({ ...o.p, ongoing: o.last === lastIndex });
    return out.sort((x, y) => x.start.localeCompare(y.start) || SEVERITY_RANK[y.worst] - SEVERITY_RANK[x.worst]);
  }
}

/** The worst status of periods: unknown when no window was judged. */
export function periodsStatus(periods: readonly Period[], judged: number): Report['status'] {
  const worst = periods.reduce((m, p) => Math.max(m, SEVERITY_RANK[p.worst]), -1);
  return judged === 0 ? 'unknown' : worst >= 2 ? 'critical' : worst === 1 ? 'warning' : 'ok';
}
