import type { BiolatencyResult } from '../../collectors/bpf/biolatency.js';
import type { BiosnoopResult, BlockIo } from '../../collectors/bpf/biosnoop.js';
import type { DropsResult } from '../../collectors/bpf/drops.js';
import { decodeExecEvent, type ExecEvent, type ExecsnoopResult } from '../../collectors/bpf/execsnoop.js';
import { slotRange, type Log2Histogram } from '../../collectors/bpf/histogram.js';
import { decodeOomEvent, type OomEvent, type OomkillResult } from '../../collectors/bpf/oomkill.js';
import { STATE_TITLES, type OffcpuResult } from '../../collectors/bpf/offcpu.js';
import type { ProfileResult } from '../../collectors/bpf/profile.js';
import type { RunqlatResult } from '../../collectors/bpf/runqlat.js';
import type { SyscallStat, SyscallsResult } from '../../collectors/bpf/syscalls.js';
import { decodeTcpEvent, type TcpconnResult, type TcpStateChange } from '../../collectors/bpf/tcpconn.js';
import { endpoint, type TcpretransResult } from '../../collectors/bpf/tcpretrans.js';
import { sanitizeForTerminal as clean } from '../core/sanitize.js';

/**
 * Text of `diag probe <name>` (and the terminal UI's probe runs) for a person, or for another
 * tool (profile's folded stacks): the probes produce data, this renders it. Host text (comm,
 * file names, symbols) is sanitised here.
 */
export interface ProbeText {
  /** For stdout. */
  readonly text: string;
  /** Lines about the result (summary, caveats): where the run's own lines go (stderr when the text is data). */
  readonly meta?: string;
  /** The text is data for another tool (flamegraph.pl): nothing else may go to stdout. */
  readonly textIsData?: boolean;
}

/** The bcc-style text histogram. */
export function renderHistogram(h: Log2Histogram, width = 40, opts: { readonly fromFirst?: boolean } = {}): string {
  if (h.total === 0) return `     (no samples)\n`;
  const max = Math.max(...h.counts);
  const lines = [`${h.unit.padStart(19)}${' '.repeat(7)}: count    distribution`];
  // fromFirst: start at the first non-empty slot (nanosecond histograms start far from 0).
  const first = opts.fromFirst === true ? Math.max(0, h.counts.findIndex((c) => c > 0)) : 0;
  h.counts.forEach((c, k) => {
    if (k < first) return;
    const { low, high } = slotRange(k);
    const bar = '*'.repeat(max === 0 ? 0 : Math.round((c / max) * width));
    lines.push(`${String(low).padStart(10)} -> ${String(high).padEnd(10)} : ${String(c).padEnd(8)} |${bar.padEnd(width)}|`);
  });
  return lines.join('\n') + '\n';
}

function runqlatText(r: RunqlatResult): string {
  const pct = r.histogram.total === 0 ? '' : `p50 <= ${r.p50Us} µs, p99 <= ${r.p99Us} µs\n`;
  const head = `run-queue latency, ${r.histogram.total} scheduling events\n${renderHistogram(r.histogram)}${pct}`;
  if (!r.processes) return head;
  const top = r.processes.slice(0, 10).map((p) => `\nprocess ${p.tgid} (${clean(p.comm ?? '?')}): ${p.histogram.total} waits, p50 <= ${p.p50Us} µs, p99 <= ${p.p99Us} µs\n${renderHistogram(p.histogram)}`);
  return `${head}${top.join('')}${r.processes.length > 10 ? `\n(${r.processes.length - 10} more processes in --json)\n` : ''}`;
}

function biolatencyText(r: BiolatencyResult): string {
  if (r.devices.length === 0) return 'no block I/O completed in the window\n';
  return r.devices.map((d) => `device ${clean(d.name ?? '?')} (${d.dev}): ${d.histogram.total} I/Os, p50 <= ${d.p50Us} µs, p99 <= ${d.p99Us} µs\n${renderHistogram(d.histogram)}`).join('\n');
}

