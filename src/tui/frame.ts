import type { Model, ModelRow } from '../core/derive.js';
import type { Evaluation } from '../engine/evaluate.js';
import type { Changes } from '../engine/report-schema.js';

/** Everything one screen refresh shows: the model of the last window and its judgement. */
export interface Frame {
  readonly model: Model;
  readonly evaluation: Evaluation;
  readonly playbook: string;
  readonly host: { readonly hostname: string; readonly kernel?: string; readonly uptimeSeconds?: number };
  /** Wall-clock time of the frame's data (frozen for a bundle). */
  readonly at: string;
  /** A live host, a snapshot bundle, or a moment of a recording (diag open --recording). */
  readonly source: 'live' | 'bundle' | 'history';
  readonly tick: number;
  /** A recording's window: which of how many, when it started, and the span of the recording. */
  readonly position?: FramePosition;
  /** Recent changes (the report's section), when read: live, in the background every few minutes; a bundle's, replayed. */
  readonly changes?: Changes;
}

export interface FramePosition {
  /** Window number (1 .. windows): the window from sample window-1 to sample window. */
  readonly window: number;
  readonly windows: number;
  /** Start of the window (its end is the frame's `at`). */
  readonly from: string;
  /** First and last sample of the recording. */
  readonly startedAt: string;
  readonly endedAt: string;
}

/** Rows of a model table, or [] when the table is missing or unavailable. */
export function rowsOf(model: Model, table: string): readonly ModelRow[] {
  const t = model.tables[table];
  return t && t.rows.status === 'ok' ? t.rows.value : [];
}

/** Why a table has no rows (unavailable reason), or undefined when it has them. */
export function whyMissing(model: Model, table: string): string | undefined {
  const t = model.tables[table];
  if (!t) return `${table}: not collected`;
  return t.rows.status === 'ok' ? undefined : `${t.rows.reason}${t.rows.status === 'unavailable' && t.rows.hint ? ` (${t.rows.hint})` : ''}`;
}

export function hostRow(model: Model, table: string): ModelRow | undefined {
  return rowsOf(model, table)[0];
}
