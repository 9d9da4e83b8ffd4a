import { describe, expect, it } from 'vitest';
import { parseDelay } from '../../src/cli/tui-options.js';

describe('diag --delay / -d', () => {
  it('takes a duration, or tenths of a second as htop\'s -d; 1 s without it', () => {
    expect(parseDelay(undefined)).toBe(1000);
    expect(parseDelay('20')).toBe(2000);
    expect(parseDelay('1')).toBe(100);
    expect(parseDelay('2s')).toBe(2000);
    expect(parseDelay('500ms')).toBe(500);
    expect(parseDelay('1.5s')).toBe(1500);
    expect(parseDelay('2m')).toBe(120_000);
  });
  it('refuses what is not a delay, or one too short or too long, as a usage error', () => {
    for (const bad of ['0', '50ms', '11m', 'fast', '-5', '2 s', '', '9999999']) expect(() => parseDelay(bad), bad).toThrow(/--delay/);
  });
});
