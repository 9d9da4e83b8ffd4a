import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleError } from '../../src/bundle/archive.js';
import { openOffline } from '../../src/bundle/input.js';
import { compressionOf, readSosArchive } from '../../src/bundle/sosreport/archive.js';
import { mangleCommand, rawFromPlainDmesg, sosCommandFor, sysctlFromAll } from '../../src/bundle/sosreport/commands.js';
import { dfStatfs, SosreportSource } from '../../src/bundle/sosreport/source.js';
import { cliSession } from '../../src/cli/session.js';
import { runPlaybook } from '../../src/engine/run.js';
import { diag } from '../helpers/diag-cli.js';

/**
 * sosreports as a read-only input: a real one taken on our build machine (fixture, see its
 * README) judged at its one moment, the same report from its .tar.xz and .tar.gz forms, links
 * that would leave the report, truncated and foreign archives, and the CLI never running a tool
 * on the machine reading it.
 */
const FIXTURE = new URL('../fixtures/sosreport/debian12-vm', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'diag-sos-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function pack(flag: '-cJf' | '-czf', name: string): string {
  const file = join(work, name);
  // The top folder of a real sosreport archive: sosreport-HOST-DATE-RANDOM/.
  const r = spawnSync('tar', [flag, file, '-C', join(FIXTURE, '..'), '--transform', 's,^debian12-vm,sosreport-vm-2026-12-03-efhfjgz,', 'debian12-vm']);
  expect(r.status, r.stderr?.toString()).toBe(0);
  return file;
}

async function judge(path: string) {
  const input = await openOffline(path);
  try {
    const session = cliSession();
    const use = session.loaded.playbooks.get('use')!;
    const report = await runPlaybook({ playbook: use, catalogue: session.catalogue, collectors: session.collectors, sources: input.sources, windowMs: input.windowMs });
    return { input, report };
  } finally {
    input.close();
  }
}

describe('sos command outputs as diag commands', () => {
  it('names a command as sos saves it', () => {
    expect(mangleCommand(['tc', '-s', 'qdisc', 'show'])).toBe('tc_-s_qdisc_show');
    expect(mangleCommand(['ls', '-lt', '/sys/kernel/slab'])).toBe('ls_-lt_.sys.kernel.slab');
    expect(mangleCommand(['ethtool', '-S', 'eth0'])).toBe('ethtool_-S_eth0');
  });

  it('answers sysctl KEY... from sysctl -a, in the order asked, leaving out keys it lacks', () => {
    const all = 'net.core.somaxconn = 4096\nkernel.pid_max = 4194304\ngarbage line\nnet.ipv4.tcp_mem = 1\t2\t3\n';
    expect(sysctlFromAll(all, ['net.ipv4.tcp_mem', 'net.core.somaxconn', 'no.such.key'])).toBe('net.ipv4.tcp_mem = 1\t2\t3\nnet.core.somaxconn = 4096\n');
  });

  it('gives sos\'s plain dmesg the --raw prefix (info level) and keeps continuation lines', () => {
    expect(rawFromPlainDmesg('[    1.000000] Linux version 6\n continued\n[12345.678901] Killed process 9 (x)')).toBe('<6>[    1.000000] Linux version 6\n continued\n<6>[12345.678901] Killed process 9 (x)');
  });

  it('never answers a command inside another namespace, and offers the text form of a JSON command', () => {
    expect(sosCommandFor({ cmd: 'tc', args: ['-s', 'qdisc', 'show'], netnsPid: 42 })).toBeUndefined();
    expect(sosCommandFor({ cmd: 'tc', args: ['-s', '-j', 'qdisc', 'show'] })?.otherForms).toEqual(['tc_-s_qdisc_show']);
    expect(sosCommandFor({ cmd: 'dmesg', args: ['--raw'] })?.candidates.map((c) => c.name)).toEqual(['dmesg_--raw', 'dmesg_-r', 'dmesg']);
  });

  it('reads statfs numbers back from df -al and df -ali, skipping lines it cannot read', () => {
    const blocks = 'Filesystem     1K-blocks     Used Available Use% Mounted on\n/dev/vda       263174212 24511784 225224928  10% /\ntmpfs                  0        0         0    - /sys/fs/cgroup\nnonsense line\n/dev/loop0          1000     2000        10  99% /bad used>total\n/dev/vdb            1000      100       850  11% /mnt/with space\n';
    const inodes = 'Filesystem       Inodes  IUsed    IFree IUse% Mounted on\n/dev/vda       16777216 346721 16430495    3% /\n';
    const s = dfStatfs(blocks, inodes);
    expect(s.get('/')).toEqual({ type: 0, bsize: 1024, blocks: 263174212, bfree: 263174212 - 24511784, bavail: 225224928, files: 16777216, ffree: 16777216 - 346721 });
    expect(s.get('/mnt/with space')).toEqual({ type: 0, bsize: 1024, blocks: 1000, bfree: 900, bavail: 850, files: 0, ffree: 0 });
    expect(s.has('/bad used>total')).toBe(false);
    expect(dfStatfs(undefined, undefined).size).toBe(0);
  });

  it('tells compressions apart by their magic numbers', () => {
    expect(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1]))).toBe('xz');
    expect(compressionOf(Buffer.from([0x1f, 0x8b, 8]))).toBe('gzip');
    expect(compressionOf(Buffer.from('BZh91AY'))).toBe('bzip2');
    expect(compressionOf(Buffer.from('hello'))).toBeUndefined();
  });
});

