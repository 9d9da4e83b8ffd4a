import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acsGarbage, TmuxTui } from '../helpers/tmux.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { expectWholeTable, HEADERS } from './headers.js';

// test-group: shared (it drives the TUI in a tmux server of its own and looks for what it planted (a uniquely named process), never for the host's load): it runs beside another file (vitest.config.ts)

// The real diag in tmux: needs tmux (and python3 for planted processes); CI fails without them.
const need = liveRequirement('cmd:tmux');

// The real `diag` at 200x60 (every panel at once), then resized live to 80x24 and back.
const STATUS = /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/;
const PANELS = ['USE matrix', 'CPU', 'Memory', 'Disks', 'Network', 'Processes', 'Findings', 'Cgroups / containers'];
const focusOf = (s: string) => /▶ (USE matrix|CPU|Memory|Disks|Network|Processes|Findings|Cgroups \/ containers)/.exec(s)?.[1];
let tui: TmuxTui;

beforeAll(async () => {
  if (need.skip) return;
  tui = TmuxTui.start({ name: 'large', cols: 200, rows: 60 });
  await tui.waitFor((s) => STATUS.test(s.split('\n')[0] ?? ''), 'the header with a status');
});
afterAll(() => tui?.kill());

describe.skipIf(need.skip)('diag at 200x60', () => {
  it('shows every panel at once with the header (kernel, CPUs, time) and no tab bar', async () => {
    const s = await tui.waitFor((x) => PANELS.every((p) => x.includes(` ${p}`)), 'all panels');
    const lines = s.split('\n');
    expect(lines).toHaveLength(60);
    expect(lines[0]).toMatch(/^ diag \S+ +\S+ +up .*load [\d.]+ [\d.]+ [\d.]+ +\d+ CPUs +(OK|WARNING|CRITICAL|UNKNOWN).* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(lines[1]).toMatch(/^┌/);
    expect(s).not.toMatch(/ 1 Overview +2 Findings/);
    expect(acsGarbage(s)).toEqual([]);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(200);
    // the processes panel is sorted by CPU and has a column header
    // with htop's USER, NI, VIRT and TIME+ at this width
    expect(s).toMatch(/PID USER +NI S +CPU% +VIRT +RSS +IO\/s +THR +FD +TIME\+ COMMAND/);
    // every table whole, no number cut at a border (the processes once their rows are read)
    const rows = await tui.waitFor((x) => /│ +\d+ \S+ +-?\d+ [A-Z] /.test(x) && HEADERS.cgroups.test(x), 'the processes rows');
    for (const [name, re] of [['disks', HEADERS.disks], ['network', HEADERS.network], ['cgroups', HEADERS.cgroups], ['processes', HEADERS.processes]] as const) expectWholeTable(rows, re, `${name} at 200x60`);
    // started as the `diag` command on a terminal: its launcher gave node the UI's heap flag
    expect(tui.diagArgv()?.slice(1, 3)).toEqual(['--optimize-for-size', expect.stringMatching(/bin\/diag\.js$/)]);
  });

  it('Tab and Shift-Tab move the focus over the selectable panels', async () => {
    const seen = new Set<string>();
    let focus = focusOf(tui.capture());
    const order = [focus];
    for (let i = 0; i < 6; i++) {
      const prev = focus;
      tui.keys('Tab');
      focus = focusOf(await tui.waitFor((x) => focusOf(x) !== prev, `Tab from ${prev}`));
      seen.add(focus!);
      order.push(focus);
    }
    expect([...seen].sort()).toEqual(['Cgroups / containers', 'Disks', 'Findings', 'Network', 'Processes', 'USE matrix']);
    // Shift-Tab goes back: to the panel the last Tab came from, not merely somewhere else
    const prev = focus;
    tui.keys('BTab');
    const back = focusOf(await tui.waitFor((x) => focusOf(x) !== prev, 'Shift-Tab'));
    expect(back).toBe(order[order.length - 2]);
  });

  it('switches to the small layout when resized to 80x24, and back', async () => {
    tui.resize(80, 24);
    let s = await tui.waitFor((x) => / 1 Overview +2 Findings +3 Processes/.test(x.split('\n')[1] ?? ''), 'the tab bar of the small layout');
    expect(s.split('\n')).toHaveLength(24);
    expect(acsGarbage(s)).toEqual([]);
    for (const l of s.split('\n')) expect([...l].length).toBeLessThanOrEqual(80);
    expect(s).not.toContain('Cgroups / containers');
    tui.resize(200, 60);
    s = await tui.waitFor((x) => PANELS.every((p) => x.includes(` ${p}`)), 'all panels again');
    expect(s.split('\n')[1]).toMatch(/^┌/);
    expect(acsGarbage(s)).toEqual([]);
  });

  it('Ctrl-C quits with exit code 0 and gives the terminal back', async () => {
    tui.keys('C-c');
    const { code, pane, screen } = await tui.waitExit();
    expect(code).toBe(0);
    expect(pane.alternate).toBe(false);
    expect(pane.cursorVisible).toBe(true);
    expect(screen).toMatch(/diagt-tty icanon echo/);
    expect(screen).not.toMatch(/[┌┐└┘│]/);
  });
});

describe.skipIf(need.skip)('diag killed', () => {
  it('SIGTERM restores the terminal (exit 143)', async () => {
    const t = TmuxTui.start({ name: 'sigterm', cols: 100, rows: 30 });
    try {
      await t.waitFor((s) => STATUS.test(s.split('\n')[0] ?? ''), 'the header with a status');
      const pid = t.diagPid();
      expect(pid).toBeDefined();
      process.kill(pid!, 'SIGTERM');
      const { code, pane, screen } = await t.waitExit();
      expect(code).toBe(143);
      expect(pane.alternate).toBe(false);
      expect(pane.cursorVisible).toBe(true);
      expect(screen).toMatch(/diagt-tty icanon echo/);
      expect(screen).not.toMatch(/[┌┐└┘│]/);
    } finally {
      t.kill();
    }
  });
});
