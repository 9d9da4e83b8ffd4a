import { describe, expect, it } from 'vitest';
import { MemoSource } from '../../src/core/memo-source.js';
import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import { LiveSource } from '../../src/core/live-source.js';

class Counting extends LiveSource {
  readonly reads = new Map<string, number>();
  override readFile(path: string): Outcome<string> {
    this.reads.set(path, (this.reads.get(path) ?? 0) + 1);
    if (path === '/flaky') return (this.reads.get(path) ?? 0) === 1 ? unavailable('not-found', 'not yet') : ok('now');
    return super.readFile(path);
  }
}

describe('MemoSource', () => {
  it('reads a host-wide file once per sample', () => {
    const c = new Counting();
    const m = new MemoSource(c);
    expect(m.readFile('/proc/loadavg')).toEqual(m.readFile('/proc/loadavg'));
    expect(c.reads.get('/proc/loadavg')).toBe(1);
  });
  it('never keeps files of a process, so a re-read sees whether it is still there', () => {
    const c = new Counting();
    const m = new MemoSource(c);
    m.readFile(`/proc/${process.pid}/stat`);
    m.readFile(`/proc/${process.pid}/stat`);
    expect(c.reads.get(`/proc/${process.pid}/stat`)).toBe(2);
  });
  it('does not keep failures', () => {
    const c = new Counting();
    const m = new MemoSource(c);
    expect(m.readFile('/flaky').status).toBe('unavailable');
    expect(m.readFile('/flaky')).toEqual(ok('now'));
  });
  it('hands out copies of directory listings', () => {
    const m = new MemoSource(new LiveSource());
    const a = m.readDir('/proc');
    if (a.status === 'ok') a.value.length = 0;
    const b = m.readDir('/proc');
    expect(b.status === 'ok' && b.value.length).toBeGreaterThan(0);
  });
});
