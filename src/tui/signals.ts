import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { sanitizeForTerminal } from '../core/sanitize.js';
import type { Effect, Target } from './state.js';

/** The start time in /proc/PID/stat (field 22), or undefined when the process is gone or the line is garbled. */
export function startTimeOf(statText: string): string | undefined {
  const close = statText.lastIndexOf(')');
  if (close < 0) return undefined;
  const v = statText.slice(close + 2).split(' ')[19];
  return v !== undefined && /^\d+$/.test(v) ? v : undefined;
}

/** The target is still the process that was chosen: same PID and start time (a reused PID is another process). */
function stillThere(t: Target): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${t.pid}/stat`, 'utf8');
  } catch {
    return `process ${t.pid} is gone: nothing sent`;
  }
  if (t.starttime !== undefined && startTimeOf(text) !== t.starttime) return `PID ${t.pid} is now another process: nothing sent`;
  return undefined;
}

/**
 * What --allow-signals lets F9 and F7/F8 do, by PID only (never a name, never a shell), after
 * checking the PID still names the process chosen; the footer's message says what happened.
 */
export function actOn(e: Extract<Effect, { type: 'signal' | 'renice' }>): string {
  const gone = stillThere(e.target);
  if (gone) return gone;
  const who = `${e.target.pid} (${sanitizeForTerminal(e.target.comm).slice(0, 32)})`;
  try {
    if (e.type === 'signal') {
      process.kill(e.target.pid, `SIG${e.signal}`);
      return `SIG${e.signal} sent to ${who}`;
    }
    const now = getPriority(e.target.pid);
    const next = Math.max(-20, Math.min(19, now + e.delta));
    setPriority(e.target.pid, next);
    return `nice of ${who}: ${now} -> ${next}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `${e.type === 'signal' ? `SIG${e.signal}` : 'renice'} ${who} failed: ${code === 'EPERM' || code === 'EACCES' ? 'not permitted (another user\'s process, or a lower nice value needs root)' : code === 'ESRCH' ? 'no such process' : String(code ?? err)}`;
  }
}
