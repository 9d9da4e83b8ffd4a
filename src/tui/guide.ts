import type { Row } from '../core/collector.js';
import { deriveModel } from '../core/derive.js';
import { Sampler } from '../core/sampler.js';
import type { Source } from '../core/source.js';
import type { ProbeRunner } from '../engine/drilldown.js';
import type { LoadedCheck, LoadedPlaybook } from '../engine/loader.js';
import type { NextStep } from '../engine/playbook-schema.js';
import type { Report } from '../engine/report-schema.js';
import { runPlaybook } from '../engine/run.js';
import type { EngineSession } from '../engine/session.js';
import type { Frame } from './frame.js';
import { safe } from './text.js';
import type { Theme } from './theme.js';
import { drilldownDetail, findingDetail } from './view-models/findings.js';

/** One step of the path an engineer took; saved into the snapshot so the ticket shows it. */
export interface PathStep {
  readonly at: string;
  readonly playbook: string;
  readonly step?: string;
  readonly action: string;
  readonly result: string;
}

/** An open overlay as the guide sees it: lines it may replace while it is open (a countdown). */
interface OverlayLike {
  lines: string[];
}

/** What the guide needs from the app: overlays, the current frame and the footer. */
export interface GuideHost {
  /** Opens an overlay; onBack is told when Esc closes it. */
  push(o: { title: string; lines: string[]; selectable: number; onEnter?: (i: number) => void; onBack?: () => unknown }): void;
  top(): OverlayLike | undefined;
  pop(): void;
  redraw(): void;
  frame(): Frame | undefined;
  setMessage(m: string): void;
  readonly theme: Theme;
}

export interface Guide {
  open(host: GuideHost): void;
  setTarget(t: { pid?: number; cgroup?: string } | undefined): void;
  path(): PathStep[];
  close(): void;
}

export interface GuideOptions {
  readonly session: EngineSession;
  /** The live host (steps can measure and run probes), or a bundle's second sample (evidence only: Source.replay). */
  readonly source: Source;
  readonly probes: ProbeRunner;
  readonly windowMs: number;
  /** Bundle: the two recorded samples. */
  readonly sources?: readonly [Source, Source];
}


const RESOURCE_PLAYBOOK: Record<string, string> = { cpu: 'cpu', memory: 'memory', disk: 'disk', filesystem: 'disk', network: 'network' };

function stepLabel(s: NextStep): string {
  if (typeof s === 'string') return s;
  return s.run === 'probe' ? `run BPF probe ${s.probe} for ${s.seconds} s: ${s.why}` : `run collector ${s.collector}${s.table ? `/${s.table}` : ''}: ${s.why}`;
}

