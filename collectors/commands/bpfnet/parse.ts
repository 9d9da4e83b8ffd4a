import { z } from 'zod';
import { parseJsonBounded } from '../../../src/core/bounded-json.js';
import { parsed, parseFail, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Pure parsers of bpftool's JSON (`bpftool -j prog show`, `net`, `cgroup tree`, `perf`): BPF
 * programs and where they are attached. Elements of an unexpected shape are skipped and counted,
 * never guessed at; names are untrusted text (program and interface names).
 */

const id = z.number().int().positive().max(2 ** 32);
const text = z.string().max(256);

export interface BpfProg {
  readonly id: number;
  readonly type: string;
  readonly name: string | undefined;
  readonly tag: string | undefined;
}

const progSchema = z.object({ id, type: text, name: text.optional(), tag: text.optional() });

function jsonArray(input: string, what: string): ParseResult<unknown[]> {
  const j = parseJsonBounded(input);
  if (!j.ok) return parseFail(input, `${what} ${j.reason}`);
  if (!Array.isArray(j.value)) return parseFail(input, `${what}: expected a JSON array`);
  return parsed(j.value);
}

/** `bpftool -j prog show`: every loaded program (host-wide), by id. */
export function parseBpfProgs(input: string): ParseResult<Map<number, BpfProg>> {
  const a = jsonArray(input, 'bpftool -j prog show');
  if (!a.ok) return a;
  const out = new Map<number, BpfProg>();
  for (const e of a.value) {
    const p = progSchema.safeParse(e);
    if (p.success) out.set(p.data.id, { id: p.data.id, type: p.data.type, name: p.data.name, tag: p.data.tag });
  }
  return parsed(out);
}

/** One program attached to an interface of a network namespace. */
export interface NetAttachment {
  readonly iface: string;
  /** "xdp", "tc clsact/ingress", "tcx/egress", "flow_dissector"... */
  readonly attach: string;
  /** XDP mode (generic, driver, offload) when it is XDP. */
  readonly mode: string | undefined;
  readonly progId: number;
  /** The name bpftool gave (tc: the object and section, "drop.o:[tc]"). */
  readonly name: string | undefined;
}

const xdpSchema = z.object({ devname: text, mode: text.optional(), id });
const tcSchema = z.object({ devname: text, kind: text, name: text.optional(), id });
const netSchema = z.object({ xdp: z.array(z.unknown()).optional(), tc: z.array(z.unknown()).optional(), flow_dissector: z.array(z.unknown()).optional() });

/** `bpftool -j net` (one namespace): XDP and tc/tcx programs on its interfaces. */
export function parseBpftoolNet(input: string): ParseResult<{ attachments: NetAttachment[]; skipped: number }> {
  const a = jsonArray(input, 'bpftool -j net');
  if (!a.ok) return a;
  const attachments: NetAttachment[] = [];
  let skipped = 0;
  for (const block of a.value) {
    const b = netSchema.safeParse(block);
    if (!b.success) {
      skipped++;
      continue;
    }
    for (const e of b.data.xdp ?? []) {
      const x = xdpSchema.safeParse(e);
      if (x.success) attachments.push({ iface: x.data.devname, attach: 'xdp', mode: x.data.mode, progId: x.data.id, name: undefined });
      else skipped++;
    }
    for (const e of b.data.tc ?? []) {
      const t = tcSchema.safeParse(e);
      if (t.success) attachments.push({ iface: t.data.devname, attach: t.data.kind.startsWith('tcx') ? t.data.kind : `tc ${t.data.kind}`, mode: undefined, progId: t.data.id, name: t.data.name });
      else skipped++;
    }
  }
  return parsed({ attachments, skipped });
}

/** Programs attached to one cgroup. */
export interface CgroupAttachment {
  /** As bpftool printed it: a path under the cgroup v2 mount. */
  readonly cgroupPath: string;
  readonly attachType: string;
  readonly progId: number;
  readonly name: string | undefined;
}

const cgProgSchema = z.object({ id, attach_type: text, name: text.optional() });
const cgSchema = z.object({ cgroup: z.string().max(4096), programs: z.array(z.unknown()) });

/** `bpftool -j cgroup tree`: every cgroup (v2) with programs attached. */
export function parseBpftoolCgroupTree(input: string): ParseResult<{ attachments: CgroupAttachment[]; skipped: number }> {
  const a = jsonArray(input, 'bpftool -j cgroup tree');
  if (!a.ok) return a;
  const attachments: CgroupAttachment[] = [];
  let skipped = 0;
  for (const e of a.value) {
    const c = cgSchema.safeParse(e);
    if (!c.success) {
      skipped++;
      continue;
    }
    for (const p of c.data.programs) {
      const x = cgProgSchema.safeParse(p);
      if (x.success) attachments.push({ cgroupPath: c.data.cgroup, attachType: x.data.attach_type, progId: x.data.id, name: x.data.name });
      else skipped++;
    }
  }
  return parsed({ attachments, skipped });
}

/** A program a process attached to a tracepoint, kprobe or uprobe. */
export interface PerfAttachment {
  readonly pid: number;
  readonly progId: number;
  /** "tracepoint", "kprobe", "kretprobe", "uprobe", "uretprobe", "raw_tracepoint". */
  readonly kind: string;
  /** The tracepoint or function. */
  readonly target: string | undefined;
}

const perfSchema = z.object({ pid: z.number().int().positive().max(4_194_304), prog_id: id, fd_type: text, tp_name: text.optional(), func: text.optional(), filename: text.optional() });

/** `bpftool -j perf`: programs attached through perf events, by the process holding them. */
export function parseBpftoolPerf(input: string): ParseResult<{ attachments: PerfAttachment[]; skipped: number }> {
  const a = jsonArray(input, 'bpftool -j perf');
  if (!a.ok) return a;
  const attachments: PerfAttachment[] = [];
  let skipped = 0;
  for (const e of a.value) {
    const p = perfSchema.safeParse(e);
    if (p.success) attachments.push({ pid: p.data.pid, progId: p.data.prog_id, kind: p.data.fd_type, target: p.data.tp_name ?? p.data.func ?? p.data.filename });
    else skipped++;
  }
  return parsed({ attachments, skipped });
}
