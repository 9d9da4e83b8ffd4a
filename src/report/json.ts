import { sanitizeOutput } from '../core/sanitize.js';
import type { Report } from '../engine/report-schema.js';

/**
 * One diag.report/v1 document (schemas/report.schema.json); JSON has no undefined. C1, bidi and
 * invisible characters of host text are written as \uXXXX escapes (JSON.stringify leaves them
 * raw): the same strings once parsed, never acting on a terminal that shows the document.
 */
export function renderJson(r: Report): string {
  return sanitizeOutput(JSON.stringify(r, null, 2) + '\n');
}
