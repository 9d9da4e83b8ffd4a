/**
 * Where diag's fields are the OpenTelemetry Collector's hostmetrics receiver's metrics, they are
 * exported under those names as the OpenTelemetry Prometheus exporter writes them (dots to
 * underscores, the unit appended, counters `_total`), with its attributes as labels, so
 * dashboards and alerts written for hostmetrics work on diag's endpoint. Only exact overlaps:
 * the same quantity, the same unit once converted (names.ts); every other field keeps its
 * `diag_<table>_<field>` name. Semantic conventions: system.cpu.*, system.memory.*,
 * system.disk.*, system.network.*, system.filesystem.*, system.paging.*. Not system.processes.count:
 * its Prometheus name ends in `_count`, which Prometheus keeps for histograms and summaries
 * (`promtool check metrics` refuses it); diag_process_states_procs_* say the same.
 */
export interface OtelAlias {
  /** Family name (for a counter, the sample adds `_total`). */
  readonly family: string;
  readonly help: string;
  /** Attribute labels this field's samples carry (direction, state, ...). */
  readonly labels: Readonly<Record<string, string>>;
  /** The label the row key goes in (device, cpu, mountpoint); absent for a host table. */
  readonly keyLabel?: string;
  /** Rows not exported under this name (the cpu table's "all", a sum hostmetrics does not have). */
  readonly skipKeys?: readonly string[];
  /** How the key reads as the label value (cpu "0" -> "cpu0"). */
  readonly keyPrefix?: string;
}

const cpuTime = (state: string): OtelAlias => ({
  family: 'system_cpu_time_seconds',
  help: 'Seconds each logical CPU spent in each mode (hostmetrics system.cpu.time).',
  labels: { state },
  keyLabel: 'cpu',
  keyPrefix: 'cpu',
  skipKeys: ['all'],
});
const memory = (state: string): OtelAlias => ({ family: 'system_memory_usage_bytes', help: 'Bytes of memory in use (hostmetrics system.memory.usage).', labels: { state } });
const disk = (family: string, what: string, direction?: string): OtelAlias => ({
  family,
  help: `${what} (hostmetrics ${family.replace(/_(bytes|seconds)$/, '').replace(/_/g, '.')}).`,
  labels: direction ? { direction } : {},
  keyLabel: 'device',
});
const net = (family: string, what: string, direction: string): OtelAlias => ({
  family,
  help: `${what} (hostmetrics ${family.replace(/_bytes$/, '').replace(/_/g, '.')}).`,
  labels: { direction },
  keyLabel: 'device',
});
const fs = (family: string, what: string, state: string): OtelAlias => ({ family, help: `${what} (hostmetrics ${family.replace(/_bytes$/, '').replace(/_/g, '.')}).`, labels: { state }, keyLabel: 'mountpoint' });

/** `table.field` -> its hostmetrics name. */
export const OTEL_ALIASES: Readonly<Record<string, OtelAlias>> = {
  'cpu.user': cpuTime('user'),
  'cpu.nice': cpuTime('nice'),
  'cpu.system': cpuTime('system'),
  'cpu.idle': cpuTime('idle'),
  'cpu.iowait': cpuTime('wait'),
  'cpu.irq': cpuTime('interrupt'),
  'cpu.softirq': cpuTime('softirq'),
  'cpu.steal': cpuTime('steal'),
  'loadavg.load1': { family: 'system_cpu_load_average_1m', help: 'Load average over 1 minute (hostmetrics system.cpu.load_average.1m).', labels: {} },
  'loadavg.load5': { family: 'system_cpu_load_average_5m', help: 'Load average over 5 minutes (hostmetrics system.cpu.load_average.5m).', labels: {} },
  'loadavg.load15': { family: 'system_cpu_load_average_15m', help: 'Load average over 15 minutes (hostmetrics system.cpu.load_average.15m).', labels: {} },
  'meminfo.used': memory('used'),
  'meminfo.free': memory('free'),
  'meminfo.buffers': memory('buffered'),
  'meminfo.cached': memory('cached'),
  'meminfo.sreclaimable': memory('slab_reclaimable'),
  'meminfo.sunreclaim': memory('slab_unreclaimable'),
  'disk.reads': disk('system_disk_operations', 'Completed disk operations', 'read'),
  'disk.writes': disk('system_disk_operations', 'Completed disk operations', 'write'),
  'disk.read_sectors': disk('system_disk_io_bytes', 'Bytes read from and written to disks', 'read'),
  'disk.write_sectors': disk('system_disk_io_bytes', 'Bytes read from and written to disks', 'write'),
  'disk.read_ms': disk('system_disk_operation_time_seconds', 'Time spent in disk operations', 'read'),
  'disk.write_ms': disk('system_disk_operation_time_seconds', 'Time spent in disk operations', 'write'),
  'disk.read_merges': disk('system_disk_merged', 'Disk operations merged', 'read'),
  'disk.write_merges': disk('system_disk_merged', 'Disk operations merged', 'write'),
  'disk.io_ms': disk('system_disk_io_time_seconds', 'Time the disk had I/O in flight'),
  'disk.in_flight': disk('system_disk_pending_operations', 'Disk operations in flight'),
  'netdev.rx_bytes': net('system_network_io_bytes', 'Bytes received and sent', 'receive'),
  'netdev.tx_bytes': net('system_network_io_bytes', 'Bytes received and sent', 'transmit'),
  'netdev.rx_packets': net('system_network_packets', 'Packets received and sent', 'receive'),
  'netdev.tx_packets': net('system_network_packets', 'Packets received and sent', 'transmit'),
  'netdev.rx_errs': net('system_network_errors', 'Receive and transmit errors', 'receive'),
  'netdev.tx_errs': net('system_network_errors', 'Receive and transmit errors', 'transmit'),
  'netdev.rx_drop': net('system_network_dropped', 'Packets dropped', 'receive'),
  'netdev.tx_drop': net('system_network_dropped', 'Packets dropped', 'transmit'),
  'filesystem.used_bytes': fs('system_filesystem_usage_bytes', 'Filesystem space used and free', 'used'),
  'filesystem.free_bytes': fs('system_filesystem_usage_bytes', 'Filesystem space used and free', 'free'),
  'filesystem.inodes_used': fs('system_filesystem_inodes_usage', 'Filesystem inodes used and free', 'used'),
  'filesystem.inodes_free': fs('system_filesystem_inodes_usage', 'Filesystem inodes used and free', 'free'),
  'vmstat.pgmajfault': { family: 'system_paging_faults', help: 'Page faults (hostmetrics system.paging.faults).', labels: { type: 'major' } },
};
