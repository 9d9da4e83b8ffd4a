import { describe, expect, it } from 'vitest';
import { PeriodFold, periodsStatus, type FoldedFinding } from '../../src/engine/periods.js';

const f = (check: string, severity: FoldedFinding['severity'], value: number, culprit?: string): FoldedFinding => ({
  check,
  scope: 'host',
  resource: 'cpu',
  kind: 'saturation',
  severity,
  title: `${check} ${value}`,
  evidence: { value },
  ...(culprit ? { culprits: [{ entity: { id: `process:${culprit}`, name: culprit } }] as unknown as FoldedFinding['culprits'] } : {}),
});
const T = (s: number) => 1_000_000 + s * 1000;

describe('PeriodFold', () => {
  it('a finding in consecutive windows is one period with its worst window; a gap starts a new one; the last window keeps it ongoing', () => {
    const fold = new PeriodFold();
    fold.add(1, T(0), T(1), [f('sat', 'warning', 2, 'a')]);
    fold.add(2, T(1), T(2), [f('sat', 'critical', 5, 'b'), f('mem', 'warning', 1)]);
    fold.add(3, T(2), T(3), [f('sat', 'critical', 4, 'c')]);
    fold.add(4, T(3), T(4), []);
    fold.add(5, T(4), T(5), [f('sat', 'warning', 1)]);
    const p = fold.periods(5);
    expect(p.map((x) => [x.check, x.start.slice(17, 19), x.end.slice(17, 19), x.worst, x.windows, x.ongoing, x.culprits.map((c) => c.name).join()])).toEqual([
      ['sat', '40', '43', 'critical', 3, false, 'b'],
      ['mem', '41', '42', 'warning', 1, false, ''],
      ['sat', '44', '45', 'warning', 1, true, ''],
    ]);
    expect(periodsStatus(p, 5)).toBe('critical');
    expect(periodsStatus([], 0)).toBe('unknown');
    expect(periodsStatus([], 3)).toBe('ok');
  });

  it('a window not judged (a gap in the numbering) ends the periods open before it', () => {
    const fold = new PeriodFold();
    fold.add(1, T(0), T(1), [f('sat', 'warning', 2)]);
    fold.add(3, T(2), T(3), [f('sat', 'warning', 2)]);
    expect(fold.periods(3).map((x) => x.windows)).toEqual([1, 1]);
  });
});
