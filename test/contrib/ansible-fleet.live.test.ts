import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSummary } from '../../src/report/fleet.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { startServer, waitFor, type Started } from '../helpers/servers.js';
import { DIAG, builtCli, sh, shQuiet, until, Workloads } from '../scenarios/helpers.js';

/**
 * contrib/ansible/ for real: three "hosts" are sshd servers started here, each in a network
 * namespace of ours joined to the root namespace by a veth pair on 10.251.N.0/30 (a subnet that
 * exists only between them), with a key made here. Debian's ansible-playbook runs
 * diag-fleet.yml against them (the pack unpacked per host), then `diag fleet`
 * reads the gathered reports. Planted on h3 only: a listener that never accepts and clients
 * overflowing its queue, inside h3's namespace, so h3's diag (whose own view is that namespace)
 * counts listen overflows and the others do not: the outlier `diag fleet` must name.
 */
const req = liveRequirement('root', 'cmd:ansible-playbook', 'cmd:ssh-keygen', 'cmd:nsenter', 'cmd:ip', 'cmd:timeout');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PREFIX = `diagt-ex-${process.pid}`;
const HOSTS = [1, 2, 3].map((i) => ({ i, name: `h${i}`, ns: `${PREFIX}-h${i}`, rootIf: `diagt-ex-${i}r`, nsIf: `diagt-ex-${i}n`, addr: `10.251.${i}.2` }));
const work = new Workloads();
const sshd: Started[] = [];
let tmp = '';
let madeRunSshd = false;

/** A listener with backlog 1 whose event loop is blocked, so it never accepts. */
const STUCK_LISTENER = `
require('net').createServer().listen({ port: 5003, host: '127.0.0.1', backlog: 1 }, () => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 280000);
});`;
/** Clients connecting to it, 400 a second. */
const CLIENTS = `
const net = require('net');
setInterval(() => { for (let i = 0; i < 20; i++) { const c = net.connect(5003, '127.0.0.1'); c.on('error', () => {}); setTimeout(() => c.destroy(), 2000); } }, 50);`;

function listenOverflows(ns: string): number {
  const text = sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/netstat']);
  const [names, values] = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const i = (names ?? '').split(/\s+/).indexOf('ListenOverflows');
  return i < 0 ? NaN : Number((values ?? '').split(/\s+/)[i]);
}

function canConnect(host: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1000 }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(undefined));
    s.on('timeout', () => {
      s.destroy();
      resolve(undefined);
    });
  });
}

function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

