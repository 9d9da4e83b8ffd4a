import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectCgroupLayout, parseProcCgroup } from '../../../collectors/cgroup/layout.js';
import { parseMountinfo } from '../../../collectors/cgroup/mountinfo.js';
import { parseBlkio, parseCpuMax, parseDeviceLimits, parseFlatKeyed, parseIntFile, parseIoMax, parseIoStat, parseLimit, parsePidList, parseUintFile } from '../../../collectors/cgroup/parse.js';
import { looksLikeInterfaceFile } from '../../../collectors/cgroup/walk.js';
import { fuzzParser } from '../../helpers/fuzz.js';
import { V2 } from './v2-files.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/cgroup/${name}`, import.meta.url), 'utf8');
const hybrid = fixture('mountinfo-hybrid-6.18.txt');
const unified = fixture('mountinfo-unified-debian12.txt');
const legacy = fixture('mountinfo-legacy-centos7.txt');

const blkioV1 = '8:0 Read 1462272\n8:0 Write 40960\n8:0 Sync 1503232\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 1503232\n253:0 Read 4096\n253:0 Write 0\n253:0 Sync 4096\n253:0 Async 0\n253:0 Discard 0\n253:0 Total 4096\nTotal 1507328\n';
const v1MemStat = 'cache 11067392\nrss 11218944\nrss_huge 0\nshmem 9084928\ntotal_cache 254496768\ntotal_rss 28930048\ntotal_pgfault 2920652\n';
const procCgroupHybrid = '9:name=systemd:/\n8:pids:/diagt\n4:memory:/process_api/ea7c\n1:cpu,cpuacct:/a:b\n0::/\n';

