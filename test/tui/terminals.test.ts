import { describe, expect, it } from 'vitest';
import { acsGarbage, colourCodes, TmuxTui } from '../helpers/tmux.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { expectWholeTable, HEADERS } from './headers.js';

// test-group: shared (it drives the TUI in a tmux server of its own and looks for what it planted (a uniquely named process), never for the host's load): it runs beside another file (vitest.config.ts)

// The real diag in tmux: needs tmux (and python3 for planted processes); CI fails without them.
const need = liveRequirement('cmd:tmux');

// Line drawing under the TERMs people have, colour and NO_COLOR. Each case is its own diag in
// its own tmux server at 100x30 (the small layout), read as text and with its SGR attributes.
const STATUS = /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/;

async function firstScreen(name: string, env: Record<string, string>): Promise<{ text: string; escaped: string; term: string }> {
  const t = TmuxTui.start({ name, cols: 100, rows: 30, env });
  try {
    const text = await t.waitFor((s) => STATUS.test(s.split('\n')[0] ?? '') && /USE matrix[\s\S]*Findings/.test(s), 'the first screen');
    const escaped = t.capture({ escapes: true });
    const term = t.diagEnv('TERM') ?? '';
    t.keys('q');
    const { code, pane, screen } = await t.waitExit();
    expect(code).toBe(0);
    // Restored: the alternate screen left (the linux console has none: blessed clears the
    // screen instead), no border left behind, the cursor back.
    expect(pane.alternate).toBe(false);
    expect(pane.cursorVisible).toBe(true);
    expect(screen).not.toMatch(/[┌┐└┘│]|USE matrix/);
    expect(screen).toMatch(/diagt-tty icanon echo/);
    return { text, escaped, term };
  } finally {
    t.kill();
  }
}

describe.skipIf(need.skip)('box drawing under each TERM', () => {
  for (const term of ['xterm-256color', 'screen', 'tmux-256color', 'linux']) {
    it(`TERM=${term}: borders are box characters, never "lqqk"`, async () => {
      const s = await firstScreen(`term-${term.replace(/[^a-z0-9]/g, '')}`, { TERM: term });
      expect(s.term).toBe(term);
      expect(acsGarbage(s.text)).toEqual([]);
      expect(s.text).not.toMatch(/lqq|qqk|mqq|qqj/);
      const lines = s.text.split('\n');
      // the first box row of the Overview tab: a corner, the panel title, a horizontal line
      expect(lines[2]).toMatch(/^[┌+]([─-]) ?▶? ?USE matrix \1+[┐+][┌+]\1 CPU \1+[┐+]$/);
      expect(lines[3]).toMatch(/^[│|]resource .*[│|][│|]cpu .*[│|]$/);
    });
  }

  it('TERM=linux with LANG=C: boxes drawn as characters (never ACS letters), bars and sparklines in ASCII', async () => {
    const s = await firstScreen('linux-c', { TERM: 'linux', LANG: 'C', LC_ALL: 'C' });
    expect(s.term).toBe('linux');
    // blessed writes box lines as characters of their own, not through the alternate character
    // set: Unicode where the terminfo declares UTF-8 (linux does, U8#1), ASCII otherwise
    expect(s.text.split('\n')[2]).toMatch(/^[┌+]([─-]) ?▶? ?USE matrix \1+[┐+][┌+]\1 CPU \1+[┐+]$/);
    expect(acsGarbage(s.text)).toEqual([]);
    // diag's own graphics follow the locale: the memory bar in ASCII
    expect(s.text).toMatch(/│mem +#*\.+ /);
    expect(s.text).not.toMatch(/[█░▁▂▃▄▅▆▇]/);
  });
});

describe.skipIf(need.skip)('TERM=dumb', () => {
  it('gets the use report as text instead of a full-screen UI it cannot draw', async () => {
    const t = TmuxTui.start({ name: 'dumb', cols: 100, rows: 30, env: { TERM: 'dumb' } });
    try {
      // the UI never exits by itself: the report does, with its exit code
      const { code, pane, screen } = await t.waitExit(60_000);
      expect([0, 1, 2, 3]).toContain(code);
      expect(pane.alternate).toBe(false);
      expect(screen).not.toMatch(/[┌┐└┘│]|USE matrix/);
    } finally {
      t.kill();
    }
  });
});

describe.skipIf(need.skip)('colour', () => {
  it('uses the 8 basic colours by default', async () => {
    const s = await firstScreen('colour', { TERM: 'xterm-256color' });
    const codes = colourCodes(s.escaped);
    expect(codes.length).toBeGreaterThan(0);
    // only the 8 basic colours (30-37/40-47) and the defaults (39/49): they degrade everywhere
    for (const c of codes) expect(c).not.toMatch(/\[(?:[0-9;]*;)?(?:38|48|9\d|10\d)[;m]/);
  });

  it('NO_COLOR=1 draws no colour at all (bold and inverse stay)', async () => {
    const s = await firstScreen('nocolor', { TERM: 'xterm-256color', NO_COLOR: '1' });
    expect(colourCodes(s.escaped).filter((c) => !/^\x1b\[(?:39|49|39;49|0)m$/.test(c))).toEqual([]);
    expect(s.escaped).toMatch(/\x1b\[(?:[0-9;]*;)?7m/); // the selected tab in inverse video
    expect(s.text).toMatch(/USE matrix/);
  });

  it('TERM=vt100 (no colours in its terminfo entry) draws no colour, as NO_COLOR', async () => {
    const s = await firstScreen('vt100', { TERM: 'vt100' });
    expect(colourCodes(s.escaped).filter((c) => !/^\x1b\[(?:39|49|39;49|0)m$/.test(c))).toEqual([]);
    expect(s.text).toMatch(/USE matrix/);
  });
});

describe.skipIf(need.skip)('the tables at 120x40', () => {
  it('every panel\'s columns whole, numbers never cut at a border; the processes across the width with htop\'s USER, NI, VIRT, TIME+', async () => {
    const t = TmuxTui.start({ name: 'tables120', cols: 120, rows: 40 });
    try {
      // processes rows (not "reading processes…") and cgroup rows on the same screen
      const s = await t.waitFor((x) => /│ +\d+ \S+ +-?\d+ [A-Z] /.test(x) && HEADERS.cgroups.test(x), 'the processes rows');
      for (const [name, re] of [['disks', HEADERS.disks], ['network', HEADERS.network], ['cgroups', HEADERS.cgroups], ['processes', HEADERS.processes]] as const) expectWholeTable(s, re, `${name} at 120x40`);
      // the processes box spans the terminal (htop's list)
      expect(s.split('\n').find((l) => HEADERS.processes.test(l))).toMatch(/^│ +PID .*│$/);
      for (const l of s.split('\n')) expect([...l].length).toBeLessThanOrEqual(120);
      t.keys('q');
      expect((await t.waitExit()).code).toBe(0);
    } finally {
      t.kill();
    }
  });
});
