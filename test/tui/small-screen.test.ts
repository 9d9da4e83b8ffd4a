import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpLines, KEYMAP } from '../../src/tui/keys.js';
import { SMALL_TABS } from '../../src/tui/layout.js';
import { acsGarbage, selectedText, TmuxTui } from '../helpers/tmux.js';
import { plantFdHog, type Planted } from './plant.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { expectWholeTable, HEADERS } from './headers.js';

// test-group: shared (it drives the TUI in a tmux server of its own and looks for what it planted (a uniquely named process), never for the host's load): it runs beside another file (vitest.config.ts)

// The real diag in tmux: needs tmux (and python3 for planted processes); CI fails without them.
const need = liveRequirement('cmd:tmux', 'cmd:python3');

// The real `diag` at 80x24 (the small layout: tabs) in tmux, driven with keys like a person.
// One session for the whole walk: each step starts from where the previous one left it.
const STATUS = /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/;
let tui: TmuxTui;
let hog: Planted;
// unique per run (comm holds 15 bytes): a hog left by another run, or another file's plant, never matches the filter
const HOG = `diagt-h${(process.pid % 100000).toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 15);

beforeAll(async () => {
  if (need.skip) return;
  // A process at 98 % of its fd limit: a critical finding whatever else the host is doing.
  hog = await plantFdHog(HOG);
  tui = TmuxTui.start({ name: 'small', cols: 80, rows: 24 });
  await tui.waitFor((s) => STATUS.test(s.split('\n')[0] ?? ''), 'the header with a status');
});
afterAll(() => {
  tui?.kill();
  hog?.kill();
});

const tabBar = (s: string) => s.split('\n')[1] ?? '';

describe.skipIf(need.skip)('diag at 80x24', () => {
  it('draws the header, the tab bar and the Overview panels in Unicode boxes', async () => {
    const s = await tui.waitFor(/USE matrix[\s\S]*Findings/, 'the overview panels');
    const lines = s.split('\n');
    expect(lines).toHaveLength(24);
    expect(lines[0]).toMatch(/^ diag \S+ .*up .*load [\d.]+ /);
    for (const t of SMALL_TABS) expect(tabBar(s)).toContain(t.name);
    for (const title of ['USE matrix', 'CPU', 'Memory', 'Findings']) expect(s).toMatch(new RegExp(`[┌─] ?▶? ${title}`));
    expect(s).toContain('┌');
    expect(s).toContain('┘');
    expect(acsGarbage(s)).toEqual([]);
    // every line fits the terminal (no wrapped garbage), the footer shows how to get help
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(lines[23]).toMatch(/^ F1 help .*F10 quit .*Tab panel .* every 1s$/);
  });

  it('goes to each tab with 1-5 and shows its panels', async () => {
    const panels: Record<string, RegExp> = {
      Overview: /USE matrix/,
      Findings: /Findings/,
      Processes: /Processes sort:cpu/,
      'Disks+Net': /Disks[\s\S]*Network/,
      Cgroups: /Cgroups \/ containers/,
    };
    for (let i = SMALL_TABS.length - 1; i >= 0; i--) {
      const tab = SMALL_TABS[i]!;
      tui.keys(String(i + 1));
      // tab bar and panels from the same capture
      const s = await tui.waitFor((x) => tabOfScreen(x) === tab.name && panels[tab.name]!.test(plain(x).split('\n').slice(2).join('\n')), `tab ${tab.name}`, 20_000, { escapes: true });
      expect(plain(s).split('\n').slice(2).join('\n')).toMatch(panels[tab.name]!);
      // the tables whole at 80 columns, no number cut at a border
      if (tab.name === 'Processes') expectWholeTable(await tui.waitFor((x) => /│ +\d+ \S+ +[A-Z] /.test(x), 'process rows'), HEADERS.processes80, 'processes at 80x24');
      if (tab.name === 'Disks+Net') for (const re of [HEADERS.disks, HEADERS.network]) expectWholeTable(plain(s), re, `${String(re)} at 80x24`);
      if (tab.name === 'Cgroups') expectWholeTable(plain(s), HEADERS.cgroups, 'cgroups at 80x24');
    }
  });

  it('Tab walks every panel and then moves on to the next tab', async () => {
    tui.keys('1');
    let s = await tui.waitFor(() => tabOf(tui) === 'Overview', 'tab Overview');
    const seen = new Set<string>();
    let focus = focusOf(s);
    const order = [`${tabOf(tui)}: ${focus}`];
    for (let i = 0; i < 12; i++) {
      tui.keys('Tab');
      const prev = focus;
      s = await tui.waitFor((x) => focusOf(x) !== prev, `Tab to move the focus from ${prev}`);
      focus = focusOf(s);
      seen.add(`${tabOf(tui)}: ${focus}`);
      order.push(`${tabOf(tui)}: ${focus}`);
    }
    expect([...seen].sort()).toEqual(
      ['Overview: Findings', 'Overview: USE matrix', 'Findings: Findings', 'Processes: Processes', 'Disks+Net: Disks', 'Disks+Net: Network', 'Cgroups: Cgroups / containers'].sort(),
    );
    // Shift-Tab goes back
    const prev = focus;
    tui.keys('BTab');
    s = await tui.waitFor((x) => focusOf(x) !== prev, 'Shift-Tab to move the focus back');
    // back to the panel (and tab) the last Tab came from, not merely somewhere else
    expect(`${tabOf(tui)}: ${focusOf(s)}`).toBe(order[order.length - 2]);
  });

  it('? shows every key of the keymap (scrolling), any other key closes it', async () => {
    tui.keys('?');
    let s = await tui.waitFor(/Keys \(1-\d+\/\d+, j\/k scroll/, 'the help overlay, scrollable at 80x24');
    const rows: string[] = [];
    const body = (x: string) => x.split('\n').slice(3, 22).map((l) => l.replace(/^│/, '').replace(/│$/, '').trimEnd());
    rows.push(...body(s));
    // page down to the end of the help (the label says which rows are shown)
    for (let i = 0; i < 5 && !/Keys \((\d+)-(\d+)\/\2,/.test(s); i++) {
      const before = /Keys \((\d+-\d+)/.exec(s)?.[1];
      tui.keys('PgDn');
      s = await tui.waitFor((x) => /Keys \((\d+-\d+)/.exec(x)?.[1] !== before, 'the help to scroll');
      rows.push(...body(s));
    }
    const text = rows.join('\n');
    for (const b of KEYMAP) {
      expect(text).toMatch(new RegExp(`^${escapeRe(b.label)}\\s{2,}${escapeRe(b.help.slice(0, 20))}`, 'm'));
      // and every key the TUI answers to is named by its label
      for (const k of b.keys) expect(labelNames(b.label)).toContain(keyName(k).toLowerCase());
    }
    expect(helpLines()).toHaveLength(KEYMAP.length);
    tui.keys('x');
    await tui.waitFor((x) => !/Keys \(/.test(x), 'the help overlay to close');
  });

  // walks the findings one key at a time, waiting for each redraw: slow on a loaded host
  it('e on a finding shows its culprits and evidence, Esc goes back; Enter goes to its culprit', { timeout: 150_000 }, async () => {
    tui.keys('2');
    await tui.waitFor(new RegExp(`Process \\d+ \\(${HOG}\\) uses`), 'the planted fd finding');
    // select the planted finding with j, from the top (findings naming a cause, like this process, come first)
    tui.keys('g');
    await tui.waitFor((x) => /^ ?\S/.test(selectedText(x, 2) ?? ''), 'a selected finding', 5000, { escapes: true });
    for (let i = 0; i < 40; i++) {
      const sel = selectedText(tui.capture({ escapes: true }), 2);
      if (sel?.includes(HOG)) break;
      tui.keys('j');
      // wait for the highlight to move before looking again (a capture can come before the redraw)
      await tui.waitFor((x) => selectedText(x, 2) !== sel, 'the highlight to move', 3000, { escapes: true }).catch(() => undefined);
    }
    expect(selectedText(tui.capture({ escapes: true }), 2)).toContain(`Process ${hog.pid} (${HOG})`);
    tui.keys('e');
    let s = await tui.waitFor(/Finding: Process \d+/, 'the finding detail');
    expect(s).toContain(`Process ${hog.pid} (${HOG})`);
    // its culprit first: the process itself, with its command line, selected
    expect(selectedText(tui.capture({ escapes: true }), 2)).toMatch(new RegExp(`^1\\. process:${hog.pid} ${HOG}: `));
    expect(s).toContain('Enter: go to the culprit');
    expect(s).toMatch(/value: 9\d(\.\d+)? percent \(processes.fd_pct/);
    expect(s).toMatch(/threshold: warning >= 80/);
    expect(s).toContain('Why it matters:');
    tui.keys('End');
    s = await tui.waitFor(/Next steps:|raise LimitNOFILE/, 'the next steps');
    tui.keys('Escape');
    // a capture can land while a frame is still being written: wait for the list itself
    s = await tui.waitFor((x) => !/Finding: Process/.test(x) && /Findings/.test(x) && x.includes(HOG), 'back to the findings, the planted one listed');
    // the scope the title names in words gives its room to the title at 80 columns
    expect(s).toMatch(new RegExp(`CRIT Process ${hog.pid} \\(${HOG}\\) uses 98% of its fd limit`));
    // Enter on the finding goes to its culprit's row: the process, on the Processes tab
    tui.keys('Enter');
    await tui.waitFor((x) => /Processes sort:cpu/.test(x) && new RegExp(`culprit 1 of "Process ${hog.pid}`).test(x), 'the process list with the culprit selected');
    expect(selectedText(tui.capture({ escapes: true }), 2)).toMatch(new RegExp(`^\\s*${hog.pid} `));
    tui.keys('2');
    await tui.waitFor((x) => /▶ Findings/.test(x), 'the findings tab again');
  });

  it('/ filters the processes (typed text shown in the footer, the panel label says it)', async () => {
    tui.keys('/');
    await tui.waitFor(/filter processes: _/, 'the filter prompt');
    tui.type(HOG);
    await tui.waitFor(new RegExp(`filter processes: ${HOG}_`), 'the typed filter');
    tui.keys('Enter');
    const s = await tui.waitFor(new RegExp(`Processes sort:cpu /${HOG}`), 'the filtered process list');
    const rows = s.split('\n').filter((l) => /^│\s+\d+ /.test(l));
    expect(rows.length).toBe(1);
    expect(rows[0]).toContain(String(hog.pid));
    tui.keys('Escape');
    const all = await tui.waitFor((x) => /Processes sort:cpu \d+-\d+\/\d+/.test(x), 'all processes again');
    expect(all.split('\n').filter((l) => /^│\s+\d+ /.test(l)).length).toBeGreaterThan(5);
  });

  it('q quits with exit code 0 and gives the terminal back', async () => {
    tui.keys('q');
    const { code, pane: p, screen: s } = await tui.waitExit();
    expect(code).toBe(0);
    expect(p.alternate).toBe(false);
    expect(p.cursorVisible).toBe(true);
    expect(s).toMatch(/diagt-before TERM=xterm-256color/);
    expect(s).toMatch(/diagt-exit=0/);
    expect(s).toMatch(/diagt-tty icanon echo/);
    expect(s).not.toMatch(/[┌┐└┘│]/);
    expect(s).not.toContain('USE matrix');
  });
});