const BIO_HEADER = `${'PID'.padStart(7)} ${'COMM'.padEnd(16)} ${'DEV'.padEnd(10)} ${'OP'.padEnd(7)} ${'SECTOR'.padStart(12)} ${'BYTES'.padStart(8)} ${'LATENCY'.padStart(10)}`;
const bioLine = (i: BlockIo, names: ReadonlyMap<string, string>): string =>
  `${String(i.tgid).padStart(7)} ${clean(i.comm).padEnd(16)} ${clean(names.get(i.dev) ?? i.dev).padEnd(10)} ${clean(i.op).padEnd(7)} ${String(i.sector).padStart(12)} ${String(i.bytes).padStart(8)} ${humanNs(i.latencyNs).padStart(10)}${i.error !== 0 ? ` error ${i.error}` : ''}`;

function biosnoopText(r: BiosnoopResult): string {
  if (r.ios.length === 0) return `no block I/O completed in the window${r.dropped > 0 ? ` (${r.dropped} not kept)` : ''}\n`;
  const names = new Map(r.devices.map((d) => [d.dev, d.name ?? d.dev]));
  const bytes = r.ios.reduce((a, i) => a + i.bytes, 0);
  const lines = [`${r.ios.length} block I/Os, ${bytes} bytes${r.dropped > 0 ? ` (${r.dropped} more not kept)` : ''}; process taken at ${r.attribution === 'submission' ? 'submission (block_io_start)' : 'issue to the driver (a queued request may name a kworker)'}`, ''];
  const g = (x: { ios: number; bytes: number; p50Ns: number; p99Ns: number; maxNs: number; errors: number }): string =>
    `${String(x.ios).padStart(7)} ${String(x.bytes).padStart(11)} ${humanNs(x.p50Ns).padStart(9)} ${humanNs(x.p99Ns).padStart(9)} ${humanNs(x.maxNs).padStart(9)}${x.errors > 0 ? `  ${x.errors} errors` : ''}`;
  const head = `${'IOS'.padStart(7)} ${'BYTES'.padStart(11)} ${'P50'.padStart(9)} ${'P99'.padStart(9)} ${'MAX'.padStart(9)}`;
  lines.push('by device:', `${'DEVICE'.padEnd(12)} ${head}  OPS`);
  for (const d of r.devices.slice(0, 20)) lines.push(`${clean(d.name ?? d.dev).padEnd(12)} ${g(d)}  ${Object.entries(d.byOp).map(([op, n]) => `${clean(op)} ${n}`).join(', ')}`);
  lines.push('', 'by process (most I/O time first):', `${'PID'.padStart(7)} ${'COMM'.padEnd(16)} ${head}  DEVICES`);
  for (const p of r.processes.slice(0, 20)) lines.push(`${String(p.tgid).padStart(7)} ${clean(p.comm).padEnd(16)} ${g(p)}  ${p.devices.map(clean).join(', ')}`);
  if (r.processes.length > 20) lines.push(`(${r.processes.length - 20} more processes in --json)`);
  lines.push('', 'slowest I/Os:', BIO_HEADER, ...r.slowest.slice(0, 10).map((i) => bioLine(i, names)));
  return lines.join('\n') + '\n';
}

function tcpretransText(r: TcpretransResult): string {
  const lines = [`${r.total} retransmitted segments`];
  if (r.connections.length > 0) lines.push(`${'COUNT'.padStart(7)}  ${'STATE'.padEnd(12)} ${'LOCAL'.padEnd(28)} ${'REMOTE'.padEnd(28)} NETNS`);
  for (const c of r.connections.slice(0, 50))
    lines.push(`${String(c.count).padStart(7)}  ${c.state.padEnd(12)} ${endpoint(c.saddr, c.sport, c.family).padEnd(28)} ${endpoint(c.daddr, c.dport, c.family).padEnd(28)} ${c.netns}`);
  return lines.join('\n') + '\n';
}