describe('a real sosreport judged at its one moment', () => {
  it('judges levels and limits from the report and says why every rate is unknown', async () => {
    const { input, report } = await judge(FIXTURE);
    expect(input.kind).toBe('sosreport');
    expect(input.takenAt).toBe('2026-12-03T18:37:18.000Z');
    expect(report.host.hostname).toBe('vm');
    expect(report.host.kernel).toBe('6.18.44-fc-v1252');
    // The kernel log sos saved holds 30 OOM kills in the 10 minutes before its date (uptime
    // from /proc/stat's btime and that date, as the kernel computes it).
    const oom = report.findings.find((f) => f.check === 'oom-kills-recent');
    expect(oom?.evidence.value).toBe(30);
    expect(oom?.title).toContain('Killed process 19784 (tail)');
    // Run-queue length is a level: judged (3 runnable besides the reader on 2 CPUs).
    expect(report.findings.find((f) => f.check === 'cpu-runqueue-saturation')?.evidence.value).toBe(1.5);
    // Rates are never a silent zero: unknown, with the reason.
    const cpu = report.coverage.find((c) => c.resource === 'cpu' && c.kind === 'utilization');
    expect(cpu?.status).toBe('unknown');
    expect(JSON.stringify(cpu)).toContain('cpu.busy_pct needs two samples');
    // What sos did not save is unknown with what is missing, never the local machine's value.
    const why = (table: string) => report.unavailable.find((u) => u.table === table);
    expect(why('processes')).toMatchObject({ code: 'not-captured' });
    expect(why('processes')?.reason).toContain('ps_auxwww');
    expect(why('loadavg')).toMatchObject({ code: 'not-captured', reason: '/proc/loadavg was not captured in this sosreport' });
    // tc's text output, as sos saved it, answers for the qdisc table.
    expect(why('qdiscs')).toBeUndefined();
  });

  it('gives the same findings from the folder, its .tar.xz and its .tar.gz', async () => {
    const a = await judge(FIXTURE);
    const b = await judge(pack('-cJf', 'sos.tar.xz'));
    const c = await judge(pack('-czf', 'sos.tar.gz'));
    const view = (r: typeof a) => r.report.findings.map((f) => [f.id, f.severity, f.evidence.value]);
    expect(view(a).length).toBeGreaterThan(0);
    expect(view(b)).toEqual(view(a));
    expect(view(c)).toEqual(view(a));
    expect(b.input.kind).toBe('sosreport');
    expect(c.input.kind).toBe('sosreport');
  });

  it('resolves links inside the report only: a link out of it reads nothing of this machine', async () => {
    const dir = join(work, 'escape');
    cpSync(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
    rmSync(join(dir, 'proc/meminfo'));
    symlinkSync('/proc/meminfo', join(dir, 'proc/meminfo'));
    rmSync(join(dir, 'proc/stat'));
    symlinkSync('../../../../../../../../proc/stat', join(dir, 'proc/stat'));
    const input = await openOffline(dir);
    const src = input.sources[0];
    expect(src.readFile('/proc/meminfo')).toMatchObject({ status: 'unavailable', code: 'not-captured' });
    expect(src.readFile('/proc/stat')).toMatchObject({ status: 'unavailable', code: 'not-captured' });
    expect(src.readFile('/../../etc/hostname')).toMatchObject({ status: 'unavailable' });
    // A link inside the report is followed (sos's proc/self -> proc/PID).
    expect(src.readFile('/proc/sys/kernel/osrelease')).toEqual({ status: 'ok', value: '6.18.44-fc-v1252\n' });
  });

  it('refuses a truncated archive and an xz file that is no sosreport, with what to do', async () => {
    const cut = pack('-cJf', 'cut.tar.xz');
    truncateSync(cut, Math.floor(statSync(cut).size / 2));
    await expect(openOffline(cut)).rejects.toThrow(/could not be decompressed.*\(xz exited 1/);
    const other = join(work, 'other.tar.xz');
    mkdirSync(join(work, 'notsos/top'), { recursive: true });
    writeFileSync(join(work, 'notsos/top/readme'), 'hello');
    expect(spawnSync('tar', ['-cJf', other, '-C', join(work, 'notsos'), 'top']).status).toBe(0);
    await expect(readSosArchive(other)).rejects.toThrow(BundleError);
    await expect(openOffline(other)).rejects.toThrow(/is not a sosreport \(no sos_commands\/ folder/);
  });

  it('answers one clock for every reading, so a window over it has no length', () => {
    const src = new SosreportSource({ name: 'x', files: new Map([['sos_commands/date/date_--utc', Buffer.from('Thu Dec  3 18:37:18 UTC 2026\n')], ['proc/stat', Buffer.from('cpu  1 2 3 400 5 6 7 8 0 0\nbtime 1764775038\n')]]), links: new Map(), skipped: 0 }, 'x');
    expect(src.now()).toEqual(src.now());
    // uptime = date - btime; idle = the cpu line's idle in USER_HZ.
    expect(src.readFile('/proc/uptime')).toEqual({ status: 'ok', value: `${(Date.parse('2026-12-03T18:37:18Z') / 1000 - 1764775038).toFixed(2)} 4.00\n` });
    // The host's name and kernel release from where sos saved them when it copied no /proc/sys.
    expect(src.readFile('/proc/sys/kernel/hostname')).toMatchObject({ status: 'unavailable', code: 'not-captured' });
    const named = new SosreportSource({ name: 'x', files: new Map([['sos_commands/host/hostname', Buffer.from('web-1\n')], ['sos_commands/kernel/uname_-a', Buffer.from('Linux web-1 5.14.0-362.el9.x86_64 #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n')]]), links: new Map(), skipped: 0 }, 'x');
    expect(named.readFile('/proc/sys/kernel/hostname')).toEqual({ status: 'ok', value: 'web-1\n' });
    expect(named.readFile('/proc/sys/kernel/osrelease')).toEqual({ status: 'ok', value: '5.14.0-362.el9.x86_64\n' });
    // Any /proc/sys file sos did not copy, from its sysctl -a (multi-value files keep their tabs).
    const sysctl = new SosreportSource({ name: 'x', files: new Map([['sos_commands/kernel/sysctl_-a', Buffer.from('fs.file-nr = 2080\t0\t9223372036854775807\nkernel.pid_max = 4194304\n')]]), links: new Map(), skipped: 0 }, 'x');
    expect(sysctl.readFile('/proc/sys/fs/file-nr')).toEqual({ status: 'ok', value: '2080\t0\t9223372036854775807\n' });
    expect(sysctl.readFile('/proc/sys/kernel/pid_max')).toEqual({ status: 'ok', value: '4194304\n' });
    expect(sysctl.readFile('/proc/sys/kernel/threads-max')).toMatchObject({ status: 'unavailable', code: 'not-captured' });
    expect(src.now().monoMs).toBe((Date.parse('2026-12-03T18:37:18Z') / 1000 - 1764775038) * 1000);
  });
});

describe('the CLI on a sosreport', () => {
  it('run --from judges it without running any tool on this machine', async () => {
    // Every tool diag may run, shadowed on PATH by one that leaves a mark when run.
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    const marks = join(work, 'ran');
    for (const t of ['ss', 'tc', 'ethtool', 'nft', 'iptables', 'iptables-save', 'ip6tables', 'conntrack', 'dmesg', 'sysctl', 'nsenter', 'head', 'stat', 'ip']) {
      writeFileSync(join(bin, t), `#!/bin/sh\necho "${t} $*" >> ${marks}\nexit 1\n`);
      chmodSync(join(bin, t), 0o755);
    }
    const r = await diag(['run', 'playbook', 'use', '--json', '--from', pack('-cJf', 'cli.tar.xz')], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(r.stderr).toContain('judging the sosreport');
    expect(r.stderr).toContain('rates need two samples');
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as { host: { hostname: string }; findings: Array<{ check: string }> };
    expect(report.host.hostname).toBe('vm');
    expect(report.findings.map((f) => f.check).sort()).toEqual(['cpu-runqueue-saturation', 'oom-kills-recent']);
    expect(existsSync(marks) ? readFileSync(marks, 'utf8') : '').toBe('');
  });

  it('diff compares two sosreports judged again, and warns when the "after" one is older', async () => {
    // The same host an hour later: the OOM kills are no longer recent.
    const later = join(work, 'later');
    cpSync(FIXTURE, later, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(later, 'sos_commands/date/date_--utc'), 'Thu Dec  3 19:37:18 UTC 2026\n');
    const r = await diag(['diff', FIXTURE, later]);
    expect(r.stderr).not.toContain('warning');
    expect(r.stdout).toMatch(/before: .*debian12-vm \(2026-12-03T18:37:18.000Z, vm, sosreport\)/);
    expect(r.stdout).toMatch(/resolved +warning +memory\/errors host: 30 OOM kills/);
    const back = await diag(['diff', later, FIXTURE]);
    expect(back.stderr).toContain('the "after" input (2026-12-03T18:37:18.000Z) was taken before the "before" one (2026-12-03T19:37:18.000Z)');
    expect(back.stdout).toMatch(/appeared +warning +memory\/errors host: 30 OOM kills/);
  });

  it('--root on an extracted sosreport is refused with the option that reads it', async () => {
    const r = await diag(['run', 'playbook', 'use', '--root', FIXTURE]);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain('is an extracted sosreport, not a mounted host');
    expect(r.stderr).toContain(`--from ${FIXTURE}`);
  });
});
