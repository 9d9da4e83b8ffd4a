import type { Finding } from '../engine/report-schema.js';
import type { Frame } from './frame.js';
import { whyMissing } from './frame.js';
import { bar, bytes, cell, fit, num, pct, safe, sparkline } from './text.js';
import type { Theme, Tone } from './theme.js';
import type { CgroupRowVM } from './view-models/cgroups.js';
import type { CpuHistory } from './view-models/cpu.js';
import { findingsVM } from './view-models/findings.js';
import type { ProcessQuery, ProcessRowVM } from './view-models/processes.js';
import { processesVM } from './view-models/processes.js';
import { disksVM, filesystemsVM, memoryVM, networkVM } from './view-models/resources.js';
import { useMatrixVM } from './view-models/use-matrix.js';

/**
 * Panels as pure functions: a frame (and the panel's own state) in, tagged lines out. Every
 * string from the host goes through safe(); a panel never touches blessed.
 */
export interface PanelOutput {
  /** Header line (column titles), not selectable. */
  readonly head?: string;
  readonly lines: string[];
  /** Number of selectable rows at the top of `lines` (rest are notes); 0: nothing selectable. */
  readonly selectable: number;
  /**
   * Long lists (thousands of processes) format only the rows on screen: `count` rows, of which
   * `render(from, to)` formats those asked for; `lines` is then empty.
   */
  readonly lazy?: { readonly count: number; render(from: number, to: number): string[] };
}

const tonePct = (v: number | undefined, warn: number, crit: number): Tone => (v === undefined ? 'dim' : v >= crit ? 'critical' : v >= warn ? 'warning' : 'ok');

export function matrixPanel(f: Frame, t: Theme, width: number): PanelOutput {
  const rows = useMatrixVM(f.evaluation);
  const cw = Math.max(4, Math.min(6, Math.floor((width - 12) / 3)));
  const head = `${fit('resource', 11)}${fit('util', cw)}${fit('satur', cw)}${fit('errors', cw)}`;
  const lines = rows.map((r) => {
    const cells = (['utilization', 'saturation', 'errors'] as const).map((k) => t.tone(r.cells[k].tone, fit(r.cells[k].text, cw)));
    return `${fit(r.resource, 11)}${cells.join('')}`;
  });
  return { head, lines, selectable: lines.length };
}

export function matrixDetail(f: Frame, index: number): string[] {
  const rows = useMatrixVM(f.evaluation);
  const r = rows[index];
  if (!r) return [];
  return (['utilization', 'saturation', 'errors'] as const).map((k) => `${r.resource} ${k}: ${r.cells[k].text} - ${r.cells[k].detail}`);
}

export function cpuPanel(f: Frame, t: Theme, width: number, history: CpuHistory): PanelOutput {
  const rows = history.rows(f.model);
  if (rows.length === 0) return { lines: [t.tone('unknown', safe(whyMissing(f.model, 'cpu') ?? 'no CPU data'))], selectable: 0 };
  const sparkW = Math.max(0, width - 36);
  const head = `${fit('cpu', 4)} ${fit('busy', 6, 'right')} ${fit('usr', 5, 'right')} ${fit('sys', 5, 'right')} ${fit('iow', 5, 'right')} ${fit('stl', 5, 'right')} ${sparkW > 0 ? 'history' : ''}`;
  const lines = rows.map((r) => {
    const spark = sparkW > 0 ? ' ' + t.tone(tonePct(r.busy, 80, 95), sparkline(r.history.slice(-sparkW), 100, t.unicode)) : '';
    return `${fit(r.cpu, 4)} ${t.tone(tonePct(r.busy, 80, 95), fit(r.busy === undefined ? '…' : pct(r.busy), 6, 'right'))} ${fit(pct(r.usr), 5, 'right')} ${fit(pct(r.sys), 5, 'right')} ${fit(pct(r.iowait), 5, 'right')} ${fit(pct(r.steal), 5, 'right')}${spark}`;
  });
  return { head, lines, selectable: 0 };
}

