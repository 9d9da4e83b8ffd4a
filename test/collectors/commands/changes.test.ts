import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { changesCollector, gatherChanges, groupUnitEvents } from '../../../collectors/commands/changes/collector.js';
import { localTime, parseAptHistory, parseDnfRpmLog, parseDpkgLog, parseYumLog } from '../../../collectors/commands/changes/packages.js';
import { compareKernelRelease, installedKernels, parseJournalUnits, parseLastBoots, parseStatBirth, parseStatFiles, parseSysctlConf, sysctlPath, timeOrderedCut } from '../../../collectors/commands/changes/system.js';
import { commandKey } from '../../../src/core/source.js';
import { interfaceEventOf, parseIpv4Routes, parseIpv6Routes, parseNetDevNames } from '../../../collectors/commands/changes/network.js';
import type { Source } from '../../../src/core/source.js';
import { ok } from '../../../src/core/outcome.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/changes/${name}`, import.meta.url));
const text = (name: string) => fx(name).toString('utf8');
const utc = (s: string) => Date.parse(s) / 1000;

describe('package logs', () => {
  it('reads dpkg.log install/upgrade lines with their time and versions, not status/configure lines', () => {
    const r = parseDpkgLog(text('dpkg.log'), 0);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.events.length).toBe(25);
    expect(r.value.skipped).toBe(0);
    expect(r.value.events[0]).toEqual({ at: utc('2026-12-03T18:35:02Z'), action: 'install', name: 'atop', arch: 'amd64', to: '2.8.1-1+deb12u1' });
    const up = r.value.events.find((e) => e.action === 'upgrade');
    expect(up?.name).toBe('openssh-client');
    expect(up?.from).toBe('1:9.2p1-2+deb12u6');
    expect(up?.to).toBe('1:9.2p1-2+deb12u10');
  });
  it('applies the host offset: local 18:35:02 at +0100 is 17:35:02 UTC', () => {
    const r = parseDpkgLog(text('dpkg.log'), 3600);
    expect(r.ok && r.value.events[0]?.at).toBe(utc('2026-12-03T17:35:02Z'));
  });
  it('skips and counts garbage, truncated and binary lines, keeping the rest', () => {
    const garbled = `${text('dpkg.log')}\u0000\u0000\u0000garbage\n2026-12-03 18:3\n2026-13-40 25:00:00 install x:amd64 <none> 1\n2026-12-03 18:40:00 install Bad!Name <none> 1.0\n`;
    const r = parseDpkgLog(garbled, 0);
    expect(r.ok && r.value.events.length).toBe(25);
    expect(r.ok && r.value.skipped).toBe(4);
  });
  it('reads a gzip rotation as logrotate leaves it', () => {
    const r = parseDpkgLog(gunzipSync(fx('dpkg.log.2.gz')).toString('utf8'), 0);
    expect(r.ok && r.value.events.filter((e) => e.action === 'upgrade').length).toBe(2);
    expect(r.ok && r.value.events[0]?.at).toBe(utc('2025-06-24T14:36:25Z'));
  });
  it('reads apt history transactions with their command line, counts and the packages asked for', () => {
    const r = parseAptHistory(text('history.log'), 0);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.transactions.map((t) => t.at)).toEqual([utc('2026-05-09T07:28:46Z'), utc('2026-12-03T15:34:54Z'), utc('2026-12-03T18:35:01Z')]);
    const last = r.value.transactions[2]!;
    expect(last.end).toBe(utc('2026-12-03T18:36:11Z'));
    expect(last.commandline).toContain('prometheus prometheus-node-exporter ansible');
    expect(last.counts.upgrade).toBe(1);
    expect(last.packages.upgrade).toEqual(['openssh-client']);
    expect(last.packages.install).toContain('atop');
    expect(r.value.transactions[0]!.packages.upgrade).toEqual(['tzdata']);
  });
  it('keeps an apt transaction cut short and skips lines outside any block', () => {
    const r = parseAptHistory('Commandline: stray\n\nStart-Date: 2026-12-03  10:00:00\nCommandline: apt install x\nInstall: x:amd64 (1.0)\n', 0);
    expect(r.ok && r.value.transactions.length).toBe(1);
    expect(r.ok && r.value.transactions[0]?.end).toBeUndefined();
    expect(r.ok && r.value.skipped).toBe(1);
  });
  it('reads dnf.rpm.log: one event per upgrade, the offset of each line, garbage counted', () => {
    const r = parseDnfRpmLog(text('dnf.rpm.log'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.events.map((e) => [e.action, e.name])).toEqual([['upgrade', 'curl'], ['upgrade', 'libcurl'], ['install', 'nginx'], ['remove', 'telnet']]);
    expect(r.value.events[2]!.at).toBe(utc('2026-12-03T09:02:03Z'));
    expect(r.value.events[0]!.to).toBe('7.76.1-31.el9');
    expect(r.value.skipped).toBe(1);
  });
  it('reads yum.log with the year of now (last year for a date after now)', () => {
    const now = utc('2026-12-03T12:00:00Z');
    const r = parseYumLog(text('yum.log'), 0, now);
    expect(r.ok && r.value.events.map((e) => [e.action, e.name])).toEqual([['install', 'httpd'], ['upgrade', 'openssl-libs'], ['remove', 'telnet']]);
    expect(r.ok && r.value.events[0]?.at).toBe(utc('2026-12-03T08:01:02Z'));
    expect(r.ok && r.value.skipped).toBe(1);
    const jan = parseYumLog('Dec 31 23:00:00 Installed: x-1-1.x86_64\n', 0, utc('2027-01-01T01:00:00Z'));
    expect(jan.ok && jan.value.events[0]?.at).toBe(utc('2026-12-31T23:00:00Z'));
  });
  it('rejects impossible dates', () => {
    expect(localTime('2026-02-31', '10:00:00', 0)).toBe(utc('2026-03-03T10:00:00Z'));
    expect(localTime('2026-00-10', '10:00:00', 0)).toBeUndefined();
    expect(localTime('2026-01-10', '24:00:00', 0)).toBeUndefined();
  });
  it('never throws on random or mutated input', () => {
    fuzzParser((t) => parseDpkgLog(t, 0), [text('dpkg.log')]);
    fuzzParser((t) => parseAptHistory(t, 0), [text('history.log')]);
    fuzzParser(parseDnfRpmLog, [text('dnf.rpm.log')]);
    fuzzParser((t) => parseYumLog(t, 0, 1.8e9), [text('yum.log')]);
  });
});

