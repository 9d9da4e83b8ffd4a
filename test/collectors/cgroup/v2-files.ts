/**
 * cgroup v2 interface file contents as a 6.x kernel prints them, following
 * Documentation/admin-guide/cgroup-v2.rst (formats, key order, "max" for no limit, microseconds
 * for CPU times, bytes for memory, PSI lines as in Documentation/accounting/psi.rst). Our
 * machines run hybrid, so v2 is tested on these trees.
 */
export const V2 = {
  cpuStat: (usage: number, periods: number, throttled: number, throttledUs: number) =>
    `usage_usec ${usage}\nuser_usec ${Math.round(usage * 0.75)}\nsystem_usec ${Math.round(usage * 0.25)}\ncore_sched.force_idle_usec 0\nnr_periods ${periods}\nnr_throttled ${throttled}\nthrottled_usec ${throttledUs}\nnr_bursts 0\nburst_usec 0\n`,
  /** The root cgroup and cgroups without the cpu controller only show the three usage stats. */
  cpuStatNoController: (usage: number) => `usage_usec ${usage}\nuser_usec ${Math.round(usage * 0.75)}\nsystem_usec ${Math.round(usage * 0.25)}\n`,
  memoryEvents: (max: number, oomKill: number) => `low 0\nhigh 12\nmax ${max}\noom ${oomKill}\noom_kill ${oomKill}\noom_group_kill 0\n`,
  memoryStat: [
    'anon 104857600', 'file 52428800', 'kernel 8388608', 'kernel_stack 327680', 'pagetables 1048576', 'sec_pagetables 0', 'percpu 0', 'sock 4096', 'vmalloc 0',
    'shmem 0', 'zswap 0', 'zswapped 0', 'file_mapped 10485760', 'file_dirty 4096', 'file_writeback 0', 'swapcached 0', 'anon_thp 0', 'file_thp 0', 'shmem_thp 0',
    'inactive_anon 104857600', 'active_anon 0', 'inactive_file 40000000', 'active_file 12428800', 'unevictable 0', 'slab_reclaimable 4000000', 'slab_unreclaimable 2000000',
    'slab 6000000', 'workingset_refault_anon 0', 'workingset_refault_file 30', 'workingset_activate_anon 0', 'workingset_activate_file 2', 'workingset_restore_anon 0',
    'workingset_restore_file 0', 'workingset_nodereclaim 0', 'pgscan 100', 'pgsteal 90', 'pgscan_kswapd 0', 'pgscan_direct 100', 'pgsteal_kswapd 0', 'pgsteal_direct 90',
    'pgfault 250000', 'pgmajfault 7', 'pgrefill 0', 'pgactivate 10', 'pgdeactivate 0', 'pglazyfree 0', 'pglazyfreed 0', 'thp_fault_alloc 0', 'thp_collapse_alloc 0', '',
  ].join('\n'),
  ioStat: '8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n',
  pressure: (someTotal: number, fullTotal: number | undefined) =>
    `some avg10=12.50 avg60=3.10 avg300=0.80 total=${someTotal}\n` + (fullTotal === undefined ? '' : `full avg10=6.00 avg60=1.00 avg300=0.20 total=${fullTotal}\n`),
};

export const DOCKER_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const POD_UID = '5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b';
export const CRI_ID = 'aaaabbbbccccddddeeeeffff00001111aaaabbbbccccddddeeeeffff00001111';

const MOUNTINFO = '29 21 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';

/**
 * A unified (v2 only) host as systemd + docker + Kubernetes leave it. `t` is the sample (0 or 1):
 * counters move between the two by known amounts.
 */
