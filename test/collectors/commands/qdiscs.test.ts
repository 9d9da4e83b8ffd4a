import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTcClassText, parseTcQdiscJson, parseTcQdiscText, type Qdisc } from '../../../collectors/commands/qdiscs/parse.js';
import { qdiscsCollector, tcClassArgs, TC_JSON_ARGS, TC_TEXT_ARGS } from '../../../collectors/commands/qdiscs/collector.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/tc/${name}`, import.meta.url), 'utf8');
const htbJson = fx('qdisc-htb-tbf-6.1.json');
const htbText = fx('qdisc-htb-tbf-6.1.txt');
const hostJson = fx('qdisc-host-6.1.json');
const hostText = fx('qdisc-host-6.1.txt');
const mqJson = fx('qdisc-mq-fq_codel-5.10.json');
const classText = fx('class-htb-6.1.txt');
const htbPfifoJson = fx('qdisc-htb-pfifo-6.1.json');

function qdiscs(r: ReturnType<typeof parseTcQdiscJson>): Qdisc[] {
  if (!r.ok) throw r.error;
  return r.value.qdiscs;
}

describe('parseTcQdiscJson', () => {
  it('reads a tbf under htb that dropped (captured in a test namespace on this host)', () => {
    const q = qdiscs(parseTcQdiscJson(htbJson));
    expect(q.map((x) => `${x.dev} ${x.kind} ${x.handle} ${x.parent}`)).toEqual(['lo bfifo 5: root', 'dcap-a htb 1: root', 'dcap-a tbf 10: 1:10', 'dcap-a ingress ffff: ffff:fff1']);
    expect(q[2]).toMatchObject({ bytes: 9420, packets: 10, drops: 31433, overlimits: 31460, requeues: 0, backlogBytes: 3126, backlogPackets: 3 });
  });
  it('reads the host default qdiscs and mq with fq_codel children sharing handle 0:', () => {
    expect(qdiscs(parseTcQdiscJson(hostJson)).map((x) => x.kind)).toEqual(['noqueue', 'pfifo_fast']);
    const mq = qdiscs(parseTcQdiscJson(mqJson));
    expect(mq.filter((x) => x.dev === 'eth0' && x.handle === '0:').map((x) => x.parent)).toEqual(['root', ':2', ':1']);
    expect(mq[0]!.drops).toBe(12);
  });
  it('treats empty output as no qdiscs and rejects non-JSON or wrong shapes', () => {
    expect(parseTcQdiscJson('')).toEqual({ ok: true, value: { qdiscs: [], skipped: 0 } });
    expect(parseTcQdiscJson('[{"kind": 3}]').ok).toBe(false);
    expect(parseTcQdiscJson('{"kind":"x"}').ok).toBe(false);
    expect(parseTcQdiscJson(htbJson.slice(0, 200)).ok).toBe(false);
  });
  it('skips a malformed entry but keeps the rest; a negative counter is not a count', () => {
    const r = parseTcQdiscJson('[{"kind":"pfifo","handle":"1:","dev":"a","root":true,"drops":-1},{"kind":"pfifo","handle":"1:","dev":"b","root":true,"drops":4}]');
    expect(r.ok && r.value.skipped).toBe(1);
    expect(qdiscs(r).map((x) => x.dev)).toEqual(['b']);
  });
  it('leaves counters an entry lacks undefined', () => {
    const q = qdiscs(parseTcQdiscJson('[{"kind":"noqueue","handle":"0:","dev":"lo","root":true}]'));
    expect(q[0]!.drops).toBeUndefined();
  });
  it('survives fuzzing', () => fuzzParser(parseTcQdiscJson, [htbJson, mqJson, hostJson]));
});

describe('parseTcQdiscText (tc without JSON)', () => {
  it('reads the same numbers as the JSON', () => {
    const t = parseTcQdiscText(htbText);
    expect(t.ok && t.value.qdiscs).toEqual(qdiscs(parseTcQdiscJson(htbJson)));
    const h = parseTcQdiscText(hostText);
    expect(h.ok && h.value.qdiscs.map((x) => [x.dev, x.kind, x.requeues])).toEqual([['lo', 'noqueue', 0], ['eth0', 'pfifo_fast', qdiscs(parseTcQdiscJson(hostJson))[1]!.requeues]]);
  });
  it('reads tc rounded backlog sizes', () => {
    const t = parseTcQdiscText('qdisc pfifo 1: dev x root refcnt 2 limit 10p\n Sent 5 bytes 1 pkt (dropped 2, overlimits 0 requeues 0)\n backlog 2Kb 2p requeues 0\n');
    expect(t.ok && t.value.qdiscs[0]).toMatchObject({ drops: 2, backlogBytes: 2048, backlogPackets: 2 });
  });
  it('rejects garbage and keeps truncated stats missing', () => {
    expect(parseTcQdiscText('Option "-s" is unknown\n').ok).toBe(false);
    const t = parseTcQdiscText('qdisc tbf 10: dev a parent 1:10 rate 1Mbit\n Sent 9420 bytes');
    expect(t.ok && t.value.qdiscs[0]!.drops).toBeUndefined();
  });
  it('survives fuzzing', () => fuzzParser(parseTcQdiscText, [htbText, hostText]));
});

