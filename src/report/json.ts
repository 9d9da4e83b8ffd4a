import type { Report } from '../engine/report-schema.js';

/** One diag.report/v1 document (schemas/report.schema.json); JSON has no undefined. */
export function renderJson(r: Report): string {
  return JSON.stringify(r, null, 2) + '\n';
}
