import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src/core/collector.js';
import { findingsPanel, matrixPanel, memoryPanel, processesPanel } from '../../src/tui/panels.js';
import { textWidth } from '../../src/tui/text.js';
import { makeTheme } from '../../src/tui/theme.js';
import { evaluation, finding, frame, model, row } from './model-builders.js';

const color = makeTheme({ color: true, unicode: true });
const mono = makeTheme({ color: false, unicode: false });
const shown = (s: string) => s.replace(/\{(\/?)([a-z-]+)\}/g, (_, _s: string, name: string) => (name === 'open' ? '{' : name === 'close' ? '}' : ''));

describe('panels', () => {
  it('processes: formats only the rows asked for, each exactly the panel width at most', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(String(i + 1), { ppid: 1, cpu_pct: i % 7, rss: i * 1000 }, { comm: `p${i}`, cmdline: `/bin/p${i} --flag`, state: 'S' }));
    const out = processesPanel(frame(model({ processes: rows })), color, 100, { sort: 'cpu', tree: false });
    expect(out.lazy?.count).toBe(3000);
    expect(out.selectable).toBe(3000);
    const page = out.lazy!.render(10, 40);
    expect(page).toHaveLength(30);
    for (const l of page) expect(textWidth(shown(l))).toBeLessThanOrEqual(100);
  });

  it('processes: hostile names are shown escaped, tags inert; D and Z states stand out', () => {
    const m = model({
      processes: [
        row('7', { cpu_pct: 1 }, { comm: 'x', cmdline: 'evil {red-fg}\x1b[2J\nname', state: 'D' }),
        row('8', { cpu_pct: 0 }, { comm: 'z', cmdline: '', state: 'Z' }),
      ],
    });
    const out = processesPanel(frame(m), color, 120, { sort: 'cpu', tree: false });
    const [a, b] = out.lazy!.render(0, 2);
    expect(shown(a!)).toContain('evil {red-fg}\\x1b[2J\\nname');
    expect(a).toContain('{yellow-fg}D{/yellow-fg}');
    expect(b).toMatch(/\{red-fg\}Z\{\/red-fg\}/);
    expect(a).not.toMatch(/\x1b/);
  });

  it('processes: an unavailable table says why; a filter with no match says so', () => {
    const out = processesPanel(frame(model({}, { processes: '/proc cannot be listed' })), color, 80, { sort: 'cpu', tree: false });
    expect(shown(out.lines[0]!)).toContain('/proc cannot be listed (run as root)');
    const none = processesPanel(frame(model({ processes: [row('1', {}, { comm: 'a' })] })), color, 80, { sort: 'cpu', tree: false, filter: 'zzz' });
    expect(none.lines[0]).toContain('no process matches');
  });

  it('matrix: a line per resource; without colour the severities are still marked (bold), no colour tags', () => {
    const e = evaluation([finding({ resource: 'cpu', kind: 'saturation', severity: 'critical' })]);
    const m = matrixPanel(frame(model({}), e), mono, 36);
    expect(m.lines).toHaveLength(RESOURCES.length);
    expect(m.lines.join('\n')).not.toMatch(/-fg\}/);
    expect(m.lines[0]).toContain('{bold}CRIT');
    expect(matrixPanel(frame(model({}), e), color, 36).lines[0]).toContain('{red-fg}CRIT');
  });

  it('findings: "measuring" before the first window, then "no findings" with the unknown count', () => {
    const f0 = { ...frame(model({})), model: { ...model({}), tables: {} } };
    expect(findingsPanel(f0, color, 80).lines[0]).toContain('measuring the first window');
    const m = model({ cpu: [row('all', { busy_pct: 1 })] });
    expect(findingsPanel(frame(m), color, 80).lines[0]).toContain('no findings');
  });

  it('memory: ASCII bars without Unicode; unavailable meminfo says why', () => {
    const m = model({ meminfo: [row('host', { total: 100, used: 50, used_pct: 50, available: 50 })] });
    expect(memoryPanel(frame(m), mono, 40).lines[0]).toMatch(/^mem +#+\.+/);
    expect(shown(memoryPanel(frame(model({}, { meminfo: 'no /proc/meminfo' })), color, 40).lines[0]!)).toContain('no /proc/meminfo');
  });

  it('memory: the kernel\'s MemAvailable as is, diag\'s estimate (kernel < 3.14) marked as one', () => {
    const kernel = model({ meminfo: [row('host', { total: 4 * 2 ** 30, used: 2 ** 30, available: 3 * 2 ** 30 })] });
    expect(memoryPanel(frame(kernel), mono, 40).lines[2]).toMatch(/^avail 3\.0G +cache/);
    const est = model({ meminfo: [row('host', { total: 4 * 2 ** 30, used: 2 ** 30, available_est: 3 * 2 ** 30 })] });
    expect(memoryPanel(frame(est), mono, 40).lines[2]).toMatch(/^avail ~3\.0G \(estimate\) +cache/);
  });
});