export function memoryPanel(f: Frame, t: Theme, width: number): PanelOutput {
  const m = memoryVM(f.model);
  if (m.total === undefined) return { lines: [t.tone('unknown', safe(whyMissing(f.model, 'meminfo') ?? 'no memory data'))], selectable: 0 };
  const bw = Math.max(4, width - 30);
  const usedF = m.used !== undefined && m.total ? m.used / m.total : undefined;
  const swapF = m.swapTotal ? (m.swapUsed ?? 0) / m.swapTotal : undefined;
  const lines = [
    `mem  ${t.tone(tonePct(m.usedPct, 85, 95), bar(usedF, bw, t.unicode))} ${fit(bytes(m.used), 6, 'right')}/${fit(bytes(m.total), 6)}`,
    `swap ${m.swapTotal ? t.tone(tonePct(m.swapPct, 50, 80), bar(swapF, bw, t.unicode)) : fit('(no swap)', bw)} ${fit(bytes(m.swapUsed), 6, 'right')}/${fit(bytes(m.swapTotal), 6)}`,
    `avail ${m.availableEstimated ? `~${bytes(m.available)} (estimate)` : bytes(m.available)}  cache ${bytes(m.buffCache)}`,
    `majflt/s ${num(m.majorFaults)}  scan/s ${num(m.scan)}  swap io/s ${num(m.swapIo)}`,
    `PSI some ${pct(m.psiSome)} full ${pct(m.psiFull)}  ${m.oomKills ? t.tone('critical', `OOM kills ${m.oomKills}`) : 'OOM kills 0'}`,
  ];
  return { lines, selectable: 0 };
}

export function disksPanel(f: Frame, t: Theme, _width: number): PanelOutput {
  const rows = disksVM(f.model);
  const head = `${fit('device', 10)} ${fit('r/s', 6, 'right')} ${fit('w/s', 6, 'right')} ${fit('rkB/s', 7, 'right')} ${fit('wkB/s', 7, 'right')} ${fit('await', 6, 'right')} ${fit('aqu', 5, 'right')} ${fit('util', 6, 'right')}`;
  if (rows.length === 0) return { head, lines: [t.tone('unknown', safe(whyMissing(f.model, 'disk') ?? 'no block devices'))], selectable: 0 };
  const lines = rows.map(
    (r) =>
      `${cell(r.device, 10)} ${fit(num(r.rps), 6, 'right')} ${fit(num(r.wps), 6, 'right')} ${fit(num(r.rkBps), 7, 'right')} ${fit(num(r.wkBps), 7, 'right')} ${fit(num(r.await), 6, 'right')} ${fit(num(r.aqu, 2), 5, 'right')} ${t.tone(tonePct(r.util, 70, 90), fit(pct(r.util), 6, 'right'))}`,
  );
  const fs = filesystemsVM(f.model).filter((x) => (x.usedPct ?? 0) >= 80 || (x.inodesPct ?? 0) >= 80);
  for (const x of fs) lines.push(t.tone(tonePct(Math.max(x.usedPct ?? 0, x.inodesPct ?? 0), 80, 95), `fs ${safe(x.mount, 30)} ${pct(x.usedPct)} used, inodes ${pct(x.inodesPct)}`));
  return { head, lines, selectable: rows.length };
}

export function networkPanel(f: Frame, t: Theme, _width: number): PanelOutput {
  const rows = networkVM(f.model);
  const head = `${fit('iface', 12)} ${fit('rxkB/s', 8, 'right')} ${fit('txkB/s', 8, 'right')} ${fit('rxpk/s', 7, 'right')} ${fit('txpk/s', 7, 'right')} ${fit('drop/s', 6, 'right')} ${fit('err/s', 6, 'right')}`;
  if (rows.length === 0) return { head, lines: [t.tone('unknown', safe(whyMissing(f.model, 'netdev') ?? 'no interfaces'))], selectable: 0 };
  const lines = rows.map((r) => {
    const bad: Tone = (r.errors ?? 0) > 0 ? 'critical' : (r.drops ?? 0) > 0 ? 'warning' : 'ok';
    return `${cell(r.iface, 12)} ${fit(num(r.rxkBps), 8, 'right')} ${fit(num(r.txkBps), 8, 'right')} ${fit(num(r.rxpps), 7, 'right')} ${fit(num(r.txpps), 7, 'right')} ${t.tone(bad, fit(num(r.drops), 6, 'right'))} ${t.tone(bad, fit(num(r.errors), 6, 'right'))}`;
  });
  return { head, lines, selectable: rows.length };
}

