import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';

/**
 * Every test file must end the processes it started (tests bound their workloads and clean up
 * even when they fail). This setup file records the processes alive when a file starts and,
 * after the file's own hooks have run, names any process started since that is still running:
 * a busy loop or a server left behind is real load that the next file (quiet-host, the TUI's
 * first screen) would be right to report. In CI a leak fails the file; elsewhere it is printed.
 *
 * Processes are told apart by PID and start time (a PID can be reused). Kernel threads (children
 * of kthreadd) are not tests' processes. Files of the "shared" group run two at a time: there a
 * process is this file's only when its environment carries this worker's VITEST_POOL_ID (one a
 * test started with an environment of its own cannot be told apart, and is left out); in the
 * "exclusive" group (DIAG_TEST_EXCLUSIVE, vitest.config.ts) nothing else runs, and every new
 * process is the file's.
 */

interface Proc { readonly key: string; readonly pid: number; readonly ppid: number; readonly sid: number; readonly cmd: string }

function scan(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' ');
      const ppid = Number(f[1]);
      if (ppid === 2 || Number(name) === 2) continue;
      if (f[0] === 'Z') continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || stat.slice(stat.indexOf('(') + 1, close);
      out.push({ key: `${name}/${f[19]}`, pid: Number(name), ppid, sid: Number(f[3]), cmd });
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/** Processes of this test run itself: the worker, its ancestors, and its own children that vitest manages. */
function ancestors(): Set<number> {
  const s = new Set<number>();
  let pid = process.pid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    s.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return s;
}

const POOL = process.env.VITEST_POOL_ID;
const EXCLUSIVE = process.env.DIAG_TEST_EXCLUSIVE === '1';

/** Started by this worker (its pool id in the environment), or by anyone when this file runs alone. */
function ours(pid: number): boolean {
  if (EXCLUSIVE) return true;
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`VITEST_POOL_ID=${POOL ?? ''}`);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let before = new Set<string>();

beforeAll(() => {
  before = new Set(scan().map((p) => p.key));
});

afterAll(async () => {
  const mine = ancestors();
  let left: Proc[] = [];
  // processes being killed by the file's hooks take a moment to go: 5 s of grace
  for (let i = 0; i < 25; i++) {
    // vitest's own helpers (its other workers, a transform service) are children of the
    // runner, not of this worker: not the file's
    left = scan().filter((p) => !before.has(p.key) && !mine.has(p.pid) && !(mine.has(p.ppid) && p.ppid !== process.pid) && ours(p.pid));
    if (left.length === 0) return;
    await sleep(200);
  }
  const list = left.slice(0, 20).map((p) => `  ${p.pid} (parent ${p.ppid}, session ${p.sid}): ${p.cmd.slice(0, 160)}`).join('\n');
  const msg = `this test file left ${left.length} process(es) running after its hooks:\n${list}`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(msg);
  process.stderr.write(`warning: ${msg}\n`);
}, 30_000);
