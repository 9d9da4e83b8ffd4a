import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileResult, ProfileStack } from '../../collectors/bpf/profile.js';
import type { Row } from '../core/collector.js';
import { deriveModel } from '../core/derive.js';
import { Sampler } from '../core/sampler.js';
import type { Source } from '../core/source.js';
import { rankRows } from '../engine/culprits.js';
import type { ProbeRunner } from '../engine/drilldown.js';
import type { LoadedCheck, LoadedPlaybook } from '../engine/loader.js';
import { culpritSpecSchema, type NextStep } from '../engine/playbook-schema.js';
import type { Finding, Report } from '../engine/report-schema.js';
import { hostVars, runPlaybook } from '../engine/run.js';
import type { EngineSession } from '../engine/session.js';
import type { Frame } from './frame.js';
import { drilldowns, guidePlan, stepEvidence, stepOrder } from './guide-plan.js';
import type { TextOverlay } from './overlay.js';
import { culpritRows } from './panels/culprits.js';
import type { GuideTarget } from './panels/types.js';
import { safe } from './text.js';
import type { Theme } from './theme.js';
import { flameGraphOf } from '../report/probe-flamegraph.js';
import { topFunctions, topFunctionsText } from '../../collectors/bpf/top-functions.js';
import { drilldownDetail, thresholdText } from './view-models/findings.js';

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
  /** Opens an overlay (its rows' actions go to culprits; onEnter is the guide's); onBack is told when Esc closes it. */
  push(o: TextOverlay): void;
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
  /** Where a profile drill-down writes its flame graph SVG (default: the working directory). */
  readonly outputDir?: string;
  /** The live host (steps can measure and run probes), or a bundle's second sample (evidence only: Source.replay). */
  readonly source: Source;
  readonly probes: ProbeRunner;
  readonly windowMs: number;
  /** Bundle: the two recorded samples. */
  readonly sources?: readonly [Source, Source];
}


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

const SEV = { critical: 'CRIT', warning: 'WARN', info: 'info' } as const;

const targetText = (t: GuideTarget) => t.cgroup ?? `PID ${t.pid}`;

/** A finding's value against its threshold, in two lines (no raw record). */
function evidenceLines(f: Finding): string[] {
  const e = f.evidence;
  return [`${SEV[f.severity]} ${f.scope}: ${f.title}`, `     value ${e.value} ${e.unit} (${e.metric}${e.windowSeconds ? ` over ${e.windowSeconds.toFixed(2)} s` : ''}); threshold ${thresholdText(f) || '-'}`];
}

/**
 * The guided investigation: pick a playbook (the one that follows the finding with the strongest
 * evidence for a cause is recommended), walk its checks (the strongest first: the culprits with
 * their evidence, what is checked and why), and choose where to go next: a culprit's row on the
 * dashboard, or a collector or BPF probe run on the spot, live with a countdown (a collector's
 * rows come back as culprits). Every step taken is remembered.
 */
