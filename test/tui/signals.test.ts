import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TmuxTui } from '../helpers/tmux.js';
import { liveRequirement } from '../helpers/capabilities.js';

// test-group: shared (it drives the TUI in a tmux server of its own and looks for what it planted (a uniquely named process), never for the host's load): it runs beside another file (vitest.config.ts)

// The real diag in tmux: needs tmux; CI fails without it.
const need = liveRequirement('cmd:tmux');

const exited = (c: ChildProcess) => new Promise<NodeJS.Signals | number | null>((res) => (c.exitCode !== null || c.signalCode !== null ? res(c.signalCode ?? c.exitCode) : c.once('exit', (code, sig) => res(sig ?? code))));

/** The processes panel filtered to one PID, the cursor on it. */
async function onlyPid(t: TmuxTui, pid: number): Promise<void> {
  await t.waitFor(/PID .*COMMAND[\s\S]*\d+ /, 'the processes table');
  t.keys('F4');
  t.type(`pid:${pid}`);
  t.keys('Enter');
  await t.waitFor(new RegExp(`Processes.* /pid:${pid}[\\s\\S]* ${pid} [\\s\\S]*sleep 300`), `the row of ${pid}`);
}

describe.skipIf(need.skip)('F9 sends a signal only with --allow-signals, after a y/N', () => {
  it('without the flag F9 says how to enable it and the process lives; with it, TERM kills the sleep only after y', async () => {
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    const ended = exited(sleeper);
    let t: TmuxTui | undefined;
    try {
      t = TmuxTui.start({ name: 'nosignals', cols: 120, rows: 40 });
      await onlyPid(t, pid);
      t.keys('F9');
      await t.waitFor(/start diag with --allow-signals/, 'the footer saying how to enable signals');
      t.keys('q');
      await t.waitExit();
      t.kill();
      expect(sleeper.exitCode).toBeNull();
      expect(sleeper.signalCode).toBeNull();

      t = TmuxTui.start({ name: 'signals', cols: 120, rows: 40, args: ['--allow-signals'] });
      await onlyPid(t, pid);
      t.keys('F9');
      await t.waitFor(new RegExp(`signal for PID ${pid} \\(sleep\\): T=TERM`), 'the signal menu');
      t.keys('Enter');
      await t.waitFor(new RegExp(`send SIGTERM to PID ${pid} \\(sleep\\)\\? y/N`), 'the confirmation');
      // asked, not yet sent
      expect(sleeper.signalCode).toBeNull();
      t.keys('y');
      expect(await ended).toBe('SIGTERM');
      await t.waitFor(new RegExp(`SIGTERM sent to ${pid} \\(sleep\\)`), 'the footer saying it was sent');
      t.keys('q');
      expect((await t.waitExit()).code).toBe(0);
    } finally {
      t?.kill();
      if (sleeper.exitCode === null && sleeper.signalCode === null) sleeper.kill('SIGKILL');
    }
  });
});

// F7 (-1) needs root: a lower nice value than a process has needs CAP_SYS_NICE.
const needRoot = liveRequirement('cmd:tmux', 'root');

/** The nice value of a process, read back from the kernel (/proc/PID/stat field 19). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe.skipIf(needRoot.skip)('F7/F8 renice only with --allow-signals', () => {
  it('without the flag F8 changes nothing and says how to enable it; with it F8 twice and F7 once move the nice value 0 -> 1 -> 2 -> 1', async () => {
    // a sleep in a session of its own, ended by session whatever happens
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
    const pid = sleeper.pid!;
    const ended = exited(sleeper);
    let t: TmuxTui | undefined;
    try {
      expect(niceOf(pid)).toBe(0);
      t = TmuxTui.start({ name: 'norenice', cols: 120, rows: 40 });
      await onlyPid(t, pid);
      t.keys('F8');
      await t.waitFor(/start diag with --allow-signals/, 'the footer saying how to enable renice');
      t.keys('F7');
      await t.waitFor(/start diag with --allow-signals/, 'the footer again for F7');
      t.keys('q');
      await t.waitExit();
      t.kill();
      expect(niceOf(pid)).toBe(0);

      t = TmuxTui.start({ name: 'renice', cols: 120, rows: 40, args: ['--allow-signals'] });
      await onlyPid(t, pid);
      t.keys('F8');
      await t.waitFor(new RegExp(`nice of ${pid} \\(sleep\\): 0 -> 1`), 'the footer after F8');
      expect(niceOf(pid)).toBe(1);
      // any key clears the message: the next one is F8's own
      t.keys('F8');
      await t.waitFor(new RegExp(`nice of ${pid} \\(sleep\\): 1 -> 2`), 'the footer after F8 again');
      expect(niceOf(pid)).toBe(2);
      t.keys('F7');
      await t.waitFor(new RegExp(`nice of ${pid} \\(sleep\\): 2 -> 1`), 'the footer after F7');
      expect(niceOf(pid)).toBe(1);
      // the NI column shows the kernel's value once the next refresh read it
      await t.waitFor(new RegExp(`│ +${pid} \\S+ +1 S `), 'NI 1 in the process row');
      t.keys('q');
      expect((await t.waitExit()).code).toBe(0);
    } finally {
      t?.kill();
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await ended;
    }
  });
});
