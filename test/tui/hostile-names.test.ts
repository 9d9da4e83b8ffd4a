import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmuxTui } from '../helpers/tmux.js';
import { plantProcess, type Planted } from './plant.js';
import { liveRequirement } from '../helpers/capabilities.js';

// test-group: shared (it drives the TUI in a tmux server of its own and looks for what it planted (a uniquely named process), never for the host's load): it runs beside another file (vitest.config.ts)

// The real diag in tmux: needs tmux (and python3 for planted processes); CI fails without them.
const need = liveRequirement('cmd:tmux', 'cmd:python3');

// A process whose name holds an escape sequence and a newline, and whose command line holds an
// OSC title sequence, a BEL and blessed tags: the TUI must show them as visible text.
const COMM = 'ev\x1b[2Jil\nX';
const SHOWN_COMM = 'ev\\x1b[2Jil\\nX';
const OSC = '\x1b]0;pwned\x07';
const SHOWN_OSC = '\\x1b]0;pwned\\x07';
const TAGS = '{red-fg}tagged{/red-fg}';
const STATUS = /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/;

let evil: Planted;
let tui: TmuxTui;

beforeAll(async () => {
  if (need.skip) return;
  // 49 of 50 fds: a finding whose title carries the name too
  evil = await plantProcess({ comm: COMM, args: [OSC, TAGS], fds: 49 });
  tui = TmuxTui.start({ name: 'hostile', cols: 260, rows: 60 });
  await tui.waitFor((s) => STATUS.test(s.split('\n')[0] ?? ''), 'the header with a status');
});
afterAll(() => {
  tui?.kill();
  evil?.kill();
});

describe.skipIf(need.skip)('host strings with control characters', () => {
  it('shows the command line escaped in the process list, tags as text', async () => {
    tui.keys('/');
    tui.type('pwned');
    tui.keys('Enter');
    // the first frame comes before the process list (first paint): wait for the row itself
    const s = await tui.waitFor((x) => /Processes sort:cpu \/pwned/.test(x) && x.split('\n').some((l) => new RegExp(`^│ +${evil.pid} `).test(l)), 'the filtered process list');
    const row = s.split('\n').find((l) => new RegExp(`^│ +${evil.pid} `).test(l));
    expect(row).toBeDefined();
    expect(row).toContain(`python3 - ${SHOWN_COMM} 49 ${SHOWN_OSC} {red-fg}tagged`);
    // nothing was interpreted: the header is still there (no \x1b[2J), the title not changed
    expect(s.split('\n')[0]).toMatch(/^ diag /);
    expect(tui.pane().title).not.toContain('pwned');
    // the {red-fg} in the name did not colour anything
    const escaped = tui.capture({ escapes: true }).split('\n').find((l) => l.includes('tagged'))!;
    // from the name to the processes panel's right border (the findings panel is beside it)
    const from = escaped.slice(escaped.indexOf('{red-fg}tagged'));
    const tagged = from.slice(0, from.indexOf('│'));
    expect(tagged).toContain('{red-fg}tagged');
    expect(tagged).not.toMatch(/\x1b\[(?:[0-9;]*;)?31m/);
  });

  it('shows the name escaped in the process detail (Enter)', async () => {
    // the filter put the focus on the processes, on the one row left
    await tui.waitFor(/▶ Processes sort:cpu \/pwned/, 'the process panel focused');
    tui.keys('Enter');
    // the detail's frame is drawn before its lines (read from /proc after the key): wait for both
    const s = await tui.waitFor((x) => new RegExp(`┌─ Process ${evil.pid} `).test(x) && x.includes('command: python3'), 'the process detail with its command line');
    expect(s).toContain(`Process ${evil.pid} ${SHOWN_COMM}`);
    expect(s).toContain(`command: python3 - ${SHOWN_COMM} 49 ${SHOWN_OSC} ${TAGS}`);
    expect(s.split('\n')[0]).toMatch(/^ diag /);
    tui.keys('Escape');
    await tui.waitFor((x) => !new RegExp(`┌─ Process ${evil.pid} `).test(x), 'the detail to close');
  });

  it('shows the name escaped in the findings', async () => {
    const s = await tui.waitFor(new RegExp(`process:${evil.pid}: Process ${evil.pid}`), 'the fd finding of the planted process');
    expect(s).toContain(`Process ${evil.pid} (${SHOWN_COMM}) uses`);
    expect(tui.pane().title).not.toContain('pwned');
    tui.keys('q');
    const { code, screen } = await tui.waitExit();
    expect(code).toBe(0);
    expect(screen).toMatch(/diagt-before/); // the normal screen was never cleared
  });
});
