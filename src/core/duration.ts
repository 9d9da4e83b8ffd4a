import { UsageError } from './errors.js';

/** Parse "1s", "500ms", "2m", "1.5s" (or a bare number of seconds) into milliseconds. */
export function parseDuration(text: string, option = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${option}: expected a duration such as 500ms, 1s or 2m, got ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 3_600_000) throw new UsageError(`${option}: must be between 1ms and 60m, got ${JSON.stringify(text)}`);
  return ms;
}
