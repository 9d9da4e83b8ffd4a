import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Collector, Row, Sample } from '../../src/core/collector.js';
import { deriveModel } from '../../src/core/derive.js';
import { counter, gauge } from '../../src/core/fields.js';
import { ok, type Outcome } from '../../src/core/outcome.js';
import { evaluatePlaybook } from '../../src/engine/evaluate.js';
import { loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';

/**
 * Culprits of findings seen inside other network namespaces: per-namespace tables (scope
 * netns/<kind>) nest their rows in the namespace, so a container's eth0 qdisc is never described
 * with the host's eth0 qdisc, and a namespace's sockets are the only ones that explain its drops.
 */
const NS = '4026532999';
const OTHER = '4026533000';
const world: Collector = {
  id: 'world',
  title: 'synthetic host with namespaces',
  origin: 'namespaces',
  resources: ['network'],
  inputs: ['/proc/world'],
  tables: {
    w_qdisc: { title: 'host qdiscs', scope: 'qdisc', identity: ['kind'], fields: { drops: counter('drops') } },
    w_ns_qdisc: { title: 'qdiscs in namespaces', scope: 'netns/qdisc', identity: ['kind'], fields: { drops: counter('drops') } },
    w_ns_udp: { title: 'udp per namespace', scope: 'netns', fields: { RcvbufErrors: counter('errors') } },
    w_ns_sock: { title: 'sockets in namespaces', scope: 'netns/socket', relations: { process: 'pid' }, fields: { drops: counter('drops'), rcvbuf: gauge('rcvbuf', 'bytes') } },
    w_nsinv: { title: 'namespaces', scope: 'namespace', fields: { procs: gauge('procs') } },
  },
  collect: () => ({}),
};
const cat = buildCatalogue([world]);

type Tables = Record<string, Outcome<Row[]>>;
const sample = (ms: number, tables: Tables): Sample => {
  const clock = { monoMs: ms, wall: new Date(Date.UTC(2026, 0, 1) + ms).toISOString() };
  return { clock, collectors: { world: ok({ clock, durationMs: 1, tables }) } };
};
const nsLabels = (ns: string) => ({ netns: ns, netns_display: ns === NS ? 'PID 4242 (udp-sink)' : 'other' });
const tables = (t: 0 | 1): Tables => ({
  // the host has an eth0 root qdisc with the same key as the container's
  w_qdisc: ok([{ key: 'eth0 1: root', labels: { dev: 'eth0', kind: 'mq', handle: '1:', parent: 'root' }, values: { drops: 0 } }]),
  w_ns_qdisc: ok([
    { key: `${NS}/eth0 1: root`, labels: { dev: 'eth0', kind: 'tbf', handle: '1:', parent: 'root', ...nsLabels(NS) }, values: { drops: t * 900 } },
    { key: `${OTHER}/eth0 1: root`, labels: { dev: 'eth0', kind: 'pfifo_fast', handle: '1:', parent: 'root', ...nsLabels(OTHER) }, values: { drops: 0 } },
  ]),
  w_ns_udp: ok([
    { key: NS, labels: nsLabels(NS), values: { RcvbufErrors: t * 5000 } },
    { key: OTHER, labels: nsLabels(OTHER), values: { RcvbufErrors: 0 } },
  ]),
  w_ns_sock: ok([
    { key: `${NS}/0.0.0.0:5002 *:* #77`, labels: { pid: '4242', process: 'udp-sink', ...nsLabels(NS) }, values: { drops: t * 5000, rcvbuf: 2304 } },
    // a busier socket elsewhere must not explain this namespace's drops
    { key: `${OTHER}/0.0.0.0:5002 *:* #78`, labels: { pid: '5151', ...nsLabels(OTHER) }, values: { drops: t * 90000, rcvbuf: 2304 } },
  ]),
  w_nsinv: ok([{ key: `net:${NS}`, labels: { type: 'net', inode: NS, name: 'PID 4242 (udp-sink)', cgroups: '/' }, values: { procs: 1 } }]),
});
const model = deriveModel([world], { first: sample(0, tables(0)), second: sample(1000, tables(1)) });

function playbook(checks: string) {
  const dir = mkdtempSync(join(tmpdir(), 'diagt-culprits-ns-'));
  try {
    writeFileSync(join(dir, 'p.yaml'), `schema: diag.playbook/v1\nname: t\ntitle: t\ndescription: t\nresources: [network]\nsources:\n  s: { title: "a source" }\nchecks:\n${checks}`);
    const r = loadPlaybooks(cat, [{ dir, origin: 'dir' }]);
    expect(r.errors.map(String)).toEqual([]);
    return [...r.playbooks.values()][0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('culprits inside network namespaces', () => {
  it('describe a namespace qdisc by its own row, not the host row with the same key', () => {
    const p = playbook(`  - id: q
    resource: network
    kind: saturation
    metric: w_ns_qdisc.drops
    warning: { value: 1, source: s }
    title: "qdisc {label.kind} on {label.dev} in {label.netns_display}: {value}"
    explain: x
`);
    const f = evaluatePlaybook({ playbook: p, model, catalogue: cat }).findings;
    expect(f.map((x) => x.scope)).toEqual([`netns:${NS}/qdisc:eth0 1: root`]);
    expect(f[0]!.title).toBe('qdisc tbf on eth0 in PID 4242 (udp-sink): 900');
    expect(f[0]!.culprits?.[0]).toMatchObject({ entity: { kind: 'qdisc', id: `netns:${NS}/qdisc:eth0 1: root` }, identity: { dev: 'eth0', kind: 'tbf', netns: NS } });
  });

  it('rank only the sockets of the namespace, nested in it, and name the namespace without its inode alone', () => {
    const p = playbook(`  - id: u
    resource: network
    kind: saturation
    metric: w_ns_udp.RcvbufErrors
    warning: { value: 1, source: s }
    title: "u {value}"
    explain: x
    culprits:
      - { table: w_ns_sock, rank_by: drops, min_value: 1, show: [rcvbuf], why: "Sockets dropping" }
`);
    const f = evaluatePlaybook({ playbook: p, model, catalogue: cat }).findings;
    expect(f.map((x) => x.scope)).toEqual([`netns:${NS}`]);
    const c = f[0]!.culprits!;
    expect(c[0]).toMatchObject({ entity: { kind: 'netns', id: `netns:${NS}`, name: `PID 4242 (udp-sink) (netns ${NS})` } });
    expect(c.slice(1).map((x) => [x.entity.id, x.value, x.identity.pid])).toEqual([[`netns:${NS}/socket:0.0.0.0:5002 *:* #77`, 5000, '4242']]);
  });
});
