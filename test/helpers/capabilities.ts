import { spawnSync } from 'node:child_process';

/**
 * Live tests need root (namespaces, cgroups, loop devices, BPF) or a tool. In CI (CI=true) a
 * missing capability is a failure, never a skip: the suite must prove the real thing there.
 * On a developer's machine without it, the test is skipped with the reason printed.
 */
export function liveRequirement(...needs: Array<'root' | `cmd:${string}`>): { skip: boolean; reason: string } {
  const missing: string[] = [];
  for (const n of needs) {
    if (n === 'root') {
      if (process.getuid?.() !== 0) missing.push('root');
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
