import type { CollectContext, Collector, Row, TableOutcomes } from '../../../src/core/collector.js';
import { counter, gauge } from '../../../src/core/fields.js';
import { failed, ok, unavailable, type Outcome } from '../../../src/core/outcome.js';
import type { ParseResult } from '../../../src/core/parse-result.js';
import type { Source } from '../../../src/core/source.js';
import { runTool } from '../command.js';
import { filesUnreachable, netnsEntry, procNetPath } from '../netns.js';
import { isDropTarget, parseIptablesSave, type IptablesRuleset } from './parse-iptables.js';
import { isNftDropVerdict, parseNftRuleset, type NftRuleset } from './parse-nft.js';

/** Big rulesets (kube-proxy writes tens of thousands of rules) are still bounded. */
const FIREWALL_MAX_BYTES = 64 * 1024 * 1024;
export const NFT_ARGS = ['-j', 'list', 'ruleset'] as const;
/** Tables iptables-nft creates inside nftables (family ip / ip6). */
const XTABLES_NAMES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

type Backend = 'nft' | 'iptables-legacy' | 'iptables-nft' | 'ip6tables-legacy' | 'ip6tables-nft';

interface BackendResult {
  readonly backend: Backend;
  /** ok: parsed; otherwise why not (not installed, not root, not loaded...). */
  readonly outcome: Outcome<NftRuleset | IptablesRuleset>;
  /** Not looked at, on purpose (e.g. no legacy table is loaded in this namespace). */
  readonly skipped?: string;
  readonly command?: string;
}

async function runParsed<T>(src: Source, cmd: string, args: readonly string[], ns: ReturnType<typeof netnsEntry>, parse: (t: string) => ParseResult<T>): Promise<Outcome<T>> {
  const out = await runTool(src, { cmd, args, ...ns, maxBytes: FIREWALL_MAX_BYTES });
  if (out.status !== 'ok') return out;
  const p = parse(out.value);
  return p.ok ? ok(p.value) : failed('parse', p.error.message, p.error);
}

/** Legacy x_tables list their loaded tables per namespace in /proc/net/ip{,6}_tables_names. */
function legacyTablesLoaded(src: Source, ctx: CollectContext, v6: boolean): boolean | undefined {
  // A namespace held only by a bind mount has no /proc/PID/net to look in: ask the tool.
  if (filesUnreachable(ctx)) return undefined;
  const f = src.readFile(procNetPath(ctx, v6 ? 'ip6_tables_names' : 'ip_tables_names'));
  if (f.status !== 'ok') return f.code === 'not-found' ? false : undefined;
  return f.value.trim().length > 0;
}

async function iptablesBackends(src: Source, ctx: CollectContext, v6: boolean, nft: Outcome<NftRuleset>): Promise<BackendResult[]> {
  const bin = v6 ? 'ip6tables' : 'iptables';
  const legacy: Backend = v6 ? 'ip6tables-legacy' : 'iptables-legacy';
  const viaNft: Backend = v6 ? 'ip6tables-nft' : 'iptables-nft';
  const ns = netnsEntry(ctx);
  const out: BackendResult[] = [];
  let fallbackUsed = false;
  const fallback = async (): Promise<BackendResult | undefined> => {
    // Distributions before iptables 1.8 ship only `iptables-save` (legacy); later ones point it
    // at one backend. Its header says which.
    if (fallbackUsed) return undefined;
    fallbackUsed = true;
    const r = await runParsed(src, `${bin}-save`, ['-c'], ns, parseIptablesSave);
    const backend = r.status === 'ok' && r.value.flavour === 'nf_tables' ? viaNft : legacy;
    return { backend, outcome: r, command: `${bin}-save -c` };
  };

  const loaded = legacyTablesLoaded(src, ctx, v6);
  if (loaded === false) {
    out.push({ backend: legacy, outcome: ok({ flavour: 'legacy', tables: [], chains: [], rules: [], skipped: 0 }), skipped: `no legacy ${bin} table is loaded` });
  } else {
    const r = await runParsed(src, `${bin}-legacy-save`, ['-c'], ns, parseIptablesSave);
    if (r.status !== 'ok' && r.code === 'tool-missing') {
      const f = await fallback();
      if (f) out.push(f);
    } else out.push({ backend: legacy, outcome: r, command: `${bin}-legacy-save -c` });
  }

  const family = v6 ? 'ip6' : 'ip';
  const nftHasXtables = nft.status === 'ok' ? nft.value.tables.some((t) => t.family === family && XTABLES_NAMES.has(t.name)) : undefined;
  if (nftHasXtables === false) {
    out.push({ backend: viaNft, outcome: ok({ flavour: 'nf_tables', tables: [], chains: [], rules: [], skipped: 0 }), skipped: `nftables holds no ${family} filter/nat/mangle/raw/security table` });
  } else {
    const r = await runParsed(src, `${bin}-nft-save`, ['-c'], ns, parseIptablesSave);
    if (r.status !== 'ok' && r.code === 'tool-missing') {
      const f = await fallback();
      if (f && !out.some((o) => o.backend === f.backend)) out.push(f);
      else if (!f) out.push({ backend: viaNft, outcome: r });
    } else out.push({ backend: viaNft, outcome: r, command: `${bin}-nft-save -c` });
  }
  return out;
}

