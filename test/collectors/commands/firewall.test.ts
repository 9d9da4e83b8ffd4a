import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { iptablesWords, parseIptablesSave, type IptablesRuleset } from '../../../collectors/commands/firewall/parse-iptables.js';
import { parseNftRuleset, type NftRuleset } from '../../../collectors/commands/firewall/parse-nft.js';
import { firewallCollector, NFT_ARGS } from '../../../collectors/commands/firewall/collector.js';
import { deriveModel } from '../../../src/core/derive.js';
import { collectWindow } from '../../../src/core/sampler.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/firewall/${name}`, import.meta.url), 'utf8');
const legacy189 = fx('iptables-legacy-save-1.8.9.txt');
const nft189 = fx('iptables-nft-save-1.8.9.txt');
const centos7 = fx('iptables-save-1.4.21-centos7.txt');
const nftJson = fx('nft-ruleset-1.0.6.json');

function ipt(text: string): IptablesRuleset {
  const r = parseIptablesSave(text);
  if (!r.ok) throw r.error;
  return r.value;
}
function nft(text: string): NftRuleset {
  const r = parseNftRuleset(text);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('parseIptablesSave', () => {
  it('reads iptables-legacy-save 1.8.9 from a test namespace: policies, counters, positions, quoted comments', () => {
    const r = ipt(legacy189);
    expect(r.flavour).toBe('unknown'); // legacy-save 1.8.9 prints no backend tag
    expect(r.chains.find((c) => c.name === 'FORWARD')).toEqual({ table: 'filter', name: 'FORWARD', policy: 'DROP', packets: 0, bytes: 0 });
    expect(r.chains.find((c) => c.name === 'MYCHAIN')!.policy).toBeUndefined();
    expect(r.rules.map((x) => [x.chain, x.index, x.target])).toEqual([['INPUT', 1, 'DROP'], ['INPUT', 2, 'MYCHAIN'], ['MYCHAIN', 1, 'REJECT']]);
    expect(r.rules[1]).toMatchObject({ packets: 9, bytes: 3543, comment: 'a "quoted" comment' });
    expect(r.rules[2]!.spec).toBe('-p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset');
  });
  it('reads iptables-nft-save 1.8.9 with its nf_tables tag and two tables', () => {
    const r = ipt(nft189);
    expect(r.flavour).toBe('nf_tables');
    expect(r.tables).toEqual(['mangle', 'filter']);
    expect(r.rules.find((x) => x.table === 'filter' && x.chain === 'INPUT')).toMatchObject({ packets: 6, bytes: 180, target: 'DROP', index: 1 });
  });
  it('reads iptables-save 1.4.21 (CentOS 7, docker and kube-proxy chains)', () => {
    const r = ipt(centos7);
    expect(r.tables).toEqual(['nat', 'filter']);
    const kube = r.rules.find((x) => x.chain === 'KUBE-SERVICES')!;
    expect(kube).toMatchObject({ packets: 7, bytes: 420, target: 'REJECT', comment: 'default/web:http has no endpoints' });
    expect(r.rules.filter((x) => x.table === 'filter' && x.chain === 'INPUT').map((x) => x.index)).toEqual([1, 2, 3, 4]);
    expect(r.chains.find((c) => c.table === 'filter' && c.name === 'FORWARD')).toMatchObject({ policy: 'DROP', packets: 57 });
  });
  it('splits quoted words as iptables writes them', () => {
    expect(iptablesWords('-m comment --comment "a \\"b\\" c" -j DROP')).toEqual(['-m', 'comment', '--comment', 'a "b" c', '-j', 'DROP']);
    expect(iptablesWords('--comment ""')).toEqual(['--comment', '']);
  });
  it('treats empty output as no tables and rejects garbage; truncation keeps what arrived', () => {
    expect(ipt('').rules).toEqual([]);
    expect(parseIptablesSave('iptables: command not found\n').ok).toBe(false);
    const cut = ipt(legacy189.slice(0, legacy189.indexOf('[0:0] -A MYCHAIN') + 16));
    expect(cut.rules.map((r) => r.chain)).toEqual(['INPUT', 'INPUT', 'MYCHAIN']);
    expect(cut.rules[2]!.target).toBeUndefined();
    expect(ipt('*filter\n[x:y] -A INPUT -j DROP\n').rules[0]).toMatchObject({ packets: undefined, target: 'DROP' });
  });
  it('survives fuzzing', () => fuzzParser(parseIptablesSave, [legacy189, nft189, centos7]));
});

describe('parseNftRuleset', () => {
  it('reads tables, base chains with policies, and every rule with verdict, counter and text', () => {
    const r = nft(nftJson);
    expect(r.version).toBe('1.0.6');
    expect(r.chains.find((c) => c.name === 'forwarding')).toMatchObject({ family: 'inet', table: 'diagt_filter', hook: 'forward', policy: 'drop' });
    const input = r.rules.filter((x) => x.table === 'diagt_filter' && x.chain === 'input');
    expect(input.map((x) => x.verdict)).toEqual(['drop', 'reject', 'reject', 'drop', 'drop', 'accept', 'accept']);
    expect(input[0]).toMatchObject({ packets: 3, bytes: 87, comment: 'discard port', text: 'udp dport 9 counter drop', index: 1 });
    expect(input[1]!.text).toBe('ip saddr @blocked counter reject with icmp port-unreachable');
    expect(input[3]!.text).toBe('iifname "weird name" counter drop');
    expect(input[4]).toMatchObject({ hasCounter: false, packets: undefined, text: 'ct state invalid drop' });
    expect(r.rules.find((x) => x.chain === 'mychain' && x.verdict === 'jump')!.target).toBe('other');
    // iptables-nft's rule as nftables sees it: an xt REJECT target
    expect(r.rules.find((x) => x.table === 'filter' && x.chain === 'OUTPUT')).toMatchObject({ verdict: 'reject', packets: 5 });
  });
  it('resolves named counters and flags verdict maps that drop', () => {
    const doc = { nftables: [
      { counter: { family: 'inet', name: 'c1', table: 't', handle: 3, packets: 42, bytes: 4200 } },
      { rule: { family: 'inet', table: 't', chain: 'c', handle: 4, expr: [{ counter: 'c1' }, { drop: null }] } },
      { rule: { family: 'inet', table: 't', chain: 'c', handle: 5, expr: [{ vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: { set: [[22, { accept: null }], [23, { drop: null }]] } } }] } },
    ] };
    const r = nft(JSON.stringify(doc));
    expect(r.rules[0]).toMatchObject({ verdict: 'drop', packets: 42, bytes: 4200, text: 'counter name c1 drop' });
    expect(r.rules[1]!.verdict).toBe('vmap-drop');
  });
  it('treats empty output as an empty ruleset and rejects non-JSON or other shapes', () => {
    expect(nft('').rules).toEqual([]);
    expect(parseNftRuleset('{"foo": 1}').ok).toBe(false);
    expect(parseNftRuleset(nftJson.slice(0, 500)).ok).toBe(false);
    expect(nft('{"nftables":[{"rule":{"family":"ip"}}]}').skipped).toBe(1);
  });
  it('survives fuzzing', () => fuzzParser(parseNftRuleset, [nftJson]));
});