/** Rows of a model table as pane lines: scope and labels, then the values. */
function rowLines(rows: ReadonlyArray<Pick<Row, 'labels' | 'values'> & { readonly scope: string }>): string[] {
  return rows.flatMap((row) => [
    safe(`${row.scope}  ${Object.entries(row.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')}`, 200),
    safe(
      '    ' +
        Object.entries(row.values)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : (v as number).toFixed(2)}`)
          .join(' '),
      400,
    ),
  ]);
}

/**
 * The guided investigation: pick a playbook (the findings recommend one), walk its checks one
 * by one (what is checked and why, the evidence), and choose where to go next: a collector or a
 * BPF probe runs on the spot, live with a countdown. Every step taken is remembered.
 */
export function createGuide(opts: GuideOptions): Guide {
  const steps: PathStep[] = [];
  let target: { pid?: number; cgroup?: string } | undefined;
  let running: { cancel: () => void } | undefined;
  const now = () => new Date().toISOString();
  const record = (s: Omit<PathStep, 'at'>) => steps.push({ at: now(), ...s });
  const sampler = new Sampler(opts.sources ?? opts.source);
  const live = !sampler.replay;

  function recommended(frame: Frame | undefined): string {
    if (target) return 'container';
    const worst = frame?.evaluation.findings.find((f) => f.severity === 'critical') ?? frame?.evaluation.findings[0];
    return (worst && RESOURCE_PLAYBOOK[worst.resource]) ?? 'use';
  }

  function open(host: GuideHost): void {
    const t = host.theme;
    const all = [...opts.session.loaded.playbooks.values()];
    const rec = recommended(host.frame());
    const list = [...all.filter((p) => p.name === rec), ...all.filter((p) => p.name !== rec)];
    const lines = list.map((p) => {
      const needs = p.target === 'required' && !target ? ' (select a cgroup or process first: Enter on it)' : '';
      return `${safe(p.name.padEnd(10))} ${safe(p.title, 70)}${p.name === rec ? ' ' + t.tone('accent', '<- recommended') : ''}${needs}`;
    });
    const errors = opts.session.loaded.errors.map((e) => t.tone('warning', safe(`invalid playbook: ${String(e)}`)));
    host.push({
      title: `Investigate${target ? ` ${target.cgroup ?? `PID ${target.pid}`}` : ''}: pick a playbook`,
      lines: [...lines, '', ...errors],
      selectable: lines.length,
      onEnter: (i) => {
        const pb = list[i];
        if (!pb) return;
        if (pb.target === 'required' && !target) {
          host.setMessage('this playbook judges one cgroup or process: select it in the Cgroups or Processes panel (Enter), then press i');
          return;
        }
        record({ playbook: pb.name, action: 'chose playbook', result: pb.title });
        void walk(host, pb);
      },
    });
  }

  async function walk(host: GuideHost, pb: LoadedPlaybook): Promise<void> {
    const t = host.theme;
    host.push({ title: `${pb.name}: measuring`, lines: [live ? `measuring for ${(opts.windowMs / 1000).toFixed(1)} s…` : 'judging the snapshot…'], selectable: 0 });
    let report: Report;
    try {
      report = await runPlaybook({
        playbook: pb,
        catalogue: opts.session.catalogue,
        collectors: opts.session.collectors,
        sources: opts.sources ?? opts.source,
        windowMs: opts.windowMs,
        ...(target && pb.target !== 'none' ? { target } : {}),
        // In the guide the engineer chooses to run probes from the step; a bundle's captures are shown.
        liveProbes: false,
      });
    } catch (err) {
      host.pop();
      host.setMessage(`${pb.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    host.pop();
    record({ playbook: pb.name, action: 'ran playbook', result: `${report.status}: ${report.statusReason}` });
    const results = new Map(report.coverage.flatMap((c) => c.checks.map((r) => [r.id, r])));
    const checks = [...pb.checks];
    const mark = (c: LoadedCheck) => {
      const found = report.findings.filter((f) => f.check === c.id);
      if (found.some((f) => f.severity === 'critical')) return t.tone('critical', '[CRIT]');
      if (found.some((f) => f.severity === 'warning')) return t.tone('warning', '[WARN]');
      if (found.length) return t.tone('info', '[info]');
      const r = results.get(c.id);
      return r?.status === 'ok' ? t.tone('ok', '[ ok ]') : t.tone('unknown', '[ ?  ]');
    };
    // Findings first: that is where the path leads.
    checks.sort((a, b) => Number(report.findings.some((f) => f.check === b.id)) - Number(report.findings.some((f) => f.check === a.id)));
    const lines = checks.map((c) => `${mark(c)} ${safe(`${c.resource}/${c.kind}`.padEnd(22))} ${safe(c.id)}`);
    host.push({
      title: `${pb.name}: ${report.status.toUpperCase()} - steps (Enter: evidence and next steps)`,
      lines: [...lines, '', safe(report.statusReason)],
      selectable: lines.length,
      onEnter: (i) => {
        const c = checks[i];
        if (c) showStep(host, pb, c, report);
      },
    });
  }

  function showStep(host: GuideHost, pb: LoadedPlaybook, c: LoadedCheck, report: Report): void {
    const found = report.findings.filter((f) => f.check === c.id);
    const r = [...report.coverage.flatMap((x) => x.checks)].find((x) => x.id === c.id);
    record({ playbook: pb.name, step: c.id, action: 'opened step', result: found.length ? `${found.length} findings` : (r?.status ?? 'unknown') });
    const runnable = c.next.filter((n) => typeof n !== 'string');
    const advice = c.next.filter((n): n is string => typeof n === 'string');
    // On a bundle, a probe step shows the run the snapshot captured (if its drill-down ran).
    const canRun = (n: NextStep) => live || (typeof n !== 'string' && n.run === 'probe');
    const choices = runnable.map((n, i) => `${i + 1}. ${safe(stepLabel(n))}${live ? '' : canRun(n) ? ' (as captured)' : ' (live host only)'}`);
    const lines = [
      ...choices,
      ...(choices.length ? [''] : []),
      host.theme.bold('What is checked'),
      safe(`${c.metric}${c.divide_by ? ` / ${c.divide_by}` : ''} (${c.resource} ${c.kind}): ${c.when} ${c.warning ? `warning ${c.warning.value}` : ''} ${c.critical ? `critical ${c.critical.value}` : ''}`),
      '',
      host.theme.bold('Why'),
      ...c.explain
        .trim()
        .split('\n')
        .map((l) => safe(l)),
      '',
      host.theme.bold('Evidence'),
      ...(found.length
        ? found.flatMap((f) => [...[...findingDetail(f).slice(0, 7), ...drilldownDetail(f)].map((l) => safe(l)), ''])
        : [safe(r?.status === 'ok' ? `ok: below the thresholds on ${r.scopes} scopes` : `unknown: ${r?.reason ?? 'not judged'}`)]),
      ...(advice.length ? ['', host.theme.bold('Also'), ...advice.map((a) => safe(`- ${a}`))] : []),
    ];
    host.push({
      title: `${pb.name} / ${c.id}`,
      lines,
      selectable: choices.length,
      onEnter: (i) => {
        const n = runnable[i];
        if (!n || !canRun(n)) return;
        if (n.run === 'probe') void (live ? runProbe(host, pb, c, n.probe, n.seconds) : showCapture(host, pb, c, n.probe, n.seconds));
        else void runCollector(host, pb, c, n.collector, n.table, n.sort_by, n.top);
      },
    });
  }

  async function runCollector(host: GuideHost, pb: LoadedPlaybook, c: LoadedCheck, id: string, table: string | undefined, sortBy: string | undefined, top: number): Promise<void> {
    const col = opts.session.collectors.find((x) => x.id === id);
    if (!col) return host.setMessage(`no collector ${id}`);
    host.push({ title: `collector ${id}`, lines: ['measuring for 1 s…'], selectable: 0 });
    const model = deriveModel([col], await sampler.window([col], 1000));
    const tid = table ?? Object.keys(col.tables)[0]!;
    const t = model.tables[tid];
    const o = host.top();
    if (!o) return;
    if (!t || t.rows.status !== 'ok') {
      o.lines = [safe(t ? `${t.rows.status}: ${t.rows.status === 'ok' ? '' : t.rows.reason}` : `no table ${tid}`)];
    } else {
      const rows = [...t.rows.value];
      if (sortBy) rows.sort((a, b) => (b.values[sortBy] ?? -Infinity) - (a.values[sortBy] ?? -Infinity));
      o.lines = rowLines(rows.slice(0, Math.max(top, 15)));
    }
    record({ playbook: pb.name, step: c.id, action: `ran collector ${id}`, result: `${t && t.rows.status === 'ok' ? t.rows.value.length : 0} rows` });
    host.redraw();
  }

  /** A bundle: the probe's tables from the capture the snapshot kept (or why there is none). */
  async function showCapture(host: GuideHost, pb: LoadedPlaybook, c: LoadedCheck, probe: string, seconds: number): Promise<void> {
    const col = [...opts.session.catalogue.tables.values()].map((t) => t.collector).find((x) => x.id === probe && x.origin === 'bpf');
    if (!col) return host.setMessage(`no BPF probe ${probe} produces tables`);
    host.push({ title: `probe ${probe} (as captured)`, lines: ['reading the capture…'], selectable: 0 });
    // Sample 1 of the bundle holds the captures of the snapshot's drill-downs.
    const model = deriveModel([col], await sampler.sampleAt([col], 1, { probe: { durationMs: seconds * 1000 } }));
    const o = host.top();
    if (!o) return;
    o.lines = Object.values(model.tables).flatMap((t) => [
      host.theme.bold(safe(t.spec.title)),
      ...(t.rows.status === 'ok' ? rowLines(t.rows.value) : [safe(`${t.rows.status}: ${t.rows.reason}`)]),
      '',
    ]);
    const main = Object.values(model.tables)[0];
    record({ playbook: pb.name, step: c.id, action: `read captured probe ${probe}`, result: main && main.rows.status === 'ok' ? `${main.rows.value.length} rows` : (main?.rows.status ?? 'none') });
    host.redraw();
  }

  async function runProbe(host: GuideHost, pb: LoadedPlaybook, c: LoadedCheck, probe: string, seconds: number): Promise<void> {
    const total = Math.max(1, Math.round(seconds));
    let latest = 'attaching…';
    let cancelled = false;
    let finished = false;
    // The countdown follows the slices: each one-second slice attaches, measures and detaches,
    // so a slow attach never makes the countdown reach 0 while the probe still runs.
    let slice = 0;
    let sliceStart = performance.now();
    host.push({ title: `probe ${probe}`, lines: [], selectable: 0, onBack: () => ((cancelled = true), false) });
    const o = host.top();
    const paint = () => {
      if (!o) return;
      const inSlice = Math.min(0.9, (performance.now() - sliceStart) / 1000);
      const left = total - slice - inSlice;
      const state = finished || cancelled ? (cancelled && slice < total ? `stopped after ${slice} s` : 'done') : `${left.toFixed(1)} s left (slice ${slice + 1} of ${total})`;
      o.lines = [host.theme.bold(`${probe}: ${state}  (live, one-second slices; Esc stops)`), '', ...latest.split('\n').map((l) => safe(l))];
      host.redraw();
    };
    paint();
    const ticker = setInterval(paint, 250);
    running = { cancel: () => (cancelled = true) };
    const tgids = target?.pid !== undefined ? [target.pid] : undefined;
    let summary = '';
    try {
      for (let i = 0; i < total && !cancelled; i++) {
        slice = i;
        sliceStart = performance.now();
        const r = await opts.probes.run(probe, 1000, tgids);
        if (r.status !== 'ok') {
          latest = `${r.status}: ${r.reason}${r.status === 'unavailable' && r.hint ? `\nhint: ${r.hint}` : ''}`;
          summary = latest.split('\n')[0]!;
          break;
        }
        const v = r.value as { text?: string; lost?: { ring: number; map: number } };
        latest = `${v.text ?? JSON.stringify(v).slice(0, 2000)}\nlost events: ring ${v.lost?.ring ?? 0}, map ${v.lost?.map ?? 0}`;
        summary = (v.text ?? '').split('\n').find((l) => l.trim()) ?? 'ran';
      }
    } finally {
      clearInterval(ticker);
      running = undefined;
      finished = true;
      if (!cancelled) slice = total;
      paint();
    }
    record({ playbook: pb.name, step: c.id, action: `ran probe ${probe} for ${total} s`, result: summary.slice(0, 200) });
  }

  return {
    open,
    setTarget: (t) => {
      target = t;
    },
    path: () => [...steps],
    close: () => running?.cancel(),
  };
}