function iptablesRows(backend: Backend, rs: IptablesRuleset): { rules: Row[]; policies: Row[] } {
  const rules: Row[] = [];
  for (const r of rs.rules) {
    if (!isDropTarget(r.target)) continue;
    rules.push({
      key: `${backend}:${r.table}:${r.chain}:${r.index}`,
      labels: { backend, table: r.table, chain: r.chain, index: String(r.index), verdict: r.target!.toLowerCase(), rule: `-A ${r.chain} ${r.spec}`, ...(r.comment !== undefined ? { comment: r.comment } : {}) },
      values: { packets: r.packets, bytes: r.bytes },
    });
  }
  const policies: Row[] = rs.chains
    .filter((c) => c.policy !== undefined)
    .map((c) => ({ key: `${backend}:${c.table}:${c.name}`, labels: { backend, table: c.table, chain: c.name, policy: c.policy!.toLowerCase() }, values: { packets: c.packets, bytes: c.bytes } }));
  return { rules, policies };
}

function nftRows(rs: NftRuleset, coveredByIptables: ReadonlySet<string>): { rules: Row[]; policies: Row[]; ruleCount: number; dropCount: number } {
  const rules: Row[] = [];
  let ruleCount = 0;
  for (const r of rs.rules) {
    if (coveredByIptables.has(`${r.family} ${r.table}`)) continue;
    ruleCount++;
    if (!isNftDropVerdict(r.verdict)) continue;
    rules.push({
      key: `nft:${r.family} ${r.table}:${r.chain}:${r.handle}`,
      labels: { backend: 'nft', table: `${r.family} ${r.table}`, chain: r.chain, index: String(r.index), handle: String(r.handle), verdict: r.verdict!, rule: r.text, ...(r.comment !== undefined ? { comment: r.comment } : {}), ...(r.hasCounter ? {} : { counter: 'none' }) },
      values: { packets: r.packets, bytes: r.bytes },
    });
  }
  const policies: Row[] = rs.chains
    .filter((c) => c.hook !== undefined && c.policy !== undefined && !coveredByIptables.has(`${c.family} ${c.table}`))
    .map((c) => ({ key: `nft:${c.family} ${c.table}:${c.name}`, labels: { backend: 'nft', table: `${c.family} ${c.table}`, chain: c.name, hook: c.hook!, policy: c.policy! }, values: { packets: undefined, bytes: undefined } }));
  return { rules, policies, ruleCount, dropCount: rules.length };
}

