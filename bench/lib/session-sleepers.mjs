// N extra sleeping processes in a session of their own, for benchmarks that need a large process
// table (10,000 or 20,000 processes: one spawn from Node, or one fork+exec of sleep from a shell,
// each took minutes on a loaded host). bench/c/sleepers.c, started detached (Node calls setsid:
// it leads a new session) under argv[0] PREFIX, forks them all without exec; each child dies with
// it (PR_SET_PDEATHSIG) and on its own after SECONDS (alarm), even if everything else fails.
// kill() ends them by session id: every process whose /proc/PID/stat says it is in that session
// is sent SIGKILL, by PID, until none is left; nothing is matched by name.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Build bench/c/sleepers.c into the bench's build folder (once). */
export function buildSleepers(ctx) {
  const src = join(ctx.root, 'bench', 'c', 'sleepers.c');
  const bin = join(ctx.buildDir, 'sleepers');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', bin, src], { stdio: ['ignore', 'inherit', 'inherit'] });
  return bin;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** PIDs of the processes in session `sid` (field 6 of /proc/PID/stat, after the comm in parentheses). */
export function sessionMembers(sid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[3]) === sid) out.push(Number(name));
  }
  return out;
}

/** SIGKILL every member of session `sid`, by PID, until none is left (bounded: 20 s). */
export function killSessionSync(sid) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const members = sessionMembers(sid);
    if (members.length === 0 || Date.now() > deadline) return members.length;
    for (const pid of members) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Start n sleepers in a new session; resolves once all n sleep. Returns { sid, kill, killSync }.
 * onCleanup(killSync) is registered before the first one starts.
 */
export async function startSessionSleepers(n, { binary, seconds = 900, prefix = 'diagt-bs-sleeper', onCleanup } = {}) {
  const leader = spawn(binary, [String(n), String(seconds)], { argv0: prefix, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const sid = leader.pid;
  let killed = false;
  const killSync = () => {
    if (killed) return;
    killed = true;
    killSessionSync(sid);
  };
  const unregister = onCleanup?.(killSync);
  try {
    await new Promise((resolve, reject) => {
      leader.once('error', reject);
      leader.once('exit', (code) => reject(new Error(`sleeper session leader exited (${code}) before starting ${n} sleepers`)));
      leader.stdout.setEncoding('utf8').on('data', (d) => d.includes('started') && resolve());
    });
    // every sleeper sleeps (bounded: 60 s)
    const deadline = Date.now() + 60_000;
    for (;;) {
      const sleeping = sessionMembers(sid).filter((pid) => {
        try {
          return pid !== sid && readFileSync(`/proc/${pid}/stat`, 'latin1').includes(') S ');
        } catch {
          return false;
        }
      }).length;
      if (sleeping >= n) break;
      if (Date.now() > deadline) throw new Error(`only ${sleeping} of ${n} sleepers sleep after 60 s`);
      await sleep(200);
    }
  } catch (err) {
    killSync();
    unregister?.();
    throw err;
  }
  return {
    sid,
    killSync,
    kill: async () => {
      killSync();
      unregister?.();
      const left = sessionMembers(sid).length;
      if (left > 0) throw new Error(`${left} processes of session ${sid} are still there`);
    },
  };
}
