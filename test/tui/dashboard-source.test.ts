import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/core/outcome.js';
import type { Clock, CommandResult, CommandSpec, Source, StatFs } from '../../src/core/source.js';
import { DashboardSource } from '../../src/tui/dashboard-source.js';

/** A host in memory that counts every read. */
class CountingSource implements Source {
  readonly kind = 'fixture' as const;
  readonly replay = true;
  readonly description = 'counting';
  readonly files = new Map<string, string>();
  readonly dirs = new Map<string, string[]>();
  readonly reads = new Map<string, number>();
  readonly links = new Map<string, string>();
  private count(p: string) {
    this.reads.set(p, (this.reads.get(p) ?? 0) + 1);
  }
  readFile(p: string): Outcome<string> {
    this.count(p);
    const t = this.files.get(p);
    return t === undefined ? { status: 'unavailable', code: 'not-found', reason: 'ENOENT' } : { status: 'ok', value: t };
  }
  readDir(p: string): Outcome<string[]> {
    this.count(p);
    const d = this.dirs.get(p);
    return d === undefined ? { status: 'unavailable', code: 'not-found', reason: 'ENOENT' } : { status: 'ok', value: [...d] };
  }
  readLink(p: string): Outcome<string> {
    this.count(p);
    const t = this.links.get(p);
    return t === undefined ? { status: 'unavailable', code: 'not-found', reason: 'no' } : { status: 'ok', value: t };
  }
  statfs(): Outcome<StatFs> {
    return { status: 'unavailable', code: 'not-found', reason: 'no' };
  }
  run(_: CommandSpec): Promise<Outcome<CommandResult>> {
    return Promise.resolve({ status: 'unavailable', code: 'not-found', reason: 'no' });
  }
  now(): Clock {
    return { monoMs: 0, wall: '' };
  }
}

const stat = (pid: number, comm: string, starttime: number, utime = 0, threads = 1) =>
  `${pid} (${comm}) S 1 1 1 0 -1 4194560 0 0 0 0 ${utime} 0 0 0 20 0 ${threads} 0 ${starttime} 1000 10 0`;

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

/** A dashboard source on h whose clock advances 1 s per refresh; refresh(pid, n, before?) scans n times. */
function dashboard(h: CountingSource) {
  let now = 0;
  const d = new DashboardSource(h, 10_000, () => now);
  const refresh = (pid: number, n: number, before?: (i: number) => void) => {
    for (let i = 0; i < n; i++) {
      before?.(i);
      d.beginTick();
      scan(d, pid);
      now += 1000;
    }
  };
  return { d, refresh };
}

