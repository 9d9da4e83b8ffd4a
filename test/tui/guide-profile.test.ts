import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { command, compileC } from '../helpers/bpf.js';
import { BUSY_C, BUSY_C_FLAGS, BUSY_C_FUNCTION } from '../helpers/busy-c.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { selectedText, TmuxTui } from '../helpers/tmux.js';

// The guide's profile drill-down in the real `diag`: a busy C function built with frame pointers,
// chosen as the target (/ pid:N, Enter), the latency playbook's CPU-bound step, its profile run:
// the top functions (self and total %) name the busy function, and the flame graph SVG is
// written where the screen says, holds the function and parses as XML.
const need = liveRequirement('root', 'cmd:tmux', 'cmd:cc', 'cmd:python3');
const STATUS = /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/;

/** Presses j until the highlighted row (below the header) matches, at most `max` times. */
async function selectRow(t: TmuxTui, re: RegExp, max = 20): Promise<string> {
  for (let i = 0; i <= max; i++) {
    const sel = selectedText(t.capture({ escapes: true }), 1) ?? '';
    if (re.test(sel)) return sel;
    t.keys('j');
    const deadline = Date.now() + 3000;
    while ((selectedText(t.capture({ escapes: true }), 1) ?? '') === sel && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no row matching ${re} could be selected; the screen was:\n${t.capture()}`);
}

describe.skipIf(need.skip)('guided investigation: profile drill-down', () => {
  it('latency -> CPU-bound step -> profile: top functions with self and total %, and the flame graph SVG written', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagt-tui-profile-'));
    const bin = compileC(`diagt-tui-busy-${process.pid}`, BUSY_C, BUSY_C_FLAGS);
    const busy = spawn(bin.path, ['60'], { stdio: 'ignore' });
    const pid = busy.pid!;
    const t = TmuxTui.start({ name: 'guide-profile', cols: 140, rows: 50, cwd: dir });
    try {
      await t.waitFor((s) => STATUS.test(s.split('\n')[0] ?? ''), 'the header with a status');
      // the busy process as the target: filter the processes to it, Enter on its row
      t.keys('/');
      t.type(`pid:${pid}`);
      t.keys('Enter');
      await t.waitFor(new RegExp(`\\b${pid}\\b.*diagt-tui-busy`), 'the busy process in the processes panel');
      t.keys('Enter');
      await t.waitFor(/\(Esc back\)/, 'the process detail');
      t.keys('Escape');
      await t.waitFor((x) => !/\(Esc back\)/.test(x), 'the dashboard');
      t.keys('i');
      await t.waitFor(new RegExp(`Investigate PID ${pid}: pick a playbook`), 'the playbook list for the process');
      await selectRow(t, /^latency +Latency:/);
      t.keys('Enter');
      await t.waitFor(/┌─ latency: (OK|WARNING|CRITICAL|UNKNOWN) - steps/, 'the steps of the latency playbook', 30_000);
      await selectRow(t, /lat-on-cpu/);
      t.keys('Enter');
      await t.waitFor(/┌─ latency \/ lat-on-cpu/, 'the step');
      const seconds = Number(/run BPF probe profile for (\d+) s/.exec(await selectRow(t, /run BPF probe profile for \d+ s/))![1]);
      t.keys('Enter');
      const s = await t.waitFor(/profile: done/, 'the profile to finish', 20_000 + seconds * 5000);
      expect(s).toMatch(/top functions by self time \(\d+ samples; total: with what they call\)/);
      expect(s).toMatch(/self % +total % +function/);
      // the busy function has most of the process's samples, itself and with what it calls
      const row = new RegExp(`^\\W*(\\d+\\.\\d) +(\\d+\\.\\d)  ${BUSY_C_FUNCTION}\\b`, 'm').exec(s.split('\n').map((l) => l.replace(/^│ ?/, '')).join('\n'));
      expect(row, s).not.toBeNull();
      expect(Number(row![1])).toBeGreaterThan(50);
      expect(Number(row![2])).toBeGreaterThanOrEqual(Number(row![1]));
      // the path is on the screen (it may wrap: read it from the unwrapped text)
      const flat = s.split('\n').map((l) => l.replace(/^│ ?/, '').replace(/ *│$/, '')).join('');
      const path = new RegExp(`flame graph written: (${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/diag-profile-${pid}-[\\dT-]+Z\\.svg)`).exec(flat)?.[1];
      expect(path, s).toBeDefined();
      expect(s).toMatch(/frame pointers: \d+% of user stacks have callers/);
      const svg = readFileSync(path!, 'utf8');
      expect(svg).toContain(`<title>${BUSY_C_FUNCTION} (`);
      const parsed = await command('python3', ['-c', 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1]); print("ok")', path!]);
      expect(parsed.stdout.trim(), parsed.stderr).toBe('ok');
    } finally {
      t.kill();
      busy.kill('SIGKILL');
      bin.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
