import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src/core/collector.js';
import type { Frame } from '../../src/tui/frame.js';
import { PANELS, panelForScope, panelRows, tableOf } from '../../src/tui/panels/index.js';
import { memoryPanel } from '../../src/tui/panels/memory.js';
import { processesPanel } from '../../src/tui/panels/processes.js';
import { cpuTime } from '../../src/tui/view-models/processes.js';
import { compareBy, placeColumns, renderTable, tableHead, type TableLines } from '../../src/tui/panels/table.js';
import { computeLayout, isLarge, SMALL_TABS, type PanelId } from '../../src/tui/layout.js';
import type { AnyTablePanel, Column, PanelView, TablePanel } from '../../src/tui/panels/types.js';
import { textWidth } from '../../src/tui/text.js';
import { makeTheme, type Theme } from '../../src/tui/theme.js';
import { NO_TONES } from '../../src/tui/tones.js';
import { evaluation, finding, frame, model, row } from './model-builders.js';

const color = makeTheme({ color: true, unicode: true });
const mono = makeTheme({ color: false, unicode: false });
const shown = (s: string) => s.replace(/\{(\/?)([a-z-]+)\}/g, (_, _s: string, name: string) => (name === 'open' ? '{' : name === 'close' ? '}' : ''));
const VIEW: PanelView = { tree: false, allCgroups: false };
const env = { tones: NO_TONES };

function table(id: string, f: Frame, width: number, theme: Theme = color, view: PanelView = VIEW): TableLines {
  const p = tableOf(id as AnyTablePanel['id'])!;
  return renderTable(p, panelRows(p, f, view, env), { frame: f, view, env, theme, width });
}
const all = (t: TableLines) => t.render(0, t.count);

describe('every table panel at 80x24, 120x40, 160x50 and 200x60', () => {
  it('places its columns inside its box: names give up room, numbers are never cut at the border', () => {
    const sizes: Array<[number, number]> = [[80, 24], [100, 30], [120, 35], [120, 40], [159, 45], [160, 50], [200, 60]];
    for (const [cols, rows] of sizes) {
      const tabs = isLarge(cols, rows) ? [0] : SMALL_TABS.map((_, i) => i);
      for (const tab of tabs) {
        for (const [id, box] of Object.entries(computeLayout(cols, rows, tab).boxes)) {
          const p = tableOf(id as PanelId);
          if (!p) continue;
          const inner = box.width - 2;
          const placed = placeColumns(p.columns, inner, p.gap ?? 1);
          const used = placed.reduce((n, c) => n + c.width, 0) + (p.gap ?? 1) * (placed.length - 1);
          const where = `${id} at ${cols}x${rows} (${inner} inside)`;
          // every column the panel declares for this width is shown whole (no number left out or cut)
          const declared = p.columns.filter((c) => (typeof c.width === 'number' ? c.width : c.width(inner)) > 0);
          expect(placed.map((c) => c.column.id), where).toEqual(declared.map((c) => c.id));
          expect(used, where).toBeLessThanOrEqual(inner);
          // the header names every column but a last text one (a command, a sparkline) whole
          const head = tableHead(p.columns, inner, p.gap ?? 1);
          const lastText = (placed[placed.length - 1]!.column.align ?? 'left') === 'left';
          const whole = lastText ? placed.slice(0, -1) : placed;
          for (const c of whole) expect(head.slice(0, inner), where).toContain(c.column.title);
          if (!lastText) expect(textWidth(head), where).toBeLessThanOrEqual(inner);
        }
      }
    }
  });

  it('the processes panel shows htop\'s USER, NI, VIRT and TIME+ from 120 columns on', () => {
    for (const [cols, rows] of [[120, 40], [200, 60]] as const) {
      const inner = computeLayout(cols, rows).boxes.processes!.width - 2;
      const ids = placeColumns(processesPanel.columns, inner).map((c) => c.column.id);
      expect(ids, `${cols}x${rows}`).toEqual(expect.arrayContaining(['user', 'nice', 'virt', 'time']));
    }
    // 80x24: the Processes tab has USER
    const inner = computeLayout(80, 24, 2).boxes.processes!.width - 2;
    expect(placeColumns(processesPanel.columns, inner).map((c) => c.column.id)).toContain('user');
  });

  it('a name column gives up room before a number column is dropped; numbers go from the right when even that is not enough', () => {
    interface R {
      readonly name: string;
    }
    const cols: Column<R>[] = [
      { id: 'name', title: 'name', width: 10, min: 4, value: (r) => r.name },
      { id: 'a', title: 'aaaa', width: 5, align: 'right', value: () => '1' },
      { id: 'b', title: 'bbbb', width: 5, align: 'right', value: () => '2' },
    ];
    expect(placeColumns(cols, 22).map((c) => c.width)).toEqual([10, 5, 5]);
    expect(placeColumns(cols, 18).map((c) => c.width)).toEqual([6, 5, 5]);
    expect(placeColumns(cols, 16).map((c) => c.width)).toEqual([4, 5, 5]);
    expect(placeColumns(cols, 15).map((c) => [c.column.id, c.width])).toEqual([['name', 4], ['a', 5]]);
  });
});

