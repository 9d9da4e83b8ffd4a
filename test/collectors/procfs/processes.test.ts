import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processesCollector } from '../../../collectors/procfs/processes/collector.js';
import {
  cgroupLabel,
  CMDLINE_MAX,
  cmdlineText,
  parseCmdline,
  parseOpenFilesLimit,
  parsePidCgroup,
  parsePidIo,
  parsePidStat,
  parsePidStatus,
} from '../../../collectors/procfs/processes/parse.js';
import { parsePasswd } from '../../../collectors/procfs/processes/passwd.js';
import { isPidName } from '../../../collectors/procfs/processes/pids.js';
import { parseFileNr, parseSysctlUint } from '../../../collectors/procfs/tasks/parse.js';
import { tasksCollector } from '../../../collectors/procfs/tasks/collector.js';
import { CollectorMemo } from '../../../src/core/collector-memo.js';
import { deriveModel, deriveRow, type ModelRow } from '../../../src/core/derive.js';
import { collectSample } from '../../../src/core/sample.js';
import { PID_MAX_LIMIT } from '../../../src/core/parse-result.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { fixtureTree, notFound } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const real = (f: string) => readFileSync(new URL(`../../fixtures/procfs/pid-6.18-odd-comm/${f}`, import.meta.url), 'utf8');
// A real /proc/PID/stat, status... of a process whose command name is "a b) (c\nd" (Linux 6.18).
const oddStat = real('stat');
const oddStatus = real('status');
const oddIo = real('io');
const oddLimits = real('limits');
const oddCgroup = real('cgroup');
const oddCmdline = real('cmdline');

