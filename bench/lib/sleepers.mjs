// N extra sleeping processes for benchmarks that need a busy process table.
// Bounded three ways: each is `sleep SECONDS`; each gets PR_SET_PDEATHSIG=SIGKILL through
// setpriv (util-linux) when available, so they die with the bench even if it is SIGKILLed;
// and the caller registers kill() as a cleanup, which kills them by PID (only children not yet
// reaped, so a PID can never have been reused).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

function hasSetpriv() {
  const r = spawnSync('setpriv', ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 && r.stdout.includes('--pdeathsig');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start n sleeping children in batches. Returns { pids, killSync, kill }: killSync() sends
 * SIGKILL to every child not yet reaped (safe in signal handlers); kill() also waits until all
 * are reaped. onCleanup(killSync) is called before the first child starts.
 */
export async function startSleepers(n, { seconds = 600, batch = 100, onCleanup } = {}) {
  const children = new Set();
  const killSync = () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
  const unregister = onCleanup?.(killSync);
  const [cmd, args] = hasSetpriv() ? ['setpriv', ['--pdeathsig', 'KILL', '--', 'sleep', String(seconds)]] : ['sleep', [String(seconds)]];
  const exited = [];
  try {
    for (let started = 0; started < n; ) {
      const k = Math.min(batch, n - started);
      const spawned = [];
      for (let i = 0; i < k; i++) {
        const c = spawn(cmd, args, { stdio: 'ignore' });
        children.add(c);
        exited.push(new Promise((r) => c.once('close', r)));
        spawned.push(
          new Promise((resolve, reject) => {
            c.once('spawn', resolve);
            c.once('error', reject);
          }),
        );
      }
      await Promise.all(spawned);
      started += k;
    }
    // Wait (bounded) until every child runs `sleep` itself and sleeps: setpriv execs it.
    const deadline = Date.now() + 5000;
    for (;;) {
      const notYet = [...children].filter((c) => {
        try {
          return !readFileSync(`/proc/${c.pid}/stat`, 'latin1').includes('(sleep) S');
        } catch {
          return true;
        }
      }).length;
      if (notYet === 0 || Date.now() > deadline) break;
      await sleep(20);
    }
  } catch (err) {
    killSync();
    throw err;
  }
  const kill = async () => {
    killSync();
    await Promise.race([Promise.all(exited), sleep(10_000)]);
    const left = [...children].filter((c) => c.exitCode === null && c.signalCode === null).length;
    unregister?.();
    if (left > 0) throw new Error(`${left} sleeper processes were not reaped within 10 s`);
  };
  return { pids: [...children].map((c) => c.pid), killSync, kill };
}

/** Number of processes (numeric entries of /proc) and threads (from /proc/loadavg). */
export function processCounts() {
  const processes = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  const threads = Number(readFileSync('/proc/loadavg', 'latin1').split(' ')[3]?.split('/')[1]);
  return { processes, threads: Number.isFinite(threads) ? threads : undefined };
}
