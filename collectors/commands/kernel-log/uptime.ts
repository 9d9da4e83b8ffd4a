import { decimal } from '../../../src/core/parse-result.js';

/** /proc/uptime: seconds since boot (first field), undefined when garbled. */
export function parse(text: string): number | undefined {
  return decimal(text.trim().split(/\s+/)[0]);
}
