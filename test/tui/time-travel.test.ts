import { describe, expect, it } from 'vitest';
import { keyActions } from '../../src/tui/input.js';
import { helpLines } from '../../src/tui/keys.js';
import { computeLayout } from '../../src/tui/layout.js';
import { historyLines } from '../../src/tui/panels/history.js';
import { headerText } from '../../src/tui/screen.js';
import { initialState, reduce, type TuiState } from '../../src/tui/state.js';
import { makeTheme } from '../../src/tui/theme.js';
import { agoLabel, columnBounds, columnOf, columnPeaks, findingStep, moveTarget, SPAN_STEP_MS } from '../../src/tui/time-travel.js';
import type { TimelineView } from '../../src/tui/history-feed.js';
import { evaluation, finding, frame, model } from './model-builders.js';

// 11 samples a second apart, then a gap of a minute, then 5 more: windows 1..15
const T0 = Date.parse('2026-12-04T10:00:00Z');
const times = [...Array.from({ length: 11 }, (_, i) => T0 + i * 1000), ...Array.from({ length: 5 }, (_, i) => T0 + 70_000 + i * 1000)];

describe('time travel: where a key lands', () => {
  it('steps one sample, stays inside the recording (window 1 is the first: samples 0-1)', () => {
    expect(moveTarget(times, 5, { kind: 'step', samples: 1 })).toBe(6);
    expect(moveTarget(times, 5, { kind: 'step', samples: -1 })).toBe(4);
    expect(moveTarget(times, 1, { kind: 'step', samples: -1 })).toBe(1);
    expect(moveTarget(times, 15, { kind: 'step', samples: 1 })).toBe(15);
    expect(moveTarget(times, 7, { kind: 'start' })).toBe(1);
    expect(moveTarget(times, 7, { kind: 'end' })).toBe(15);
    expect(moveTarget([T0], 0, { kind: 'end' })).toBe(0);
  });

  it('a minute forward lands on the first sample at least a minute on, back on the last one at least a minute before; at least one sample', () => {
    expect(moveTarget(times, 2, { kind: 'span', ms: SPAN_STEP_MS })).toBe(11);
    expect(moveTarget(times, 11, { kind: 'span', ms: -SPAN_STEP_MS })).toBe(10);
    expect(moveTarget(times, 14, { kind: 'span', ms: -SPAN_STEP_MS })).toBe(10);
    expect(moveTarget(times, 13, { kind: 'span', ms: SPAN_STEP_MS })).toBe(15);
    expect(moveTarget(times, 15, { kind: 'span', ms: SPAN_STEP_MS })).toBe(15);
    // short gaps: still one sample
    expect(moveTarget(times, 11, { kind: 'span', ms: 10 })).toBe(12);
  });

  it('n goes to the next window where a finding starts, judging the windows on the way; N to the previous one', () => {
    // a finding in windows 4-6 and 9, another from 5 on
    const truth: Record<number, string[]> = { 4: ['a'], 5: ['a', 'b'], 6: ['a', 'b'], 7: ['b'], 8: ['b'], 9: ['a', 'b'] };
    const judged = new Map<number, Set<string>>();
    const keysAt = (w: number) => judged.get(w);
    const walk = (pos: number, dir: 1 | -1) => {
      const asked: number[] = [];
      for (;;) {
        const s = findingStep(pos, dir, times.length, keysAt);
        if (!('judge' in s)) return { s, asked };
        asked.push(s.judge);
        judged.set(s.judge, new Set(truth[s.judge] ?? []));
      }
    };
    expect(walk(1, 1)).toEqual({ s: { found: 4 }, asked: [2, 3, 4] });
    expect(walk(4, 1)).toEqual({ s: { found: 5 }, asked: [5] });
    // b goes on, a stops at 7 and starts again at 9
    expect(walk(5, 1)).toEqual({ s: { found: 9 }, asked: [6, 7, 8, 9] });
    expect(walk(9, 1)).toEqual({ s: { none: true }, asked: [10, 11, 12, 13, 14, 15] });
    expect(walk(15, -1).s).toEqual({ found: 9 });
    expect(walk(9, -1).s).toEqual({ found: 5 });
    expect(walk(4, -1)).toEqual({ s: { none: true }, asked: [1] });
    // a finding in the first window starts there
    judged.set(1, new Set(['x']));
    expect(findingStep(3, -1, times.length, keysAt)).toEqual({ found: 1 });
  });
});

describe('time travel: the span in columns', () => {
  it('maps every window to one column (fewer windows than columns: one each); peaks keep a one-window spike', () => {
    const b = columnBounds(15, 5);
    expect(b).toEqual([1, 4, 7, 10, 13, 16]);
    expect([1, 3, 4, 15, 16].map((w) => columnOf(b, w))).toEqual([0, 0, 1, 4, -1]);
    expect(columnBounds(3, 10)).toEqual([1, 2, 3, 4]);
    const v: (number | undefined)[] = [];
    v[2] = 5;
    v[8] = 90;
    v[9] = 10;
    expect(columnPeaks(v, b)).toEqual([5, undefined, 90, undefined, undefined]);
    expect(agoLabel(45_000)).toBe('45s');
    expect(agoLabel(125_000)).toBe('2m 05s');
    expect(agoLabel(3 * 3600_000 + 120_000)).toBe('3h 02m');
  });

  it('draws one line per resource with the window shown in inverse, the judged windows and the time axis', () => {
    const theme = makeTheme({ color: false, unicode: true });
    const series = { cpu: [] as (number | undefined)[], mem: [] as (number | undefined)[], disk: [] as (number | undefined)[], net: [] as (number | undefined)[], psi: [] as (number | undefined)[], psiWhich: [] as (string | undefined)[] };
    for (let w = 1; w <= 15; w++) {
      series.cpu[w] = w >= 4 && w <= 6 ? 100 : 5;
      series.mem[w] = 40;
      series.disk[w] = 0;
      series.net[w] = w * 1024;
      series.psi[w] = w === 5 ? 60 : 0;
      series.psiWhich[w] = 'cpu';
    }
    const view: TimelineView = { where: 'rec', times, position: 5, charted: 15, series, judged: new Map([[4, -1], [5, 2], [6, 1]]) };
    const lines = historyLines(view, theme, 12 + 10 + 1 + 15);
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^CPU busy +100% /);
    // one column per window: the spike in windows 4-6, the cursor (inverse) on window 5
    expect(lines[0]!.slice(23)).toBe('▁▁▁█{inverse}█{/inverse}█▁▁▁▁▁▁▁▁▁');
    expect(lines[4]).toMatch(/^Pressure +60\.0% cpu /);
    expect(lines[5]!.slice(23)).toBe('   ·{inverse}{bold}!{/bold}{/inverse}{bold}!{/bold}         ');
    expect(lines[5]).toMatch(/^Findings +critical /);
    expect(lines[6]).toContain('▲');
    const ascii = historyLines(view, makeTheme({ color: false, unicode: false }), 38);
    expect(ascii.join('')).not.toMatch(/[^\x20-\x7e]/);
  });
});