describe('the table renderer', () => {
  interface R {
    readonly name: string;
    readonly n?: number;
  }
  const cols: Column<R>[] = [
    { id: 'name', title: 'name', width: 6, value: (r) => r.name, sort: { key: (r) => r.name, ascending: true } },
    { id: 'n', title: 'count', width: 5, align: 'right', value: (r) => String(r.n ?? '-'), tone: (r) => ((r.n ?? 0) > 5 ? 'critical' : undefined), sort: { key: (r) => r.n } },
    { id: 'rest', title: 'text', width: (w) => w - 13, value: (r) => `${r.name} rest` },
  ];
  const p: TablePanel<R> = { kind: 'table', id: 'disks', title: 'T', selectable: true, columns: cols, rows: () => [], empty: () => ({ text: 'none' }) };

  it('draws the header and the cells from the same declarations, at the same widths', () => {
    const t = renderTable(p, [{ name: 'a', n: 1 }, { name: 'long-name', n: 9 }], { frame: frame(model({})), view: VIEW, env, theme: color, width: 24 });
    expect(t.head).toBe('name   count text');
    expect(t.head).toBe(tableHead(cols, 24));
    const [a, b] = all(t);
    expect(shown(a!)).toBe('a          1 a rest');
    // cut with an ellipsis at its width, toned by its declaration, the last column cut but not padded
    expect(b).toBe('long-… {bold}{red-fg}    9{/red-fg}{/bold} long-name …');
    for (const l of all(t)) expect(textWidth(shown(l))).toBeLessThanOrEqual(24);
  });

  it('a column of width 0 is left out, header and cells alike', () => {
    const t = renderTable(p, [{ name: 'a', n: 1 }], { frame: frame(model({})), view: VIEW, env, theme: color, width: 13 });
    expect(t.head).toBe('name   count');
    expect(shown(all(t)[0]!)).toBe('a          1');
  });

  it('sorts by any declared column: numbers largest first, text A-Z, reversed on demand, missing values last', () => {
    const rows: R[] = [{ name: 'b', n: 2 }, { name: 'a' }, { name: 'c', n: 7 }];
    const by = (id: string, reverse = false) => [...rows].sort(compareBy(cols.find((c) => c.id === id)!, reverse)!).map((r) => r.name);
    expect(by('n')).toEqual(['c', 'b', 'a']);
    expect(by('n', true)).toEqual(['b', 'c', 'a']);
    expect(by('name')).toEqual(['a', 'b', 'c']);
    expect(by('name', true)).toEqual(['c', 'b', 'a']);
    expect(compareBy(cols[2]!, false)).toBeUndefined();
  });
});