describe('DashboardSource', () => {
  it('re-reads stat, status, io and fds of a process only when it ran (schedstat moved)', () => {
    const { h, set } = host();
    const { d, refresh } = dashboard(h);
    set(42, 100, 5000);
    refresh(42, 3);
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

  it('reads the files of an idle process again after their age: stat and status 5-10 s, limits and cgroup 15-30 s, io, fds and cmdline 30-60 s', () => {
    const { h, set } = host();
    const { refresh } = dashboard(h);
    set(7, 1, 10);
    refresh(7, 61);
    const reads = (f: string) => h.reads.get(`/proc/7/${f}`) ?? 0;
    expect(reads('schedstat')).toBe(61);
    for (const f of ['stat', 'status']) {
      expect(reads(f)).toBeGreaterThanOrEqual(7);
      expect(reads(f)).toBeLessThanOrEqual(13);
    }
    for (const f of ['limits', 'cgroup']) {
      expect(reads(f)).toBeGreaterThanOrEqual(3);
      expect(reads(f)).toBeLessThanOrEqual(5);
    }
    for (const f of ['io', 'fd', 'cmdline']) {
      expect(reads(f)).toBeGreaterThanOrEqual(2);
      expect(reads(f)).toBeLessThanOrEqual(3);
    }
  });

  it('once a process ran, its cmdline is read again after 5-10 s, its io and fds at once', () => {
    const { h, set } = host();
    const { refresh } = dashboard(h);
    set(8, 1, 10);
    refresh(8, 12, (i) => h.files.set('/proc/8/schedstat', `${100 + i} 0 1\n`));
    expect(h.reads.get('/proc/8/io')).toBe(12);
    expect(h.reads.get('/proc/8/fd')).toBe(12);
    expect(h.reads.get('/proc/8/cmdline')).toBeGreaterThanOrEqual(2);
    expect(h.reads.get('/proc/8/cmdline')).toBeLessThanOrEqual(3);
  });

  it('a multi-threaded process is judged by its stat, not by its main thread\'s schedstat', () => {
    const { h } = host();
    let now = 0;
    const d = new DashboardSource(h, 10_000, () => now);
    // a JVM-like process: the main thread sleeps (schedstat still), the other threads burn CPU
    h.files.set('/proc/11/schedstat', '500 0 1\n');
    for (const f of ['status', 'io', 'cmdline', 'limits', 'cgroup']) h.files.set(`/proc/11/${f}`, `${f} v0`);
    h.dirs.set('/proc/11/fd', ['0']);
    let first: unknown;
    for (let i = 0; i < 4; i++) {
      h.files.set('/proc/11/stat', stat(11, 'java', 1, 100 * i, 30));
      h.files.set('/proc/11/io', `io v${i}`);
      d.beginTick();
      const o = d.readFile('/proc/11/stat');
      expect(o.status === 'ok' && o.value).toBe(stat(11, 'java', 1, 100 * i, 30));
      expect(scan(d, 11)[4]).toBe(`io v${i}`);
      first ??= o;
      now += 1000;
    }
    expect(h.reads.get('/proc/11/schedstat')).toBeUndefined();
    // its stat stops moving: the files read before are reused, the stat is the same object
    d.beginTick();
    const a = d.readFile('/proc/11/stat');
    h.files.set('/proc/11/io', 'io later');
    d.beginTick();
    expect(d.readFile('/proc/11/stat')).toBe(a);
    expect(scan(d, 11)[4]).toBe('io v3');
    expect(first).not.toBe(a);
  });

  it('keeps one copy of a limits or cgroup text that many processes share', () => {
    const { h, set } = host();
    const d = new DashboardSource(h, 10_000, () => 0);
    set(21, 1, 1);
    set(22, 1, 1);
    for (const pid of [21, 22]) {
      h.files.set(`/proc/${pid}/limits`, 'Max open files 1024 4096 files\n'.repeat(2));
      h.files.set(`/proc/${pid}/status`, `status of ${pid}`);
    }
    d.beginTick();
    const got = [21, 22].map((pid) => {
      d.readFile(`/proc/${pid}/stat`);
      return d.readFile(`/proc/${pid}/limits`);
    });
    expect(got[0]).toBe(got[1]);
    expect(got[0]!.status === 'ok' && got[0]!.value).toBe('Max open files 1024 4096 files\n'.repeat(2));
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

  it('without schedstat the stat is read every time and compared; failures are never cached', () => {
    const { h, set } = host();
    const d = new DashboardSource(h, 10_000, () => 0);
    set(3, 1, 1);
    h.files.delete('/proc/3/schedstat');
    h.files.delete('/proc/3/io');
    for (let i = 0; i < 3; i++) {
      d.beginTick();
      expect(scan(d, 3)[4]).toBe('ENOENT');
    }
    expect(h.reads.get('/proc/3/schedstat')).toBe(1);
    expect(h.reads.get('/proc/3/stat')).toBe(3);
    expect(h.reads.get('/proc/3/status')).toBe(1);
    expect(h.reads.get('/proc/3/io')).toBe(3);
    // it ran (its stat moved): everything is read again
    h.files.set('/proc/3/stat', stat(3, 'a) b', 1, 7));
    d.beginTick();
    scan(d, 3);
    expect(h.reads.get('/proc/3/status')).toBe(2);
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

let lastDashboard: DashboardSource | undefined;

describe('DashboardSource, idle reuse (diag serve: scrapes 15-60 s apart)', () => {
  /** A host with /proc listed and /proc/vmstat; n scrapes 15 s apart, each listing /proc first. */
  function served(maxAgeMs = 300_000) {
    const { h, set } = host();
    h.files.set('/proc/vmstat', 'nr_free_pages 100\npgsteal_kswapd 10\npgsteal_direct 5\npswpout 0\npgfault 1\n');
    let now = 0;
    const d = new DashboardSource(h, 10_000, () => now, undefined, { maxAgeMs });
    lastDashboard = d;
    const pids: number[] = [];
    const add = (pid: number, run: number, ppid = 1) => {
      set(pid, 1, run);
      h.files.set(`/proc/${pid}/stat`, `${pid} (p) S ${ppid} 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 1 1000 10 0`);
      pids.push(pid);
      h.dirs.set('/proc', pids.map(String));
    };
    const remove = (pid: number) => {
      pids.splice(pids.indexOf(pid), 1);
      h.dirs.set('/proc', pids.map(String));
      for (const f of ['stat', 'status', 'io', 'cmdline', 'limits', 'cgroup', 'schedstat']) h.files.delete(`/proc/${pid}/${f}`);
    };
    const scrape = (n = 1, before?: (i: number) => void) => {
      for (let i = 0; i < n; i++) {
        before?.(i);
        d.beginTick();
        const listed = d.readDir('/proc');
        if (listed.status === 'ok') for (const p of listed.value) scan(d, Number(p));
        now += 15_000;
      }
    };
    const reads = (pid: number, f: string) => h.reads.get(`/proc/${pid}/${f}`) ?? 0;
    return { h, d, add, remove, scrape, reads };
  }

  it('an idle single-threaded process: only its schedstat is read each scrape; limits and cgroup again within 150-300 s, stat and status 300-600 s, io, fds and cmdline 600-1200 s', () => {
    const { add, scrape, reads } = served();
    add(7, 10);
    scrape(160); // 2,400 s
    expect(reads(7, 'schedstat')).toBe(160);
    const within = (files: string[], lo: number, hi: number) => {
      for (const f of files) {
        expect(reads(7, f), f).toBeGreaterThanOrEqual(lo);
        expect(reads(7, f), f).toBeLessThanOrEqual(hi);
      }
    };
    within(['limits', 'cgroup'], 1 + 8, 1 + 16);
    within(['stat', 'status'], 1 + 4, 1 + 8);
    within(['io', 'fd', 'cmdline'], 1 + 2, 1 + 4);
  });

  it('a process that ran is read again at once, as without idle reuse', () => {
    const { h, add, scrape, reads } = served();
    add(8, 10);
    scrape(6, (i) => h.files.set('/proc/8/schedstat', `${100 + i} 0 1\n`));
    for (const f of ['stat', 'status', 'io', 'fd']) expect(reads(8, f), f).toBe(6);
  });

  it('after host-wide reclaim (pgsteal or pswpout moved) stat and status of idle processes are read again, nothing else', () => {
    const { h, add, scrape, reads } = served();
    add(9, 10);
    scrape(3);
    const before = Object.fromEntries(['stat', 'status', 'io', 'limits'].map((f) => [f, reads(9, f)]));
    h.files.set('/proc/vmstat', 'nr_free_pages 100\npgsteal_kswapd 10\npgsteal_direct 5\npswpout 3\npgfault 1\n');
    scrape(1);
    expect(reads(9, 'stat')).toBe(before.stat! + 1);
    expect(reads(9, 'status')).toBe(before.status! + 1);
    expect(reads(9, 'io')).toBe(before.io);
    expect(reads(9, 'limits')).toBe(before.limits);
    scrape(2); // no more reclaim: reused again
    expect(reads(9, 'stat')).toBe(before.stat! + 1);
  });

  it('a process whose parent exited is read again (the kernel re-parented it without its running)', () => {
    const { add, remove, scrape, reads } = served();
    add(20, 10);
    add(21, 10, 20);
    add(22, 10, 1);
    scrape(3);
    const stat21 = reads(21, 'stat');
    const stat22 = reads(22, 'stat');
    remove(20);
    scrape(1);
    expect(reads(21, 'stat')).toBe(stat21 + 1);
    expect(reads(21, 'status')).toBeGreaterThan(0);
    expect(reads(22, 'stat')).toBe(stat22);
  });

  it('without a readable /proc/vmstat, idle processes fall back to the short ages (reclaim cannot be ruled out)', () => {
    const { h, add, scrape, reads } = served();
    h.files.delete('/proc/vmstat');
    add(30, 10);
    scrape(8);
    expect(reads(30, 'stat')).toBe(8);
    expect(reads(30, 'status')).toBe(8);
    // io, fds and cmdline change only when the process runs
    expect(reads(30, 'io')).toBeLessThanOrEqual(2);
  });

  it('namespace links of a process that did not run are reused; after it ran (it may have called setns) read again', () => {
    const { h, add, scrape, reads } = served();
    add(40, 10);
    h.links.set('/proc/40/ns/net', 'net:[4026531840]');
    scrape(1);
    const ds = lastDashboard!;
    const link = () => ds.readLink('/proc/40/ns/net');
    expect(link()).toEqual({ status: 'ok', value: 'net:[4026531840]' });
    scrape(1);
    h.links.set('/proc/40/ns/net', 'net:[4026532000]');
    expect(link()).toEqual({ status: 'ok', value: 'net:[4026531840]' });
    expect(reads(40, 'ns/net')).toBe(1);
    scrape(1, () => h.files.set('/proc/40/schedstat', '99 0 1\n'));
    expect(link()).toEqual({ status: 'ok', value: 'net:[4026532000]' });
    expect(reads(40, 'ns/net')).toBe(2);
    // other links and unknown processes pass through
    ds.readLink('/proc/41/ns/net');
    ds.readLink('/proc/self/ns/net');
    expect(h.reads.get('/proc/41/ns/net')).toBe(1);
  });
});