describe('mountinfo and layout detection', () => {
  it('detects the hybrid layout of our machines (v1 controllers + cgroup2 at unified)', () => {
    const m = parseMountinfo(hybrid);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    const l = detectCgroupLayout(m.value);
    expect(l.mode).toBe('hybrid');
    expect(l.v2?.mountPoint).toBe('/sys/fs/cgroup/unified');
    const byCtl = Object.fromEntries(l.v1.map((h) => [h.controllers.join(','), h.mountPoint]));
    expect(byCtl).toMatchObject({ cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids', 'name=systemd': '/sys/fs/cgroup/systemd' });
  });
  it('detects unified (cgroup2 only) and decodes escaped mount points', () => {
    const m = parseMountinfo(unified);
    expect(m.ok && detectCgroupLayout(m.value)).toMatchObject({ mode: 'unified', v2: { mountPoint: '/sys/fs/cgroup', root: '/' }, v1: [] });
    expect(m.ok && m.value.find((x) => x.fsType === 'nsfs' && x.root === 'net:[4026532351]')?.mountPoint).toBe('/run/netns/with space');
  });
  it('detects legacy with co-mounted cpu,cpuacct and ignores options that are not controllers', () => {
    const m = parseMountinfo(legacy);
    const l = m.ok ? detectCgroupLayout(m.value) : undefined;
    expect(l?.mode).toBe('legacy');
    expect(l?.v1.find((h) => h.controllers.includes('cpu'))).toMatchObject({ mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] });
    expect(l?.v1.find((h) => h.controllers.includes('name=systemd'))?.controllers).toEqual(['name=systemd']);
  });
  it('keeps a container mount root ("/docker/<id>") and says none without cgroup mounts', () => {
    const m = parseMountinfo('50 40 0:30 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n');
    expect(m.ok && detectCgroupLayout(m.value).v2?.root).toBe('/docker/abc');
    const n = parseMountinfo('22 27 0:21 / /proc rw,relatime - proc proc rw\n');
    expect(n.ok && detectCgroupLayout(n.value).mode).toBe('none');
  });
  it('rejects garbage, empty and truncated mountinfo', () => {
    expect(parseMountinfo('').ok).toBe(false);
    expect(parseMountinfo('31 23 0:28 / /sys/fs/cgroup rw,relatime').ok).toBe(false);
    expect(parseMountinfo('x y z\n').ok).toBe(false);
  });
  it('parses /proc/PID/cgroup, keeping colons in paths', () => {
    const r = parseProcCgroup(procCgroupHybrid);
    expect(r.ok && r.value).toEqual([
      { hierarchyId: 9, controllers: ['name=systemd'], path: '/' },
      { hierarchyId: 8, controllers: ['pids'], path: '/diagt' },
      { hierarchyId: 4, controllers: ['memory'], path: '/process_api/ea7c' },
      { hierarchyId: 1, controllers: ['cpu', 'cpuacct'], path: '/a:b' },
      { hierarchyId: 0, controllers: [], path: '/' },
    ]);
    expect(parseProcCgroup('').ok).toBe(false);
    expect(parseProcCgroup('garbage').ok).toBe(false);
  });
  it('survives fuzzing', () => {
    fuzzParser(parseMountinfo, [hybrid, unified, legacy]);
    fuzzParser(parseProcCgroup, [procCgroupHybrid]);
  });
});

describe('cgroup v2 interface files (Documentation/admin-guide/cgroup-v2.rst formats)', () => {
  it('cpu.stat: flat keyed, usage and throttling in microseconds', () => {
    const r = parseFlatKeyed(V2.cpuStat(1_200_000, 100, 40, 250_000));
    expect(r.ok && r.value).toMatchObject({ usage_usec: 1_200_000, user_usec: 900_000, system_usec: 300_000, nr_periods: 100, nr_throttled: 40, throttled_usec: 250_000 });
  });
  it('cpu.max: "$MAX $PERIOD" with max = no limit', () => {
    expect(parseCpuMax('max 100000\n')).toEqual({ ok: true, value: { quotaUs: null, periodUs: 100000 } });
    expect(parseCpuMax('50000 100000\n')).toEqual({ ok: true, value: { quotaUs: 50000, periodUs: 100000 } });
    expect(parseCpuMax('50000\n').ok).toBe(false);
    expect(parseCpuMax('50000 0\n').ok).toBe(false);
    expect(parseCpuMax('').ok).toBe(false);
  });
  it('memory.events, memory.stat and pids.events', () => {
    expect(parseFlatKeyed(V2.memoryEvents(3, 1)).ok && parseFlatKeyed(V2.memoryEvents(3, 1))).toMatchObject({ value: { low: 0, high: 12, max: 3, oom: 1, oom_kill: 1, oom_group_kill: 0 } });
    const st = parseFlatKeyed(V2.memoryStat);
    expect(st.ok && st.value).toMatchObject({ anon: 104857600, file: 52428800, kernel: 8388608, sock: 4096, workingset_refault_file: 30, pgmajfault: 7 });
    expect(parseFlatKeyed('max 5\n')).toEqual({ ok: true, value: { max: 5 } });
  });
  it('single values: memory.max/high and pids.max take "max"; v1 huge limits mean no limit', () => {
    expect(parseLimit('max\n')).toEqual({ ok: true, value: null });
    expect(parseLimit('268435456\n')).toEqual({ ok: true, value: 268435456 });
    expect(parseLimit('9223372036854771712\n')).toEqual({ ok: true, value: null });
    expect(parseLimit('-1\n').ok).toBe(false);
    expect(parseLimit('').ok).toBe(false);
    expect(parseUintFile('123\n')).toEqual({ ok: true, value: 123 });
    expect(parseUintFile('12a\n').ok).toBe(false);
    expect(parseIntFile('-1\n')).toEqual({ ok: true, value: -1 });
  });
  it('io.stat: nested keyed per device; empty means no I/O', () => {
    const r = parseIoStat(V2.ioStat);
    expect(r.ok && r.value).toEqual([
      { dev: '8:16', values: { rbytes: 1459200, wbytes: 314773504, rios: 192, wios: 353, dbytes: 0, dios: 0 } },
      { dev: '8:0', values: { rbytes: 90430464, wbytes: 299008000, rios: 8950, wios: 1252, dbytes: 50331648, dios: 3021 } },
    ]);
    expect(parseIoStat('')).toEqual({ ok: true, value: [] });
    expect(parseIoStat('8:0 rbytes').ok).toBe(false);
    expect(parseIoStat('sda rbytes=1').ok).toBe(false);
  });
  it('io.max: limits per device, "max" stays undefined, no line = no limit', () => {
    const r = parseIoMax('8:16 rbps=2097152 wbps=max riops=max wiops=120\n');
    expect(r.ok && r.value).toEqual([{ dev: '8:16', values: { rbps: 2097152, wbps: undefined, riops: undefined, wiops: 120 } }]);
    expect(parseIoMax('')).toEqual({ ok: true, value: [] });
    const bad = parseIoMax('8:16 rbps\n');
    expect(!bad.ok && bad.error.message).toMatch(/io\.max/);
  });
  it('flat keyed garbage: a bad line fails, a bad value stays missing, empty fails', () => {
    expect(parseFlatKeyed('usage_usec 12 13\n').ok).toBe(false);
    expect(parseFlatKeyed('usage_usec -5\nnr_periods 3\n')).toEqual({ ok: true, value: { usage_usec: undefined, nr_periods: 3 } });
    expect(parseFlatKeyed('').ok).toBe(false);
  });
  it('cgroup.procs: one PID per line, duplicates dropped, empty is no process', () => {
    expect(parsePidList('12\n7\n12\n')).toEqual({ ok: true, value: [12, 7] });
    expect(parsePidList('')).toEqual({ ok: true, value: [] });
    expect(parsePidList('12\nx\n').ok).toBe(false);
    // blanks around a PID and CRLF line ends are not part of it; no final newline is fine
    expect(parsePidList(' 12 \r\n\t7\n\n3')).toEqual({ ok: true, value: [12, 7, 3] });
    // garbage names its line and shows what it found
    const bad = parsePidList('1\n2\n4x2\n');
    expect(!bad.ok && bad.error.message).toMatch(/line 3.*"4x2"|"4x2".*line 3/);
    expect(parsePidList('-5\n').ok).toBe(false);
    expect(parsePidList('123456789012345678901234\n').ok).toBe(false);
  });
  it('survives fuzzing', () => {
    fuzzParser((t) => parseFlatKeyed(t), [V2.cpuStat(1, 2, 3, 4), V2.memoryEvents(1, 2), V2.memoryStat, v1MemStat, 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n']);
    fuzzParser(parseCpuMax, ['max 100000\n', '50000 100000\n']);
    fuzzParser((t) => parseLimit(t), ['max\n', '9223372036854771712\n']);
    fuzzParser((t) => parseUintFile(t), ['123\n']);
    fuzzParser((t) => parseIntFile(t), ['-1\n'], 400, { signed: '*' }); // cpu.cfs_quota_us: -1 = no quota
    fuzzParser(parseIoStat, [V2.ioStat]);
    fuzzParser((t) => parsePidList(t), ['12\n7\n']);
    fuzzParser((t) => parseBlkio(t), [blkioV1, 'Total 0\n']);
    fuzzParser(parseIoMax, ['8:16 rbps=2097152 wbps=max riops=max wiops=120\n']);
    fuzzParser((t) => parseDeviceLimits(t), ['7:0 2097152\n8:0 100\n', '']);
  });
});

describe('cgroup v1 files', () => {
  it('blkio.throttle.io_service_bytes: per device operations and the total', () => {
    const r = parseBlkio(blkioV1);
    expect(r.ok && r.value.total).toBe(1507328);
    expect(r.ok && r.value.devices[0]).toEqual({ dev: '8:0', values: { read: 1462272, write: 40960, sync: 1503232, async: 0, discard: 0, total: 1503232 } });
    expect(parseBlkio('Total 0\n')).toEqual({ ok: true, value: { devices: [], total: 0 } });
    expect(parseBlkio('').ok).toBe(false);
    expect(parseBlkio('8:0 Reed 5\n').ok).toBe(false);
  });
  it('blkio.throttle.*_device: one "MAJ:MIN VALUE" line per limited device, empty = none', () => {
    // as this kernel (6.18) prints them after `echo "7:0 2097152" > blkio.throttle.read_bps_device`
    expect(parseDeviceLimits('7:0 2097152\n')).toEqual({ ok: true, value: [{ dev: '7:0', value: 2097152 }] });
    expect(parseDeviceLimits('')).toEqual({ ok: true, value: [] });
    expect(parseDeviceLimits('7:0\n').ok).toBe(false);
    expect(parseDeviceLimits('7:0 max\n').ok).toBe(false);
    expect(parseDeviceLimits('loop0 5\n').ok).toBe(false);
  });
  it('memory.stat and memory.oom_control are flat keyed', () => {
    expect(parseFlatKeyed(v1MemStat).ok).toBe(true);
    expect(parseFlatKeyed('oom_kill_disable 0\nunder_oom 1\noom_kill 4\n')).toEqual({ ok: true, value: { oom_kill_disable: 0, under_oom: 1, oom_kill: 4 } });
  });
});

describe('walk: which directory entries are interface files', () => {
  it('skips interface files but walks units even when named like one', () => {
    for (const f of ['cgroup.procs', 'cpu.stat', 'cpu.stat.local', 'memory.kmem.tcp.failcnt', 'blkio.throttle.io_service_bytes_recursive', 'tasks', 'notify_on_release', 'hugetlb.2MB.max', 'io.pressure']) expect(looksLikeInterfaceFile(f)).toBe(true);
    for (const d of ['system.slice', 'docker-0123.scope', 'cpu.service', 'memory.slice', 'process_api', 'diagt-cg-1']) expect(looksLikeInterfaceFile(d)).toBe(false);
  });
});
