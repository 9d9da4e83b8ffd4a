// N extra network namespaces for benchmarks, of two kinds:
//   process: each held by a sleeping process of ours (`unshare --net sh -c 'ip link set lo up &&
//            exec sleep S'`), as containers are; bounded by sleep, PR_SET_PDEATHSIG (setpriv) and
//            killed by PID in kill()/killSync().
//   bind:    `ip netns add diagbench-PID-I` (no process inside), lo up; deleted by name in the
//            cleanup (synchronously, so it also runs from signal handlers).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function hasSetpriv() {
  const r = spawnSync('setpriv', ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 && r.stdout.includes('--pdeathsig');
}

/** Start n namespaces of `kind`; returns { inodes, killSync, kill }. onCleanup(killSync) is registered first. */
export async function startNamespaces(n, { kind = 'process', seconds = 600, onCleanup } = {}) {
  const children = [];
  const names = [];
  const killSync = () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    for (const name of names.splice(0)) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  };
  const unregister = onCleanup?.(killSync);
  const own = readlinkSync('/proc/self/ns/net');
  const inodes = [];
  try {
    if (kind === 'bind') {
      const batch = [];
      for (let i = 0; i < n; i++) {
        const name = `diagbench-${process.pid}-${i}`;
        names.push(name);
        batch.push(`netns add ${name}`);
      }
      const r = spawnSync('ip', ['-batch', '-'], { input: batch.join('\n') + '\n', encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip -batch: ${r.stderr}`);
      for (const name of names) spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
      for (const name of names) inodes.push(String(spawnSync('stat', ['-L', '-c', '%i', `/run/netns/${name}`], { encoding: 'utf8' }).stdout.trim()));
    } else {
      const pdeath = hasSetpriv() ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
      for (let i = 0; i < n; i++) {
        const argv = [...pdeath, 'unshare', '--net', 'sh', '-c', `ip link set lo up && exec sleep ${seconds}`];
        children.push(spawn(argv[0], argv.slice(1), { stdio: 'ignore' }));
      }
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ready = children.filter((c) => {
          try {
            return readlinkSync(`/proc/${c.pid}/ns/net`) !== own && readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim() === 'sleep';
          } catch {
            return false;
          }
        });
        if (ready.length === n || Date.now() > deadline) {
          for (const c of ready) inodes.push(/\d+/.exec(readlinkSync(`/proc/${c.pid}/ns/net`))[0]);
          break;
        }
        await sleep(50);
      }
    }
  } catch (err) {
    killSync();
    throw err;
  }
  const kill = async () => {
    killSync();
    await Promise.race([Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('close', r))))), sleep(10_000)]);
    unregister?.();
  };
  return { inodes, killSync, kill };
}