describe('firewall collector on recorded output', () => {
  const rec = (cmd: string, args: readonly string[], stdout: string) => ({ [`commands/${commandKey({ cmd, args })}.json`]: { stdout, stderr: '', exitCode: 0 } });
  const tree = (nftText: string, legacyText: string, ms: number) => fixtureTree({ '/proc/net/ip_tables_names': 'filter\n', '/proc/net/ip6_tables_names': '' }, {
    ...rec('nft', NFT_ARGS, nftText),
    ...rec('iptables-legacy-save', ['-c'], legacyText),
    ...rec('iptables-nft-save', ['-c'], nft189),
    'clock.json': { monoMs: ms, wall: 'x' },
  });
  it('lists drop/reject rules of every backend once, with hit rates, and chain policies', async () => {
    const a = tree(nftJson, legacy189, 0);
    const b = tree(nftJson.replace('"packets": 3, "bytes": 87', '"packets": 13, "bytes": 377'), legacy189.replace('[0:0] -A INPUT -p udp', '[20:580] -A INPUT -p udp'), 2000);
    try {
      const m = deriveModel([firewallCollector], await collectWindow([firewallCollector], [a.source, b.source], 2000));
      const rules = m.tables.firewall_rules!.rows;
      expect(rules.status).toBe('ok');
      if (rules.status !== 'ok') return;
      const keys = rules.value.map((r) => r.key);
      expect(keys).toContain('iptables-legacy:filter:INPUT:1');
      expect(keys).toContain('iptables-legacy:filter:MYCHAIN:1');
      expect(keys).toContain('iptables-nft:filter:OUTPUT:1');
      expect(keys).toContain('nft:inet diagt_filter:input:6');
      // ip filter is shown in iptables syntax only, not again as nft
      expect(keys.filter((k) => k.startsWith('nft:ip filter'))).toEqual([]);
      const nftDrop = rules.value.find((r) => r.key === 'nft:inet diagt_filter:input:6')!;
      expect(nftDrop.values.packets).toBe(5);
      expect(nftDrop.deltas.packets).toBe(10);
      expect(nftDrop.labels.rule).toBe('udp dport 9 counter drop');
      expect(rules.value.find((r) => r.key === 'iptables-legacy:filter:INPUT:1')!.values.packets).toBe(10);
      const pol = m.tables.firewall_policies!.rows;
      expect(pol.status === 'ok' && pol.value.find((r) => r.key === 'nft:inet diagt_filter:forwarding')!.labels.policy).toBe('drop');
      expect(pol.status === 'ok' && pol.value.find((r) => r.key === 'iptables-legacy:filter:FORWARD')!.labels.policy).toBe('drop');
      const be = m.tables.firewall_backends!.rows;
      expect(be.status === 'ok' && be.value.map((r) => `${r.key}=${r.labels.status}`)).toEqual(['nft=ok', 'iptables-legacy=ok', 'iptables-nft=ok', 'ip6tables-legacy=skipped', 'ip6tables-nft=skipped']);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
  it('is unavailable with "run diag as root" when nothing can be read', async () => {
    const deny = { stdout: '', stderr: 'Operation not permitted (you must be root)\n', exitCode: 1 };
    const t = fixtureTree({}, {
      [`commands/${commandKey({ cmd: 'nft', args: NFT_ARGS })}.json`]: { stdout: '', stderr: 'netlink: Error: cache initialization failed: Operation not permitted\n', exitCode: 1 },
      ...Object.fromEntries(['iptables-legacy-save', 'iptables-nft-save', 'ip6tables-legacy-save', 'ip6tables-nft-save'].map((c) => [`commands/${commandKey({ cmd: c, args: ['-c'] })}.json`, deny])),
    });
    try {
      const out = await firewallCollector.collect(t.source, { sampleIndex: 0 });
      expect(out.firewall_rules).toMatchObject({ status: 'unavailable', hint: 'run diag as root' });
    } finally {
      t.cleanup();
    }
  });
  it('falls back to iptables-save when the split binaries are missing (iptables < 1.8)', async () => {
    const missing = (c: string) => ({ [`commands/${commandKey({ cmd: c, args: ['-c'] })}.json`]: { status: 'unavailable', reason: `${c} is not installed`, hint: 'apt-get install iptables' } });
    const t = fixtureTree({ '/proc/net/ip_tables_names': 'filter\nnat\n' }, {
      [`commands/${commandKey({ cmd: 'nft', args: NFT_ARGS })}.json`]: { status: 'unavailable', reason: 'nft is not installed', hint: 'apt-get install nftables' },
      ...missing('iptables-legacy-save'), ...missing('iptables-nft-save'), ...missing('ip6tables-legacy-save'), ...missing('ip6tables-nft-save'), ...missing('ip6tables-save'),
      ...rec('iptables-save', ['-c'], centos7),
    });
    try {
      const out = await firewallCollector.collect(t.source, { sampleIndex: 0 });
      const rules = out.firewall_rules!;
      expect(rules.status === 'ok' && rules.value.map((r) => r.key)).toEqual(['iptables-legacy:filter:INPUT:2', 'iptables-legacy:filter:INPUT:4', 'iptables-legacy:filter:KUBE-SERVICES:1']);
    } finally {
      t.cleanup();
    }
  });
});
