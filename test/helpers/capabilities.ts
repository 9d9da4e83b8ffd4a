import { spawnSync } from 'node:child_process';
import { cgroupMount, type Controller } from './cgroup-fs.js';

/**
 * Live tests need root (namespaces, cgroups, loop devices, BPF) or a tool. In CI (CI=true) a
 * missing capability is a failure, never a skip: the suite must prove the real thing there.
 * cgroup needs are looked up in /proc/self/mountinfo (see cgroup-fs.ts), never assumed at /sys/fs/cgroup/<controller>.
 * On a developer's machine without it, the test is skipped with the reason printed.
 */
export function liveRequirement(...needs: Array<'root' | `cmd:${string}` | `cgroup:${Controller}` | `cgroup-v1:${Controller}`>): { skip: boolean; reason: string } {
  const missing: string[] = [];
  for (const n of needs) {
    if (n === 'root') {
      if (process.getuid?.() !== 0) missing.push('root');
    } else if (n.startsWith('cgroup')) {
      // a cgroup hierarchy holding the controller, found in /proc/self/mountinfo; cgroup-v1: a v1 one
      // (a test of a v1-only knob: memory.memsw.*, blkio.throttle.*)
      const ctrl = n.slice(n.indexOf(':') + 1) as Controller;
      const m = cgroupMount(ctrl);
      if (!m) missing.push(`a cgroup hierarchy with the ${ctrl} controller`);
      else if (n.startsWith('cgroup-v1:') && m.version !== 1) missing.push(`a cgroup v1 hierarchy with the ${ctrl} controller (this host has it on v2 at ${m.root})`);
    } else {
      const cmd = n.slice(4);
      const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
      if (r.status !== 0) missing.push(`the ${cmd} command`);
    }
  }
  if (missing.length === 0) return { skip: false, reason: '' };
  const reason = `needs ${missing.join(', ')}`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`CI=true and this live test ${reason}: CI must run it for real (run as root and install the tool)`);
  }
  process.stderr.write(`skipping live test: ${reason}\n`);
  return { skip: true, reason };
}