describe.skipIf(req.skip)('ansible runs diag on three sshd hosts; diag fleet names the outlier', () => {
  beforeAll(async () => {
    builtCli();
    tmp = mkdtempSync(join(tmpdir(), `${PREFIX}-fleet-`));
    // the hosts have Node (this machine's): the pack without it keeps the copies small; the pack
    // with Node is run without any Node on PATH below
    sh(process.execPath, [join(ROOT, 'contrib/ansible/pack.mjs'), '-o', join(tmp, 'diag-pack.tar.gz')]);
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', PREFIX, '-f', join(tmp, 'id')]);
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', PREFIX, '-f', join(tmp, 'hostkey')]);
    if (!existsSync('/run/sshd')) {
      mkdirSync('/run/sshd', { mode: 0o755 });
      madeRunSshd = true;
    }
    for (const h of HOSTS) {
      sh('ip', ['netns', 'add', h.ns]);
      sh('ip', ['link', 'add', h.rootIf, 'type', 'veth', 'peer', 'name', h.nsIf, 'netns', h.ns]);
      sh('ip', ['addr', 'add', `10.251.${h.i}.1/30`, 'dev', h.rootIf]);
      sh('ip', ['link', 'set', h.rootIf, 'up']);
      sh('ip', ['-n', h.ns, 'addr', 'add', `${h.addr}/30`, 'dev', h.nsIf]);
      sh('ip', ['-n', h.ns, 'link', 'set', h.nsIf, 'up']);
      sh('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
      const conf = join(tmp, `sshd-${h.name}.conf`);
      writeFileSync(
        conf,
        [
          'Port 22',
          `ListenAddress ${h.addr}`,
          `HostKey ${join(tmp, 'hostkey')}`,
          `AuthorizedKeysFile ${join(tmp, 'id.pub')}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          `PidFile ${join(tmp, `sshd-${h.name}.pid`)}`,
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      // only the network namespace is entered (ip netns exec would also remount /sys, hiding cgroups)
      sshd.push(startServer('nsenter', [`--net=/run/netns/${h.ns}`, '/usr/sbin/sshd', '-D', '-e', '-f', conf]));
    }
    for (const [k, h] of HOSTS.entries()) {
      await waitFor(`sshd of ${h.name} on ${h.addr}:22`, () => canConnect(h.addr, 22), 20_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${sshd[k]?.output()}`);
      });
    }
    // the outlier: overflows inside h3's namespace only
    const h3 = HOSTS[2]!;
    work.start('ip', ['netns', 'exec', h3.ns, 'timeout', '-s', 'KILL', '300', process.execPath, '-e', STUCK_LISTENER]);
    await until(() => sh('ip', ['netns', 'exec', h3.ns, 'ss', '-Hltn', 'sport = :5003']).includes('5003'), 15_000);
    work.start('ip', ['netns', 'exec', h3.ns, 'timeout', '-s', 'KILL', '300', process.execPath, '-e', CLIENTS]);
    await until(() => listenOverflows(h3.ns) > 10, 15_000);
    if (!(listenOverflows(h3.ns) > 10)) throw new Error(`no listen overflows in ${h3.ns} within 15 s`);
  }, 180_000);

  afterAll(async () => {
    await work.stop();
    // sshd's per-connection processes (their own sessions) are its children until it stops
    for (const s of sshd) for (const pid of childrenOf(s.child.pid)) killQuietly(pid);
    for (const s of sshd) await s.stop();
    for (const h of HOSTS) {
      shQuiet('ip', ['link', 'del', h.rootIf]);
      shQuiet('ip', ['netns', 'del', h.ns]);
    }
    if (madeRunSshd) {
      try {
        rmdirSync('/run/sshd');
      } catch {
        /* something else uses it now */
      }
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('gathers a report from each host and names h3 alone for the listen overflows', () => {
    const inventory = [
      '[fleet]',
      ...HOSTS.map((h) => `${h.name} ansible_host=${h.addr} diag_dest=${join(tmp, h.name, 'diag')}`),
      '',
      '[fleet:vars]',
      'ansible_user=root',
      'ansible_port=22',
      `ansible_ssh_private_key_file=${join(tmp, 'id')}`,
      "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10'",
      'ansible_python_interpreter=/usr/bin/python3',
      'diag_become=false',
      `diag_pack=${join(tmp, 'diag-pack.tar.gz')}`,
      `diag_reports=${join(tmp, 'reports')}`,
      '',
    ].join('\n');
    writeFileSync(join(tmp, 'inventory.ini'), inventory);
    const env = {
      ...process.env,
      ANSIBLE_HOME: join(tmp, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(tmp, 'ansible-local'),
      ANSIBLE_REMOTE_TEMP: join(tmp, 'ansible-remote'),
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORKS: '3',
      ANSIBLE_PIPELINING: 'True',
      // no ControlPersist master: it would keep an ssh and a per-connection sshd running for
      // 60 s after the play (left behind when the test ends)
      ANSIBLE_SSH_ARGS: '-o ControlMaster=no',
    };
    const play = spawnSync('timeout', ['-s', 'KILL', '420', 'ansible-playbook', '-i', join(tmp, 'inventory.ini'), join(ROOT, 'contrib/ansible/diag-fleet.yml')], { encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 });
    expect(play.status, `${play.stdout}\n${play.stderr}`).toBe(0);
    expect(play.stdout).toMatch(/h1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
    expect(play.stdout).toMatch(/h3\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);

    const fleet = spawnSync(process.execPath, [DIAG, 'fleet', join(tmp, 'reports'), '--json'], { encoding: 'utf8', timeout: 60_000 });
    const summary = JSON.parse(fleet.stdout) as FleetSummary;
    expect(summary.hosts.map((h) => h.name).sort()).toEqual(['h1', 'h2', 'h3']);
    for (const h of summary.hosts) expect(h.playbook, `${h.name}: ${h.reason}`).toBe('use');
    const overflows = summary.groups.find((g) => g.key === 'listen-overflows@host');
    expect(overflows?.hosts.map((h) => h.name), JSON.stringify(summary.groups.map((g) => [g.key, g.hosts.map((h) => h.name)]))).toEqual(['h3']);
    const exitByStatus = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;
    expect(fleet.status).toBe(exitByStatus[summary.status]);

    const text = spawnSync(process.execPath, [DIAG, 'fleet', join(tmp, 'reports')], { encoding: 'utf8', timeout: 60_000 }).stdout;
    expect(text).toMatch(/^ {2}1 host \(h3\): (WARNING|CRITICAL) \d+ TCP listen-queue overflows during the window \[listen-overflows@host\]$/m);
    // each host's report was made by the packed diag, in that host's own namespace
    const h3 = JSON.parse(readFileSync(join(tmp, 'reports', 'h3.json'), 'utf8')) as { host: { source: string } };
    expect(h3.host.source).toBe('live host');
  }, 480_000);
});

describe.skipIf(liveRequirement('cmd:tar').skip)('the pack with Node inside', () => {
  it('runs diag on a host without Node on PATH', () => {
    builtCli();
    const dir = mkdtempSync(join(tmpdir(), `${PREFIX}-pack-`));
    try {
      sh(process.execPath, [join(ROOT, 'contrib/ansible/pack.mjs'), '--node', '-o', join(dir, 'pack.tar.gz')]);
      mkdirSync(join(dir, 'host'));
      sh('tar', ['xzf', join(dir, 'pack.tar.gz'), '-C', join(dir, 'host')]);
      // a PATH with dirname(1) alone: no node anywhere on it
      mkdirSync(join(dir, 'bin'));
      sh('ln', ['-s', sh('sh', ['-c', 'command -v dirname']).trim(), join(dir, 'bin', 'dirname')]);
      const r = spawnSync(join(dir, 'host/bin/diag'), ['--version'], { encoding: 'utf8', env: { PATH: join(dir, 'bin') }, timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
      const node = spawnSync(join(dir, 'host/node/bin/node'), ['--version'], { encoding: 'utf8' });
      expect(node.stdout.trim()).toBe(process.version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
