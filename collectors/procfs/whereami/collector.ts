import type { Collector, TableOutcomes } from '../../../src/core/collector.js';
import { gauge } from '../../../src/core/fields.js';
import { ok } from '../../../src/core/outcome.js';
import type { Source } from '../../../src/core/source.js';
import { cgroupMode, detectContainer, detectVirt, notableParams, ownCgroup, parseModuleTaints, parseTainted } from './parse.js';

const DMI_FILES = ['sys_vendor', 'product_name', 'bios_vendor', 'board_vendor', 'chassis_asset_tag'];

function text(src: Source, path: string): string | undefined {
  const r = src.readFile(path);
  return r.status === 'ok' ? r.value : undefined;
}

function exists(src: Source, path: string): boolean {
  return src.readFile(path).status === 'ok' || src.readDir(path).status === 'ok';
}

function num(t: string | undefined): number | undefined {
  const v = t?.trim();
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The limits of a cgroup diag runs in: CPU quota in CPUs, memory and pids maxima (v2 files, else v1). */
function limits(src: Source, path: string, mode: string): { cpus?: number; memory?: number; pids?: number } {
  if (mode.startsWith('v2')) {
    const base = `/sys/fs/cgroup${path === '/' ? '' : path}`;
    const cpu = text(src, `${base}/cpu.max`)?.trim().split(' ');
    const q = num(cpu?.[0]);
    const p = num(cpu?.[1]);
    const memory = num(text(src, `${base}/memory.max`));
    const pids = num(text(src, `${base}/pids.max`));
    return { ...(q !== undefined && p ? { cpus: q / p } : {}), ...(memory !== undefined ? { memory } : {}), ...(pids !== undefined ? { pids } : {}) };
  }
  const sub = path === '/' ? '' : path;
  const memory = num(text(src, `/sys/fs/cgroup/memory${sub}/memory.limit_in_bytes`));
  const q = Number(text(src, `/sys/fs/cgroup/cpu${sub}/cpu.cfs_quota_us`)?.trim());
  const p = num(text(src, `/sys/fs/cgroup/cpu${sub}/cpu.cfs_period_us`));
  const pids = num(text(src, `/sys/fs/cgroup/pids${sub}/pids.max`));
  return { ...(q > 0 && p ? { cpus: q / p } : {}), ...(memory !== undefined && memory < 2 ** 62 ? { memory } : {}), ...(pids !== undefined ? { pids } : {}) };
}

/**
 * Where am I: hypervisor and cloud (DMI, the CPU's hypervisor flag, no network), container
 * runtime, the cgroup diag runs in and its limits, notable kernel parameters, kernel features
 * that decide what diag can see (BTF, PSI, kprobes), NUMA nodes, loaded modules.
 */
export const whereamiCollector: Collector = {
  id: 'whereami',
  title: 'Where diag runs: hypervisor, cloud, container, own cgroup and its limits, kernel parameters and features, NUMA, modules',
  origin: 'procfs',
  resources: [],
  inputs: ['/sys/class/dmi/id/*', '/proc/cpuinfo', '/proc/cmdline', '/.dockerenv', '/run/.containerenv', '/proc/1/environ', '/proc/self/cgroup', '/sys/fs/cgroup', '/sys/kernel/btf', '/proc/pressure', '/sys/kernel/tracing', '/sys/devices/system/node', '/proc/modules', '/proc/sys/kernel/tainted'],
  tables: {
    whereami: {
      title: 'Where diag runs (labels say what and on which evidence)',
      scope: 'host',
      fields: {
        numa_nodes: gauge('NUMA nodes'),
        modules: gauge('loaded kernel modules'),
        tainted: gauge('kernel taint bit mask (/proc/sys/kernel/tainted; flags in the taint label)'),
        cgroup_cpus: gauge("CPU quota of diag's own cgroup, in CPUs"),
        cgroup_memory_max: gauge("memory limit of diag's own cgroup", 'bytes'),
        cgroup_pids_max: gauge("pids limit of diag's own cgroup"),
      },
    },
  },
  collect(src): TableOutcomes {
    const dmi: Record<string, string> = {};
    for (const f of DMI_FILES) {
      const t = text(src, `/sys/class/dmi/id/${f}`)?.trim();
      if (t) dmi[f] = t.slice(0, 100);
    }
    const cpuinfo = text(src, '/proc/cpuinfo');
    const cmdline = (text(src, '/proc/cmdline') ?? '').trim();
    const hvType = text(src, '/sys/hypervisor/type');
    const { virt, cloud } = detectVirt({ dmi, hypervisorFlag: cpuinfo === undefined ? undefined : /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo), cmdline, ...(hvType ? { hypervisorType: hvType } : {}) });
    const environ = text(src, '/proc/1/environ');
    const pid1 = environ === undefined ? undefined : /(?:^|\0)container=([^\0]*)/.exec(environ)?.[1];
    const selfCg = text(src, '/proc/self/cgroup') ?? '';
    const container = detectContainer({ dockerenv: exists(src, '/.dockerenv'), containerenv: exists(src, '/run/.containerenv'), pid1Container: pid1 || undefined, selfCgroup: selfCg, kubernetesSecrets: exists(src, '/var/run/secrets/kubernetes.io') });
    const fs = src.statfs('/sys/fs/cgroup');
    const mode = cgroupMode(fs.status === 'ok' ? fs.value.type : undefined, src.readDir('/sys/fs/cgroup/unified').status === 'ok');
    const cg = ownCgroup(selfCg);
    const lim = cg ? limits(src, cg, mode) : {};
    const btf = src.readDir('/sys/kernel/btf');
    const tracing = src.readDir('/sys/kernel/tracing');
    const nodes = src.readDir('/sys/devices/system/node');
    const modules = src.readFile('/proc/modules');
    const labels: Record<string, string> = {
      virt: virt.name,
      virt_evidence: virt.evidence.join('; '),
      container: container.name,
      container_evidence: container.evidence.join('; '),
      cgroup_mode: mode,
      kernel_params: notableParams(cmdline).join(' '),
      btf: btf.status === 'ok' && btf.value.includes('vmlinux') ? 'yes' : 'no',
      psi: src.readFile('/proc/pressure/cpu').status === 'ok' ? 'yes' : 'no',
      kprobes: tracing.status === 'ok' && tracing.value.includes('kprobe_events') ? 'yes' : tracing.status === 'ok' ? 'no (no kprobe_events in tracefs)' : 'unknown (tracefs not mounted)',
      modules: modules.status === 'ok' ? 'loadable' : modules.code === 'not-found' ? 'none (kernel built without module support)' : `unknown (${modules.reason})`,
    };
    if (cloud) {
      labels.cloud = cloud.name;
      labels.cloud_evidence = cloud.evidence.join('; ');
    }
    if (cg) labels.cgroup = cg;
    const taint = src.readFile('/proc/sys/kernel/tainted');
    const tp = taint.status === 'ok' ? parseTainted(taint.value) : undefined;
    if (tp?.ok) labels.taint = tp.value.flags.length > 0 ? tp.value.flags.join('; ') : 'none';
    const mp = modules.status === 'ok' ? parseModuleTaints(modules.value) : undefined;
    if (mp?.ok && mp.value.tainting.length > 0) labels.modules_out_of_tree = mp.value.tainting.slice(0, 20).join(' ');
    return {
      whereami: ok([
        {
          key: 'host',
          labels,
          values: {
            numa_nodes: nodes.status === 'ok' ? nodes.value.filter((n) => /^node\d+$/.test(n)).length : undefined,
            modules: mp?.ok ? mp.value.count : modules.status !== 'ok' && modules.code === 'not-found' ? 0 : undefined,
            tainted: tp?.ok ? tp.value.value : undefined,
            cgroup_cpus: lim.cpus,
            cgroup_memory_max: lim.memory,
            cgroup_pids_max: lim.pids,
          },
        },
      ]),
    };
  },
};
