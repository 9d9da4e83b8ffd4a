import type { CollectorMemo } from './collector-memo.js';
import type { DerivedSpec, FieldSpec } from './fields.js';
import type { Outcome } from './outcome.js';
import type { Clock, Source } from './source.js';

/** USE resources (ARCHITECTURE.md report contract). */
export const RESOURCES = ['cpu', 'memory', 'disk', 'filesystem', 'network', 'tasks', 'fds'] as const;
export type Resource = (typeof RESOURCES)[number];

export type Origin = 'procfs' | 'sysfs' | 'cgroup' | 'namespaces' | 'commands' | 'bpf';

/** One entity's raw numbers (a CPU, a device, an interface, a process...). */
export interface Row {
  /** Identity within its table, used to pair the two samples of a window (e.g. "sda", "1234"). */
  readonly key: string;
  /** Text attributes: names, states, paths. Untrusted host text: sanitise before display. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Raw values of the declared fields; a field the input lacked stays undefined. */
  readonly values: Readonly<Record<string, number | undefined>>;
}

/** How a row pairs across two samples and computes what only a window can tell. */
export interface RowWindow {
  readonly cur: Row;
  readonly prev: Row | undefined;
  /**
   * Length of the window in seconds (> 0). A row that did not change (the same Row object in
   * both samples: a collector memo's idle process) is derived once and reused over later windows,
   * so a derive function uses the length only through rate().
   */
  readonly seconds: number;
  /** Increase of a counter over the window: undefined when missing, reset or new. */
  delta(field: string): number | undefined;
  /** delta / seconds. */
  rate(field: string): number | undefined;
  /** Current raw value (gauges). */
  value(field: string): number | undefined;
}

export interface TableSpec {
  readonly title: string;
  /**
   * Scope kind of this table's rows for findings: "host" (one row), or a prefix such as
   * "cpu", "device", "interface", "mount", "process", "cgroup", "netns", "swap".
   */
  readonly scope: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly derived?: Readonly<Record<string, DerivedSpec>>;
  /** Computes the derived fields of one row from its window. */
  readonly derive?: (w: RowWindow) => Readonly<Record<string, number | undefined>>;
  /** Labels that must be equal in both samples for a row to count as the same entity
   * (e.g. a process's start time, so a reused PID is never mistaken for the old process). */
  readonly identity?: readonly string[];
  /**
   * Entities a row belongs to, by the label that holds the entity's key: e.g. a process's
   * `{ cgroup: 'cgroup' }` (its cgroup path) or a socket's `{ process: 'pid' }`; a list names
   * labels to try in order; a label may hold several keys separated by ",". Culprits use it to
   * find the rows that belong to a finding's scope (the processes of a throttled cgroup).
   */
  readonly relations?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Fields that say what the entity is rather than what it does (a cgroup's CPU quota, memory
   * limit, pids.max): shown with the entity wherever it is named as a culprit.
   */
  readonly identityFields?: readonly string[];
  /**
   * The table reports on the collection itself, one row per part of it (a network namespace
   * entered or not): label `status` ("ok", or partial, unavailable, timeout, skipped), label
   * `reason` and label `code` (an OutcomeCode: not-run for a part left out on purpose). A playbook report lists the parts that are not ok in its `unavailable`, grouped by
   * status and reason, named by the label `name` (`what` says what the parts are), so nothing is
   * skipped silently.
   */
  readonly partStatus?: { readonly what: string; readonly name: string };
}

export type TableOutcomes = Record<string, Outcome<Row[]>>;

export interface CollectContext {
  /** 0 for the first sample of a window, 1 for the second. */
  readonly sampleIndex: number;
  /**
   * Observe the network namespace of this process instead of diag's own: commands run through
   * `Source.run({ netnsPid })` (nsenter --target PID --net) and per-netns files are read from
   * /proc/PID/net/. Only collectors with `netns: true` honour it; the others ignore it.
   */
  readonly netnsPid?: number;
  /**
   * The network namespace's bind mount (`ip netns add NAME`: /run/netns/NAME): commands enter it
   * by this path (`Source.run({ netnsPath })`, nsenter --net=PATH), which outlives any process;
   * with netnsPid too, per-netns files are still read from /proc/PID/net. Alone (no process
   * inside) there is no /proc/PID/net: a collector that needs per-netns files says so. Only the
   * collectors the namespaces sweep enters honour it: qdiscs, firewall, sockets.
   */
  readonly netnsPath?: string;
  /**
   * Processes known to live in the observed namespace (the namespaces scan): socket owners are
   * looked for among them instead of across every process of the host.
   */
  readonly netnsMembers?: readonly number[];
  /** Memos kept across the samples of a long-running consumer (collector-memo.ts); absent for one-shot runs. */
  readonly memo?: CollectorMemo;
  /**
   * For collectors that measure over time (BPF probes, origin 'bpf'): how long to run, and only
   * these processes (a --pid or --cgroup target). Others ignore it.
   */
  readonly probe?: { readonly durationMs: number; readonly tgids?: readonly number[] };
  /** For the changes collector: how far back to look (default 24 h). Others ignore it. */
  readonly changes?: {
    readonly sinceSeconds: number;
    /** A journal directory to read (journalctl --directory) instead of the system's journal. */
    readonly journalDirectory?: string;
  };
  /**
   * The run's target processes (a playbook run with --pid / --cgroup): collectors that read
   * per-thread detail (threads) read only these, and nothing without a target. Others ignore it.
   */
  readonly processes?: readonly number[];
}

export interface Collector {
  /** Short id used on the command line: `diag collect <id>`. */
  readonly id: string;
  readonly title: string;
  readonly origin: Origin;
  readonly resources: readonly Resource[];
  /** What it reads, for `diag collectors` and the docs (e.g. "/proc/stat"). */
  readonly inputs: readonly string[];
  /** Tables it produces; ids are unique across all collectors (metric = "table.field"). */
  readonly tables: Readonly<Record<string, TableSpec>>;
  /** Honours `CollectContext.netnsPid` (can observe another network namespace: `--netns`). */
  readonly netns?: boolean;
  /**
   * Measures how busy the whole host is (CPU time, pressure stalls): diag's own reads during a
   * window (the read-once collectors and the commands they run) would count in it, so on a
   * live host its first reading is taken again once they are done, when enough of the window
   * is left (Sampler.window). Its window is then diag's sleep alone.
   */
  readonly hostLoad?: boolean;
  collect(src: Source, ctx: CollectContext): TableOutcomes | Promise<TableOutcomes>;
}

/** One collector's part of a sample. */
export interface CollectorSample {
  readonly clock: Clock;
  readonly durationMs: number;
  readonly tables: TableOutcomes;
}

export interface Sample {
  readonly clock: Clock;
  readonly collectors: Readonly<Record<string, Outcome<CollectorSample>>>;
}