export function processesPanel(f: Frame, t: Theme, width: number, q: ProcessQuery): PanelOutput & { rows: ProcessRowVM[] } {
  const rows = processesVM(f.model, q);
  const cmdW = Math.max(8, width - 46);
  const head = `${fit('PID', 7, 'right')} S ${fit('CPU%', 6, 'right')} ${fit('RSS', 6, 'right')} ${fit('IO/s', 6, 'right')} ${fit('THR', 4, 'right')} ${fit('FD', 5, 'right')} COMMAND`;
  if (rows.length === 0) {
    const why = f.source === 'live' && f.tick === 0 && !f.model.tables.processes ? undefined : whyMissing(f.model, 'processes');
    if (why === undefined && !f.model.tables.processes) return { head, rows, lines: ['reading processes…'], selectable: 0 };
    return { head, rows, lines: [why ? t.tone('unknown', safe(why)) : q.filter ? `no process matches ${safe(JSON.stringify(q.filter))}` : 'no processes'], selectable: 0 };
  }
  const line = (p: ProcessRowVM) => {
    const indent = q.tree ? '  '.repeat(Math.min(p.depth, 8)) + (p.depth > 0 ? (t.unicode ? '└ ' : '`-') : '') : '';
    const cmd = safe(indent + (p.cmdline || p.comm), cmdW);
    const st = p.state === 'D' ? t.tone('warning', 'D') : p.state === 'Z' ? t.tone('critical', 'Z') : safe(p.state.slice(0, 1));
    const fd = p.fdPct !== undefined && p.fdPct >= 90 ? t.tone('critical', fit(num(p.fds), 5, 'right')) : fit(num(p.fds), 5, 'right');
    return `${fit(String(p.pid), 7, 'right')} ${st} ${t.tone(tonePct(p.cpu, 80, 200), fit(p.cpu === undefined ? '-' : p.cpu.toFixed(1), 6, 'right'))} ${fit(bytes(p.rss), 6, 'right')} ${fit(p.io === undefined ? '-' : bytes(p.io), 6, 'right')} ${fit(num(p.threads), 4, 'right')} ${fd} ${cmd}`;
  };
  return { head, rows, lines: [], selectable: rows.length, lazy: { count: rows.length, render: (from, to) => rows.slice(from, to).map(line) } };
}

export function cgroupsPanel(rows: readonly CgroupRowVM[], f: Frame, t: Theme, width: number): PanelOutput {
  const nameW = Math.max(10, width - 40);
  const head = `${fit('cgroup', nameW)} ${fit('procs', 5, 'right')} ${fit('cpu%', 6, 'right')} ${fit('thr%', 5, 'right')} ${fit('mem', 6, 'right')} ${fit('mem%', 6, 'right')} oom`;
  if (rows.length === 0) return { head, lines: [t.tone('unknown', safe(whyMissing(f.model, 'cgroups') ?? 'no cgroups'))], selectable: 0 };
  const lines = rows.map((c) => {
    const label = '  '.repeat(Math.min(c.depth, 6)) + (c.path === '/' ? '/' : c.name) + (c.kind && c.kind !== 'other' && c.kind !== 'root' ? ` (${c.kind})` : '');
    const tone: Tone = c.trouble === 'critical' ? 'critical' : c.trouble === 'warning' ? 'warning' : 'dim';
    return `${t.tone(tone, cell(label, nameW))} ${fit(num(c.procs), 5, 'right')} ${fit(c.cpu === undefined ? '-' : c.cpu.toFixed(1), 6, 'right')} ${t.tone(tonePct(c.throttledPct, 10, 50), fit(pct(c.throttledPct), 5, 'right'))} ${fit(bytes(c.memCurrent), 6, 'right')} ${t.tone(tonePct(c.memPct, 80, 95), fit(pct(c.memPct), 6, 'right'))} ${c.oomKills ? t.tone('critical', String(c.oomKills)) : '0'}`;
  });
  return { head, lines, selectable: rows.length };
}

export function findingsPanel(f: Frame, t: Theme, width: number): PanelOutput & { findings: Finding[] } {
  const findings = findingsVM(f.evaluation.findings);
  if (findings.length === 0) {
    const unknown = f.evaluation.coverage.filter((c) => c.status === 'unknown').length;
    const msg = f.model.tables.cpu?.seconds === undefined && f.source === 'live' ? 'measuring the first window…' : `no findings${unknown ? ` (${unknown} USE cells could not be judged: see the matrix)` : ''}`;
    return { findings, lines: [t.tone('ok', msg)], selectable: 0 };
  }
  const lines = findings.map((x) => {
    const sev = x.severity === 'critical' ? 'CRIT' : x.severity === 'warning' ? 'WARN' : 'info';
    return `${t.tone(x.severity, sev)} ${fit(`${x.resource}/${x.kind.slice(0, 3)}`, 12)} ${safe(`${x.scope}: ${x.title}`, Math.max(10, width - 18))}`;
  });
  return { findings, lines, selectable: lines.length };
}