/** A plausible stat line for tests: fields after the command name in kernel order. */
function statLine(pid: number, comm: string, o: { state?: string; ppid?: number; utime?: number; stime?: number; threads?: number; start?: number; rss?: number } = {}): string {
  const after = [o.state ?? 'S', o.ppid ?? 1, pid, pid, 0, -1, 4194304, 100, 0, 2, 0, o.utime ?? 0, o.stime ?? 0, 0, 0, 20, 0, o.threads ?? 1, 0, o.start ?? 1000, 2990080, o.rss ?? 429];
  return `${pid} (${comm}) ${after.join(' ')} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;
}
const kthreadStatus = 'Name:\tkworker/0:1\nUmask:\t0000\nState:\tI (idle)\nTgid:\t11\nPid:\t11\nPPid:\t2\nUid:\t0\t0\t0\t0\nThreads:\t1\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t0\n';
// 2.6.32 (RHEL 6): no VmSwap (2.6.34), no Kthread, no NStgid.
const status2632 = 'Name:\tsshd\nState:\tS (sleeping)\nTgid:\t1234\nPid:\t1234\nPPid:\t1\nTracerPid:\t0\nUid:\t74\t74\t74\t74\nGid:\t74\t74\t74\t74\nVmPeak:\t   66236 kB\nVmRSS:\t    1204 kB\nThreads:\t1\nvoluntary_ctxt_switches:\t17\nnonvoluntary_ctxt_switches:\t3\n';
const limitsHead = 'Limit                     Soft Limit           Hard Limit           Units     \n';

describe('parsePidStat', () => {
  it('cuts the command name between the first "(" and the last ")": spaces, ")" and newlines', () => {
    const r = parsePidStat(oddStat);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ pid: 16591, comm: 'a b) (c\nd', state: 'S', ppid: 16590, utime: 0, stime: 0, numThreads: 1, starttime: 82454, rssPages: 429, nice: 0, minflt: 189 });
  });
  it('handles names that look like fields and empty names', () => {
    const tricky = parsePidStat(statLine(7, ') S 1 2 3 (x', { utime: 55, start: 777 }));
    expect(tricky.ok && tricky.value).toMatchObject({ pid: 7, comm: ') S 1 2 3 (x', state: 'S', utime: 55, starttime: 777 });
    expect(parsePidStat(statLine(8, '')).ok && parsePidStat(statLine(8, ''))).toMatchObject({ value: { comm: '', starttime: 1000 } });
  });
  it('reads an old kernel line with fewer trailing fields (2.6.18: 44 fields)', () => {
    const old = '1 (init) S 0 1 1 0 -1 4202752 2093 1247717 13 2111 4 227 9573 12034 15 0 1 0 22 10346496 175 18446744073709551615 4194304 4235276 140736944195040 18446744073709551615 210460624595 0 0 4096 536962595 18446744073709551615 0 0 0 3 0 0 0\n';
    const r = parsePidStat(old);
    expect(r.ok && r.value).toMatchObject({ pid: 1, comm: 'init', utime: 4, stime: 227, starttime: 22, rssPages: 175 });
  });
  it('tells kernel threads by PF_KTHREAD in the flags field (flags 69238880 as a kworker shows them on Linux 6.18)', () => {
    const kworker = '4926 (kworker/u8:3-loop0) I 2 0 0 0 -1 69238880 0 0 0 0 0 1067 0 0 20 0 1 0 9130 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
    expect(parsePidStat(kworker)).toMatchObject({ ok: true, value: { comm: 'kworker/u8:3-loop0', ppid: 2, kthread: true } });
    // 4194304 = PF_RANDOMIZE... a user process: no kthread
    const user = parsePidStat(statLine(9, 'dd'));
    expect(user.ok && user.value.kthread).toBeUndefined();
  });
  it('rejects empty, truncated and garbled lines', () => {
    expect(parsePidStat('').ok).toBe(false);
    expect(parsePidStat('1234 (bash').ok).toBe(false);
    expect(parsePidStat('1234 (bash) S 1 2 3').ok).toBe(false); // no starttime
    expect(parsePidStat('x (bash) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21\n').ok).toBe(false);
    expect(parsePidStat(statLine(9, 'ok').replace(') S ', ') SS ')).ok).toBe(false);
    expect(parsePidStat(oddStat.slice(0, oddStat.indexOf(' 82454'))).ok).toBe(false);
  });
  it('leaves a garbled counter missing instead of zero', () => {
    const r = parsePidStat(statLine(10, 'x').replace(' 0 0 0 0 20 ', ' 0 zz 0 0 20 '));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.stime).toBeUndefined();
  });
  it('survives fuzzing: only PIDs and counters the kernel can print', () =>
    fuzzParser(parsePidStat, [oddStat, statLine(1, 'a b) c'), statLine(2, '')], 400, {
      signed: ['nice'],
      check: (v) => {
        expect(v.pid).toBeLessThanOrEqual(PID_MAX_LIMIT);
        if (v.ppid !== undefined) expect(v.ppid).toBeLessThanOrEqual(PID_MAX_LIMIT);
        if (v.nice !== undefined) expect(v.nice >= -20 && v.nice <= 19, `nice ${v.nice}`).toBe(true);
      },
    }));

  it('rejects a PID past PID_MAX_LIMIT and counters past 2^53 (never rounded)', () => {
    expect(parsePidStat(statLine(4194304, 'x')).ok).toBe(true);
    expect(parsePidStat(statLine(4194305, 'x')).ok).toBe(false);
    expect(parsePidStat(statLine(1, 'x').replace(/^1 /, '18446744073709551615 ')).ok).toBe(false);
    // utime (field 14) at 2^53 - 1 is kept exactly; one more is missing, not rounded
    const at = (v: string) => {
      const f = statLine(7, 'x').split(' ');
      f[13] = v;
      return parsePidStat(f.join(' '));
    };
    const ok = at('9007199254740991');
    expect(ok.ok && ok.value.utime).toBe(9007199254740991);
    const past = at('9007199254740993');
    expect(past.ok && past.value.utime).toBeUndefined();
  });
});

describe('parsePasswd', () => {
  it('maps this machine\'s /etc/passwd uid -> name; the first line of a uid wins', () => {
    const users = parsePasswd(readFileSync(new URL('../../fixtures/procfs/passwd-debian12.txt', import.meta.url), 'utf8'));
    expect(users.ok && users.value.get(0)).toBe('root');
    expect(users.ok && users.value.get(65534)).toBe('nobody');
    expect(users.ok && users.value.get(998)).toBe('systemd-network');
    expect(users.ok && users.value.size).toBe(26);
    expect(parsePasswd('a:x:5:5::/:/bin/sh\nb:x:5:5::/:/bin/sh\n')).toEqual({ ok: true, value: new Map([[5, 'a']]) });
  });
  it('skips what is not an entry: comments, NIS lines, bad uids, names with blanks or escapes', () => {
    const text = '# c\n+::::::\n-bad:x:3:3::/:\nx y:x:4:4::/:\nev\x1b[2Jil:x:6:6::/:\nneg:x:-1:0::/:\nhuge:x:4294967295:0::/:\nshort:x\nok:x:7:7\n';
    expect(parsePasswd(text)).toEqual({ ok: true, value: new Map([[7, 'ok']]) });
  });
  it('never throws on malformed input', () => {
    fuzzParser(parsePasswd, [readFileSync(new URL('../../fixtures/procfs/passwd-debian12.txt', import.meta.url), 'utf8')], 300);
  });
});

describe('parsePidStatus', () => {
  it('reads uid, VmSize, RSS, swap and context switches; the escaped Name cannot forge lines', () => {
    expect(parsePidStatus(oddStatus)).toEqual({ ok: true, value: { uid: 0, vmSizeBytes: 2920 * 1024, rssBytes: 1828 * 1024, swapBytes: 0, voluntaryCtxt: 3, nonvoluntaryCtxt: 0 } });
    const forged = 'Name:\tx\\nVmRSS:\t999 kB\nUid:\t1000\t1000\t1000\t1000\n';
    expect(parsePidStatus(forged).ok && parsePidStatus(forged)).toMatchObject({ value: { uid: 1000, rssBytes: undefined } });
  });
  it('kernel threads have no RSS line; 2.6.32 has no VmSwap: both stay missing', () => {
    expect(parsePidStatus(kthreadStatus)).toEqual({ ok: true, value: { uid: 0, vmSizeBytes: undefined, rssBytes: undefined, swapBytes: undefined, voluntaryCtxt: 5, nonvoluntaryCtxt: 0 } });
    expect(parsePidStatus(status2632)).toEqual({ ok: true, value: { uid: 74, vmSizeBytes: undefined, rssBytes: 1204 * 1024, swapBytes: undefined, voluntaryCtxt: 17, nonvoluntaryCtxt: 3 } });
  });
  it('finds the lines in any order (a kernel that moves them costs a search, never a value)', () => {
    const reordered = 'Name:\tx\nvoluntary_ctxt_switches:\t7\nVmSwap:\t2 kB\nVmRSS:\t3 kB\nUid:\t5\t5\t5\t5\nnonvoluntary_ctxt_switches:\t1\n';
    expect(parsePidStatus(reordered)).toEqual({ ok: true, value: { uid: 5, vmSizeBytes: undefined, rssBytes: 3072, swapBytes: 2048, voluntaryCtxt: 7, nonvoluntaryCtxt: 1 } });
  });
  it('rejects what is not a status file', () => {
    expect(parsePidStatus('').ok).toBe(false);
    expect(parsePidStatus('Uid:\t0\n').ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parsePidStatus, [oddStatus, kthreadStatus, status2632]));
});

describe('parsePidIo, parseOpenFilesLimit, parsePidCgroup, cmdline', () => {
  it('parses /proc/PID/io', () => {
    expect(parsePidIo(oddIo)).toEqual({ ok: true, value: { rchar: 6985, wchar: 9, readBytes: 0, writeBytes: 0, cancelledWriteBytes: 0 } });
    // 2.6.18 without the storage lines (CONFIG_TASK_IO_ACCOUNTING off): rchar only
    expect(parsePidIo('rchar: 5\nwchar: 6\nsyscr: 1\nsyscw: 1\n')).toEqual({ ok: true, value: { rchar: 5, wchar: 6, readBytes: undefined, writeBytes: undefined, cancelledWriteBytes: undefined } });
    expect(parsePidIo('').ok).toBe(false);
    expect(parsePidIo('rchar: x\n').ok).toBe(false);
    fuzzParser(parsePidIo, [oddIo]);
  });
  it('parses the open files limit', () => {
    expect(parseOpenFilesLimit(oddLimits)).toEqual({ ok: true, value: { soft: 20000, hard: 20000 } });
    expect(parseOpenFilesLimit(`${limitsHead}Max open files            unlimited            unlimited            files     \n`)).toEqual({ ok: true, value: {} });
    expect(parseOpenFilesLimit(`${limitsHead}Max open files            1024                 524288               files`)).toEqual({ ok: true, value: { soft: 1024, hard: 524288 } });
    expect(parseOpenFilesLimit(limitsHead).ok).toBe(false);
    expect(parseOpenFilesLimit('').ok).toBe(false);
    expect(parseOpenFilesLimit(`${limitsHead}Max open files            many                 1                    files\n`).ok).toBe(false);
    fuzzParser(parseOpenFilesLimit, [oddLimits]);
  });
  it('parses cgroup v1, v2 and hybrid files and picks the path shown', () => {
    const hybrid = parsePidCgroup(oddCgroup);
    expect(hybrid.ok && hybrid.value).toEqual({ unified: '/', memory: '/process_api/59ca81390d9b1b628ca84fabc0a31979', firstV1: '/', others: ['/', '/process_api/59ca81390d9b1b628ca84fabc0a31979'] });
    expect(hybrid.ok && cgroupLabel(hybrid.value)).toBe('/process_api/59ca81390d9b1b628ca84fabc0a31979');
    const v2 = parsePidCgroup('0::/system.slice/my:odd service.service\n');
    expect(v2.ok && cgroupLabel(v2.value)).toBe('/system.slice/my:odd service.service');
    const v1 = parsePidCgroup('4:cpu,cpuacct:/a\n3:memory,hugetlb:/b\n');
    expect(v1.ok && cgroupLabel(v1.value)).toBe('/b');
    // a v2 host that also mounts the named name=systemd hierarchy (coroot-node-agent's
    // cgroup/fixtures/proc/800/cgroup, captured on a real host, Apache-2.0): the named hierarchy
    // holds no controller, the process's container is the v2 path (was "/")
    const named = parsePidCgroup('1:name=systemd:/\n0::/system.slice/docker-cf87ba651579c9231db817909e7865e5747bd7abcac0c57ce23cf4abbaee046b.scope');
    expect(named.ok && cgroupLabel(named.value)).toBe('/system.slice/docker-cf87ba651579c9231db817909e7865e5747bd7abcac0c57ce23cf4abbaee046b.scope');
    // a named hierarchy alone (no controller, no v2 line) is still a path to show
    const onlyNamed = parsePidCgroup('1:name=systemd:/user.slice\n');
    expect(onlyNamed.ok && cgroupLabel(onlyNamed.value)).toBe('/user.slice');
    // v1 controllers listed after name=systemd: the controller's path, not the named one
    const v1named = parsePidCgroup('12:name=systemd:/init.scope\n11:pids:/a\n');
    expect(v1named.ok && cgroupLabel(v1named.value)).toBe('/a');
    // every controller's path is kept when they differ: a cpu-only cgroup finds its processes
    expect(v1.ok && v1.value.others).toEqual(['/a', '/b']);
    expect(v2.ok && v2.value.others).toBeUndefined();
    const lookalike = parsePidCgroup('5:memoryx,cpu:/a\n6:xmemory:/b\n7:net_cls,memory:/c\n');
    expect(lookalike.ok && lookalike.value.memory).toBe('/c');
    expect(parsePidCgroup('').ok).toBe(false);
    expect(parsePidCgroup('garbage\n').ok).toBe(false);
    fuzzParser(parsePidCgroup, [oddCgroup, '0::/user.slice\n']);
  });
  it('turns a NUL-separated command line into one line', () => {
    expect(cmdlineText(oddCmdline)).toBe('/tmp/diagt-x/a b) (c\nd 30');
    expect(cmdlineText('')).toBe('');
    expect(cmdlineText('nginx: worker process\u0000\u0000')).toBe('nginx: worker process');
    const long = cmdlineText('x'.repeat(CMDLINE_MAX + 50));
    expect(long.length).toBe(CMDLINE_MAX + 1);
    fuzzParser(parseCmdline, [oddCmdline]);
  });
  it('recognises PID directory names only', () => {
    expect(['1', '4194304', 'self', 'thread-self', '12a', '', '01234567890'].map(isPidName)).toEqual([true, true, false, false, false, false, false]);
  });
});

describe('parseFileNr and parseSysctlUint', () => {
  it('parse the capacity files', () => {
    expect(parseFileNr('1236\t0\t2466170\n')).toEqual({ ok: true, value: { allocated: 1236, free: 0, max: 2466170 } });
    expect(parseFileNr('1236\t0\n').ok).toBe(false);
    expect(parseFileNr('').ok).toBe(false);
    expect(parseSysctlUint('32768\n')).toEqual({ ok: true, value: 32768 });
    expect(parseSysctlUint('-1\n').ok).toBe(false);
    // file-max is LONG_MAX on systemd hosts: a limit, kept as a (rounded) number
    expect(parseFileNr('1236\t0\t9223372036854775807\n')).toEqual({ ok: true, value: { allocated: 1236, free: 0, max: Number('9223372036854775807') } });
    expect(parseFileNr('9007199254740993\t0\t1\n').ok).toBe(false);
    fuzzParser(parseFileNr, ['1236\t0\t2466170\n'], 400, { lossy: ['max'] });
    fuzzParser((t) => parseSysctlUint(t), ['4194304\n'], 400, { lossy: [''] });
  });
});

function rowsOf(m: ReturnType<typeof deriveModel>, table: string): { rows: ModelRow[]; notes: readonly string[] } {
  const t = m.tables[table]!.rows;
  if (t.status !== 'ok') throw new Error(`${table}: ${t.status} ${t.reason}`);
  return { rows: t.value, notes: t.notes ?? [] };
}

const limits1024 = `${limitsHead}Max open files            1024                 4096                 files     \n`;

/** One sample of a small host: PID 100 (busy), 200 (reused by a new process in sample 2), 300 (the odd name). */
function host(sample: 0 | 1) {
  const files: Record<string, string> = {
    '/proc/sys/fs/file-nr': '1236\t0\t2466170\n',
    '/proc/sys/kernel/pid_max': '32768\n',
    '/proc/sys/kernel/threads-max': '192730\n',
    '/proc/meminfo': 'MemTotal: 100 kB\n',
    '/proc/loadavg': '0.52 0.58 0.59 3/612 12345\n',
    '/proc/100/stat': statLine(100, 'busy worker', { state: 'R', utime: sample === 0 ? 1000 : 1150, stime: sample === 0 ? 200 : 250, threads: 4, start: 5000 }),
    '/proc/100/status': oddStatus,
    '/proc/100/limits': limits1024,
    '/proc/100/cgroup': '0::/system.slice/busy.service\n',
    '/proc/100/cmdline': 'busy\u0000--flag\u0000',
    '/proc/200/stat': statLine(200, sample === 0 ? 'old' : 'new', { utime: sample === 0 ? 9000 : 10, start: sample === 0 ? 6000 : 9000 }),
    '/proc/200/status': kthreadStatus,
    '/proc/200/limits': limits1024,
    '/proc/200/cgroup': '0::/\n',
    '/proc/200/cmdline': '',
    '/proc/200/io': oddIo,
    '/proc/300/stat': oddStat,
    '/proc/300/status': oddStatus,
    '/proc/300/limits': oddLimits,
    '/proc/300/cgroup': oddCgroup,
    '/proc/300/cmdline': oddCmdline,
    '/proc/300/io': oddIo,
    '/proc/self/stat': statLine(1, 'not a pid dir'),
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n',
  };
  return fixtureTree(files, {
    'clock.json': { monoMs: sample * 2000, wall: `2026-01-01T00:00:0${sample * 2}Z` },
    // 400 was listed but exited before its files were read; 100's io needs root here.
    'dirs.json': { '/proc': ['100', '200', '300', '400', 'self', 'sys', 'meminfo'], '/proc/100/fd': ['0', '1', '2', '3', '4'], '/proc/200/fd': [], '/proc/300/fd': ['0', '1', '2'] },
    'missing.json': { '/proc/100/io': { status: 'unavailable', reason: '/proc/100/io: permission denied', hint: 'run diag as root' } },
  });
}

describe('processes and tasks collectors on fixture trees', () => {
  it('computes CPU % and fd %, skips vanished processes and never pairs a reused PID', async () => {
    const a = host(0);
    const b = host(1);
    try {
      const m = deriveModel([processesCollector], await collectWindow([processesCollector], [a.source, b.source], 2000));
      const { rows, notes } = rowsOf(m, 'processes');
      expect(rows.map((r) => r.key).sort()).toEqual(['100', '200', '300']);
      const busy = rows.find((r) => r.key === '100')!;
      expect(busy.scope).toBe('process:100');
      expect(busy.labels).toEqual({ comm: 'busy worker', state: 'R', starttime: '5000', uid: '0', user: 'root', cgroup: '/system.slice/busy.service', cmdline: 'busy --flag' });
      // (150 + 50) ticks in 2 s at USER_HZ 100 = 100 % of one CPU
      expect(busy.values.cpu_pct).toBeCloseTo(100);
      expect(busy.values.usr_pct).toBeCloseTo(75);
      expect(busy.values.fds).toBe(5);
      expect(busy.values.fd_limit).toBe(1024);
      expect(busy.values.fd_pct).toBeCloseTo((100 * 5) / 1024);
      expect(busy.values.read_bytes).toBeUndefined();
      expect(busy.values.threads).toBe(4);
      expect(busy.values.rss).toBe(1828 * 1024);
      const reused = rows.find((r) => r.key === '200')!;
      expect(reused.labels.comm).toBe('new');
      expect(reused.values.cpu_pct).toBeUndefined(); // not 10 - 9000, not paired with "old"
      expect(reused.deltas.utime).toBeUndefined();
      expect(reused.values.rss).toBeUndefined(); // status without VmRSS and a non-zero stat rss: unknown, not 0
      expect(reused.labels.cmdline).toBeUndefined();
      expect(reused.values.fds).toBe(0);
      const odd = rows.find((r) => r.key === '300')!;
      expect(odd.labels.comm).toBe('a b) (c\nd');
      expect(odd.values.cpu_pct).toBe(0);
      expect(odd.values.read_bytes).toBe(0);
      expect(notes).toEqual(['I/O bytes unreadable for 1 processes (first: /proc/100/io: permission denied; run diag as root)']);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('tasks: capacity from file-nr, pid_max, threads-max and the kernel thread count', async () => {
    const a = host(0);
    try {
      const m = deriveModel([tasksCollector], await collectSample([tasksCollector], a.source));
      const { rows, notes } = rowsOf(m, 'tasks');
      expect(notes).toEqual([]);
      expect(rows[0]!.values).toMatchObject({ files_allocated: 1236, files_free: 0, files_max: 2466170, pid_max: 32768, threads_max: 192730, threads: 612 });
      expect(rows[0]!.values.pids_pct).toBeCloseTo((100 * 612) / 32768);
      expect(rows[0]!.values.threads_pct).toBeCloseTo((100 * 612) / 192730);
      expect(rows[0]!.values.files_pct).toBeCloseTo((100 * 1236) / 2466170);
    } finally {
      a.cleanup();
    }
  });
  it('process_states: processes and threads by state from the same scan as the process rows', async () => {
    const a = host(0);
    try {
      const m = deriveModel([processesCollector], await collectSample([processesCollector], a.source));
      const { rows, notes } = rowsOf(m, 'process_states');
      expect(notes).toEqual([]);
      expect(rows[0]!.values).toEqual({
        procs: 3, threads: 6, procs_running: 1, procs_sleeping: 2, procs_blocked: 0, procs_zombie: 0,
        procs_stopped: 0, procs_traced: 0, procs_idle: 0, procs_other: 0,
      });
    } finally {
      a.cleanup();
    }
  });
  it('a kernel without threads-max keeps the rest and says what is missing; odd states count as other', async () => {
    const t = fixtureTree({
      '/proc/sys/fs/file-nr': '10\t0\t100\n',
      '/proc/1/stat': statLine(1, 'init', { state: 'Z' }),
      '/proc/2/stat': statLine(2, 'dying', { state: 'X' }),
      '/proc/3/stat': statLine(3, 'garbled').replace(' 1000 ', ' x '),
    }, { 'missing.json': notFound('/proc/sys/kernel/pid_max', '/proc/sys/kernel/threads-max', '/proc/loadavg') });
    try {
      const m = deriveModel([tasksCollector, processesCollector], await collectSample([tasksCollector, processesCollector], t.source));
      const { rows, notes } = rowsOf(m, 'tasks');
      expect(rows[0]!.values).toMatchObject({ files_allocated: 10, files_max: 100, pid_max: undefined, threads_max: undefined, threads: undefined });
      expect(rows[0]!.values.threads_pct).toBeUndefined();
      expect(rows[0]!.values.files_pct).toBe(10);
      expect(notes.join('\n')).toMatch(/pid_max does not exist[\s\S]*threads-max does not exist[\s\S]*loadavg does not exist/);
      const states = rowsOf(m, 'process_states');
      expect(states.rows[0]!.values).toMatchObject({ procs: 2, procs_zombie: 1, procs_other: 1 });
      expect(states.notes).toEqual(['1 processes not counted: /proc/PID/stat did not parse']);
      expect(rowsOf(m, 'processes').notes).toContain('1 processes skipped: /proc/PID/stat did not parse');
    } finally {
      t.cleanup();
    }
  });
  it('a per-process file that does not parse leaves its fields missing and is noted once', async () => {
    const t = fixtureTree({
      '/proc/1/stat': statLine(1, 'init'),
      '/proc/1/status': 'garbage\n',
      '/proc/1/limits': limitsHead,
      '/proc/1/cgroup': '0::/\n',
      '/proc/1/cmdline': 'init\u0000',
      '/proc/1/io': oddIo,
    });
    try {
      const m = deriveModel([processesCollector], await collectSample([processesCollector], t.source));
      const { rows, notes } = rowsOf(m, 'processes');
      expect(rows[0]!.values.fd_limit).toBeUndefined();
      expect(rows[0]!.labels.uid).toBeUndefined();
      expect(rows[0]!.values.nonvol_ctxsw).toBeUndefined(); // from the unparsable status: missing, not 0
      expect(notes).toContain('2 per-process files did not parse; their fields are missing (first: /proc/PID/status: does not start with "Name:")');
    } finally {
      t.cleanup();
    }
  });
  it('with a memo (the TUI), an unchanged process is the same Row object; a change, a gap or a new PID is read afresh', async () => {
    const a = host(0);
    const a2 = host(0);
    const b = host(1);
    try {
      const memo = new CollectorMemo();
      const scan = async (src: typeof a.source, withMemo: boolean) => {
        const s = await collectSample([processesCollector], src, { sampleIndex: 0, ...(withMemo ? { memo } : {}) });
        const c = s.collectors.processes;
        if (c?.status !== 'ok') throw new Error('no processes');
        const t = c.value.tables.processes;
        if (t?.status !== 'ok') throw new Error('no table');
        return { rows: new Map(t.value.map((r) => [r.key, r])), notes: t.notes };
      };
      const first = await scan(a.source, true);
      const again = await scan(a2.source, true);
      // another tree with the same text: equal strings, so the same row
      expect(again.rows.get('300')).toBe(first.rows.get('300'));
      // 100's io is unreadable (a gap): never memoised, and its note is still there
      expect(again.rows.get('100')).not.toBe(first.rows.get('100'));
      expect(again.notes).toEqual(first.notes);
      // what a memo gives is what a scan without one gives
      const plain = await scan(a2.source, false);
      expect([...again.rows.values()]).toEqual([...plain.rows.values()]);
      const later = await scan(b.source, true);
      expect(later.rows.get('300')).toBe(first.rows.get('300'));
      expect(later.rows.get('200')!.labels!.comm).toBe('new');
      expect(later.rows.get('100')!.values.utime).toBe(1150);
      expect([...later.rows.values()]).toEqual([...(await scan(b.source, false)).rows.values()]);
      // a window over two samples of an unchanged process: rates 0, the same model row each time
      const row = first.rows.get('300')!;
      const spec = processesCollector.tables.processes!;
      const m1 = deriveRow(spec, row, row, 1.02);
      expect(m1.values.cpu_pct).toBe(0);
      expect(m1.deltas.utime).toBe(0);
      expect(deriveRow(spec, row, row, 0.97)).toBe(m1);
      expect(deriveRow(spec, row, undefined, 1)).not.toBe(m1);
    } finally {
      a.cleanup();
      a2.cleanup();
      b.cleanup();
    }
  });
  it('no /proc at all: unavailable with a hint', async () => {
    const t = fixtureTree({ '/etc/hostname': 'x\n' });
    try {
      const s = await collectSample([processesCollector, tasksCollector], t.source);
      for (const id of ['processes', 'tasks']) {
        const c = s.collectors[id];
        expect(c?.status).toBe('ok');
        if (c?.status === 'ok') expect(Object.values(c.value.tables)[0]!.status).toBe('unavailable');
      }
    } finally {
      t.cleanup();
    }
  });
});
