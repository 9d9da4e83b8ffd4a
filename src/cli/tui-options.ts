import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';

/** The options of the terminal UI itself (`diag` on a terminal). */
export const TUI_OPTIONS = {
  /** The refresh interval: a duration (2s, 500ms) or, as htop's -d, tenths of a second (20). */
  delay: { type: 'string', short: 'd' },
  /** F9 (signal) and F7/F8 (renice) on the selected process: off unless asked for. */
  'allow-signals': { type: 'boolean' },
  /** The terminal keeps the mouse (no clicks or wheel in the UI), as htop's --no-mouse. */
  'no-mouse': { type: 'boolean' },
} as const;

/** The dashboard's refresh without --delay. */
export const DEFAULT_REFRESH_MS = 1000;
const MIN_MS = 100;
const MAX_MS = 600_000;

const TENTHS = z.string().regex(/^\d{1,6}$/);

/**
 * --delay as milliseconds: a bare integer is tenths of a second (htop's -d 20 is 2 s), anything
 * else a duration (2s, 500ms, 1m). From 100 ms (a faster refresh would read /proc more than the
 * host it diagnoses can spare) to 10 minutes.
 */
export function parseDelay(text: string | undefined): number {
  if (text === undefined) return DEFAULT_REFRESH_MS;
  const ms = TENTHS.safeParse(text.trim()).success ? Number(text.trim()) * 100 : parseDuration(text, '--delay');
  if (ms < MIN_MS || ms > MAX_MS) throw new UsageError(`--delay: must be between 100ms (-d 1) and 10m, got ${JSON.stringify(text)}`, { hint: 'e.g. --delay 2s or -d 20 (tenths of a second, as htop)' });
  return ms;
}
