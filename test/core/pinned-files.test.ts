import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveSource } from '../../src/core/live-source.js';
import { PinnedFiles, pinBudget } from '../../src/core/pinned-files.js';
import { DashboardSource } from '../../src/tui/dashboard-source.js';

const openFds = () => readdirSync('/proc/self/fd').length;
const runNs = (o: { status: string; value?: string }) => (o.status === 'ok' ? Number(o.value!.split(' ')[0]) : NaN);

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('PinnedFiles (real procfs)', () => {
  it('re-reads its own /proc/PID/schedstat through one descriptor, and the text is fresh each time', () => {
    const p = new PinnedFiles('/', 10);
    const before = openFds();
    const a = runNs(p.read(`/proc/${process.pid}/schedstat`));
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i;
    const b = runNs(p.read(`/proc/${process.pid}/schedstat`));
    expect(x).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    expect(p.size).toBe(1);
    expect(openFds()).toBe(before + 1);
    p.closeAll();
    expect(openFds()).toBe(before);
  });

  it('a process that exited reads as gone (never another process), and its descriptor is let go', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const p = new PinnedFiles('/', 10);
      const path = `/proc/${child.pid}/schedstat`;
      expect(p.read(path).status).toBe('ok');
      expect(p.size).toBe(1);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const o = p.read(path);
      expect(o.status).not.toBe('ok');
      expect(p.size).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('holds at most max descriptors, and never one for a text too big to read in one go', () => {
    const none = new PinnedFiles('/', 0);
    expect(runNs(none.read(`/proc/${process.pid}/schedstat`))).toBeGreaterThan(0);
    expect(none.size).toBe(0);
    const p = new PinnedFiles('/', 10);
    // a file of many records (a read can stop short of the end): read whole, the ordinary way
    const maps = p.read('/proc/self/maps');
    expect(maps.status === 'ok' && maps.value.length).toBeGreaterThan(4096);
    expect(maps.status === 'ok' && maps.value.endsWith('\n')).toBe(true);
    expect(p.size).toBe(0);
    expect(p.read('/proc/no-such-file').status).toBe('unavailable');
    expect(p.size).toBe(0);
  });

  it('reads the leading number (schedstat run time) without a string, pinned or not', () => {
    const p = new PinnedFiles('/', 10);
    const path = `/proc/${process.pid}/schedstat`;
    const text = p.read(path);
    const n = p.readLeadingNumber(path);
    expect(n.status).toBe('ok');
    expect(n.status === 'ok' && n.value).toBeGreaterThanOrEqual(runNs(text));
    const unpinned = new PinnedFiles('/', 0).readLeadingNumber(path);
    expect(unpinned.status === 'ok' && unpinned.value).toBeGreaterThan(0);
    // a text that does not start with a number: unavailable, not 0
    expect(p.readLeadingNumber(`/proc/${process.pid}/stat`).status).toBe('ok');
    expect(p.readLeadingNumber(`/proc/${process.pid}/statm`).status).toBe('ok');
    expect(new PinnedFiles('/', 0).readLeadingNumber('/proc/self/status').status).toBe('unavailable');
    p.closeAll();
  });

  it('pinBudget: the open-files limit less 1,024 kept for the rest, at most 32,768; 0 when unknown', () => {
    const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft}                 1048576              files     \n`;
    expect(pinBudget(limits('20000'))).toBe(18_976);
    expect(pinBudget(limits('1024'))).toBe(0);
    expect(pinBudget(limits('1048576'))).toBe(32_768);
    expect(pinBudget(limits('unlimited'))).toBe(32_768);
    expect(pinBudget('garbage')).toBe(0);
    expect(pinBudget(undefined)).toBe(0);
  });
});

describe('DashboardSource with pinned schedstat files', () => {
  it('asks "did it run" through the kept descriptor, and lets it go with the process or a new one on its PID', () => {
    const root = mkdtempSync(join(tmpdir(), 'diagt-pinned-'));
    made.push(root);
    const put = (pid: number, f: string, text: string) => {
      mkdirSync(join(root, 'proc', String(pid)), { recursive: true });
      writeFileSync(join(root, 'proc', String(pid), f), text);
    };
    const stat = (pid: number, start: number, utime: number) => `${pid} (x) S 1 1 1 0 -1 0 0 0 0 0 ${utime} 0 0 0 20 0 1 0 ${start} 1000 10 0`;
    put(5, 'stat', stat(5, 100, 1));
    put(5, 'schedstat', '1000 0 1\n');
    const live = new LiveSource({ root });
    const pinned = live.pinnedFiles();
    const d = new DashboardSource(live, 10_000, () => 0, pinned);
    d.beginTick();
    d.readFile('/proc/5/stat');
    expect(pinned.size).toBe(1);
    // it runs: the new run time is seen through the same descriptor, and stat is read again
    put(5, 'schedstat', '2000 0 2\n');
    put(5, 'stat', stat(5, 100, 2));
    d.beginTick();
    const o = d.readFile('/proc/5/stat');
    expect(o.status === 'ok' && o.value).toBe(stat(5, 100, 2));
    // idle: the stat read before is the answer
    put(5, 'stat', stat(5, 100, 3));
    d.beginTick();
    const idle = d.readFile('/proc/5/stat');
    expect(idle.status === 'ok' && idle.value).toBe(stat(5, 100, 2));
    // its PID now belongs to a new process: a new descriptor (the old one would answer for the old)
    put(5, 'schedstat', '7 0 1\n');
    put(5, 'stat', stat(5, 900, 0));
    d.beginTick();
    const fresh = d.readFile('/proc/5/stat');
    expect(fresh.status === 'ok' && fresh.value).toBe(stat(5, 900, 0));
    expect(pinned.size).toBe(1);
    // gone from two refreshes: forgotten, descriptor closed
    d.beginTick();
    d.beginTick();
    expect(pinned.size).toBe(0);
    d.close();
  });
});
