import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cgroupPathOf, interfaceRows } from '../../../collectors/commands/bpfnet/collector.js';
import { parseBpfProgs, parseBpftoolCgroupTree, parseBpftoolNet, parseBpftoolPerf } from '../../../collectors/commands/bpfnet/parse.js';
import { bpfWhere } from '../../../src/engine/where.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/bpfnet/${name}`, import.meta.url), 'utf8');

describe('bpftool parsers', () => {
  it('reads the programs and their attachments (captured in a test namespace on 6.18)', () => {
    const progs = parseBpfProgs(fx('prog-show-6.18.json'));
    if (!progs.ok) throw progs.error;
    expect(progs.value.get(834)).toEqual({ id: 834, type: 'xdp', name: 'diag_xdp_drop', tag: 'b11459a0e11ca14c' });
    const net = parseBpftoolNet(fx('net-6.18.json'));
    if (!net.ok) throw net.error;
    expect(net.value).toEqual({
      attachments: [
        { iface: 'dtx0', attach: 'xdp', mode: 'generic', progId: 834, name: undefined },
        { iface: 'dtx1', attach: 'tc clsact/ingress', mode: undefined, progId: 838, name: 'drop.o:[tc]' },
      ],
      skipped: 0,
    });
    expect(parseBpftoolNet(fx('net-empty-6.18.json'))).toEqual({ ok: true, value: { attachments: [], skipped: 0 } });
    const rows = interfaceRows(net.value.attachments, progs.value);
    expect(rows).toEqual([
      { key: 'dtx0', labels: { xdp: 'diag_xdp_drop (id 834, xdp, generic)', attached: 'xdp: diag_xdp_drop (id 834, xdp, generic)' }, values: { programs: 1, xdp: 1 } },
      { key: 'dtx1', labels: { tc_ingress: 'diag_tc_drop (id 838, sched_cls)', attached: 'tc clsact/ingress: diag_tc_drop (id 838, sched_cls)' }, values: { programs: 1, xdp: 0 } },
    ]);
  });

  it('reads cgroup and perf attachments; skips elements of another shape; refuses what is not a JSON array', () => {
    const cg = parseBpftoolCgroupTree(fx('cgroup-tree-synthetic.json'));
    if (!cg.ok) throw cg.error;
    expect(cg.value.attachments.map((a) => [cgroupPathOf(a.cgroupPath, '/sys/fs/cgroup/unified'), a.attachType, a.progId])).toEqual([
      ['/system.slice/web.service', 'cgroup_inet_ingress', 101],
      ['/system.slice/web.service', 'cgroup_inet_egress', 102],
      ['/', 'cgroup_device', 103],
    ]);
    const perf = parseBpftoolPerf(fx('perf-synthetic.json'));
    if (!perf.ok) throw perf.error;
    expect(perf.value.attachments.map((a) => [a.pid, a.kind, a.target])).toEqual([
      [4242, 'tracepoint', 'sched_switch'],
      [4242, 'kprobe', 'tcp_drop'],
      [4243, 'uprobe', '/usr/bin/bash'],
    ]);
    expect(parseBpftoolNet('[{"xdp":[{"devname":"x"}]}]')).toEqual({ ok: true, value: { attachments: [], skipped: 1 } });
    expect(parseBpftoolNet('{"xdp":[]}').ok).toBe(false);
    expect(parseBpfProgs('not json').ok).toBe(false);
    for (const [p, seed] of [[parseBpfProgs, 'prog-show-6.18.json'], [parseBpftoolNet, 'net-6.18.json'], [parseBpftoolCgroupTree, 'cgroup-tree-synthetic.json'], [parseBpftoolPerf, 'perf-synthetic.json']] as const) {
      fuzzParser(p as (t: string) => ReturnType<typeof parseBpftoolNet>, [fx(seed)], 200);
    }
  });

  it("where: every attachment with its interface and namespace, counted; nothing when bpftool could not tell", () => {
    const w = bpfWhere({
      bpf_net: { status: 'ok', value: [] },
      netns_bpf_net: { status: 'ok', value: [{ key: '4026532174/dtx0', labels: { attached: 'xdp: p (id 7, xdp, generic)', netns: '4026532174', netns_display: 'PID 42 (sleep)' }, values: { programs: 1 } }] },
      bpf_cgroup: { status: 'ok', value: [{ key: '/a', labels: { attached: 'cgroup_inet_ingress: q (id 8, cgroup_skb)' }, values: { programs: 1 } }] },
      bpf_perf: { status: 'ok', value: [] },
    });
    expect(w).toEqual({ bpf_programs: 2, bpf: 'xdp: p (id 7, xdp, generic) on dtx0 (PID 42 (sleep), netns 4026532174); cgroup_inet_ingress: q (id 8, cgroup_skb) on cgroup /a' });
    expect(bpfWhere({ bpf_net: { status: 'unavailable' } })).toEqual({});
    expect(bpfWhere({ bpf_net: { status: 'ok', value: [] } })).toEqual({ bpf_programs: 0 });
  });
});
