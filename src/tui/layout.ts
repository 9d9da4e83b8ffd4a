/**
 * Where each panel goes for a terminal size. Pure: tested without a terminal.
 * Large terminals (>= 120x35) show every panel at once; smaller ones (down to 80x24) get a
 * layout of their own: tabs of a few panels each, not the big grid squeezed.
 */
export type PanelId = 'matrix' | 'cpu' | 'memory' | 'disks' | 'network' | 'processes' | 'findings' | 'cgroups' | 'history';

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

/**
 * From this width the processes panel sits beside findings and cgroups and still has room for
 * htop's USER, TIME+ and NI columns; below it, it takes the whole width as in htop.
 */
export const WIDE = 160;

/** The tab of a recording's history charts (small screens; on large ones they are a strip on top). */
export const HISTORY_TAB: Tab = { name: 'History', panels: ['history'] };
/** Rows of the history strip on a large screen: its lines and its border. */
export const HISTORY_ROWS = 9;

export function isLarge(cols: number, rows: number): boolean {
  return cols >= 120 && rows >= 35;
}

/**
 * Boxes for a size; in small mode for the tab `tab`. Header is row 0, footer the last row. With
 * `history` (a recording): the history charts as a strip under the header (large), or a sixth tab.
 */
export function computeLayout(cols: number, rows: number, tab = 0, history = false): Layout {
  const w = Math.max(cols, 20);
  const h = Math.max(rows, 10);
  if (isLarge(w, h)) {
    if (!history) return w >= WIDE ? wideLayout(w, h) : stackedLayout(w, h);
    // a recording: the same layout in the rows under the history strip
    const under = w >= WIDE ? wideLayout(w, h - HISTORY_ROWS) : stackedLayout(w, h - HISTORY_ROWS);
    const boxes: Partial<Record<PanelId, Rect>> = { history: { top: 1, left: 0, width: w, height: HISTORY_ROWS } };
    for (const [id, r] of Object.entries(under.boxes) as [PanelId, Rect][]) boxes[id] = { ...r, top: r.top + HISTORY_ROWS };
    return { ...under, bodyTop: under.bodyTop + HISTORY_ROWS, tabs: [{ name: 'All', panels: [...ALL, 'history'] }], boxes };
  }
  const bodyTop = 2; // header + tab bar
  const bodyHeight = h - 3; // minus footer
  const tabs = history ? [...SMALL_TABS, HISTORY_TAB] : SMALL_TABS;
  const t = tabs[((tab % tabs.length) + tabs.length) % tabs.length]!;
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
  return { mode: 'small', bodyTop, bodyHeight, tabs, boxes };
}

/** The first row of a large layout: the USE matrix, CPUs and memory (a matrix row per resource). */
const TOP_ROW = 11;

function topRow(w: number, bodyTop: number): Pick<Record<PanelId, Rect>, 'matrix' | 'cpu' | 'memory'> {
  const mw = 36;
  const cw = Math.floor((w - mw) / 2);
  return {
    matrix: { top: bodyTop, left: 0, width: mw, height: TOP_ROW },
    cpu: { top: bodyTop, left: mw, width: cw, height: TOP_ROW },
    memory: { top: bodyTop, left: mw + cw, width: w - mw - cw, height: TOP_ROW },
  };
}

/** >= 160 columns: disks and network, then processes (58 %) beside findings over cgroups. */
function wideLayout(w: number, h: number): Layout {
  const bodyTop = 1;
  const bodyHeight = h - 2;
  const rowB = Math.min(12, Math.max(7, Math.floor((bodyHeight - TOP_ROW) / 3)));
  const rowC = bodyHeight - TOP_ROW - rowB;
  const half = Math.floor(w / 2);
  const pw = Math.floor(w * 0.58);
  const fh = Math.floor(rowC / 2);
  const top = bodyTop + TOP_ROW;
  return {
    mode: 'large',
    bodyTop,
    bodyHeight,
    tabs: [{ name: 'All', panels: ALL }],
    boxes: {
      ...topRow(w, bodyTop),
      disks: { top, left: 0, width: half, height: rowB },
      network: { top, left: half, width: w - half, height: rowB },
      processes: { top: top + rowB, left: 0, width: pw, height: rowC },
      findings: { top: top + rowB, left: pw, width: w - pw, height: fh },
      cgroups: { top: top + rowB + fh, left: pw, width: w - pw, height: rowC - fh },
    },
  };
}

/**
 * 120-159 columns: rows stacked as htop's meters over its process list: disks and network,
 * findings beside cgroups, then processes across the whole width (at 120 columns a panel beside
 * them left the processes 67 columns: none of USER, NI, VIRT, TIME+ fitted).
 */
function stackedLayout(w: number, h: number): Layout {
  const bodyTop = 1;
  const bodyHeight = h - 2;
  const rest = bodyHeight - TOP_ROW;
  const rowB = Math.min(10, Math.max(6, Math.floor(rest / 4)));
  const rowC = Math.min(12, Math.max(6, Math.floor(rest * 0.3)));
  const rowD = rest - rowB - rowC;
  const half = Math.floor(w / 2);
  const cgw = Math.max(50, Math.floor(w * 0.4));
  const top = bodyTop + TOP_ROW;
  return {
    mode: 'large',
    bodyTop,
    bodyHeight,
    tabs: [{ name: 'All', panels: ALL }],
    boxes: {
      ...topRow(w, bodyTop),
      disks: { top, left: 0, width: half, height: rowB },
      network: { top, left: half, width: w - half, height: rowB },
      findings: { top: top + rowB, left: 0, width: w - cgw, height: rowC },
      cgroups: { top: top + rowB, left: w - cgw, width: cgw, height: rowC },
      processes: { top: top + rowB + rowC, left: 0, width: w, height: rowD },
    },
  };
}
