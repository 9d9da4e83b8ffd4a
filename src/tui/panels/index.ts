import { parseScope } from '../../core/entity.js';
import type { Frame } from '../frame.js';
import type { PanelId } from '../layout.js';
import { cgroupsPanel } from './cgroups.js';
import { cpuPanel } from './cpu.js';
import { disksPanel } from './disks.js';
import { findingsPanel } from './findings.js';
import { matrixPanel } from './matrix.js';
import { memoryPanel } from './memory.js';
import { networkPanel } from './network.js';
import { historyPanel } from './history.js';
import { processesPanel } from './processes.js';
import { comparatorOf } from './table.js';
import type { AnyTablePanel, Panel, PanelEnv, PanelLookup, PanelView } from './types.js';

/**
 * Every panel, in the order Tab visits the selectable ones. Adding a panel: a module of
 * declarations here and a place for it in layout.ts.
 */
export const PANELS: readonly Panel[] = [findingsPanel, matrixPanel, processesPanel, cgroupsPanel, disksPanel, networkPanel, cpuPanel, memoryPanel, historyPanel] as readonly Panel[];

const BY_ID = new Map<PanelId, Panel>(PANELS.map((p) => [p.id, p]));

export function panelOf(id: PanelId): Panel {
  return BY_ID.get(id)!;
}

/** The table panel of an id, or undefined for a panel of free-form lines. */
export function tableOf(id: PanelId): AnyTablePanel | undefined {
  const p = BY_ID.get(id);
  return p?.kind === 'table' ? p : undefined;
}

/** Panels the cursor can be in, in Tab order. */
export const SELECTABLE: readonly PanelId[] = PANELS.filter((p) => p.selectable).map((p) => p.id);

/** The panel that shows the row of a scope ("process:42", "device:sda"), from the panels' `scope` declarations. */
export const panelForScope: PanelLookup = (scope) => {
  const e = parseScope(scope);
  // the panels show the host's view: an entity seen inside another network namespace has no row there
  if (e.within || e.kind === 'host') return undefined;
  const p = PANELS.find((x) => x.kind === 'table' && x.scope === e.kind && x.selectable);
  return p ? { panel: p.id, title: p.title, id: e.key } : undefined;
};

interface Memo {
  readonly frame: Frame;
  readonly key: string;
  readonly env: PanelEnv;
  readonly rows: readonly unknown[];
}
const memo = new Map<PanelId, Memo>();

/**
 * A table panel's rows for a frame and view, in the chosen order. The state machine (to keep
 * the cursor on its row) and the screen ask for the same rows: the last answer per panel is kept.
 */
export function panelRows(panel: AnyTablePanel, frame: Frame, view: PanelView, env: PanelEnv): readonly unknown[] {
  const key = JSON.stringify(view);
  const m = memo.get(panel.id);
  if (m && m.frame === frame && m.key === key && m.env.tones === env.tones && m.env.history === env.history) return m.rows;
  const compare = comparatorOf(panel, view.sort);
  const got = panel.rows(frame, view, env, compare);
  const rows = compare && !panel.ordersRows ? [...got].sort(compare) : got;
  memo.set(panel.id, { frame, key, env, rows });
  return rows;
}
