/**
 * Which `ethtool -S` counters mean trouble. Drivers name their counters freely; these patterns
 * cover the common families (virtio_net, ixgbe/igb/e1000e, i40e/ice, mlx5, bnxt_en, ena, veth)
 * and fall back to "other". Per-queue counters (rx0_drops, rx_queue_3_drops, tx-2.tx_busy,
 * "[1]: rx_discards", ch4_...) are recognised so totals are not counted twice.
 */
export const TROUBLE_CLASSES = [
  'rx_missed',
  'rx_no_buffer',
  'rx_fifo',
  'rx_dropped',
  'rx_crc',
  'rx_errors',
  'tx_errors',
  'tx_dropped',
  'tx_busy',
  'pause',
  'xdp_drop',
] as const;
export type TroubleClass = (typeof TROUBLE_CLASSES)[number];

export interface CounterClass {
  /** A trouble class, or "other" for counters that are just traffic or bookkeeping. */
  readonly cls: TroubleClass | 'other';
  /** Queue/ring/channel number for a per-queue counter. */
  readonly queue: number | undefined;
  /** The name with the queue part removed ("rx_queue_3_drops" -> "rx_drops"). */
  readonly base: string;
}

const QUEUE_PATTERNS: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^\[(\d+)\]:\s*(.+)$/, (m) => m[2]!], // bnxt_en: "[3]: rx_discards"
  [/^(rx|tx)_queue_(\d+)_(.+)$/, (m) => `${m[1]}_${m[3]}`], // virtio_net (older), ixgbe, veth
  [/^queue_(\d+)_(rx|tx)_(.+)$/, (m) => `${m[2]}_${m[3]}`], // ena
  [/^(rx|tx)-(\d+)\.(?:(?:rx|tx)_)?(.+)$/, (m) => `${m[1]}_${m[3]}`], // i40e/ice: "rx-3.rx_packets"
  [/^(rx|tx|ch|xdpsq|rq|sq)(\d+)_(.+)$/, (m) => `${m[1] === 'ch' ? '' : `${m[1]}_`}${m[3]}`], // mlx5, virtio_net (6.x)
];

function splitQueue(name: string): { base: string; queue: number | undefined } {
  for (const [re, base] of QUEUE_PATTERNS) {
    const m = re.exec(name);
    if (!m) continue;
    const q = m.slice(1).find((g) => /^\d+$/.test(g));
    return { base: base(m), queue: q === undefined ? undefined : Number(q) };
  }
  return { base: name, queue: undefined };
}

/** Checked before anything else: these classes hide inside names that look like traffic. */
const FIRST: ReadonlyArray<[RegExp, TroubleClass]> = [
  [/xdp.*drop|xdp_tx_err|xdp_redirect_err/, 'xdp_drop'],
  [/(^|_|\.)(pause|xoff|pxoff)(_|$)|flow_control_xoff|pfc.*(pause|xoff)/, 'pause'],
];

/** Ordered: the first matching rule wins. Patterns see the lower-cased base name. */
const RULES: ReadonlyArray<[RegExp, TroubleClass | 'other']> = [
  [/missed_irq|_good$|_ok$|corrected|^corr_/, 'other'],
  [/missed/, 'rx_missed'],
  [/no_buffer|out_of_buffer|no_dma_resources|buff?_alloc_err|alloc_rx_(buff|page)_failed|rx_alloc_fail|page_alloc_fail|pg_alloc_fail|rx_dma_failed|buf_errors|rx_oom/, 'rx_no_buffer'],
  [/^(port\.)?rx_(fifo|over)_?errors$|^rx_fifo|rx_overrun/, 'rx_fifo'],
  [/crc|fcs/, 'rx_crc'],
  [/tx_.*(busy|restart_queue|stopped)|queue_stopped|queue_wake_err/, 'tx_busy'],
  [/bw_out_allowance_exceeded/, 'tx_dropped'],
  [/allowance_exceeded/, 'rx_dropped'],
  [/^(port\.)?tx_.*(drop|discard)|tx_queue_dropped/, 'tx_dropped'],
  [/^(port\.)?tx_.*(err|abort|carrier|heartbeat|window|timeout|recover)/, 'tx_errors'],
  [/^(port\.)?rx_.*(drop|discard)|steer_missed|^drops?$/, 'rx_dropped'],
  [/^(port\.)?rx_.*(err|length|frame|jabber|undersize|oversize|fragment|symbol|align|runt|illegal|bad)/, 'rx_errors'],
  [/illegal_bytes|mac_(local|remote)_faults|(^|_)errors?$|_err_|_errs?$/, 'rx_errors'],
  [/drop|discard/, 'rx_dropped'],
];

/** Counters that are levels or identities, not events (kept, never rated as trouble). */
const NOT_COUNTERS = /^(peer_ifindex|link_speed|.*_(size|len|limit|max|min|num|count_max))$/;

export function classifyCounter(name: string): CounterClass {
  const { base, queue } = splitQueue(name.trim());
  const lower = base.toLowerCase();
  if (NOT_COUNTERS.test(lower)) return { cls: 'other', queue, base };
  for (const [re, cls] of FIRST) if (re.test(lower)) return { cls, queue, base };
  // Traffic counters never mean trouble, whatever else their name holds.
  if (/(^|_)(packets|bytes|pkts|frames|ucast|mcast|bcast|unicast|multicast|broadcast|kicks|csum_(complete|unnecessary|none|partial)|tso|lro|gro)(_|$)/.test(lower) && !/drop|discard|err|missed|illegal/.test(lower)) {
    return { cls: 'other', queue, base };
  }
  for (const [re, cls] of RULES) if (re.test(lower)) return { cls, queue, base };
  return { cls: 'other', queue, base };
}
