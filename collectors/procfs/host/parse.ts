import { udecimal, parsed, parseFail, type ParseResult } from '../../../src/core/parse-result.js';

/** /proc/uptime: "12345.67 23456.78" (seconds up, seconds idle summed over CPUs). */
export function parseUptime(text: string): ParseResult<{ uptime: number; idle: number }> {
  const f = text.trim().split(/\s+/);
  const uptime = udecimal(f[0]);
  const idle = udecimal(f[1]);
  if (uptime === undefined || idle === undefined) return parseFail('/proc/uptime', `expected "UPTIME IDLE", got ${JSON.stringify(text.slice(0, 60))}`);
  return parsed({ uptime, idle });
}

/** A one-line kernel identity file (/proc/sys/kernel/hostname, osrelease): printable, bounded. */
export function parseIdentity(text: string, input: string): ParseResult<string> {
  const v = text.replace(/\n$/, '');
  if (v.length === 0 || v.length > 255 || v.includes('\n')) return parseFail(input, `expected one line of at most 255 characters, got ${JSON.stringify(text.slice(0, 60))}`);
  return parsed(v);
}
