import { describe, expect, it } from 'vitest';
import { selectedText, TmuxTui } from '../helpers/tmux.js';
import { liveRequirement } from '../helpers/capabilities.js';

// test-group: shared (it drives the TUI in a tmux server of its own and reads back what it clicked, never the host's load): it runs beside another file (vitest.config.ts)

// The real diag in tmux: needs tmux; CI fails without it.
const need = liveRequirement('cmd:tmux');

// Real mouse input: the xterm SGR sequences a terminal sends for a click or a wheel step,
// written into the pane (TmuxTui.mouse). The dashboard is paused first so the rows read from the
// screen are the rows clicked.
const HEAD = /│( +PID USER .*COMMAND)/;
const focusOf = (s: string) => /▶ (Findings|Processes|Cgroups \/ containers|Disks|Network|USE matrix)/.exec(s)?.[1];
const pidsOn = (s: string) => s.split('\n').flatMap((l, y) => (/^│ +(\d+) /.test(l) ? [{ y, pid: Number(/^│ +(\d+) /.exec(l)![1]) }] : []));

async function pausedProcesses(t: TmuxTui): Promise<{ screen: string; head: number }> {
  await t.waitFor((x) => /│ +\d+ \S+ +-?\d+ [A-Z] /.test(x), 'the process rows');
  t.keys('p');
  const screen = await t.waitFor(/PAUSED/, 'the PAUSED mark');
  return { screen, head: screen.split('\n').findIndex((l) => HEAD.test(l)) };
}

describe.skipIf(need.skip)('the mouse', () => {
  it('clicks and wheel only (modes 1000 + 1006, no motion tracking); a click selects the row under it, the wheel moves 3 rows, a click on a title sorts by it', async () => {
    const t = TmuxTui.start({ name: 'mouse', cols: 120, rows: 40 });
    try {
      const { screen, head } = await pausedProcesses(t);
      // what the terminal was asked for: press/release and wheel with SGR coordinates, never motion
      expect(t.mouseModes()).toEqual({ standard: true, button: false, all: false, sgr: true });
      expect(focusOf(screen)).toBe('Findings');
      const rows = pidsOn(screen).filter((r) => r.y > head);
      expect(rows.length).toBeGreaterThanOrEqual(9);
      // click the third process row: Processes gets the focus, that process is selected
      const third = rows[2]!;
      t.mouse('click', 30, third.y);
      let s = await t.waitFor((x) => focusOf(x) === 'Processes', 'the focus on Processes after the click');
      const sel = () => selectedText(t.capture({ escapes: true }), head + 1) ?? '';
      expect(sel()).toMatch(new RegExp(`^ +${third.pid} `));
      // two wheel steps down: three rows each
      t.mouse('wheel-down', 30, third.y);
      await t.waitFor(() => new RegExp(`^ +${rows[5]!.pid} `).test(sel()), 'the selection 3 rows down');
      t.mouse('wheel-down', 30, third.y);
      await t.waitFor(() => new RegExp(`^ +${rows[8]!.pid} `).test(sel()), 'the selection 6 rows down');
      t.mouse('wheel-up', 30, third.y);
      await t.waitFor(() => new RegExp(`^ +${rows[5]!.pid} `).test(sel()), 'the selection back up 3 rows');
      // a click on the PID title sorts by PID, a second one reverses it
      const pidX = [...screen.split('\n')[head]!].join('').indexOf('PID');
      t.mouse('click', pidX, head);
      s = await t.waitFor(/Processes sort:pid /, 'sort:pid in the label');
      const ascending = pidsOn(s).filter((r) => r.y > head).map((r) => r.pid);
      expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
      t.mouse('click', pidX, head);
      s = await t.waitFor(/Processes sort:pid rev/, 'sort:pid rev in the label');
      const descending = pidsOn(s).filter((r) => r.y > head).map((r) => r.pid);
      expect(descending).toEqual([...descending].sort((a, b) => b - a));
      t.keys('q');
      const { code } = await t.waitExit();
      expect(code).toBe(0);
      // the terminal's mouse given back
      expect(t.mouseModes()).toEqual({ standard: false, button: false, all: false, sgr: false });
    } finally {
      t.kill();
    }
  });

  it('--no-mouse leaves the mouse to the terminal: no mouse mode is set, so the terminal selects text as usual', async () => {
    const t = TmuxTui.start({ name: 'nomouse', cols: 120, rows: 40, args: ['--no-mouse'] });
    try {
      await pausedProcesses(t);
      expect(t.mouseModes()).toEqual({ standard: false, button: false, all: false, sgr: false });
      t.keys('q');
      expect((await t.waitExit()).code).toBe(0);
    } finally {
      t.kill();
    }
  });
});