describe('system inputs', () => {
  it('reads unit starts, failures and restarts from journal JSON; byte-array messages; skips the rest', () => {
    const r = parseJournalUnits(text('journal-units.json'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.events.map((e) => [e.unit, e.action, e.user])).toEqual([
      ['nginx.service', 'started', false],
      ['postgresql@15-main.service', 'failed', false],
      ['postgresql@15-main.service', 'restart-scheduled', false],
      ['pipewire.service', 'started', true],
    ]);
    expect(r.value.events[0]!.at).toBeCloseTo(1796311800.123456, 6);
    expect(r.value.events[2]!.message).toBe('PostgreSQL restart');
    expect(r.value.skipped).toBe(2);
  });
  it('reads boots and shutdowns from last -x, not logins or runlevels', () => {
    const r = parseLastBoots(text('last-x.txt'));
    expect(r.ok && r.value.map((b) => [b.kind, b.kernel, b.at])).toEqual([
      ['reboot', '6.1.0-28-amd64', utc('2026-12-03T15:34:10Z')],
      ['shutdown', '6.1.0-27-amd64', utc('2026-12-03T15:33:20Z')],
      ['reboot', '6.1.0-27-amd64', utc('2026-11-20T08:00:00Z')],
    ]);
  });
  it('orders kernel releases by their numbers', () => {
    expect(compareKernelRelease('6.1.0-21-amd64', '6.1.0-18-amd64')).toBeGreaterThan(0);
    expect(compareKernelRelease('6.10.0', '6.9.12')).toBeGreaterThan(0);
    expect(compareKernelRelease('5.4', '5.4')).toBe(0);
    expect(installedKernels(['6.1.0-18-amd64', '6.1.0-21-amd64', 'extramodules'], ['vmlinuz-6.1.0-9-amd64', 'config-6.1.0-18-amd64', 'grub'])).toEqual(['6.1.0-9-amd64', '6.1.0-18-amd64', '6.1.0-21-amd64']);
  });
  it('reads sysctl.d files: both separators, "-" prefixes, comments; skips globs and junk', () => {
    const r = parseSysctlConf('# c\n; c\nnet.ipv4.ip_forward = 1\n-vm.swappiness=10\nnet/ipv4/conf/eth0.100/rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\njunk line\nkernel.core_pattern = |/bin/x %p\n', '/etc/sysctl.d/x.conf');
    expect(r.ok && r.value.settings.map((s) => [s.key, s.value, s.line])).toEqual([
      ['net.ipv4.ip_forward', '1', 3],
      ['vm.swappiness', '10', 4],
      ['net.ipv4.conf.eth0/100.rp_filter', '2', 5],
      ['kernel.core_pattern', '|/bin/x %p', 8],
    ]);
    expect(r.ok && r.value.skipped).toBe(1);
    expect(sysctlPath('net.ipv4.conf.eth0/100.rp_filter')).toBe('/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
  });
  it('reads stat birth times, NUL-separated, a path with a newline included', () => {
    const r = parseStatBirth('1796323132 /tmp/a\n b\u00000 /\u00001796301699 /proc\u0000');
    expect(r.ok && [...r.value]).toEqual([['/tmp/a\n b', 1796323132], ['/proc', 1796301699]]);
    expect(parseStatBirth('garbage').ok).toBe(false);
  });
  it('never throws on random or mutated input', () => {
    fuzzParser(parseJournalUnits, [text('journal-units.json')]);
    fuzzParser(parseLastBoots, [text('last-x.txt')]);
    fuzzParser((t) => parseSysctlConf(t, 'f'), ['vm.swappiness = 10\n']);
    fuzzParser(parseStatBirth, ['1 /a\u00002 /b\u0000']);
    fuzzParser(parseStatFiles, ['1764786600 1764786601 12 34 /a\u0000- 5 0 1 /b\nc\u0000']);
  });
});

describe('reading less', () => {
  it('reads stat records: birth (0 or - when not kept), mtime, size, inode and a path with a newline', () => {
    const r = parseStatFiles('1764786600 1764786601 387529 1234 /var/log/dpkg.log\u00000 1747699200 0 99 /var/log/wtmp\u0000- 5 1 2 /a\nb\u0000');
    expect(r.ok && r.value.get('/var/log/dpkg.log')).toEqual({ birth: 1764786600, mtime: 1764786601, size: 387529, inode: 1234 });
    expect(r.ok && r.value.get('/var/log/wtmp')).toEqual({ birth: undefined, mtime: 1747699200, size: 0, inode: 99 });
    expect(r.ok && r.value.get('/a\nb')?.mtime).toBe(5);
    expect(parseStatFiles('garbage\u0000').ok).toBe(false);
  });
  it('finds where a time-ordered log reaches a time by bisection, and gives up (0: parse it all) on a line without a time', () => {
    const log = text('dpkg.log');
    const re = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
    const lines = log.split('\n').filter((l) => l.length > 0);
    for (const key of ['2000-01-01 00:00:00', lines[0]!.slice(0, 19), lines[40]!.slice(0, 19), lines[lines.length - 1]!.slice(0, 19), '2999-01-01 00:00:00']) {
      const cut = timeOrderedCut(log, key, re);
      const expected = lines.findIndex((l) => l.slice(0, 19) >= key);
      // the first line at or after the key, at a line start
      expect(cut === 0 || log[cut - 1] === '\n').toBe(true);
      expect(log.slice(cut).split('\n')[0]).toBe(expected < 0 ? '' : lines[expected]);
    }
    expect(timeOrderedCut(log.replace(/^2026/gm, 'xxxx'), '2026-12-03 00:00:00', re)).toBe(0);
    expect(timeOrderedCut('', '2026-01-01 00:00:00', re)).toBe(0);
  });
  it('makes one change per unit and action: the last time, the first and the count', () => {
    const ev = (at: number, action: 'started' | 'failed', unit = 'metrics.service') => ({ at, unit, action, message: `${unit}: ${action} at ${at}`, user: false });
    const g = groupUnitEvents([ev(100, 'started'), ev(400, 'started'), ev(250, 'started'), ev(300, 'failed', 'app.service')]);
    expect(g).toEqual([
      { at: 400, kind: 'unit', action: 'started', subject: 'metrics.service', detail: '3 times, first 1970-01-01T00:01:40.000Z; the last: metrics.service: started at 400', source: 'journalctl', count: 3, scope: 'cgroup:/system.slice/metrics.service' },
      { at: 300, kind: 'unit', action: 'failed', subject: 'app.service', detail: 'app.service: failed at 300', source: 'journalctl', scope: 'cgroup:/system.slice/app.service' },
    ]);
  });
});

describe('changes collector on a fixture host', () => {
  const cmd = (c: string, args: string[], stdout: string) => ({ [`commands/${commandKey({ cmd: c, args })}.json`]: { stdout, stderr: '', exitCode: 0 } });
  const btime = utc('2026-12-03T15:34:02Z');
  const host = () =>
    fixtureTree(
      {
        '/var/log/dpkg.log': text('dpkg.log'),
        '/var/log/dpkg.log.1': text('dpkg.log.1'),
        '/var/log/dpkg.log.2.gz': fx('dpkg.log.2.gz'),
        '/var/log/wtmp': '',
        '/var/log/apt/history.log': text('history.log'),
        '/proc/stat': `cpu  1 2 3 4\nbtime ${btime}\n`,
        '/proc/sys/kernel/osrelease': '6.1.0-27-amd64\n',
        '/lib/modules/6.1.0-27-amd64/modules.dep': '',
        '/lib/modules/6.1.0-28-amd64/modules.dep': '',
        '/usr/lib/sysctl.d/50-default.conf': 'net.ipv4.conf.default.rp_filter = 2\n',
        '/etc/sysctl.d/10-net.conf': 'net.ipv4.tcp_keepalive_time = 600\n',
        '/proc/sys/net/ipv4/conf/default/rp_filter': '2\n',
        '/proc/sys/net/ipv4/tcp_keepalive_time': '300\n',
        '/proc/sys/vm/swappiness': '10\n',
        '/proc/sys/net/ipv4/ip_forward': '0\n',
        '/proc/self/mountinfo': '22 1 0:21 / /proc rw - proc proc rw\n30 1 0:30 / /srv/cache rw - tmpfs tmpfs rw\n31 1 8:1 / / rw - ext4 /dev/sda1 rw\n',
      },
      {
        'clock.json': { changes: { monoMs: 1, wall: '2026-12-03T19:00:00.000Z' } },
        ...cmd('date', ['+%z'], '+0000\n'),
        ...cmd('gzip', ['-dc', '--', '/var/log/dpkg.log.2.gz'], gunzipSync(fx('dpkg.log.2.gz')).toString('utf8')),
        ...cmd('last', ['-x', '--time-format', 'iso', 'reboot', 'shutdown'], text('last-x.txt')),
        ...cmd('dmesg', ['--raw'], `<6>[    1.000000] Linux version\n<3>[ 3600.500000] Out of memory: Killed process 4242 (java) total-vm:1kB\n<4>[ 3610.000000] NETDEV WATCHDOG: eth0 (virtio_net): transmit queue 0 timed out\n`),
        ...cmd('stat', ['--printf', '%W %n\\0', '--', '/srv/cache', '/'], `${utc('2026-12-03T18:50:00Z')} /srv/cache\u00000 /\u0000`),
      },
    );

  it('orders packages, boots, a pending kernel, sysctls, mounts and kernel events by time, reading rotations only as far as the look-back needs', async () => {
    const f = host();
    try {
      const g = await gatherChanges(f.source, { sampleIndex: 0 });
      const seen = g.changes.map((c) => [c.kind, c.action, c.subject, c.at]);
      expect(seen).toEqual([
        ['kernel', 'reboot pending', '6.1.0-28-amd64', undefined],
        ['sysctl', 'set at runtime', 'net.ipv4.tcp_keepalive_time', undefined],
        ['sysctl', 'differs from default', 'vm.swappiness', undefined],
        ['mount', 'mounted', '/srv/cache', utc('2026-12-03T18:50:00Z')],
        ['package', 'install', 'apt-get install -y', utc('2026-12-03T18:35:01Z')],
        ['kernel-event', 'net_watchdog', 'net watchdog', btime + 3610],
        ['kernel-event', 'oom_kill', 'oom kill', btime + 3600.5],
        ['package', 'install', 'apt-get install -y', utc('2026-12-03T15:34:54Z')],
        // wtmp's boot record of this boot (8 s after btime) is the same boot: said once
        ['boot', 'booted', '6.1.0-27-amd64', btime],
        ['shutdown', 'shut down', '6.1.0-27-amd64', utc('2026-12-03T15:33:20Z')],
      ]);
      const apt = g.changes.find((c) => c.at === utc('2026-12-03T18:35:01Z'))!;
      expect(apt.count).toBe(33);
      expect(apt.detail).toContain('32 installed, 1 upgraded');
      expect(g.changes.find((c) => c.kind === 'mount')?.scope).toBe('mount:/srv/cache');
      // the 2025 rotation was read (dpkg.log.1 starts inside the look-back) but holds nothing recent
      expect(g.status.find((s) => s.name === '/var/log/dpkg.log*')?.outcome).toEqual({ status: 'ok', value: 3 });
      // no journal in this tree: said, not silent
      expect(g.status.find((s) => s.name === 'journal (journalctl)')?.outcome.status).toBe('unavailable');
    } finally {
      f.cleanup();
    }
  });

  it('a shorter look-back drops the older changes and stops at the first rotation that reaches before it (dpkg.log.1)', async () => {
    const f = host();
    try {
      const g = await gatherChanges(f.source, { sampleIndex: 0, changes: { sinceSeconds: 3600 } });
      expect(g.changes.filter((c) => c.at !== undefined).map((c) => c.kind)).toEqual(['mount', 'package']);
      expect(g.status.find((s) => s.name === '/var/log/dpkg.log*')?.outcome).toEqual({ status: 'ok', value: 2 });
    } finally {
      f.cleanup();
    }
  });

  it('with one stat of the logs: a rotation and wtmp last written before the look-back are not read', async () => {
    const f = fixtureTree(
      {
        '/var/log/dpkg.log': text('dpkg.log'),
        '/var/log/dpkg.log.1': text('dpkg.log.1'),
        '/var/log/dpkg.log.2.gz': fx('dpkg.log.2.gz'),
        '/var/log/wtmp': '',
        '/proc/stat': `cpu  1 2 3 4\nbtime ${btime}\n`,
        '/proc/self/mountinfo': '30 1 0:30 / /srv/cache rw - tmpfs tmpfs rw\n',
      },
      {
        'clock.json': { changes: { monoMs: 1, wall: '2026-12-03T19:00:00.000Z' } },
        ...cmd('date', ['+%z'], '+0100\n'),
        // dpkg.log.1 and wtmp last written a day before: neither gzip nor last has an answer here, so running either fails the test
        ...cmd('stat', ['--printf', '%W %Y %s %i %n\\0', '--', '/var/log/dpkg.log', '/var/log/dpkg.log.1', '/var/log/dpkg.log.2.gz', '/var/log/wtmp', '/srv/cache'],
          [`0 ${utc('2026-12-03T18:40:00Z')} 1 11 /var/log/dpkg.log`, `0 ${utc('2026-12-02T10:00:00Z')} 1 12 /var/log/dpkg.log.1`, `0 ${utc('2026-11-01T10:00:00Z')} 1 13 /var/log/dpkg.log.2.gz`, `0 ${utc('2026-12-01T00:00:00Z')} 0 14 /var/log/wtmp`, `${utc('2026-12-03T18:50:00Z')} ${utc('2026-12-03T18:50:00Z')} 40 1 /srv/cache`].join('\u0000') + '\u0000'),
      },
    );
    try {
      const g = await gatherChanges(f.source, { sampleIndex: 0 });
      expect(g.status.find((s) => s.name === '/var/log/dpkg.log*')?.outcome).toEqual({ status: 'ok', value: 1 });
      expect(g.status.find((s) => s.name === 'wtmp (last -x)')?.outcome.status).toBe('ok');
      // nothing run but stat and date (and dmesg, not recorded here): no gzip of a rotation, no last
      expect(g.status.filter((s) => s.outcome.status !== 'ok').map((s) => s.name).sort()).toEqual(['installed kernels (/lib/modules, /boot)', 'interfaces and routes (/proc/net/dev, route, ipv6_route)', 'journal (journalctl)', 'kernel log (dmesg)']);
      // dpkg's local 18:35:02 at +0100 is 17:35:02 UTC
      const atop = g.changes.find((c) => c.kind === 'package' && c.names?.includes('atop'));
      expect(atop?.at).toBe(utc('2026-12-03T17:35:02Z'));
      expect(g.changes.find((c) => c.kind === 'mount')?.at).toBe(utc('2026-12-03T18:50:00Z'));
    } finally {
      f.cleanup();
    }
  });

  it('runs no date when no package log was written in the look-back, and reads none', async () => {
    const f = fixtureTree(
      { '/var/log/dpkg.log': text('dpkg.log'), '/proc/stat': `btime ${btime}\n` },
      {
        'clock.json': { changes: { monoMs: 1, wall: '2026-12-05T19:00:00.000Z' } },
        ...cmd('stat', ['--printf', '%W %Y %s %i %n\\0', '--', '/var/log/dpkg.log'], `0 ${utc('2026-12-03T18:40:00Z')} 1 11 /var/log/dpkg.log\u0000`),
      },
    );
    try {
      const g = await gatherChanges(f.source, { sampleIndex: 0 });
      expect(g.status.find((s) => s.name === '/var/log/dpkg.log*')?.outcome).toEqual({ status: 'ok', value: 0 });
      expect(g.status.some((s) => s.name.startsWith('time zone'))).toBe(false);
      expect(g.changes.filter((c) => c.kind === 'package')).toEqual([]);
    } finally {
      f.cleanup();
    }
  });

  it('reads the journal directory it is given (journalctl --directory) and groups a unit started again and again', async () => {
    const since = Math.floor(utc('2026-12-03T19:00:00Z') - 86_400);
    const line = (t: string, id: string, unit: string, msg: string) => JSON.stringify({ __REALTIME_TIMESTAMP: String(utc(t) * 1e6), MESSAGE_ID: id, UNIT: unit, MESSAGE: msg });
    const ids = ['39f53479d3a045ac8e11786248231fbf', 'be02cf6855d2428ba40df7e9d022f03d', '5eb03494b6584870a536b337290809b3', '98e322203f7a4ed290d09fe03c09fe15', '9d1aaa27d60140bd96365438aad20286', '7b05ebc668384222baa8881179cfda54'].map((i) => `MESSAGE_ID=${i}`);
    const f = fixtureTree(
      { '/srv/journal/system.journal': 'x', '/proc/stat': `btime ${btime}\n` },
      {
        'clock.json': { changes: { monoMs: 1, wall: '2026-12-03T19:00:00.000Z' } },
        ...cmd('journalctl', ['--no-pager', '-q', '--directory=/srv/journal', '-o', 'json', `--since=@${since}`, '-n', '2000', '--output-fields=MESSAGE,MESSAGE_ID,UNIT,USER_UNIT', ...ids],
          [line('2026-12-03T18:00:00Z', '39f53479d3a045ac8e11786248231fbf', 'export.service', 'Started export.'), line('2026-12-03T18:05:00Z', '39f53479d3a045ac8e11786248231fbf', 'export.service', 'Started export.'), line('2026-12-03T18:06:00Z', 'be02cf6855d2428ba40df7e9d022f03d', 'app.service', 'app.service: Failed.')].join('\n')),
      },
    );
    try {
      const g = await gatherChanges(f.source, { sampleIndex: 0, changes: { sinceSeconds: 86_400, journalDirectory: '/srv/journal' } });
      const units = g.changes.filter((c) => c.kind === 'unit').map((c) => [c.subject, c.action, c.at, c.count]);
      expect(units).toEqual([
        ['app.service', 'failed', utc('2026-12-03T18:06:00Z'), undefined],
        ['export.service', 'started', utc('2026-12-03T18:05:00Z'), 2],
      ]);
    } finally {
      f.cleanup();
    }
  });

  it('makes rows with the time as a label and Unix seconds as a value', async () => {
    const f = host();
    try {
      const out = await changesCollector.collect(f.source, { sampleIndex: 0 });
      const rows = out.changes?.status === 'ok' ? out.changes.value : [];
      const mount = rows.find((r) => r.labels?.kind === 'mount');
      expect(mount?.labels?.time).toBe('2026-12-03T18:50:00.000Z');
      expect(mount?.values.age).toBe(600);
      const src = out.change_sources?.status === 'ok' ? out.change_sources.value : [];
      expect(src.find((r) => r.key === 'journal (journalctl)')?.labels?.status).toBe('unavailable');
    } finally {
      f.cleanup();
    }
  });
});

describe('interfaces and routes', () => {
  it('reads interface names of /proc/net/dev and routes of /proc/net/route and ipv6_route as captured on this VM', () => {
    const names = parseNetDevNames(text('proc-net-dev'));
    expect(names.ok && names.value).toContain('eth0');
    expect(names.ok && names.value).toContain('lo');
    const v4 = parseIpv4Routes(text('proc-net-route'));
    expect(v4.ok && v4.value.map((r) => r.key)).toEqual(['0.0.0.0/0 via 192.0.2.1 dev eth0 metric 0', '192.0.2.0/24 dev eth0 metric 0']);
    const v6 = parseIpv6Routes(text('proc-net-ipv6_route'));
    expect(v6.ok && v6.value.map((r) => r.key)).toContain('fd00::/64 dev eth0 metric 256');
    expect(v6.ok && v6.value.map((r) => r.key)).toContain('::/0 via fd00::1 dev eth0 metric 1024');
    // lo's local routes are the addresses, not routes anybody set
    expect(v6.ok && v6.value.some((r) => r.dev === 'lo')).toBe(false);
    expect(parseIpv4Routes('garbage').ok).toBe(false);
    expect(parseNetDevNames('garbage').ok).toBe(false);
  });
  it('names the interface and what happened in kernel log lines, and nothing in others', () => {
    expect(interfaceEventOf('e1000e 0000:00:19.0 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx')).toEqual({ iface: 'eno1', action: 'link up' });
    expect(interfaceEventOf('virtio_net virtio0 ens3: renamed from eth0')).toEqual({ iface: 'ens3', action: 'renamed from eth0' });
    expect(interfaceEventOf('veth1: entered promiscuous mode')).toEqual({ iface: 'veth1', action: 'promiscuous on' });
    expect(interfaceEventOf('device veth1 left promiscuous mode')).toEqual({ iface: 'veth1', action: 'promiscuous off' });
    expect(interfaceEventOf('br0: port 2(veth1) entered forwarding state')).toEqual({ iface: 'veth1', action: 'bridge port forwarding' });
    expect(interfaceEventOf('EXT4-fs (vda): mounted filesystem')).toBeUndefined();
  });
  it('never throws on random or mutated input', () => {
    fuzzParser(parseNetDevNames, [text('proc-net-dev')]);
    fuzzParser(parseIpv4Routes, [text('proc-net-route')]);
    fuzzParser(parseIpv6Routes, [text('proc-net-ipv6_route')]);
  });
  it('reports an interface and a route that appear or go away between two reads of one running diag, at the second read with the first as the bound; a replay and a first read report none', async () => {
    const route = text('proc-net-route');
    const files: Record<string, string> = { '/proc/net/dev': text('proc-net-dev'), '/proc/net/route': route, '/proc/net/ipv6_route': text('proc-net-ipv6_route') };
    let wall = '2026-12-03T19:00:00.000Z';
    const f = fixtureTree({ '/proc/stat': 'btime 1796300000\n' }, { 'clock.json': { changes: { monoMs: 1, wall } } });
    try {
      // a running host's source: what the fixture answers, but not a replay, with /proc/net as the test sets it
      const live: Source = Object.create(f.source, {
        replay: { value: false },
        kind: { value: 'live' },
        description: { value: 'test host' },
        readFile: { value: (p: string) => (p in files ? ok(files[p]!) : f.source.readFile(p)) },
        now: { value: () => ({ monoMs: 1, wall }) },
      });
      expect((await gatherChanges(f.source, { sampleIndex: 0 })).changes.filter((c) => c.kind === 'interface' || c.kind === 'route')).toEqual([]);
      const first = await gatherChanges(live, { sampleIndex: 0 });
      expect(first.changes.filter((c) => c.kind === 'interface' || c.kind === 'route')).toEqual([]);
      expect(first.status.find((s) => s.name.startsWith('interfaces and routes'))?.outcome).toMatchObject({ status: 'ok', value: expect.stringContaining('first read') });
      wall = '2026-12-03T19:05:00.000Z';
      files['/proc/net/dev'] = `${files['/proc/net/dev']}diagt0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n`.replace(/^\s*ifb1:.*\n/m, '');
      files['/proc/net/route'] = `${route.trimEnd()}\ndiagt0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`;
      const second = await gatherChanges(live, { sampleIndex: 0 });
      const net = second.changes.filter((c) => c.kind === 'interface' || c.kind === 'route').map((c) => [c.kind, c.action, c.subject, c.at]);
      const at = utc('2026-12-03T19:05:00Z');
      expect(net).toEqual([
        ['interface', 'appeared', 'diagt0', at],
        ['interface', 'removed', 'ifb1', at],
        ['route', 'added', '192.168.1.0/24 dev diagt0 metric 0', at],
      ]);
      expect(second.changes.find((c) => c.subject === 'diagt0')?.detail).toContain('between 2026-12-03T19:00:00.000Z and 2026-12-03T19:05:00.000Z');
    } finally {
      f.cleanup();
    }
  });
});