describe('panels', () => {
  it('every table panel declares a title and a width for each column, and unique column ids', () => {
    for (const p of PANELS) {
      if (p.kind !== 'table') continue;
      const ids = p.columns.map((c) => c.id);
      expect(new Set(ids).size, p.id).toBe(ids.length);
      for (const c of p.columns) expect(c.title.length, `${p.id}.${c.id}`).toBeGreaterThan(0);
      if (p.defaultSort) expect(ids).toContain(p.defaultSort);
    }
  });

  it('a scope names the panel that shows its row (from the panels\' scope declarations); the host\'s panels only', () => {
    expect(panelForScope('process:42')).toEqual({ panel: 'processes', title: 'Processes', id: '42' });
    expect(panelForScope('cgroup:/system.slice/a:b.service')).toEqual({ panel: 'cgroups', title: 'Cgroups / containers', id: '/system.slice/a:b.service' });
    expect(panelForScope('device:sda')).toMatchObject({ panel: 'disks', id: 'sda' });
    expect(panelForScope('interface:eth0')).toMatchObject({ panel: 'network', id: 'eth0' });
    expect(panelForScope('netns:4026532/interface:veth0')).toBeUndefined();
    expect(panelForScope('mount:/')).toBeUndefined();
    expect(panelForScope('host')).toBeUndefined();
  });

  it('processes: formats only the rows asked for, each exactly the panel width at most', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(String(i + 1), { ppid: 1, cpu_pct: i % 7, rss: i * 1000 }, { comm: `p${i}`, cmdline: `/bin/p${i} --flag`, state: 'S' }));
    const out = table('processes', frame(model({ processes: rows })), 100);
    expect(out.count).toBe(3000);
    expect(out.selectable).toBe(3000);
    expect(out.head).toBe('    PID USER      NI S   CPU%   VIRT    RSS   IO/s  THR    FD     TIME+ COMMAND');
    const page = out.render(10, 40);
    expect(page).toHaveLength(30);
    for (const l of page) expect(textWidth(shown(l))).toBeLessThanOrEqual(100);
  });

  it('processes: htop\'s USER, NI, VIRT, TIME+ come as the width allows, never cutting a column or the command below 20', () => {
    const m = model({
      processes: [
        row('1', { ppid: 0, cpu_pct: 1, nice: -5, vsize: 170 * 1024 * 1024, rss: 12 * 1024 * 1024, utime: 6012, stime: 300 }, { comm: 'systemd', cmdline: '/sbin/init', state: 'S', uid: '0', user: 'root' }),
        row('2', { ppid: 1, cpu_pct: 2, nice: 19, utime: 100 * 3600 * 200, stime: 0 }, { comm: 'x', cmdline: '/bin/x', state: 'S', uid: '4242' }),
        row('3', { ppid: 1, cpu_pct: 3 }, { comm: 'y', cmdline: '/bin/y', state: 'S', uid: '7', user: 'a-very-long-user-name' }),
      ],
    });
    const head = (w: number) => table('processes', frame(m), w).head!;
    // 67 inside (the processes box at 120 columns before it took the whole width): the columns of before, COMMAND 21 wide
    expect(head(67)).toBe('    PID S   CPU%    RSS   IO/s  THR    FD COMMAND');
    // 80x24 (the Processes tab: 78 inside): USER; 100 inside: all four
    expect(head(78)).toBe('    PID USER     S   CPU%    RSS   IO/s  THR    FD COMMAND');
    expect(head(88)).toBe('    PID USER     S   CPU%    RSS   IO/s  THR    FD     TIME+ COMMAND');
    // 120x40: the processes take the whole width (118 inside), every htop column with COMMAND 42 wide
    expect(head(118)).toBe('    PID USER      NI S   CPU%   VIRT    RSS   IO/s  THR    FD     TIME+ COMMAND');
    for (const w of [67, 75, 78, 84, 88, 92, 96, 100, 114, 160]) {
      const t = table('processes', frame(m), w);
      const titles = t.head!.trim().split(/\s+/);
      // every title whole, and the command keeps at least 20 columns
      for (const title of titles) expect(['PID', 'USER', 'NI', 'S', 'CPU%', 'VIRT', 'RSS', 'IO/s', 'THR', 'FD', 'TIME+', 'COMMAND']).toContain(title);
      if (w >= 67) expect(w - t.head!.indexOf('COMMAND')).toBeGreaterThanOrEqual(20);
      for (const l of all(t)) expect(textWidth(shown(l))).toBeLessThanOrEqual(w);
    }
    const cells = all(table('processes', frame(m), 114, mono)).map(shown);
    // USER by name, else the uid; a name longer than the column is cut, not spilled; NI signed; VIRT in bytes; TIME+ as htop
    expect(cells[0]).toMatch(/^ {6}3 a-very-… {3}- S {4}3\.0 {6}- {6}- /);
    expect(cells[1]).toMatch(/^ {6}2 4242 {6}19 S {4}2\.0 {6}- .* 200h \/bin\/x$/);
    expect(cells[2]).toMatch(/^ {6}1 root {6}-5 S {4}1\.0 {3}170M {4}12M .* 1:03\.12 \/sbin\/init$/);
  });

  it('processes: TIME+ is htop\'s (m:ss.cc, then NhMM:SS, Nh, Nd, NyNd)', () => {
    expect([0, 5, 6012, 359999, 360000, 100 * 360000, 100 * 8640000, 400 * 8640000, undefined].map(cpuTime)).toEqual([
      '0:00.00', '0:00.05', '1:00.12', '59:59.99', '1h00:00', '100h', '100d', '1y35d', '-',
    ]);
  });

  it('processes: hostile names are shown escaped, tags inert; D and Z states stand out', () => {
    const m = model({
      processes: [
        row('7', { cpu_pct: 1 }, { comm: 'x', cmdline: 'evil {red-fg}\x1b[2J\nname', state: 'D' }),
        row('8', { cpu_pct: 0 }, { comm: 'z', cmdline: '', state: 'Z' }),
      ],
    });
    const [a, b] = all(table('processes', frame(m), 120));
    expect(shown(a!)).toContain('evil {red-fg}\\x1b[2J\\nname');
    expect(a).toContain('{yellow-fg}D{/yellow-fg}');
    expect(b).toMatch(/\{red-fg\}Z\{\/red-fg\}/);
    expect(a).not.toMatch(/\x1b/);
  });

  it('processes: an unavailable table says why; a filter with no match says so', () => {
    const out = table('processes', frame(model({}, { processes: '/proc cannot be listed' })), 80);
    expect(shown(all(out)[0]!)).toContain('/proc cannot be listed (run as root)');
    const none = table('processes', frame(model({ processes: [row('1', {}, { comm: 'a' })] })), 80, color, { ...VIEW, filter: 'zzz' });
    expect(all(none)[0]).toContain('no process matches');
  });

  it('processes: the tree indents children under their parent, in the chosen order within', () => {
    const m = model({ processes: [row('1', { ppid: 0, cpu_pct: 1 }, { comm: 'init' }), row('5', { ppid: 1, cpu_pct: 2 }, { comm: 'a' }), row('6', { ppid: 1, cpu_pct: 9 }, { comm: 'b' })] });
    const cpu = all(table('processes', frame(m), 80, mono, { ...VIEW, tree: true })).map(shown);
    expect(cpu.map((l) => l.split(/\s+/)[1])).toEqual(['1', '6', '5']);
    expect(cpu[1]).toMatch(/ {2}`-\[b\]$/);
    const pid = all(table('processes', frame(m), 80, mono, { ...VIEW, tree: true, sort: { column: 'pid', reverse: true } })).map(shown);
    expect(pid.map((l) => l.split(/\s+/)[1])).toEqual(['1', '6', '5']);
    const flat = all(table('processes', frame(m), 80, mono, { ...VIEW, sort: { column: 'pid', reverse: true } })).map(shown);
    expect(flat.map((l) => l.split(/\s+/)[1])).toEqual(['6', '5', '1']);
  });

  it('matrix: a line per resource; without colour the severities are still marked (bold), no colour tags', () => {
    const e = evaluation([finding({ resource: 'cpu', kind: 'saturation', severity: 'critical' })]);
    const m = table('matrix', frame(model({}), e), 36, mono);
    expect(m.head).toBe('resource   util  satur errors');
    expect(m.count).toBe(RESOURCES.length);
    expect(all(m).join('\n')).not.toMatch(/-fg\}/);
    expect(all(m)[0]).toContain('{bold}CRIT');
    expect(all(table('matrix', frame(model({}), e), 36))[0]).toContain('{red-fg}CRIT');
  });

  it('findings: "measuring" before the first window, then "no findings" with the unknown count', () => {
    const f0 = { ...frame(model({})), model: { ...model({}), tables: {} } };
    expect(all(table('findings', f0, 80))[0]).toContain('measuring the first window');
    const m = model({ cpu: [row('all', { busy_pct: 1 })] });
    expect(all(table('findings', frame(m), 80))[0]).toContain('no findings');
  });

  it('memory: ASCII bars without Unicode; unavailable meminfo says why', () => {
    const m = model({ meminfo: [row('host', { total: 100, used: 50, used_pct: 50, available: 50 })] });
    expect(memoryPanel.lines(frame(m), env, mono, 40)[0]).toMatch(/^mem +#+\.+/);
    expect(shown(memoryPanel.lines(frame(model({}, { meminfo: 'no /proc/meminfo' })), env, color, 40)[0]!)).toContain('no /proc/meminfo');
  });

  it('Enter on a process opens its detail from the view-model (every value of its row) and aims the guide at it', () => {
    const m = model({ processes: [row('42', { ppid: 1, cpu_pct: 12.5, fds: 3 }, { comm: 'app', cmdline: '/bin/app -x', cgroup: '/a', state: 'S' })] });
    const vm = processesPanel.rows(frame(m), VIEW, env)[0]!;
    const r = processesPanel.onEnter!(vm, frame(m), () => undefined);
    expect(r).toMatchObject({ kind: 'overlay', target: { pid: 42 }, content: { title: 'Process 42 app' } });
    expect(r?.kind === 'overlay' && r.content.kind !== 'panel' ? r.content.lines : []).toEqual(['PID 42  PPID 1  state S', 'command: /bin/app -x', 'cgroup: /a', 'ppid: 1', 'cpu_pct: 12.50', 'fds: 3']);
  });

  it('memory: the kernel\'s MemAvailable as is, diag\'s estimate (kernel < 3.14) marked as one', () => {
    const kernel = model({ meminfo: [row('host', { total: 4 * 2 ** 30, used: 2 ** 30, available: 3 * 2 ** 30 })] });
    expect(memoryPanel.lines(frame(kernel), env, mono, 40)[2]).toMatch(/^avail 3\.0G +cache/);
    const est = model({ meminfo: [row('host', { total: 4 * 2 ** 30, used: 2 ** 30, available_est: 3 * 2 ** 30 })] });
    expect(memoryPanel.lines(frame(est), env, mono, 40)[2]).toMatch(/^avail ~3\.0G \(estimate\) +cache/);
  });
});
