import { UsageError } from './errors.js';

/** Parse "1s", "500ms", "2m", "1.5s", "1h" (or a bare number of seconds) into milliseconds, at most 1 h. */
export function parseDuration(text: string, option = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${option}: expected a duration such as 500ms, 1s, 2m or 1h, got ${JSON.stringify(text)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  if (!Number.isFinite(ms) || ms <= 0 || ms > 3_600_000) throw new UsageError(`${option}: must be between 1ms and 1h, got ${JSON.stringify(text)}`);
  return ms;
}
