/**
 * Kernel defaults of sysctls that do not depend on the machine's size or build options, so a
 * value that differs from them was set by someone (a sysctl.d file, a package, a container
 * runtime, an administrator). Each cites where the kernel documents it. Values that scale with
 * memory or CPUs (file-max, pid_max, tcp_mem, min_free_kbytes) or depend on Kconfig
 * (tcp_congestion_control, panic_on_oops, hung_task_timeout_secs) are not listed: their defaults are not knowable from here.
 */
export interface SysctlDefault {
  readonly value: string;
  /** Kernel releases from which this is the default ("5.4" for somaxconn 4096). */
  readonly since?: string;
  readonly source: string;
}

const VM = 'https://docs.kernel.org/admin-guide/sysctl/vm.html';
const IP = 'https://docs.kernel.org/networking/ip-sysctl.html';
const NET = 'https://docs.kernel.org/admin-guide/sysctl/net.html';

export const SYSCTL_DEFAULTS: Readonly<Record<string, SysctlDefault>> = {
  'vm.swappiness': { value: '60', source: VM },
  'vm.overcommit_memory': { value: '0', source: VM },
  'vm.overcommit_ratio': { value: '50', source: VM },
  'vm.dirty_ratio': { value: '20', source: VM },
  'vm.dirty_background_ratio': { value: '10', source: VM },
  'vm.dirty_expire_centisecs': { value: '3000', source: VM },
  'vm.dirty_writeback_centisecs': { value: '500', source: VM },
  'vm.vfs_cache_pressure': { value: '100', source: VM },
  'vm.zone_reclaim_mode': { value: '0', source: VM },
  'vm.panic_on_oom': { value: '0', source: VM },
  'vm.oom_kill_allocating_task': { value: '0', source: VM },
  'net.core.somaxconn': { value: '4096', since: '5.4', source: NET },
  'net.core.netdev_max_backlog': { value: '1000', source: NET },
  'net.ipv4.ip_forward': { value: '0', source: IP },
  'net.ipv4.tcp_keepalive_time': { value: '7200', source: IP },
  'net.ipv4.tcp_keepalive_intvl': { value: '75', source: IP },
  'net.ipv4.tcp_keepalive_probes': { value: '9', source: IP },
  'net.ipv4.tcp_fin_timeout': { value: '60', source: IP },
  'net.ipv4.tcp_syncookies': { value: '1', source: IP },
  'net.ipv4.tcp_timestamps': { value: '1', source: IP },
  'net.ipv4.tcp_sack': { value: '1', source: IP },
  'net.ipv4.tcp_window_scaling': { value: '1', source: IP },
  'net.ipv4.tcp_slow_start_after_idle': { value: '1', source: IP },
  'net.ipv4.tcp_mtu_probing': { value: '0', source: IP },
  'net.ipv4.tcp_tw_reuse': { value: '2', since: '4.19', source: IP },
};
