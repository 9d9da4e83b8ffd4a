import { afterAll, describe, expect, it } from 'vitest';
import { collectThreads, threadsCollector } from '../../../collectors/procfs/threads/collector.js';
import { commonWchan, cpuCgroupOf, mostFrequent, parseSchedstat, parseTaskStat, parseTaskSyscall } from '../../../collectors/procfs/threads/parse.js';
import { fuzzParser } from '../../helpers/fuzz.js';
import { deriveRow } from '../../../src/core/derive.js';
import type { Row } from '../../../src/core/collector.js';
import type { Outcome } from '../../../src/core/outcome.js';
import { fixtureTree } from '../../helpers/fixture-host.js';

/** A /proc/PID/task/TID/stat line: `state`, utime, stime, starttime and delayacct_blkio_ticks planted. */
function statLine(tid: number, comm: string, state: string, blkio: number, starttime = 5000): string {
  const f: string[] = [String(tid), `(${comm})`, state];
  for (let n = 4; n <= 52; n++) f.push(n === 14 ? '10' : n === 15 ? '5' : n === 22 ? String(starttime) : n === 42 ? String(blkio) : '0');
  return f.join(' ') + '\n';
}

describe('thread time parsers', () => {
  it('schedstat: on-CPU ns, run-queue ns, timeslices; malformed refused', () => {
    expect(parseSchedstat('5544725 20041443 3\n')).toEqual({ ok: true, value: { onCpuNs: 5544725, runqNs: 20041443, timeslices: 3 } });
    expect(parseSchedstat('12 x 3').ok).toBe(false);
    expect(parseSchedstat('').ok).toBe(false);
  });

  it('task stat: state, times and field 42 (delay accounting), a command name with spaces and parentheses', () => {
    const r = parseTaskStat(statLine(42, 'my (odd) name', 'D', 77));
    expect(r).toEqual({ ok: true, value: { state: 'D', utime: 10, stime: 5, starttime: 5000, blkioTicks: 77 } });
    // An old kernel's shorter line: no field 42.
    const short = statLine(42, 'x', 'S', 0).split(' ').slice(0, 30).join(' ');
    expect(parseTaskStat(short)).toMatchObject({ ok: true, value: { blkioTicks: undefined } });
    expect(parseTaskStat('42 no-parens S 1 2').ok).toBe(false);
    expect(parseTaskStat('42 (x) ? 1 2').ok).toBe(false);
  });

  it('the cpu controller\'s cgroup: v1 (joined or alone), else v2', () => {
    expect(cpuCgroupOf('12:pids:/a\n4:cpu,cpuacct:/web\n0::/user.slice\n')).toEqual({ version: 1, path: '/web' });
    expect(cpuCgroupOf('3:cpu:/x\n')).toEqual({ version: 1, path: '/x' });
    expect(cpuCgroupOf('0::/system.slice/nginx.service\n')).toEqual({ version: 2, path: '/system.slice/nginx.service' });
    expect(cpuCgroupOf('garbage')).toBeUndefined();
  });

  it('task syscall: the call a blocked task is in (real lines captured on this machine), none while running or outside a call', () => {
    // `cat /proc/self/syscall` (read(2) of cat itself) and a sleeping `sleep 5` (clock_nanosleep)
    expect(parseTaskSyscall('0 0x3 0x7f7c11d96000 0x20000 0x7f7c11e29b60 0xffffffff 0x0 0x7ffc23132c48 0x7f7c11f122ad\n')).toEqual({ ok: true, value: 0 });
    expect(parseTaskSyscall('230 0x0 0x0 0x7ffd85b89fc0 0x7ffd85b8a000 0x0 0x0 0x7ffd85b89fa8 0x7fc74cef5503')).toEqual({ ok: true, value: 230 });
    expect(parseTaskSyscall('running\n')).toEqual({ ok: true, value: undefined });
    expect(parseTaskSyscall('-1 0x7ffd85b89fa8 0x7fc74cef5503')).toEqual({ ok: true, value: undefined });
    expect(parseTaskSyscall('').ok).toBe(false);
    expect(parseTaskSyscall('17 garbage').ok).toBe(false);
    fuzzParser(parseTaskSyscall, ['0 0x3 0x7f7c11d96000 0x20000 0x7f7c11e29b60 0xffffffff 0x0 0x7ffc23132c48 0x7f7c11f122ad\n', 'running\n']);
    expect(mostFrequent(['fsync', 'pread64', 'pread64'])).toBe('pread64');
    expect(mostFrequent(['write', 'fsync'])).toBe('fsync');
    expect(mostFrequent([])).toBeUndefined();
  });

  it('the most frequent wait channel, none for running threads', () => {
    expect(commonWchan(['pipe_read', 'futex_wait_queue', 'futex_wait_queue', '0', ''])).toBe('futex_wait_queue');
    expect(commonWchan(['0', ''])).toBeUndefined();
  });
});