/** The panel with the focus mark in its label. */
function focusOf(screen: string): string | undefined {
  return /▶ (USE matrix|CPU|Memory|Disks|Network|Processes|Findings|Cgroups \/ containers)/.exec(screen)?.[1];
}

/** The highlighted tab of the tab bar. */
function tabOf(t: TmuxTui): string | undefined {
  return tabOfScreen(t.capture({ escapes: true }));
}

/** The highlighted tab in a `capture-pane -e` screen. */
function tabOfScreen(escaped: string): string | undefined {
  const sel = selectedText(escaped.split('\n')[1] ?? '');
  return SMALL_TABS.find((x) => sel?.includes(x.name))?.name;
}

function plain(escaped: string): string {
  return escaped.replace(/\x1b\[[0-9;]*m/g, '');
}

/** The key names a help label shows: "? / h / F1" -> ?, h, f1; "1-5" -> 1, 2, 3, 4, 5. */
function labelNames(label: string): string[] {
  return label
    .toLowerCase()
    .split(' / ')
    .flatMap((n) => {
      const r = /^(\d)-(\d)$/.exec(n);
      return r ? Array.from({ length: Number(r[2]) - Number(r[1]) + 1 }, (_, i) => String(Number(r[1]) + i)) : [n];
    });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** How a blessed key name reads in a help label: "C-c" as "Ctrl-C", "S-tab" as "Shift-Tab". */
function keyName(k: string): string {
  const names: Record<string, string> = { f1: 'F1', tab: 'Tab', enter: 'Enter', home: 'Home', end: 'End', backspace: 'Backspace', escape: 'Esc', pagedown: 'PgDn', pageup: 'PgUp', 'S-tab': 'Shift-Tab', 'S-g': 'G', 'S-i': 'I', 'S-k': 'K', down: 'Down', up: 'Up', space: 'Space' };
  if (names[k]) return names[k];
  if (k.startsWith('C-')) return `Ctrl-${k.slice(2).toUpperCase()}`;
  return k;
}
