import { describe, expect, it } from 'vitest';
import { computeLayout, isLarge, SMALL_TABS, type PanelId, type Rect } from '../../src/tui/layout.js';

const ALL: PanelId[] = ['matrix', 'cpu', 'memory', 'disks', 'network', 'processes', 'findings', 'cgroups'];
const overlap = (a: Rect, b: Rect) => a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

const sizes: Array<[number, number]> = [];
for (const cols of [80, 81, 99, 100, 119, 120, 121, 160, 200, 250, 300]) for (const rows of [24, 25, 30, 34, 35, 36, 50, 60, 80, 100]) sizes.push([cols, rows]);

describe('layout', () => {
  it('large (>= 120x35) shows every panel; smaller sizes get tabs', () => {
    expect(isLarge(120, 35)).toBe(true);
    expect(isLarge(119, 60)).toBe(false);
    expect(isLarge(300, 34)).toBe(false);
    expect(Object.keys(computeLayout(200, 60).boxes).sort()).toEqual([...ALL].sort());
    expect(computeLayout(80, 24).mode).toBe('small');
    // every panel is on some tab
    expect(new Set(SMALL_TABS.flatMap((t) => t.panels))).toEqual(new Set(ALL));
  });

  for (const [cols, rows] of sizes) {
    it(`${cols}x${rows}: boxes inside the terminal, between header and footer, no overlap`, () => {
      const tabs = isLarge(cols, rows) ? [0] : SMALL_TABS.map((_, i) => i);
      for (const tab of tabs) {
        const l = computeLayout(cols, rows, tab);
        expect(l.mode).toBe(isLarge(cols, rows) ? 'large' : 'small');
        const boxes = Object.entries(l.boxes) as Array<[PanelId, Rect]>;
        expect(boxes.length).toBeGreaterThan(0);
        if (l.mode === 'small') expect(boxes.map(([id]) => id).sort()).toEqual([...SMALL_TABS[tab]!.panels].sort());
        for (const [id, r] of boxes) {
          expect(r.left, id).toBeGreaterThanOrEqual(0);
          expect(r.top, id).toBeGreaterThanOrEqual(l.bodyTop);
          expect(r.left + r.width, id).toBeLessThanOrEqual(cols);
          // the last row is the footer
          expect(r.top + r.height, id).toBeLessThanOrEqual(rows - 1);
          // room for a border and at least one line inside
          expect(r.width, id).toBeGreaterThanOrEqual(10);
          expect(r.height, id).toBeGreaterThanOrEqual(3);
        }
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i]![1], boxes[j]![1]), `${boxes[i]![0]} / ${boxes[j]![0]}`).toBe(false);
        expect(l.bodyTop + l.bodyHeight).toBeLessThanOrEqual(rows - 1);
      }
    });
  }

  it('large layouts use the whole width and height', () => {
    for (const [cols, rows] of sizes.filter(([c, r]) => isLarge(c, r))) {
      const l = computeLayout(cols, rows);
      const area = Object.values(l.boxes).reduce((s, r) => s + r.width * r.height, 0);
      expect(area).toBe(cols * (rows - 2));
    }
  });

  it('the tab index wraps around', () => {
    expect(computeLayout(80, 24, SMALL_TABS.length).boxes).toEqual(computeLayout(80, 24, 0).boxes);
    expect(computeLayout(80, 24, -1).boxes).toEqual(computeLayout(80, 24, SMALL_TABS.length - 1).boxes);
  });
});