describe('threads collector on a fixture host (cgroup v1 cpu with a quota)', () => {
  const files = (onCpuNs: number, runqNs: number, blkio: number, throttled: number, periods: number) => ({
    'proc/self/mountinfo': '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n',
    'proc/sys/kernel/task_delayacct': '1\n',
    'proc/100/cgroup': '4:cpu:/slow\n0::/\n',
    'proc/100/task/100/stat': statLine(100, 'app', 'R', blkio),
    'proc/100/task/100/schedstat': `${onCpuNs} ${runqNs} 10\n`,
    'proc/100/task/101/stat': statLine(101, 'app-io', 'D', 0),
    'proc/100/task/101/schedstat': `0 0 1\n`,
    'proc/100/task/101/wchan': 'io_schedule',
    // fsync(2) = 74 on x86_64
    'proc/100/task/101/syscall': '74 0x3 0x0 0x0 0x0 0x0 0x0 0x7ffd85b89fa8 0x7fc74cef5503\n',
    'proc/100/mountinfo': '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n',
    'proc/100/fd/3': '',
    'sys/fs/cgroup/cpu/slow/cpu.cfs_quota_us': '50000\n',
    'sys/fs/cgroup/cpu/slow/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu/slow/cpu.stat': `nr_periods ${periods}\nnr_throttled ${throttled}\nthrottled_time 0\n`,
  });
  const links = { 'links.json': { '/proc/100/fd/3': '/var/lib/app/data.db' } };
  const a = fixtureTree(files(1e9, 1e9, 0, 10, 100), links);
  // One second later: 0.2 s on CPU, 0.6 s waiting, 0.1 s (10 ticks) blocked; 8 of 10 periods throttled.
  const b = fixtureTree(files(1.2e9, 1.6e9, 10, 18, 110), links);
  afterAll(() => {
    a.cleanup();
    b.cleanup();
  });

  it('sums a process\'s threads and shares them over threads x window, with the cgroup\'s quota and throttling', () => {
    const s0 = collectThreads(a.source);
    const s1 = collectThreads(b.source);
    const rows = (o: Outcome<Row[]> | undefined): Row[] => (o?.status === 'ok' ? o.value : []);
    expect(rows(s1.process_time)[0]?.labels).toMatchObject({ pid: '100', comm: 'app', cpu_cgroup: '/slow', wchan: 'io_schedule', states: 'R1 D1', delayacct: 'on' });
    // the device under the mount holding its open file, and the call its D thread is in
    if (process.arch === 'x64') expect(rows(s1.process_time)[0]?.labels).toMatchObject({ io_devices: 'vda', io_syscall: 'fsync', io_where: 'to vda from fsync()' });
    const spec = threadsCollector.tables.process_time!;
    const p = deriveRow(spec, rows(s1.process_time)[0]!, rows(s0.process_time)[0]!, 1);
    // Two threads: 200 % of thread time available; 0.2 s on CPU = 10 %, 0.6 s waiting = 30 %, 0.1 s I/O = 5 %.
    expect(p.values.running_pct).toBeCloseTo(10, 5);
    expect(p.values.runq_pct).toBeCloseTo(30, 5);
    expect(p.values.io_pct).toBeCloseTo(5, 5);
    expect(p.values.other_pct).toBeCloseTo(55, 5);
    expect(p.values.quota_cores).toBe(0.5);
    expect(p.values.throttled_pct).toBeCloseTo(80, 5);
  });

  it('reads only the target\'s processes, and nothing without a target', async () => {
    expect(collectThreads(b.source, [100]).process_time).toMatchObject({ status: 'ok', value: [{ key: '100' }] });
    expect(collectThreads(b.source, [999]).process_time).toMatchObject({ status: 'ok', value: [] });
    const none = await threadsCollector.collect(b.source, { sampleIndex: 0 });
    expect(none.process_time).toMatchObject({ status: 'unavailable', code: 'not-run' });
    const some = await threadsCollector.collect(b.source, { sampleIndex: 0, processes: [100] });
    expect(some.thread_time).toMatchObject({ status: 'ok', value: [{ key: '100' }, { key: '101' }] });
  });

  it('delay accounting off: no I/O time, and a note saying how to enable it', () => {
    const off = fixtureTree({ ...files(1, 1, 5, 0, 0), 'proc/sys/kernel/task_delayacct': '0\n' });
    try {
      const o = collectThreads(off.source).process_time;
      expect(o?.status).toBe('ok');
      if (o?.status !== 'ok') return;
      expect(o.value[0]?.values.blkio).toBeUndefined();
      expect(o.notes?.join(' ')).toMatch(/delay accounting is off.*sysctl -w kernel\.task_delayacct=1.*delayacct kernel parameter/);
    } finally {
      off.cleanup();
    }
  });
});
