import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diag } from '../helpers/diag-cli.js';
import { TmuxTui } from '../helpers/tmux.js';
import { plantFdHog } from './plant.js';
import { liveRequirement } from '../helpers/capabilities.js';

// test-group: shared (it drives the TUI in a tmux server of its own and looks for what it planted (a uniquely named process), never for the host's load): it runs beside another file (vitest.config.ts)

// The real diag in tmux: needs tmux (and python3 for planted processes); CI fails without them.
const need = liveRequirement('cmd:tmux', 'cmd:python3');

// `diag open BUNDLE`: the same UI on a snapshot made by `diag snapshot`, time frozen at the
// capture. A process planted while the snapshot is taken (and gone when the bundle is opened)
// shows in the findings: the UI shows the bundle, not the live host.
const PANELS = ['USE matrix', 'CPU', 'Memory', 'Disks', 'Network', 'Processes', 'Findings', 'Cgroups / containers'];

describe.skipIf(need.skip)('diag open BUNDLE', () => {
  it('shows the dashboard of the snapshot with its capture time, frozen', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagt-tui-open-'));
    const file = join(dir, 'snap.tar.gz');
    const hog = await plantFdHog('diagt-tui-snap');
    let t: TmuxTui | undefined;
    try {
      const snap = await diag(['snapshot', '-o', file, '--window', '1s'], { timeoutMs: 90_000 });
      expect(snap.exitCode, snap.stderr).toBe(0);
    } finally {
      hog.kill();
    }
    try {
      const m = spawnSync('tar', ['-xzOf', file, '--wildcards', '*manifest.json'], { encoding: 'utf8' });
      const manifest = JSON.parse(m.stdout) as { samples: Array<{ clock: { wall: string } }>; host: { hostname: string; kernel: string } };
      const at = manifest.samples[1]!.clock.wall;
      t = TmuxTui.start({ name: 'open', cols: 200, rows: 60, args: ['open', file] });
      const s = await t.waitFor((x) => PANELS.every((p) => x.includes(` ${p}`)) && /snapshot \d{4}-/.test(x), 'the dashboard of the bundle');
      const header = s.split('\n')[0]!;
      expect(header).toContain(`snapshot ${at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`);
      expect(header).toMatch(new RegExp(`^ diag ${manifest.host.hostname} +${manifest.host.kernel.replace(/\./g, '\\.')} `));
      expect(header).toMatch(/\b(OK|WARNING|CRITICAL|UNKNOWN)\b/);
      // the planted process is in the bundle's findings (it is gone from the host now)
      expect(s).toMatch(new RegExp(`Process ${hog.pid} \\(diagt-tui-snap\\) uses 98%`));
      // frozen: the whole screen (header, panels, process rows) is the same two refresh periods
      // later (a live dashboard redraws every second); this waits for time to pass, not for an event
      const shown = t.capture();
      await new Promise((r) => setTimeout(r, 2200));
      expect(t.capture()).toBe(shown);
      // s says snapshots come from a live host
      t.keys('s');
      await t.waitFor(/snapshots are written from a live host/, 'the footer message');
      t.keys('q');
      expect((await t.waitExit()).code).toBe(0);
    } finally {
      t?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
