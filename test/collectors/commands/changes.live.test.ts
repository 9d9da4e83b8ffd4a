import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../../src/engine/report-schema.js';
import { liveRequirement } from '../../helpers/capabilities.js';
import { diag } from '../../helpers/diag-cli.js';

/**
 * Changes planted on this host and found with their time: a Debian package built here (no
 * network) installed and removed with dpkg, a tmpfs mounted under a temporary directory, a
 * process that keeps a CPU busy; and, inside a network namespace of ours, a sysctl set off its
 * kernel default (net.* sysctls belong to the namespace, so the host's stay untouched).
 */
const req = liveRequirement('root', 'cmd:dpkg-deb', 'cmd:dpkg', 'cmd:ip', 'cmd:mount');
const PREFIX = `diagt-ch-${process.pid}`;
const PKG = `diagt-ch-pkg${process.pid}`;
const NS = `${PREFIX}-ns`;

/** dpkg refuses while apt/dpkg of another process holds its lock: wait for it, bounded. */
function dpkg(args: string[]): void {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = spawnSync('dpkg', args, { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return;
    if (!/lock/i.test(r.stderr) || Date.now() > deadline) throw new Error(`dpkg ${args.join(' ')}: ${r.stderr}`);
    spawnSync('sleep', ['1']);
  }
}

/** CPU seconds a process has used (utime + stime of /proc/PID/stat). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

describe.skipIf(req.skip)('changes planted on this host are reported with their time', () => {
  let dir = '';
  let mnt = '';
  let spinner: ChildProcess | undefined;
  let installedAt = 0;
  let removedAt = 0;
  let mountedAt = 0;
  let report: Report | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
    const root = join(dir, 'pkg');
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    mkdirSync(join(root, 'usr/share/doc', PKG), { recursive: true });
    writeFileSync(join(root, 'usr/share/doc', PKG, 'README'), 'diag live test package\n');
    writeFileSync(join(root, 'DEBIAN/control'), `Package: ${PKG}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: diag tests <diag@example.invalid>\nDescription: throwaway package of a diag live test\n`);
    const deb = join(dir, `${PKG}.deb`);
    const b = spawnSync('dpkg-deb', ['--build', '--root-owner-group', root, deb], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`dpkg-deb: ${b.stderr}`);
    // dpkg.log has whole seconds
    installedAt = Math.floor(Date.now() / 1000);
    dpkg(['-i', deb]);
    removedAt = Math.floor(Date.now() / 1000);
    dpkg(['-r', PKG]);
    mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    mountedAt = Math.floor(Date.now() / 1000);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', `${PREFIX}-tmpfs`, mnt], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`mount: ${m.stderr}`);
    // nice -10 so that it is the top CPU user even on a host other tests load (nice execs node: same PID)
    spinner = spawn('nice', ['-n', '-10', process.execPath, '-e', 'for(;;){}', PREFIX], { stdio: 'ignore' });
    // until it has run for a while: its average since it started is what a one-sample run judges
    const until = Date.now() + 30_000;
    while (Date.now() < until && cpuSeconds(spinner.pid) < 2) spawnSync('sleep', ['0.2']);
    const r = await diag(['run', 'playbook', 'use', '--json', '--changes', '2h', '-q'], { timeoutMs: 180_000 });
    if (!r.stdout.startsWith('{')) throw new Error(`diag run playbook use exited ${r.exitCode}: ${r.stderr}`);
    report = JSON.parse(r.stdout) as Report;
  }, 300_000);

  afterAll(() => {
    if (spinner?.pid !== undefined) spinner.kill('SIGKILL');
    if (mnt) spawnSync('umount', [mnt]);
    spawnSync('dpkg', ['--purge', PKG]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const items = () => report?.changes?.items ?? [];
  const seconds = (iso: string | null) => (iso === null ? NaN : Date.parse(iso) / 1000);

  it('says the look-back it was given', () => {
    expect(report?.changes?.lookbackSeconds).toBe(7200);
    expect(report?.changes?.status).toBe('ok');
  });

  it('reports the package installed, then removed, each with its time', () => {
    const install = items().find((c) => c.kind === 'package' && c.action === 'install' && c.subject === PKG);
    const remove = items().find((c) => c.kind === 'package' && c.action === 'remove' && c.subject === PKG);
    expect(install?.detail).toBe(`installed ${PKG} 1.0-1`);
    expect(remove?.detail).toBe(`removed ${PKG} 1.0-1`);
    expect(seconds(install!.at)).toBeGreaterThanOrEqual(installedAt);
    expect(seconds(install!.at)).toBeLessThanOrEqual(removedAt + 1);
    expect(seconds(remove!.at)).toBeGreaterThanOrEqual(removedAt);
    expect(seconds(remove!.at)).toBeLessThanOrEqual(mountedAt + 1);
  });

  it('reports the tmpfs mounted, with the time its filesystem was made', () => {
    const m = items().find((c) => c.kind === 'mount' && c.subject === mnt);
    expect(m?.scope, JSON.stringify(report?.changes?.sources)).toBe(`mount:${mnt}`);
    expect(m?.detail).toContain(`${PREFIX}-tmpfs`);
    expect(seconds(m!.at)).toBeGreaterThanOrEqual(mountedAt);
    expect(seconds(m!.at)).toBeLessThanOrEqual(mountedAt + 5);
  });

  it('reports the busy process started during the look-back, by PID, with its start time', () => {
    const p = items().find((c) => c.kind === 'process' && c.scope === `process:${spinner?.pid}`);
    expect(p?.action).toBe('started');
    expect(p?.detail).toMatch(/^node \(PID \d+\) started then and now uses \d+% of a CPU/);
    expect(seconds(p!.at)).toBeGreaterThanOrEqual(mountedAt - 1);
  });

  it('reports a sysctl set off its kernel default inside a network namespace', async () => {
    const add = spawnSync('ip', ['netns', 'add', NS], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add: ${add.stderr}`);
    try {
      const set = spawnSync('ip', ['netns', 'exec', NS, 'sysctl', '-w', 'net.ipv4.tcp_keepalive_probes=13'], { encoding: 'utf8' });
      if (set.status !== 0) throw new Error(`sysctl: ${set.stderr}`);
      const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, 'bin/diag.js', 'collect', 'changes', '--json'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stdout).toContain('net.ipv4.tcp_keepalive_probes = 13 (kernel default 9');
    } finally {
      spawnSync('ip', ['netns', 'del', NS]);
    }
  });
});