export function v2Host(t: 0 | 1): Record<string, string> {
  const root = '/sys/fs/cgroup';
  const docker = `${root}/system.slice/docker-${DOCKER_ID}.scope`;
  const pod = `${root}/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replace(/-/g, '_')}.slice`;
  const ctr = `${pod}/cri-containerd-${CRI_ID}.scope`;
  const files: Record<string, string> = {
    '/proc/self/mountinfo': MOUNTINFO,
    [`${root}/cgroup.controllers`]: 'cpuset cpu io memory hugetlb pids rdma misc\n',
    [`${root}/cgroup.subtree_control`]: 'cpuset cpu io memory pids\n',
    [`${root}/cgroup.procs`]: '1\n2\n',
    [`${root}/cpu.stat`]: V2.cpuStatNoController(t === 0 ? 5_000_000 : 6_500_000),
    [`${root}/cpu.pressure`]: V2.pressure(t === 0 ? 1000 : 1000 + 50_000, 0),
    [`${root}/memory.pressure`]: V2.pressure(0, 0),
    [`${root}/io.pressure`]: V2.pressure(0, 0),
    [`${root}/io.stat`]: V2.ioStat,
    [`${root}/memory.stat`]: V2.memoryStat,
    [`${root}/system.slice/cgroup.procs`]: '',
    [`${root}/system.slice/cpu.stat`]: V2.cpuStat(t === 0 ? 4_000_000 : 5_000_000, 0, 0, 0),
    [`${root}/system.slice/cpu.max`]: 'max 100000\n',
    [`${root}/system.slice/memory.current`]: '524288000\n',
    [`${root}/system.slice/memory.max`]: 'max\n',
    [`${root}/system.slice/memory.high`]: 'max\n',
    [`${root}/system.slice/pids.current`]: '120\n',
    [`${root}/system.slice/pids.max`]: 'max\n',
    // Linux 6.13+: pids.events and memory.events count the subtree (the docker scope's refusals
    // and limit hits show here too), the .local files this cgroup's own limits only
    [`${root}/system.slice/pids.events`]: `max ${t === 0 ? 2 : 9}\n`,
    [`${root}/system.slice/pids.events.local`]: 'max 0\n',
    [`${root}/system.slice/memory.events`]: V2.memoryEvents(t === 0 ? 3 : 5, t === 0 ? 0 : 1),
    [`${root}/system.slice/memory.events.local`]: V2.memoryEvents(0, 0),
    [`${root}/system.slice/nginx.service/cgroup.procs`]: '800\n801\n',
    [`${root}/system.slice/nginx.service/cpu.stat`]: V2.cpuStat(t === 0 ? 100 : 200, 0, 0, 0),
    [`${docker}/cgroup.procs`]: '4242\n4243\n4244\n',
    [`${docker}/cgroup.threads`]: '4242\n4243\n4244\n4245\n',
    [`${docker}/cgroup.events`]: 'populated 1\nfrozen 0\n',
    // 0.5 core quota; over the 1 s window: 0.45 s used, 10 periods of which 8 throttled for 0.2 s
    [`${docker}/cpu.stat`]: t === 0 ? V2.cpuStat(2_000_000, 100, 40, 1_000_000) : V2.cpuStat(2_450_000, 110, 48, 1_200_000),
    [`${docker}/cpu.max`]: '50000 100000\n',
    [`${docker}/cpu.weight`]: '100\n',
    [`${docker}/memory.current`]: '201326592\n',
    [`${docker}/memory.max`]: '268435456\n',
    [`${docker}/memory.high`]: '251658240\n',
    [`${docker}/memory.swap.current`]: '0\n',
    [`${docker}/memory.events`]: V2.memoryEvents(t === 0 ? 3 : 5, t === 0 ? 0 : 1),
    [`${docker}/memory.events.local`]: V2.memoryEvents(t === 0 ? 3 : 5, t === 0 ? 0 : 1),
    [`${docker}/memory.peak`]: '260046848\n',
    [`${docker}/memory.stat`]: V2.memoryStat,
    [`${docker}/pids.current`]: '4\n',
    [`${docker}/pids.max`]: '100\n',
    [`${docker}/pids.events`]: `max ${t === 0 ? 2 : 9}\n`,
    [`${docker}/pids.events.local`]: `max ${t === 0 ? 2 : 9}\n`,
    [`${docker}/pids.peak`]: '100\n',
    // 2 MiB/s write limit on 8:16, where 1 MiB is written in the window
    [`${docker}/io.max`]: '8:16 rbps=max wbps=2097152 riops=max wiops=max\n',
    [`${docker}/io.stat`]: t === 0 ? V2.ioStat : V2.ioStat.replace('wbytes=314773504', 'wbytes=315822080'),
    [`${docker}/cpu.pressure`]: V2.pressure(t === 0 ? 10_000 : 310_000, t === 0 ? 5_000 : 105_000),
    [`${docker}/memory.pressure`]: V2.pressure(0, 0),
    [`${docker}/io.pressure`]: V2.pressure(0, 0),
    [`${root}/kubepods.slice/cgroup.procs`]: '',
    [`${root}/kubepods.slice/kubepods-burstable.slice/cgroup.procs`]: '',
    [`${pod}/cgroup.procs`]: '',
    [`${pod}/memory.current`]: '1048576\n',
    [`${pod}/memory.max`]: 'max\n',
    [`${ctr}/cgroup.procs`]: '9001\n',
    [`${ctr}/memory.current`]: '1048576\n',
    [`${ctr}/memory.max`]: '2097152\n',
    [`${ctr}/memory.events`]: V2.memoryEvents(0, 0),
    [`${ctr}/io.stat`]: '',
  };
  return files;
}
