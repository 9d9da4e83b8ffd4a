import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface Planted {
  readonly pid: number;
  kill(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// python3 (script on stdin) sets its own name (comm) to argv[1] and holds open file descriptors up to argv[2]
// against a soft RLIMIT_NOFILE of 50, then sleeps (bounded: 90 s).
const SCRIPT = `
import os, resource, sys, time
name = sys.argv[1].encode('latin-1')
with open('/proc/self/comm', 'wb') as f:
    f.write(name)
want = int(sys.argv[2])
if want > 0:
    resource.setrlimit(resource.RLIMIT_NOFILE, (50, 50))
    keep = []
    while len(os.listdir('/proc/self/fd')) - 1 < want:
        keep.append(open('/dev/null'))
sys.stdout.write('ready\\n')
sys.stdout.flush()
time.sleep(90)
`;

/**
 * A process of ours with a name of our choosing (control characters included) and extra argv
 * entries; with fds > 0 it holds that many open files out of a limit of 50 (49: 98 %, a
 * critical finding of the use playbook). Killed by PID; pair with kill() in afterAll/finally.
 */
export async function plantProcess(opts: { comm: string; args?: readonly string[]; fds?: number }): Promise<Planted> {
  // The script comes on stdin ("python3 -"), so the command line is short: python3 - NAME N ARGS.
  const child = spawn(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ['-', opts.comm, String(opts.fds ?? 0), ...(opts.args ?? [])], { stdio: ['pipe', 'pipe', 'inherit'], argv0: 'python3' });
  child.stdin!.end(SCRIPT);
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the planted process did not start within 10 s')), 10_000);
      child.once('error', reject);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const pid = child.pid!;
    // comm is cut to 15 bytes by the kernel
    const want = Buffer.from(opts.comm, 'latin1').subarray(0, 15).toString('latin1');
    for (let i = 0; i < 50 && readFileSync(`/proc/${pid}/comm`, 'latin1').replace(/\n$/, '') !== want; i++) await sleep(20);
    const open = readdirSync(`/proc/${pid}/fd`).length;
    if (opts.fds && open < opts.fds) throw new Error(`the planted process holds ${open} fds, wanted ${opts.fds}`);
    return { pid, kill };
  } catch (err) {
    kill();
    throw err;
  }
}

export function plantFdHog(comm: string): Promise<Planted> {
  return plantProcess({ comm, fds: 49 });
}
