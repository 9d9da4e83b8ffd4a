import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A copied host tree (what `diag --root DIR` reads as "files under DIR": no commands, no statfs,
 * no BPF) of this machine's host-wide /proc files plus `n` synthetic processes, each with the
 * files the processes collector reads (stat, status, limits, cgroup, io, cmdline, an fd listing).
 * Their texts are this process's own, with the PID and the name changed: every process has
 * texts of its own (as a real host's have), limits and cgroup the same for all (as a real
 * host's mostly are). The same tree gives the same snapshot whatever else runs on the machine,
 * so a snapshot's memory can be measured against the process count alone.
 */
export const FIRST_SYNTHETIC_PID = 100_000;

const HOST_FILES = [
  'stat',
  'meminfo',
  'loadavg',
  'uptime',
  'vmstat',
  'diskstats',
  'cpuinfo',
  'swaps',
  'net/dev',
  'net/snmp',
  'net/netstat',
  'net/sockstat',
  'pressure/cpu',
  'pressure/memory',
  'pressure/io',
  'sys/kernel/osrelease',
  'sys/kernel/pid_max',
  'sys/kernel/threads-max',
  'sys/vm/swappiness',
  'sys/vm/overcommit_memory',
];

export function writeSyntheticHost(root: string, n: number): void {
  for (const f of HOST_FILES) {
    const target = join(root, 'proc', f);
    mkdirSync(dirname(target), { recursive: true });
    try {
      // /proc files report size 0: copy by reading
      writeFileSync(target, readFileSync(`/proc/${f}`));
    } catch {
      // not on this kernel: the collector says so
    }
  }
  writeFileSync(join(root, 'proc/sys/kernel/hostname'), 'synthetic\n');
  mkdirSync(join(root, 'etc'), { recursive: true });
  copyFileSync('/etc/passwd', join(root, 'etc/passwd'));
  const self = (f: string) => readFileSync(`/proc/self/${f}`, 'utf8');
  const stat = self('stat');
  const tail = stat.slice(stat.lastIndexOf(')') + 2);
  const [status, limits, cgroup] = [self('status'), self('limits'), self('cgroup')];
  for (let i = 0; i < n; i++) {
    const pid = String(FIRST_SYNTHETIC_PID + i);
    const dir = join(root, 'proc', pid);
    mkdirSync(join(dir, 'fd'), { recursive: true });
    writeFileSync(join(dir, 'stat'), `${pid} (worker-${i}) ${tail}`);
    writeFileSync(join(dir, 'status'), status.replace(/^Name:.*$/m, `Name:\tworker-${i}`).replace(/^Pid:.*$/m, `Pid:\t${pid}`).replace(/^Tgid:.*$/m, `Tgid:\t${pid}`));
    writeFileSync(join(dir, 'limits'), limits);
    writeFileSync(join(dir, 'cgroup'), cgroup);
    writeFileSync(join(dir, 'io'), `rchar: ${i}\nwchar: ${2 * i}\nsyscr: 3\nsyscw: 4\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n`);
    writeFileSync(join(dir, 'cmdline'), `worker\u0000--id\u0000${i}\u0000`);
    for (const fd of ['0', '1', '2']) writeFileSync(join(dir, 'fd', fd), '');
  }
}
