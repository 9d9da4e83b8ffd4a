import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { selectedText, TmuxTui } from '../helpers/tmux.js';

// A guided investigation in the real `diag`: pick the cpu playbook, open the run-queue step,
// run its BPF probe (live countdown, then a histogram), and save the path with a snapshot.
const need = liveRequirement('root', 'cmd:tmux');
const STATUS = /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/;

/** Presses j until the highlighted row (below the header) matches, at most `max` times. */
async function selectRow(t: TmuxTui, re: RegExp, max = 20): Promise<string> {
  for (let i = 0; i <= max; i++) {
    const sel = selectedText(t.capture({ escapes: true }), 1) ?? '';
    if (re.test(sel)) return sel;
    t.keys('j');
    // wait for the highlight to move
    const deadline = Date.now() + 3000;
    while ((selectedText(t.capture({ escapes: true }), 1) ?? '') === sel && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no row matching ${re} could be selected; the screen was:\n${t.capture()}`);
}

describe.skipIf(need.skip)('guided investigation', () => {
  it('cpu playbook -> run-queue step -> runqlat probe with a countdown and a histogram -> snapshot with the path', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagt-tui-guide-'));
    const t = TmuxTui.start({ name: 'guide', cols: 120, rows: 45, cwd: dir });
    try {
      await t.waitFor((s) => STATUS.test(s.split('\n')[0] ?? ''), 'the header with a status');
      t.keys('i');
      await t.waitFor(/Investigate: pick a playbook/, 'the playbook list');
      await selectRow(t, /^cpu +CPU:/);
      t.keys('Enter');
      let s = await t.waitFor(/┌─ cpu: (OK|WARNING|CRITICAL|UNKNOWN) - steps/, 'the steps of the cpu playbook');
      // every check of the playbook is a step, marked with its result
      for (const id of ['cpu-host-utilization', 'cpu-runqueue-saturation', 'cpu-psi-saturation', 'cpu-steal-saturation']) expect(s).toMatch(new RegExp(`\\[(CRIT|WARN|info| ok | \\?  )\\] cpu/\\w+ +${id}`));
      await selectRow(t, /cpu-runqueue-saturation/);
      t.keys('Enter');
      s = await t.waitFor(/┌─ cpu \/ cpu-runqueue-saturation/, 'the step');
      expect(s).toContain('What is checked');
      expect(s).toMatch(/sched\.\w+ \/ sched\.ncpu/);
      expect(s).toContain('Why');
      expect(s).toContain('Evidence');
      expect(s).not.toMatch(/\\n *│/); // the YAML text's own line ends are not shown as "\n"
      // the playbook says for how long (1 or 2 s)
      const seconds = Number(/run BPF probe runqlat for (\d+) s/.exec(await selectRow(t, /run BPF probe runqlat for \d+ s/))![1]);
      t.keys('Enter');
      // the countdown while it runs, then the histogram of the last slice
      s = await t.waitFor(new RegExp(`runqlat: \\d\\.\\d s left \\(slice \\d of ${seconds}\\)`), 'the countdown', 20_000);
      s = await t.waitFor(/runqlat: done/, 'the probe to finish', 30_000);
      expect(s).toMatch(/usecs +: count +distribution/);
      expect(s).toMatch(/\d+ -> \d+ +: \d+ +\|\*+ *\|/);
      expect(s).toMatch(/lost events: ring \d+, map \d+/);
      // back to the dashboard and write a snapshot: it carries the path taken
      // one Escape at a time (two in a row read as one Alt-Escape): probe, step, steps, playbooks
      for (let i = 0; i < 6 && /\(Esc back\)/.test(t.capture()); i++) {
        const title = t.capture().split('\n')[1];
        t.keys('Escape');
        await t.waitFor((x) => x.split('\n')[1] !== title, 'an overlay to close', 5000);
      }
      await t.waitFor((x) => !/\(Esc back\)/.test(x), 'the dashboard');
      t.keys('s');
      s = await t.waitFor(/snapshot written: \S+ .*with \d+ investigation steps|snapshot failed/, 'the snapshot', 60_000);
      expect(s).not.toContain('snapshot failed');
      const bundles = readdirSync(dir).filter((f) => f.endsWith('.tar.gz'));
      expect(bundles).toHaveLength(1);
      const r = spawnSync('tar', ['-xzOf', join(dir, bundles[0]!), '--wildcards', '*investigation.json'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const inv = JSON.parse(r.stdout) as { schema: string; steps: Array<{ playbook: string; step?: string; action: string; result: string }> };
      expect(inv.schema).toBe('diag.investigation/v1');
      expect(inv.steps.map((x) => x.action)).toEqual(['chose playbook', 'ran playbook', 'opened step', `ran probe runqlat for ${seconds} s`]);
      expect(inv.steps[2]).toMatchObject({ playbook: 'cpu', step: 'cpu-runqueue-saturation' });
      expect(inv.steps[3]!.result).toMatch(/run-queue latency, \d+ scheduling events/);
      t.keys('q');
      expect((await t.waitExit()).code).toBe(0);
    } finally {
      t.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