function tcpconnText(r: TcpconnResult): string {
  if (r.changes.length === 0) return `no TCP state changes in the window${r.dropped > 0 ? ` (${r.dropped} not kept)` : ''}\n`;
  const lines = [`${r.changes.length} TCP state changes, ${r.connections.length} connections${r.dropped > 0 ? ` (${r.dropped} more changes not kept)` : ''}`];
  if (r.remotes.length > 0) {
    lines.push('', 'connects per remote (SYN sent -> established):', `${'REMOTE'.padEnd(28)} ${'NETNS'.padEnd(11)} ${'TRIED'.padStart(5)} ${'OK'.padStart(5)} ${'REFUSED'.padStart(7)} ${'RESET'.padStart(5)} ${'TIMEOUT'.padStart(7)} ${'MIN'.padStart(9)} ${'AVG'.padStart(9)} ${'MAX'.padStart(9)}`);
    const t = (ns: number | undefined): string => (ns === undefined ? '-' : humanNs(ns)).padStart(9);
    for (const x of r.remotes.slice(0, 30))
      lines.push(`${clean(x.remote).padEnd(28)} ${String(x.netns).padEnd(11)} ${String(x.attempts).padStart(5)} ${String(x.established).padStart(5)} ${String(x.refused).padStart(7)} ${String(x.reset).padStart(5)} ${String(x.timedOut).padStart(7)} ${t(x.connectMinNs)} ${t(x.connectAvgNs)} ${t(x.connectMaxNs)}`);
  }
  lines.push('', 'connections (most recent last):', `${'PID'.padStart(7)} ${'COMM'.padEnd(16)} ${'DIR'.padEnd(7)} ${'LOCAL'.padEnd(24)} ${'REMOTE'.padEnd(24)} ${'CONNECT'.padStart(9)} ${'LIFETIME'.padStart(9)} OUTCOME / STATES`);
  for (const c of r.connections.slice(-30))
    lines.push(
      `${String(c.tgid || '-').padStart(7)} ${clean(c.comm || '-').padEnd(16)} ${c.direction.padEnd(7)} ${clean(c.local).padEnd(24)} ${clean(c.remote).padEnd(24)} ${(c.connectNs === undefined ? '-' : humanNs(c.connectNs)).padStart(9)} ${(c.lifetimeNs === undefined ? '-' : humanNs(c.lifetimeNs)).padStart(9)} ${c.outcome}${c.error ? ` (${c.error})` : ''}: ${c.states.join(' > ')}`,
    );
  if (r.connections.length > 30) lines.push(`(${r.connections.length - 30} earlier connections in --json)`);
  return lines.join('\n') + '\n';
}

function dropsText(r: DropsResult): string {
  const lines = [`${r.total} packets dropped`];
  if (r.note) lines.push(`(${r.note})`);
  if (r.drops.length > 0) lines.push(`${'COUNT'.padStart(7)}  ${'REASON'.padEnd(24)} ${'PROTO'.padEnd(6)} ${'NETNS'.padEnd(11)} LOCATION`);
  for (const d of r.drops.slice(0, 50)) lines.push(`${String(d.count).padStart(7)}  ${clean(d.reason).padEnd(24)} ${d.protocol.padEnd(6)} ${String(d.netns).padEnd(11)} ${clean(d.location)}`);
  return lines.join('\n') + '\n';
}

const EXEC_HEADER = `${'PID'.padStart(7)} ${'PPID'.padStart(7)} ${'UID'.padStart(6)} ${'COMM'.padEnd(16)} FILENAME`;
const execLine = (e: ExecEvent): string =>
  `${String(e.tgid).padStart(7)} ${String(e.ppid).padStart(7)} ${String(e.uid).padStart(6)} ${clean(e.comm).padEnd(16)} ${clean(e.filename)}`;

function execsnoopText(r: ExecsnoopResult, live: boolean): string {
  const lines = live ? [] : [EXEC_HEADER, ...r.events.map(execLine)];
  lines.push(`${r.events.length} executions${r.dropped > 0 ? ` (${r.dropped} more not kept)` : ''}`);
  return lines.join('\n') + '\n';
}

