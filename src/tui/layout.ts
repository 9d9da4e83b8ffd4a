/**
 * Where each panel goes for a terminal size. Pure: tested without a terminal.
 * Large terminals (>= 120x35) show every panel at once; smaller ones (down to 80x24) get a
 * layout of their own: tabs of a few panels each, not the big grid squeezed.
 */
export type PanelId = 'matrix' | 'cpu' | 'memory' | 'disks' | 'network' | 'processes' | 'findings' | 'cgroups';

export interface Rect {
  readonly top: number;
  readonly left: number;
  readonly width: number;
  readonly height: number;
}

export interface Tab {
  readonly name: string;
  readonly panels: readonly PanelId[];
}

export interface Layout {
  readonly mode: 'large' | 'small';
  /** Panels visible now, with their boxes (borders included). */
  readonly boxes: Partial<Record<PanelId, Rect>>;
  /** Small mode: the tabs (large mode: one tab with everything). */
  readonly tabs: readonly Tab[];
  /** Top of the panel area (below the header and the tab bar). */
  readonly bodyTop: number;
  readonly bodyHeight: number;
}

export const SMALL_TABS: readonly Tab[] = [
  { name: 'Overview', panels: ['matrix', 'cpu', 'memory', 'findings'] },
  { name: 'Findings', panels: ['findings'] },
  { name: 'Processes', panels: ['processes'] },
  { name: 'Disks+Net', panels: ['disks', 'network'] },
  { name: 'Cgroups', panels: ['cgroups'] },
];

const ALL: readonly PanelId[] = ['matrix', 'cpu', 'memory', 'disks', 'network', 'processes', 'findings', 'cgroups'];

export function isLarge(cols: number, rows: number): boolean {
  return cols >= 120 && rows >= 35;
}

/** Boxes for a size; in small mode for the tab `tab`. Header is row 0, footer the last row. */
export function computeLayout(cols: number, rows: number, tab = 0): Layout {
  const w = Math.max(cols, 20);
  const h = Math.max(rows, 10);
  if (isLarge(w, h)) {
    const bodyTop = 1;
    const bodyHeight = h - 2;
    const rowA = 11;
    const rowB = Math.min(12, Math.max(7, Math.floor((bodyHeight - rowA) / 3)));
    const rowC = bodyHeight - rowA - rowB;
    const mw = 36;
    const cw = Math.floor((w - mw) / 2);
    const half = Math.floor(w / 2);
    const pw = Math.floor(w * 0.58);
    const fh = Math.floor(rowC / 2);
    return {
      mode: 'large',
      bodyTop,
      bodyHeight,
      tabs: [{ name: 'All', panels: ALL }],
      boxes: {
        matrix: { top: bodyTop, left: 0, width: mw, height: rowA },
        cpu: { top: bodyTop, left: mw, width: cw, height: rowA },
        memory: { top: bodyTop, left: mw + cw, width: w - mw - cw, height: rowA },
        disks: { top: bodyTop + rowA, left: 0, width: half, height: rowB },
        network: { top: bodyTop + rowA, left: half, width: w - half, height: rowB },
        processes: { top: bodyTop + rowA + rowB, left: 0, width: pw, height: rowC },
        findings: { top: bodyTop + rowA + rowB, left: pw, width: w - pw, height: fh },
        cgroups: { top: bodyTop + rowA + rowB + fh, left: pw, width: w - pw, height: rowC - fh },
      },
    };
  }
  const bodyTop = 2; // header + tab bar
  const bodyHeight = h - 3; // minus footer
  const t = SMALL_TABS[((tab % SMALL_TABS.length) + SMALL_TABS.length) % SMALL_TABS.length]!;
  const boxes: Partial<Record<PanelId, Rect>> = {};
  if (t.name === 'Overview') {
    const top = Math.min(10, Math.max(6, bodyHeight - 9));
    const mw = Math.min(34, Math.floor(w / 2));
    const mem = Math.min(7, Math.max(3, bodyHeight - top - 3));
    boxes.matrix = { top: bodyTop, left: 0, width: mw, height: top };
    boxes.cpu = { top: bodyTop, left: mw, width: w - mw, height: top };
    boxes.memory = { top: bodyTop + top, left: 0, width: w, height: mem };
    const rest = bodyHeight - top - mem;
    if (rest >= 3) boxes.findings = { top: bodyTop + top + mem, left: 0, width: w, height: rest };
  } else if (t.panels.length === 1) {
    boxes[t.panels[0]!] = { top: bodyTop, left: 0, width: w, height: bodyHeight };
  } else {
    const first = Math.floor(bodyHeight / 2);
    boxes[t.panels[0]!] = { top: bodyTop, left: 0, width: w, height: first };
    boxes[t.panels[1]!] = { top: bodyTop + first, left: 0, width: w, height: bodyHeight - first };
  }
  return { mode: 'small', bodyTop, bodyHeight, tabs: SMALL_TABS, boxes };
}
