import { findProbe, probeIds } from '../../../collectors/bpf/probes.js';
import { parseRemote, type RemoteFilter } from '../../../collectors/bpf/tcpconn.js';
import { cgroupMembers, runProbe, type ProbeRun } from '../../../collectors/bpf/probe.js';
import { parseDuration } from '../../core/duration.js';
import { DiagError, UsageError } from '../../core/errors.js';
import { sanitizeForTerminal } from '../../core/sanitize.js';
import { LiveSource } from '../../core/live-source.js';
import { LIVE_TEXT, probeText } from '../../report/probe-text.js';
import { parseCommandArgs } from '../args.js';
import { flameGraphOf } from '../../report/probe-flamegraph.js';
import { writeFileSync } from 'node:fs';

export const HELP = `Usage: diag probe <name> [--duration 5s] [--json] [--pid PID | --cgroup PATH] [--per-process] [--hz N] [--min-block DURATION]
                  [--flamegraph FILE.svg] [--remote ADDR[:PORT]]

Run one BPF probe on this host for the duration (it never runs longer; Ctrl-C stops it early
and still prints what it saw). Events lost in the kernel (ring buffer or map full) are always
reported, zero included. Needs root (CAP_BPF+CAP_PERFMON) and kernel BTF.
  --pid PID       only this process (probes that support it)
  --cgroup PATH   only the processes in this cgroup when the probe starts
                  (e.g. /sys/fs/cgroup/memory/mygroup; v1 or v2)
  --per-process   runqlat: one histogram per process as well
  --hz N          profile: samples per second on each CPU, 49 to 99 (default 49)
  --min-block D   offcpu: count only blocks at least this long (default 100us; e.g. 1ms)
  --flamegraph F  profile, offcpu: also write an interactive SVG flame graph to F
                  (search, click to zoom, counts in each frame's title)
  --remote A[:P]  tcpconn: only connections whose peer is this address (and port),
                  filtered in the kernel (e.g. 10.0.0.5:5432, [2001:db8::1]:443)
Probes: ${probeIds().join(', ')}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('probe', argv, {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'boolean' },
    duration: { type: 'string' },
    pid: { type: 'string' },
    cgroup: { type: 'string' },
    'per-process': { type: 'boolean' },
    hz: { type: 'string' },
    'min-block': { type: 'string' },
    flamegraph: { type: 'string' },
    remote: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const ids = probeIds().join(', ');
  const id = positionals[0];
  if (id === undefined) throw new UsageError('probe: which probe?', { hint: `one of: ${ids}` });
  if (positionals.length > 1) throw new UsageError(`probe: unexpected argument ${JSON.stringify(positionals[1])}`);
  let hz: number | undefined;
  if (values.hz !== undefined) {
    hz = Number(values.hz);
    if (!/^\d+$/.test(values.hz) || hz < 49 || hz > 99) throw new UsageError(`probe: --hz expects 49 to 99, got ${JSON.stringify(values.hz)}`);
  }
  let minBlockUs: number | undefined;
  if (values['min-block'] !== undefined) {
    const us = /^(\d+(?:\.\d+)?)us$/.exec(values['min-block']);
    minBlockUs = Math.round(us ? Number(us[1]) : parseDuration(values['min-block'], '--min-block') * 1000);
    if (minBlockUs < 1) throw new UsageError(`probe: --min-block expects at least 1us, got ${JSON.stringify(values['min-block'])}`);
  }
  let remote: RemoteFilter | undefined;
  if (values.remote !== undefined) {
    const r = parseRemote(values.remote);
    if (!r.ok) throw new UsageError(`probe: --remote ${r.error}`);
    remote = r.value;
  }
  const perProcess = values['per-process'] === true;
  const def = findProbe(id, { perProcess, ...(hz === undefined ? {} : { hz }), ...(minBlockUs === undefined ? {} : { minBlockUs }), ...(remote === undefined ? {} : { remote }) });
  if (!def) throw new UsageError(`probe: no probe named ${JSON.stringify(id)}`, { hint: `one of: ${ids}` });
  if (perProcess && !def.settings?.includes('perProcess')) throw new UsageError(`probe ${id}: --per-process is for runqlat`);
  if (hz !== undefined && !def.settings?.includes('hz')) throw new UsageError(`probe ${id}: --hz is for profile`);
  if (values.flamegraph !== undefined && id !== 'profile' && id !== 'offcpu') throw new UsageError(`probe ${id}: --flamegraph is for profile and offcpu`);
  if (minBlockUs !== undefined && !def.settings?.includes('minBlockUs')) throw new UsageError(`probe ${id}: --min-block is for offcpu`);
  if (remote !== undefined && !def.settings?.includes('remote')) throw new UsageError(`probe ${id}: --remote is for tcpconn`);
  const durationMs = parseDuration(values.duration ?? '5s', '--duration');
  if (values.pid !== undefined && values.cgroup !== undefined) throw new UsageError('probe: --pid and --cgroup cannot be combined');
  if ((values.pid !== undefined || values.cgroup !== undefined) && !def.filter) {
    throw new UsageError(`probe ${id}: --pid and --cgroup are not supported (it observes the whole host)`, { hint: `probes that take them: ${probeIds().filter((p) => findProbe(p)?.filter).join(', ')}` });
  }
  const src = new LiveSource();
  let tgids: number[] | undefined;
  if (values.pid !== undefined) {
    if (!/^\d+$/.test(values.pid) || Number(values.pid) <= 0) throw new UsageError(`probe: --pid expects a process id, got ${JSON.stringify(values.pid)}`);
    tgids = [Number(values.pid)];
  } else if (values.cgroup !== undefined) {
    const members = cgroupMembers(src, values.cgroup);
    if (members.status !== 'ok') throw new UsageError(members.reason, members.status === 'unavailable' && members.hint ? { hint: members.hint } : undefined);
    tgids = members.value;
  }
  // Stop early (and still print, then detach) on SIGINT/SIGTERM.
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Text mode: event probes print each event as it arrives.
  const live = values.json ? undefined : LIVE_TEXT[id];
  const onRecord = live
    ? (_ring: string, rec: Buffer) => {
        const line = live.line(rec);
        if (line !== undefined) process.stdout.write(line + '\n');
      }
    : undefined;
  const onAttached = live?.header === undefined ? undefined : () => void process.stdout.write(live.header + '\n');
  let r;
  try {
    r = await runProbe(def, src, { durationMs, signal: abort.signal, ...(tgids === undefined ? {} : { tgids }), ...(onRecord ? { onRecord } : {}), ...(onAttached ? { onAttached } : {}) });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (r.status !== 'ok') throw new DiagError(`probe ${id} unavailable: ${r.reason}`, r.status === 'unavailable' && r.hint ? { hint: r.hint } : undefined);
  const run: ProbeRun<unknown> = r.value;
  if (values.flamegraph !== undefined) {
    const fg = flameGraphOf(run.probe, run.result);
    if (fg) {
      writeFileSync(values.flamegraph, fg.svg);
      process.stderr.write(`flame graph: ${values.flamegraph} (${fg.stacks} stacks)\n${fg.framePointers}\n`);
    }
  }
  if (values.json) {
    const { result, progStats, ...meta } = run;
    process.stdout.write(JSON.stringify({ schema: 'diag.probe/v1', ...meta, attachMs: round(meta.attachMs), durationMs: round(meta.durationMs), progStats, result }, null, 2) + '\n');
  } else {
    const out = probeText(run.probe, run.result, { live: live !== undefined });
    // When the text is data for another tool (profile's folded stacks for flamegraph.pl), the
    // lines about the run go to stderr so stdout stays clean.
    const meta = out.textIsData ? process.stderr : process.stdout;
    meta.write(`probe ${run.probe}: hook ${run.hook}, attached in ${round(run.attachMs)} ms, ran ${(run.durationMs / 1000).toFixed(2)} s${run.stoppedBy === 'signal' ? ' (stopped early)' : ''}\n`);
    for (const f of run.fallbacks) meta.write(`(${f.hook} not usable: ${sanitizeForTerminal(f.reason)})\n`);
    if (out.meta !== undefined) meta.write(out.meta);
    process.stdout.write(out.text);
    meta.write(`lost events: ${run.lost.ring} (ring buffer full), ${run.lost.map} (map full)\n`);
  }
  return 0;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