export function createGuide(opts: GuideOptions): Guide {
  const steps: PathStep[] = [];
  let target: { pid?: number; cgroup?: string } | undefined;
  let running: { cancel: () => void } | undefined;
  const now = () => new Date().toISOString();
  const record = (s: Omit<PathStep, 'at'>) => steps.push({ at: now(), ...s });
  const sampler = new Sampler(opts.sources ?? opts.source);
  const live = !sampler.replay;

  function open(host: GuideHost): void {
    const t = host.theme;
    const all = [...opts.session.loaded.playbooks.values()];
    const plan = guidePlan(host.frame()?.evaluation.findings ?? [], target, (n) => opts.session.loaded.playbooks.has(n));
    const rec = plan.playbook;
    const list = [...all.filter((p) => p.name === rec), ...all.filter((p) => p.name !== rec)];
    const why = plan.finding ? `: ${safe(plan.finding.title, 60)}` : '';
    const aim = plan.target && !target ? ` for ${safe(targetText(plan.target), 40)}` : '';
    const lines = list.map((p) => {
      const runFor = p.name === rec ? plan.target : target;
      const needs = p.target === 'required' && !runFor ? ' (select a cgroup or process first: Enter on it)' : '';
      return `${safe(p.name.padEnd(10))} ${safe(p.title, 70)}${p.name === rec ? ' ' + t.tone('accent', `<- recommended${aim}${why}`) : ''}${needs}`;
    });
    const errors = opts.session.loaded.errors.map((e) => t.tone('warning', safe(`invalid playbook: ${String(e)}`)));
    host.push({
      title: `Investigate${target ? ` ${target.cgroup ?? `PID ${target.pid}`}` : ''}: pick a playbook`,
      lines: [...lines, '', ...errors],
      selectable: lines.length,
      onEnter: (i) => {
        const pb = list[i];
        if (!pb) return;
        const runFor = pb.name === rec ? plan.target : target;
        if (pb.target === 'required' && !runFor) {
          host.setMessage('this playbook judges one cgroup or process: select it in the Cgroups or Processes panel (Enter), then press i');
          return;
        }
        record({ playbook: pb.name, action: 'chose playbook', result: `${pb.title}${runFor ? ` for ${targetText(runFor)}` : ''}${pb.name === rec && plan.finding ? ` (follows: ${plan.finding.title})` : ''}` });
        void walk(host, pb, runFor);
      },
    });
  }

  async function walk(host: GuideHost, pb: LoadedPlaybook, runFor: GuideTarget | undefined): Promise<void> {
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
        ...(runFor && pb.target !== 'none' ? { target: runFor } : {}),
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
    // The strongest evidence first: that is where the path leads.
    const checks = stepOrder(pb.checks, report.findings);
    const mark = (c: LoadedCheck) => {
      const found = report.findings.filter((f) => f.check === c.id);
      if (found.some((f) => f.severity === 'critical')) return t.tone('critical', '[CRIT]');
      if (found.some((f) => f.severity === 'warning')) return t.tone('warning', '[WARN]');
      if (found.length) return t.tone('info', '[info]');
      const r = results.get(c.id);
      return r?.status === 'ok' ? t.tone('ok', '[ ok ]') : t.tone('unknown', '[ ?  ]');
    };
    const lines = checks.map((c) => `${mark(c)} ${safe(`${c.resource}/${c.kind}`.padEnd(22))} ${safe(c.id)}`);
    host.push({
      title: `${pb.name}: ${report.status.toUpperCase()} - steps (Enter: evidence and next steps)`,
      lines: [...lines, '', safe(report.statusReason)],
      selectable: lines.length,
      onEnter: (i) => {
        const c = checks[i];
        if (c) showStep(host, pb, c, report, runFor);
      },
    });
  }

  /**
   * A step: the culprits of its findings first (the report's two lines each; Enter goes to the
   * culprit's row on the dashboard), then the drill-downs it can run (the first one next when it
   * found something), the evidence (value against threshold, the drill-downs' results), what is
   * checked and why.
   */
  function showStep(host: GuideHost, pb: LoadedPlaybook, c: LoadedCheck, report: Report, runFor: GuideTarget | undefined): void {
    const t = host.theme;
    const ev = stepEvidence(c, report.findings);
    const r = [...report.coverage.flatMap((x) => x.checks)].find((x) => x.id === c.id);
    record({ playbook: pb.name, step: c.id, action: 'opened step', result: ev.findings.length ? `${ev.findings.length} findings${ev.culprits[0] ? `; culprit ${ev.culprits[0].entity.id}` : ''}` : (r?.status ?? 'unknown') });
    const runnable = drilldowns(c);
    const advice = c.next.filter((n): n is string => typeof n === 'string');
    // On a bundle, a probe step shows the run the snapshot captured (if its drill-down ran).
    const canRun = (n: NextStep) => live || (typeof n !== 'string' && n.run === 'probe');
    const culprits = culpritRows(ev.culprits, host.frame());
    const firstRunnable = runnable.findIndex((n) => canRun(n));
    const choices = runnable.map(
      (n, i) => `${t.bold('>')} ${safe(stepLabel(n))}${live ? '' : canRun(n) ? ' (as captured)' : ' (live host only)'}${i === firstRunnable && ev.findings.length > 0 ? ' ' + t.tone('accent', '<- next') : ''}`,
    );
    const lines = [
      ...culprits.lines,
      ...choices,
      '',
      t.bold('Evidence'),
      ...(ev.findings.length
        ? ev.findings.slice(0, 6).flatMap((f) => [...evidenceLines(f), ...drilldownDetail(f)].map((l) => safe(l)))
        : [safe(r?.status === 'ok' ? `ok: below the thresholds on ${r.scopes} scopes` : `unknown: ${r?.reason ?? 'not judged'}`)]),
      ...(ev.findings.length > 6 ? [safe(`… and ${ev.findings.length - 6} more findings of this check`)] : []),
      ...(ev.findings.length > 0 && ev.culprits.length === 0 ? [safe('no culprit named: the check declares none, or its tables were not sampled')] : []),
      '',
      t.bold('What is checked'),
      safe(`${c.metric}${c.divide_by ? ` / ${c.divide_by}` : ''} (${c.resource} ${c.kind}): ${c.when} ${c.warning ? `warning ${c.warning.value}` : ''} ${c.critical ? `critical ${c.critical.value}` : ''}`),
      '',
      t.bold('Why'),
      ...c.explain
        .trim()
        .split('\n')
        .map((l) => safe(l)),
      ...(advice.length ? ['', t.bold('Also'), ...advice.map((a) => safe(`- ${a}`))] : []),
    ];
    const jumps = culprits.jumps > 0;
    const runs = firstRunnable >= 0;
    host.push({
      title: `${pb.name} / ${c.id}${ev.culprits.length ? ': culprits' : ''}`,
      lines,
      selectable: culprits.lines.length + choices.length,
      details: culprits.details,
      actions: culprits.actions,
      ...(jumps || runs ? { hint: `Enter: ${[jumps ? 'go to the culprit' : '', runs ? 'run the drill-down' : ''].filter(Boolean).join(' or ')}` } : {}),
      onEnter: (i) => {
        const n = runnable[i - culprits.lines.length];
        if (!n || !canRun(n)) return;
        if (n.run === 'probe') void (live ? runProbe(host, pb, c, n.probe, n.seconds) : showCapture(host, pb, c, n.probe, n.seconds));
        else void runCollector(host, pb, c, n, ev.findings[0]?.scope ?? 'host', runFor);
      },
    });
  }

  /** A collector drill-down: its rows ranked as culprits (the report's two lines each, Enter goes to one), not a record dump. */
  async function runCollector(host: GuideHost, pb: LoadedPlaybook, c: LoadedCheck, n: Extract<NextStep, { run: 'collector' }>, scope: string, runFor: GuideTarget | undefined): Promise<void> {
    const col = opts.session.collectors.find((x) => x.id === n.collector);
    if (!col) return host.setMessage(`no collector ${n.collector}`);
    const title = `collector ${n.collector}${n.table ? `/${n.table}` : ''}${n.sort_by ? ` by ${n.sort_by}` : ''}`;
    host.push({ title, lines: ['measuring for 1 s…'], selectable: 0 });
    const model = deriveModel([col], await sampler.window([col], 1000));
    const tid = n.table ?? Object.keys(col.tables)[0]!;
    const tbl = model.tables[tid];
    // Rows of the run's target only, when the step asks for it; else the host's.
    const own = n.same_target && runFor ? (runFor.cgroup !== undefined ? `cgroup:${runFor.cgroup}` : `process:${runFor.pid}`) : scope;
    const spec = culpritSpecSchema.parse({ table: tid, rank_by: n.sort_by ?? 'count', within: n.same_target && runFor ? 'scope' : 'host', top: Math.min(20, Math.max(n.top, 10)), shares: n.sort_by !== undefined, why: n.why });
    const ranked = tbl && tbl.rows.status === 'ok' ? rankRows(spec, model, own, hostVars(opts.source)) : [];
    const found = n.sort_by ? ranked : ranked.map(({ value: _v, unit: _u, ...rest }) => rest);
    const rows = culpritRows(found, host.frame());
    host.pop();
    const why = !tbl ? `no table ${tid}` : tbl.rows.status !== 'ok' ? `${tbl.rows.status}: ${tbl.rows.reason}` : 'no rows';
    host.push({
      title,
      lines: rows.lines.length ? [...rows.lines, '', safe(n.why)] : [safe(why)],
      selectable: rows.lines.length,
      details: rows.details,
      actions: rows.actions,
      ...(rows.jumps > 0 ? { hint: 'Enter: go to it' } : {}),
    });
    record({ playbook: pb.name, step: c.id, action: `ran collector ${n.collector}`, result: found[0] ? `${found.length} ranked; first ${found[0].entity.id} ${found[0].entity.name}`.slice(0, 200) : why });
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
    // profile: the slices' stacks together, for the top functions and the flame graph at the end
    const profiled: ProfileStack[] = [];
    let hz = 0;
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
        if (probe === 'profile') {
          const p = r.value.result as ProfileResult;
          profiled.push(...p.stacks);
          hz = p.hz;
          const shown = profileView(profiled, hz);
          latest = `${shown.lines.join('\n')}\nlost events: ring ${v.lost?.ring ?? 0}, map ${v.lost?.map ?? 0}`;
        }
      }
      if (probe === 'profile' && profiled.length > 0) {
        const shown = profileView(profiled, hz, { ...(target?.pid !== undefined ? { pid: target.pid } : {}) });
        latest = shown.lines.join('\n');
        summary = shown.summary;
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

  /**
   * A profile drill-down: the top functions (self and total % of the samples) and, once it is
   * done (`write` given), the flame graph written as an SVG for the user to open.
   */
  function profileView(stacks: readonly ProfileStack[], rate: number, write?: { readonly pid?: number }): { lines: string[]; summary: string } {
    const samples = stacks.reduce((a, x) => a + x.count, 0);
    const top = topFunctions(stacks, 10);
    const lines = topFunctionsText(top, samples);
    let written = '';
    if (write) {
      const fg = flameGraphOf('profile', { hz: rate, samples, stacks });
      const path = join(opts.outputDir ?? process.cwd(), `diag-profile-${write.pid ?? 'host'}-${new Date().toISOString().replace(/[:.]/g, '-')}.svg`);
      try {
        if (!fg) throw new Error('no flame graph for this probe');
        writeFileSync(path, fg.svg, { flag: 'wx' });
        written = `flame graph written: ${path} (open it in a browser; ${fg.stacks} stacks)`;
        lines.push('', written, fg.framePointers);
      } catch (err) {
        written = `flame graph not written: ${err instanceof Error ? err.message : String(err)}`;
        lines.push('', written);
      }
    }
    const first = top[0];
    return { lines, summary: `${samples} samples${first ? `; top ${first.name} self ${first.selfPct.toFixed(1)}%` : ''}${written ? `; ${written}` : ''}` };
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
