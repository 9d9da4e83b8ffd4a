import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/core/outcome.js';
import type { Clock, CommandResult, CommandSpec, Source, StatFs } from '../../src/core/source.js';
import { DashboardSource } from '../../src/tui/dashboard-source.js';

/** A host in memory that counts every read. */
class CountingSource implements Source {
  readonly kind = 'fixture' as const;
  readonly description = 'counting';
  readonly files = new Map<string, string>();
  readonly dirs = new Map<string, string[]>();
  readonly reads = new Map<string, number>();
  private count(p: string) {
    this.reads.set(p, (this.reads.get(p) ?? 0) + 1);
  }
  readFile(p: string): Outcome<string> {
    this.count(p);
    const t = this.files.get(p);
    return t === undefined ? { status: 'unavailable', reason: 'ENOENT' } : { status: 'ok', value: t };
  }
  readDir(p: string): Outcome<string[]> {
    this.count(p);
    const d = this.dirs.get(p);
    return d === undefined ? { status: 'unavailable', reason: 'ENOENT' } : { status: 'ok', value: [...d] };
  }
  readLink(): Outcome<string> {
    return { status: 'unavailable', reason: 'no' };
  }
  statfs(): Outcome<StatFs> {
    return { status: 'unavailable', reason: 'no' };
  }
  run(_: CommandSpec): Promise<Outcome<CommandResult>> {
    return Promise.resolve({ status: 'unavailable', reason: 'no' });
  }
  now(): Clock {
    return { monoMs: 0, wall: '' };
  }
}

const stat = (pid: number, comm: string, starttime: number, utime = 0) => `${pid} (${comm}) S 1 1 1 0 -1 4194560 0 0 0 0 ${utime} 0 0 0 20 0 1 0 ${starttime} 1000 10 0`;

function host() {
  const h = new CountingSource();
  const set = (pid: number, starttime: number, run: number, comm = 'a) b') => {
    h.files.set(`/proc/${pid}/stat`, stat(pid, comm, starttime));
    h.files.set(`/proc/${pid}/schedstat`, `${run} 0 1\n`);
    for (const f of ['status', 'io', 'cmdline', 'limits', 'cgroup']) h.files.set(`/proc/${pid}/${f}`, `${f} of ${pid}@${starttime}`);
    h.dirs.set(`/proc/${pid}/fd`, ['0', '1', '2']);
  };
  return { h, set };
}

/** One refresh as the processes collector reads a process. */
function scan(d: DashboardSource, pid: number): string[] {
  d.readFile(`/proc/${pid}/stat`);
  const out = ['status', 'limits', 'cgroup', 'cmdline', 'io'].map((f) => {
    const o = d.readFile(`/proc/${pid}/${f}`);
    return o.status === 'ok' ? o.value : o.reason;
  });
  const fd = d.readDir(`/proc/${pid}/fd`);
  return [...out, fd.status === 'ok' ? String(fd.value.length) : 'none'];
}

describe('DashboardSource', () => {
  it('re-reads stat, status, io and fds of a process only when it ran (schedstat moved)', () => {
    const { h, set } = host();
    let now = 0;
    const d = new DashboardSource(h, 10_000, () => now);
    set(42, 100, 5000);
    for (let i = 0; i < 3; i++) {
      d.beginTick();
      scan(d, 42);
      now += 1000;
    }
    expect(h.reads.get('/proc/42/schedstat')).toBe(3);
    expect(h.reads.get('/proc/42/stat')).toBe(1);
    expect(h.reads.get('/proc/42/status')).toBe(1);
    expect(h.reads.get('/proc/42/io')).toBe(1);
    expect(h.reads.get('/proc/42/fd')).toBe(1);
    // it runs: read again, and the new contents are returned
    h.files.set('/proc/42/schedstat', '6000 0 2\n');
    h.files.set('/proc/42/status', 'status changed');
    h.dirs.set('/proc/42/fd', ['0', '1', '2', '3']);
    d.beginTick();
    const r = scan(d, 42);
    expect(r[0]).toBe('status changed');
    expect(r[5]).toBe('4');
    expect(h.reads.get('/proc/42/status')).toBe(2);
    expect(h.reads.get('/proc/42/stat')).toBe(2);
    // a second stat read in the same refresh ("is it gone?") is answered by the host
    d.readFile('/proc/42/stat');
    expect(h.reads.get('/proc/42/stat')).toBe(3);
  });

  it('reads cmdline, limits and cgroup again after at most maxAge, even of an idle process', () => {
    const { h, set } = host();
    let now = 0;
    const d = new DashboardSource(h, 10_000, () => now);
    set(7, 1, 10);
    for (let i = 0; i < 25; i++) {
      d.beginTick();
      scan(d, 7);
      now += 1000;
    }
    // 25 s: re-read every 5-10 s, so 3 to 5 times, never every second
    for (const f of ['cmdline', 'limits', 'cgroup', 'status', 'stat']) {
      expect(h.reads.get(`/proc/7/${f}`)).toBeGreaterThanOrEqual(3);
      expect(h.reads.get(`/proc/7/${f}`)).toBeLessThanOrEqual(6);
    }
  });

  it('a reused PID (another start time) is a new process: nothing of the old one is returned', () => {
    const { h, set } = host();
    const d = new DashboardSource(h, 10_000, () => 0);
    set(9, 100, 1);
    d.beginTick();
    expect(scan(d, 9)[3]).toBe('cmdline of 9@100');
    set(9, 200, 2);
    d.beginTick();
    expect(scan(d, 9)[3]).toBe('cmdline of 9@200');
  });

  it('without schedstat every file is read every time; failures are never cached', () => {
    const { h, set } = host();
    const d = new DashboardSource(h, 10_000, () => 0);
    set(3, 1, 1);
    h.files.delete('/proc/3/schedstat');
    h.files.delete('/proc/3/io');
    for (let i = 0; i < 3; i++) {
      d.beginTick();
      expect(scan(d, 3)[4]).toBe('ENOENT');
    }
    expect(h.reads.get('/proc/3/status')).toBe(3);
    expect(h.reads.get('/proc/3/stat')).toBe(3);
    expect(h.reads.get('/proc/3/io')).toBe(3);
  });

  it('passes other paths through and forgets processes that are gone', () => {
    const { h, set } = host();
    const d = new DashboardSource(h, 10_000, () => 0);
    h.files.set('/proc/stat', 'cpu 1 2 3');
    for (let i = 0; i < 3; i++) d.readFile('/proc/stat');
    expect(h.reads.get('/proc/stat')).toBe(3);
    set(5, 1, 1);
    d.beginTick();
    scan(d, 5);
    expect(d.size).toBe(1);
    d.beginTick();
    d.beginTick();
    expect(d.size).toBe(0);
    // a file of a process read without its stat first is not cached
    d.readFile('/proc/5/cmdline');
    d.readFile('/proc/5/cmdline');
    expect(h.reads.get('/proc/5/cmdline')).toBe(3);
  });
});