const oomLine = (v: OomEvent): string =>
  `OOM victim pid ${v.victimTgid} (${clean(v.victimComm)}), oom_score_adj ${v.oomScoreAdj}; triggered by pid ${v.triggerTgid} (${clean(v.triggerComm)})`;

function oomkillText(r: OomkillResult, live: boolean): string {
  if (r.victims.length === 0) return 'no OOM kills in the window\n';
  if (live) return `${r.victims.length} OOM kills\n`;
  return r.victims.map(oomLine).join('\n') + '\n';
}

/** Only folded lines on stdout (flamegraph.pl reads them); the summary goes with the run's lines. */
function profileText(r: ProfileResult): ProbeText {
  return {
    text: r.folded === '' ? '' : `${r.folded.split('\n').map(clean).join('\n')}\n`,
    meta: `${r.note ? `(${r.note})\n` : ''}${r.samples} samples at ${r.hz} Hz (folded stacks for flamegraph.pl; --json has a speedscope file under result.speedscope)\n`,
    textIsData: true,
  };
}

/** A duration in ns for people: 850 ns, 12.5 µs, 3.2 ms, 1.50 s. */
export function humanNs(ns: number): string {
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

const SYSCALL_HEADER = `${'SYSCALL'.padEnd(18)} ${'CALLS'.padStart(9)} ${'TOTAL'.padStart(10)} ${'AVG'.padStart(10)} ${'P99 <='.padStart(10)} ${'MAX'.padStart(10)}`;
const syscallLine = (c: SyscallStat): string =>
  `${clean(c.name).padEnd(18)} ${String(c.count).padStart(9)} ${humanNs(c.totalNs).padStart(10)} ${humanNs(c.count === 0 ? 0 : c.totalNs / c.count).padStart(10)} ${(c.p99Ns === undefined ? '-' : humanNs(c.p99Ns)).padStart(10)} ${humanNs(c.slowest.ns).padStart(10)}`;

function syscallsText(r: SyscallsResult): string {
  if (r.count === 0) return 'no system calls returned in the window\n';
  const lines = [`${r.count} system calls, ${humanNs(r.totalNs)} inside them, ${r.processes.length} processes`, '', SYSCALL_HEADER, ...r.syscalls.slice(0, 20).map(syscallLine)];
  if (r.syscalls.length > 20) lines.push(`(${r.syscalls.length - 20} more calls in --json)`);
  for (const p of r.processes.slice(0, 5)) {
    lines.push('', `process ${p.tgid} (${clean(p.comm ?? '?')}): ${p.count} calls, ${humanNs(p.totalNs)}`, SYSCALL_HEADER, ...p.syscalls.slice(0, 8).map(syscallLine));
    const slow = p.syscalls.reduce<SyscallStat | undefined>((a, c) => (a === undefined || c.slowest.ns > a.slowest.ns ? c : a), undefined);
    if (slow !== undefined && slow.slowest.args.length > 0)
      lines.push(`slowest: ${clean(slow.name)}(${slow.slowest.args.join(', ')}) = ${slow.slowest.ret} in ${humanNs(slow.slowest.ns)} (thread ${slow.slowest.tid})`);
  }
  const top = r.syscalls[0];
  if (top !== undefined) lines.push('', `latency of ${clean(top.name)} (most time):`, renderHistogram(top.histogram, 40, { fromFirst: true }).trimEnd());
  return lines.join('\n') + '\n';
}

function offcpuText(r: OffcpuResult): string {
  if (r.stacks.length === 0) return `no blocks of ${r.minBlockUs} µs or more in the window\n`;
  const lines = [`${humanNs(r.totalNs)} off CPU in blocks of ${r.minBlockUs} µs or more`, '', 'by state:'];
  for (const s of r.byState) lines.push(`  ${humanNs(s.totalNs).padStart(10)}  ${String(s.count).padStart(7)} blocks  ${STATE_TITLES[s.state]}`);
  lines.push('', 'by wait (first kernel frame that is not the scheduler):');
  for (const w of r.byReason.slice(0, 15)) lines.push(`  ${humanNs(w.totalNs).padStart(10)}  ${String(w.count).padStart(7)} blocks  ${clean(w.reason)} (${w.state})`);
  lines.push('', 'top stacks (root first; kernel frames end in _[k]):');
  for (const s of r.stacks.slice(0, 10)) {
    lines.push(`  ${humanNs(s.totalNs)} in ${s.count} blocks: thread ${s.pid} of ${s.tgid} (${clean(s.comm)}), ${s.state}`);
    for (const f of s.frames) lines.push(`      ${clean(f)}`);
  }
  if (r.stacks.length > 10) lines.push(`  (${r.stacks.length - 10} more stacks in --json)`);
  if (r.note) lines.push(`(${r.note})`);
  return lines.join('\n') + '\n';
}

/**
 * The text of a probe's result. `live`: its events were already printed as they came
 * (liveText), so only the summary is left.
 */
export function probeText(probe: string, result: unknown, opts: { readonly live?: boolean } = {}): ProbeText {
  const live = opts.live === true;
  switch (probe) {
    case 'runqlat':
      return { text: runqlatText(result as RunqlatResult) };
    case 'biolatency':
      return { text: biolatencyText(result as BiolatencyResult) };
    case 'biosnoop':
      return { text: biosnoopText(result as BiosnoopResult) };
    case 'tcpretrans':
      return { text: tcpretransText(result as TcpretransResult) };
    case 'tcpconn':
      return { text: tcpconnText(result as TcpconnResult) };
    case 'drops':
      return { text: dropsText(result as DropsResult) };
    case 'execsnoop':
      return { text: execsnoopText(result as ExecsnoopResult, live) };
    case 'oomkill':
      return { text: oomkillText(result as OomkillResult, live) };
    case 'profile':
      return profileText(result as ProfileResult);
    case 'syscalls':
      return { text: syscallsText(result as SyscallsResult) };
    case 'offcpu':
      return { text: offcpuText(result as OffcpuResult) };
    default:
      return { text: `${clean(JSON.stringify(result))}\n` };
  }
}

/** Probes whose events are printed as they arrive in text mode: the header, then one line per record. */
const TCP_HEADER = `${'PID'.padStart(7)} ${'COMM'.padEnd(16)} ${'LOCAL'.padEnd(24)} ${'REMOTE'.padEnd(24)} ${'STATE CHANGE'.padEnd(26)} CONNECT / LIFETIME / ERROR`;
/** One TCP state change as it happens (diag probe tcpconn in text mode). */
export const tcpLine = (c: TcpStateChange): string =>
  `${String(c.tgid || '-').padStart(7)} ${clean(c.comm || '-').padEnd(16)} ${clean(c.local).padEnd(24)} ${clean(c.remote).padEnd(24)} ${`${c.from} > ${c.to}`.padEnd(26)} ${[c.connectNs === undefined ? '' : `connect ${humanNs(c.connectNs)}`, c.lifetimeNs === undefined ? '' : `lifetime ${humanNs(c.lifetimeNs)}`, c.error ?? ''].filter(Boolean).join(' ')}`.trimEnd();

export const LIVE_TEXT: Readonly<Record<string, { readonly header?: string; line(record: Buffer): string | undefined }>> = {
  tcpconn: {
    header: TCP_HEADER,
    line: (rec) => {
      const c = decodeTcpEvent(rec);
      return c ? tcpLine(c) : undefined;
    },
  },
  execsnoop: {
    header: EXEC_HEADER,
    line: (rec) => {
      const e = decodeExecEvent(rec);
      return e ? execLine(e) : undefined;
    },
  },
  oomkill: {
    line: (rec) => {
      const v = decodeOomEvent(rec);
      return v ? oomLine(v) : undefined;
    },
  },
};
