import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { liveRequirement } from '../../helpers/capabilities.js';
import { diag } from '../../helpers/diag-cli.js';
import { runDiag, sh, until, Workloads } from '../../scenarios/helpers.js';

// test-group: shared (it checks only what it made in its own network namespaces and cgroups (exact counters of its own traffic, rules and kills), never the host's load): it runs beside another file (vitest.config.ts)

/**
 * BPF programs attached in a network namespace of our own, found by diag without kprobes: a tiny
 * XDP program (returns XDP_DROP) compiled here with clang and attached in generic mode to one end
 * of a veth pair, a tc program (TC_ACT_SHOT) on the other end's egress. `diag collect bpfnet`
 * names each program on its interface at the namespace's exact scope (and nothing there before
 * they were attached); the report's `where` lists them. The namespace (and with it the veths and
 * programs) goes when its holder process is killed.
 */
const req = liveRequirement('root', 'cmd:clang', 'cmd:bpftool', 'cmd:ip', 'cmd:tc', 'cmd:unshare', 'cmd:nsenter');
const work = new Workloads();
const dir = mkdtempSync(join(tmpdir(), `diagt-bpfnet-${process.pid}-`));
const IF = `dtb${process.pid % 100000}`;
afterAll(async () => {
  await work.stop();
  rmSync(dir, { recursive: true, force: true });
});

const PROG = `
#define SEC(n) __attribute__((section(n), used))
struct xdp_md;
struct __sk_buff;
SEC("xdp") int diagt_xdp_drop(struct xdp_md *ctx) { return 1; /* XDP_DROP */ }
SEC("tc") int diagt_tc_drop(struct __sk_buff *skb) { return 2; /* TC_ACT_SHOT */ }
char _license[] SEC("license") = "GPL";
`;

const collected = z.object({
  tables: z.object({
    netns_bpf_net: z.object({ status: z.string(), rows: z.array(z.object({ scope: z.string(), labels: z.record(z.string(), z.string()), values: z.record(z.string(), z.number().nullable()) })).optional() }),
  }),
});

async function bpfRows(inode: string) {
  const r = await diag(['collect', 'bpfnet', '--json']);
  const t = collected.parse(JSON.parse(r.stdout)).tables.netns_bpf_net;
  return (t.rows ?? []).filter((x) => x.scope.startsWith(`netns:${inode}/`));
}

describe.skipIf(req.skip)('bpfnet: programs attached to interfaces in our own namespace', () => {
  it('names the XDP and the tc program on their interfaces, and the report lists them under where', async () => {
    writeFileSync(join(dir, 'drop.c'), PROG);
    sh('clang', ['-O2', '-target', 'bpf', '-c', join(dir, 'drop.c'), '-o', join(dir, 'drop.o')]);
    const holder = work.start('unshare', ['--net', '--', 'sleep', '120']);
    const pid = holder.pid!;
    const own = readlinkSync('/proc/self/ns/net');
    await until(() => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`) !== own && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
      } catch {
        return false;
      }
    }, 10_000, 'the namespace holder');
    const inode = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]!;
    const inNs = (cmd: string, args: string[]) => sh('nsenter', ['-t', String(pid), '-n', cmd, ...args]);
    inNs('ip', ['link', 'add', `${IF}a`, 'type', 'veth', 'peer', 'name', `${IF}b`]);
    inNs('ip', ['link', 'set', `${IF}a`, 'up']);
    inNs('ip', ['link', 'set', `${IF}b`, 'up']);

    // before: the namespace is there, no program on it
    expect(await bpfRows(inode)).toEqual([]);

    inNs('ip', ['link', 'set', 'dev', `${IF}a`, 'xdpgeneric', 'obj', join(dir, 'drop.o'), 'sec', 'xdp']);
    inNs('tc', ['qdisc', 'add', 'dev', `${IF}b`, 'clsact']);
    inNs('tc', ['filter', 'add', 'dev', `${IF}b`, 'egress', 'bpf', 'da', 'obj', join(dir, 'drop.o'), 'sec', 'tc']);
    // the kernel's own view, read without diag: the XDP program's id on the interface
    const link = z.array(z.object({ xdp: z.object({ prog: z.object({ id: z.number() }) }).optional() })).parse(JSON.parse(inNs('ip', ['-j', '-d', 'link', 'show', `${IF}a`])));
    const xdpId = link[0]?.xdp?.prog.id;
    expect(xdpId).toBeGreaterThan(0);

    const rows = await bpfRows(inode);
    const a = rows.find((x) => x.scope === `netns:${inode}/interface:${IF}a`);
    const b = rows.find((x) => x.scope === `netns:${inode}/interface:${IF}b`);
    expect(a?.labels.xdp).toBe(`diagt_xdp_drop (id ${xdpId!}, xdp, generic)`);
    expect(a?.values).toMatchObject({ programs: 1, xdp: 1 });
    expect(b?.labels.tc_egress).toMatch(/^diagt_tc_drop \(id \d+, sched_cls\)$/);
    expect(b?.labels.xdp).toBeUndefined();
    expect(rows).toHaveLength(2);

    const r = await runDiag('config');
    expect(String(r.report.where?.bpf)).toContain(`xdp: diagt_xdp_drop (id ${xdpId!}, xdp, generic) on ${IF}a (PID ${pid} (sleep), netns ${inode})`);
    expect(Number(r.report.where?.bpf_programs)).toBeGreaterThanOrEqual(2);
  });
});