describe('parseTcClassText', () => {
  it('reads htb classes with parent, leaf and stats (captured on this host); tbf\'s stat-less pseudo class is left out', () => {
    const r = parseTcClassText(classText);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.classes.map((c) => `${c.classid} ${c.parent} ${c.leaf ?? '-'}`)).toEqual(['1:10 1:1 10:', '1:1 root -', '1:20 1:1 20:']);
    expect(r.value.classes[2]).toMatchObject({ kind: 'htb', drops: 3318, overlimits: 11, packets: 12, backlogBytes: 4168, backlogPackets: 4 });
  });
  it('treats empty output as no classes, rejects garbage, keeps truncated stats missing', () => {
    expect(parseTcClassText('')).toEqual({ ok: true, value: { classes: [], skipped: 0 } });
    expect(parseTcClassText('Cannot find device "x"\n').ok).toBe(false);
    const cut = parseTcClassText(classText.slice(0, classText.indexOf('backlog')));
    expect(cut.ok && cut.value.classes[0]!.backlogBytes).toBeUndefined();
  });
  it('survives fuzzing', () => fuzzParser(parseTcClassText, [classText]));
});

describe('qdiscs collector on recorded output', () => {
  it('reads the classes of devices with a classful qdisc, one tc per device', async () => {
    const t = fixtureTree({}, {
      [`commands/${commandKey({ cmd: 'tc', args: TC_JSON_ARGS })}.json`]: { stdout: htbPfifoJson, stderr: '', exitCode: 0 },
      [`commands/${commandKey({ cmd: 'tc', args: tcClassArgs('lo') })}.json`]: { stdout: classText, stderr: '', exitCode: 0 },
    });
    try {
      const out = await qdiscsCollector.collect(t.source, { sampleIndex: 0 });
      const c = out.qdisc_classes!;
      expect(c.status === 'ok' && c.value.map((r) => r.key)).toEqual(['lo 1:10', 'lo 1:1', 'lo 1:20']);
      expect(c.status === 'ok' && c.value[2]).toMatchObject({ labels: { dev: 'lo', kind: 'htb', parent: '1:1', leaf: '20:' }, values: { drops: 3318 } });
    } finally {
      t.cleanup();
    }
  });
  const rec = (args: readonly string[], answer: object) => ({ [`commands/${commandKey({ cmd: 'tc', args })}.json`]: answer });
  it('computes drop rates and drop % over a window', async () => {
    const one = (drops: number, packets: number) => JSON.stringify([{ kind: 'tbf', handle: '10:', dev: 'v', parent: '1:10', bytes: packets * 100, packets, drops, overlimits: drops, requeues: 0, backlog: 0, qlen: 0 }]);
    const a = fixtureTree({}, { ...rec(TC_JSON_ARGS, { stdout: one(100, 1000), stderr: '', exitCode: 0 }), 'clock.json': { monoMs: 0, wall: 'x' } });
    const b = fixtureTree({}, { ...rec(TC_JSON_ARGS, { stdout: one(400, 1100), stderr: '', exitCode: 0 }), 'clock.json': { monoMs: 1000, wall: 'y' } });
    try {
      const m = deriveModel([qdiscsCollector], await collectWindow([qdiscsCollector], [a.source, b.source], 1000));
      const rows = m.tables.qdiscs!.rows;
      expect(rows.status === 'ok' && rows.value[0]).toMatchObject({ key: 'v 10: 1:10', scope: 'qdisc:v 10: 1:10', values: { drops: 300, packets: 100, drop_pct: 75 } });
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('falls back to text when tc has no -j', async () => {
    const a = fixtureTree({}, {
      ...rec(TC_JSON_ARGS, { stdout: '', stderr: 'Option "-j" is unknown, try "tc -help".\n', exitCode: 255 }),
      ...rec(TC_TEXT_ARGS, { stdout: htbText, stderr: '', exitCode: 0 }),
    });
    try {
      const out = await qdiscsCollector.collect(a.source, { sampleIndex: 0 });
      expect(out.qdiscs!.status === 'ok' && out.qdiscs!.value.length).toBe(4);
    } finally {
      a.cleanup();
    }
  });
});