export const firewallCollector: Collector = {
  id: 'firewall',
  title: 'Firewall rules that drop or reject, with hit counters, and chain policies (nft, iptables legacy and nft)',
  origin: 'commands',
  resources: ['network'],
  inputs: [`nft ${NFT_ARGS.join(' ')}`, 'iptables-legacy-save -c', 'iptables-nft-save -c', 'ip6tables-legacy-save -c', 'ip6tables-nft-save -c', 'iptables-save -c (fallback)', '/proc/net/ip_tables_names', '/proc/net/ip6_tables_names'],
  netns: true,
  tables: {
    firewall_rules: {
      title: 'Rules that drop or reject packets (key backend:table:chain:position; nft: rule handle)',
      scope: 'rule',
      identity: ['rule'],
      fields: {
        packets: counter('packets that hit the rule'),
        bytes: counter('bytes that hit the rule', 'bytes'),
      },
    },
    firewall_policies: {
      title: 'Base chain policies (iptables counts packets that fell through to the policy)',
      scope: 'chain',
      identity: ['policy'],
      fields: {
        packets: counter('packets handled by the chain policy'),
        bytes: counter('bytes handled by the chain policy', 'bytes'),
      },
    },
    firewall_backends: {
      title: 'Firewall backends examined',
      scope: 'backend',
      fields: {
        rules: gauge('rules'),
        drop_rules: gauge('rules that drop or reject'),
        chains: gauge('chains'),
      },
    },
  },
  async collect(src: Source, ctx: CollectContext): Promise<TableOutcomes> {
    const nft = await runParsed(src, 'nft', NFT_ARGS, netnsEntry(ctx), parseNftRuleset);
    const [v4, v6] = await Promise.all([iptablesBackends(src, ctx, false, nft), iptablesBackends(src, ctx, true, nft)]);
    const results: BackendResult[] = [{ backend: 'nft', outcome: nft, command: `nft ${NFT_ARGS.join(' ')}` }, ...v4, ...v6];

    // iptables-nft rules live in nftables too: show them once, in iptables syntax.
    const covered = new Set<string>();
    for (const r of results) {
      if ((r.backend === 'iptables-nft' || r.backend === 'ip6tables-nft') && r.outcome.status === 'ok' && 'flavour' in r.outcome.value) {
        for (const t of r.outcome.value.tables) covered.add(`${r.backend === 'iptables-nft' ? 'ip' : 'ip6'} ${t}`);
      }
    }
    const rules: Row[] = [];
    const policies: Row[] = [];
    const backends: Row[] = [];
    let firstBad: Outcome<Row[]> | undefined;
    for (const r of results) {
      const o = r.outcome;
      if (o.status !== 'ok') {
        firstBad ??= o;
        backends.push({ key: r.backend, labels: { backend: r.backend, status: o.status, reason: o.reason, ...(r.command ? { command: r.command } : {}) }, values: {} });
        continue;
      }
      if ('flavour' in o.value) {
        const x = iptablesRows(r.backend, o.value);
        rules.push(...x.rules);
        policies.push(...x.policies);
        backends.push({ key: r.backend, labels: { backend: r.backend, status: r.skipped ? 'skipped' : 'ok', ...(r.skipped ? { reason: r.skipped } : {}), ...(r.command ? { command: r.command } : {}) }, values: r.skipped ? {} : { rules: o.value.rules.length, drop_rules: x.rules.length, chains: o.value.chains.length } });
      } else {
        const x = nftRows(o.value, covered);
        rules.push(...x.rules);
        policies.push(...x.policies);
        backends.push({ key: r.backend, labels: { backend: r.backend, status: 'ok', ...(o.value.version ? { version: o.value.version } : {}), ...(r.command ? { command: r.command } : {}) }, values: { rules: x.ruleCount, drop_rules: x.dropCount, chains: o.value.chains.filter((c) => !covered.has(`${c.family} ${c.table}`)).length } });
      }
    }
    const anyOk = results.some((r) => r.outcome.status === 'ok' && !r.skipped);
    const none = firstBad ?? unavailable('not-found', 'no firewall backend could be read');
    return {
      firewall_rules: anyOk ? ok(rules) : none,
      firewall_policies: anyOk ? ok(policies) : none,
      firewall_backends: ok(backends),
    };
  },
};
