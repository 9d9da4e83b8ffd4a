import { USE_KINDS } from '../../engine/playbook-schema.js';
import { safe } from '../text.js';
import { useMatrixVM, type MatrixRow } from '../view-models/use-matrix.js';
import type { Column, TablePanel } from './types.js';

const TITLES = { utilization: 'util', saturation: 'satur', errors: 'errors' } as const;

/** A USE cell is 4 to 6 columns wide, sharing what the resource names leave. */
const cellWidth = (inner: number) => Math.max(4, Math.min(6, Math.floor((inner - 12) / 3)));

/** The USE matrix: a row per resource, a cell per kind, unknown never shown as ok. */
export const matrixPanel: TablePanel<MatrixRow> = {
  kind: 'table',
  id: 'matrix',
  title: 'USE matrix',
  selectable: true,
  gap: 0,
  columns: [
    { id: 'resource', title: 'resource', width: 11, value: (r) => r.resource },
    ...USE_KINDS.map((k): Column<MatrixRow> => ({ id: k, title: TITLES[k], width: cellWidth, value: (r) => r.cells[k].text, tone: (r) => r.cells[k].tone })),
  ],
  rows: (frame) => useMatrixVM(frame.evaluation),
  rowId: (r) => r.resource,
  empty: () => ({ text: 'no resources' }),
  onEnter: (r) => ({
    kind: 'overlay',
    content: { title: 'USE cell', lines: USE_KINDS.map((k) => safe(`${r.resource} ${k}: ${r.cells[k].text} - ${r.cells[k].detail}`)), selectable: 0 },
  }),
};