describe('time travel: keys, layout and header', () => {
  const rec = (size = { cols: 200, rows: 60 }) => initialState({ live: false, timeline: true }, size);
  const press = (s: TuiState, name: string, ch?: string) => keyActions(s, ch, { full: name, name }).reduce((x, a) => reduce(x, a, undefined), s);

  it('[ ] { } Left Right Home End n N ask for a seek on a recording; elsewhere n still sorts by PID', () => {
    const s = rec();
    const moves = ([['[', '['], [']', ']'], ['{', '{'], ['}', '}'], ['left'], ['right'], ['home'], ['end'], ['n', 'n'], ['S-n']] as const).map(([k, ch]) => press(s, k, ch).effects);
    expect(moves).toEqual([
      [{ type: 'seek', move: { kind: 'step', samples: -1 } }],
      [{ type: 'seek', move: { kind: 'step', samples: 1 } }],
      [{ type: 'seek', move: { kind: 'span', ms: -SPAN_STEP_MS } }],
      [{ type: 'seek', move: { kind: 'span', ms: SPAN_STEP_MS } }],
      [{ type: 'seek', move: { kind: 'step', samples: -1 } }],
      [{ type: 'seek', move: { kind: 'step', samples: 1 } }],
      [{ type: 'seek', move: { kind: 'start' } }],
      [{ type: 'seek', move: { kind: 'end' } }],
      [{ type: 'seek', move: { kind: 'finding', dir: 1 } }],
      [{ type: 'seek', move: { kind: 'finding', dir: -1 } }],
    ]);
    // not a recording: n sorts by PID as before, [ says what it needs
    const live = initialState({ live: true }, { cols: 200, rows: 60 });
    expect(press(live, 'n', 'n').sort.processes).toEqual({ column: 'pid', reverse: false });
    expect(press(live, '[', '[').effects).toEqual([]);
    // snapshots and signals stay refused
    expect(press(s, 's', 's').message).toMatch(/live host/);
    expect(press(s, 'f9').message).toMatch(/never sent from a bundle/);
  });

  it('the help lists the time-travel keys first, and g/G (not Home/End) for rows', () => {
    const help = helpLines(true);
    expect(help[0]).toMatch(/^\[ \/ Left +one sample back/);
    expect(help.join('\n')).toMatch(/^n +the next moment a finding starts/m);
    expect(help.join('\n')).toMatch(/^g +first row/m);
    expect(help.join('\n')).not.toMatch(/sort processes by PID/);
    expect(helpLines(false).join('\n')).toMatch(/^Home \/ g +first row/m);
  });

  it('large screens get the history strip on top; small ones a sixth tab, History', () => {
    const large = computeLayout(200, 60, 0, true);
    expect(large.boxes.history).toEqual({ top: 1, left: 0, width: 200, height: 9 });
    expect(large.boxes.matrix!.top).toBe(10);
    expect(computeLayout(200, 60, 0, false).boxes.history).toBeUndefined();
    const small = computeLayout(80, 24, 5, true);
    expect(small.tabs.map((t) => t.name).at(-1)).toBe('History');
    expect(Object.keys(small.boxes)).toEqual(['history']);
    let s = initialState({ live: false, timeline: true }, { cols: 80, rows: 24 });
    s = press(s, '6', '6');
    expect(s.tab).toBe(5);
    // without a recording there is no sixth tab
    expect(press(initialState({ live: true }, { cols: 80, rows: 24 }), '6', '6').tab).toBe(0);
  });

  it('the header names the moment (UTC), the window of all and how long before the end, at 80 columns too', () => {
    const theme = makeTheme({ color: false, unicode: true });
    const f = { ...frame(model({}), evaluation([finding({ severity: 'critical', resource: 'cpu', kind: 'saturation' })])), at: '2026-12-04T10:00:05.000Z', source: 'history' as const, position: { window: 5, windows: 15, from: '2026-12-04T10:00:04.000Z', startedAt: '2026-12-04T10:00:00.000Z', endedAt: '2026-12-04T10:01:14.000Z' } };
    for (const cols of [80, 200]) {
      const h = headerText(rec({ cols, rows: 24 }), f, theme);
      expect(h).toContain('{inverse} 2026-12-04 10:00:05 UTC {/inverse}  5/15  -1m 09s  {bold}CRITICAL{/bold}');
      expect(h.replace(/\{[^}]*\}/g, '').length).toBeLessThanOrEqual(cols);
    }
  });
});
