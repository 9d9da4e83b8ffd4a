import { parsed, parseFail, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * Where diag runs: hypervisor, cloud, container, kernel parameters. Pure functions over texts the
 * collector read through the Source; each answer carries the evidence it rests on, so a person
 * can check it (and a wrong guess is visible as one).
 */

export interface Detection {
  readonly name: string;
  readonly evidence: readonly string[];
}

/** DMI vendor/product strings -> hypervisor and cloud (as systemd-detect-virt and cloud-init read them). */
const DMI_VIRT: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(?:QEMU|KVM)\b/i, 'kvm'],
  [/Amazon EC2/i, 'kvm'],
  [/Google/i, 'kvm'],
  [/VMware/i, 'vmware'],
  [/innotek|VirtualBox/i, 'oracle'],
  [/^Xen\b/i, 'xen'],
  [/Microsoft Corporation/i, 'microsoft'],
  [/Parallels/i, 'parallels'],
  [/Bochs/i, 'bochs'],
];
const DMI_CLOUD: ReadonlyArray<readonly [RegExp, string]> = [
  [/Amazon EC2/i, 'aws'],
  [/Google Compute Engine|^Google$/i, 'gcp'],
  [/DigitalOcean/i, 'digitalocean'],
  [/Hetzner/i, 'hetzner'],
  [/OpenStack/i, 'openstack'],
  [/Alibaba Cloud/i, 'alibaba'],
  [/OracleCloud/i, 'oracle-cloud'],
  [/Scaleway/i, 'scaleway'],
  [/Linode|Akamai/i, 'linode'],
];
/** Azure's VMs carry this chassis asset tag (cloud-init's DataSourceAzure). */
const AZURE_ASSET_TAG = '7783-7084-3265-9085-8269-3286-77';

export interface VirtInputs {
  /** /sys/class/dmi/id files that exist: sys_vendor, product_name, bios_vendor, board_vendor, chassis_asset_tag. */
  readonly dmi: Readonly<Record<string, string>>;
  /** The "hypervisor" CPU flag of /proc/cpuinfo (the CPU runs under a hypervisor). */
  readonly hypervisorFlag: boolean | undefined;
  /** /sys/hypervisor/type (xen). */
  readonly hypervisorType?: string;
  readonly cmdline: string;
}

export function detectVirt(i: VirtInputs): { virt: Detection; cloud?: Detection } {
  const dmiText = ['sys_vendor', 'product_name', 'bios_vendor', 'board_vendor'].map((k) => i.dmi[k] ?? '').filter(Boolean);
  let cloud: Detection | undefined;
  for (const v of dmiText) {
    const c = DMI_CLOUD.find(([re]) => re.test(v));
    if (c) {
      cloud = { name: c[1], evidence: [`DMI "${v}"`] };
      break;
    }
  }
  if (!cloud && i.dmi.chassis_asset_tag?.trim() === AZURE_ASSET_TAG) cloud = { name: 'azure', evidence: [`DMI chassis_asset_tag ${AZURE_ASSET_TAG}`] };
  for (const v of dmiText) {
    const h = DMI_VIRT.find(([re]) => re.test(v));
    if (h) return { virt: { name: h[1], evidence: [`DMI "${v}"`, ...(i.hypervisorFlag ? ['CPU flag hypervisor'] : [])] }, ...(cloud ? { cloud } : {}) };
  }
  if (i.hypervisorType?.trim()) return { virt: { name: i.hypervisorType.trim(), evidence: [`/sys/hypervisor/type ${i.hypervisorType.trim()}`] }, ...(cloud ? { cloud } : {}) };
  if (/(?:^|\s)--firecracker-init\b|\bfirecracker\b/i.test(i.cmdline) && i.hypervisorFlag)
    return { virt: { name: 'firecracker', evidence: ['CPU flag hypervisor', ...(Object.keys(i.dmi).length === 0 ? ['no DMI tables (Firecracker exposes none)'] : []), '/proc/cmdline names firecracker'] }, ...(cloud ? { cloud } : {}) };
  if (i.hypervisorFlag) {
    const kvmClock = /\bclocksource=kvm-clock\b/.test(i.cmdline);
    return { virt: { name: kvmClock ? 'kvm (unnamed VMM)' : 'vm (unknown hypervisor)', evidence: ['CPU flag hypervisor', ...(kvmClock ? ['clocksource=kvm-clock'] : []), ...(Object.keys(i.dmi).length === 0 ? ['no DMI tables'] : [])] }, ...(cloud ? { cloud } : {}) };
  }
  if (i.hypervisorFlag === undefined) return { virt: { name: 'unknown', evidence: ['/proc/cpuinfo unreadable'] } };
  return { virt: { name: 'none', evidence: ['no hypervisor CPU flag', ...(dmiText.length ? [`DMI "${dmiText[0]}"`] : [])] }, ...(cloud ? { cloud } : {}) };
}

export interface ContainerInputs {
  readonly dockerenv: boolean;
  readonly containerenv: boolean;
  /** `container=` of PID 1's environment (systemd-nspawn, podman, lxc set it); undefined when unreadable. */
  readonly pid1Container: string | undefined;
  /** /proc/self/cgroup text. */
  readonly selfCgroup: string;
  /** KUBERNETES_SERVICE_HOST-style hint: /var/run/secrets/kubernetes.io exists. */
  readonly kubernetesSecrets: boolean;
}

export function detectContainer(i: ContainerInputs): Detection {
  const ev: string[] = [];
  let name: string | undefined;
  if (i.pid1Container) {
    name = i.pid1Container;
    ev.push(`PID 1 environment container=${i.pid1Container}`);
  }
  if (i.kubernetesSecrets) {
    name ??= 'kubernetes';
    ev.push('/var/run/secrets/kubernetes.io exists');
  }
  if (i.containerenv) {
    name ??= 'podman';
    ev.push('/run/.containerenv exists');
  }
  if (i.dockerenv) {
    name ??= 'docker';
    ev.push('/.dockerenv exists');
  }
  const cg = /\/(docker|kubepods|lxc|libpod|containerd|crio)[-/.]/.exec(i.selfCgroup);
  if (cg) {
    name ??= cg[1] === 'kubepods' ? 'kubernetes' : cg[1] === 'libpod' ? 'podman' : cg[1]!;
    ev.push(`own cgroup names ${cg[1]}`);
  }
  return { name: name ?? 'none', evidence: ev.length ? ev : ['no container marker (/.dockerenv, /run/.containerenv, container=, cgroup names)'] };
}

/** Kernel parameters that change how the host behaves under load, or what diag can see. */
const NOTABLE = /^(?:mitigations|nosmt|pti|spectre_v2|isolcpus|nohz_full|rcu_nocbs|irqaffinity|hugepages|hugepagesz|default_hugepagesz|transparent_hugepage|numa|numa_balancing|systemd\.unified_cgroup_hierarchy|cgroup_no_v1|cgroup_disable|cgroup_enable|psi|nomodule|intel_iommu|amd_iommu|iommu|elevator|maxcpus|nr_cpus|mem|swapaccount|lsm|security|audit|processor\.max_cstate|intel_idle\.max_cstate|idle|clocksource|tsc|preempt)(?:=|$)/;

/** The notable parameters of /proc/cmdline (before a "--", which hands the rest to init). */
export function notableParams(cmdline: string): string[] {
  const kernelPart = cmdline.split(/\s--\s|\s--$/)[0] ?? '';
  return kernelPart.split(/\s+/).filter((p) => NOTABLE.test(p)).slice(0, 40);
}

/** statfs type of /sys/fs/cgroup and whether /sys/fs/cgroup/unified exists -> the cgroup mode. */
export function cgroupMode(fsType: number | undefined, unifiedMounted: boolean): string {
  if (fsType === 0x63677270) return 'v2 (unified)';
  if (fsType === 0x01021994) return unifiedMounted ? 'hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)' : 'v1 (legacy)';
  return 'unknown';
}

/** The cgroup of a process from /proc/PID/cgroup: the v2 path, else the memory controller's. */
export function ownCgroup(text: string): string | undefined {
  const lines = text.split('\n');
  const mem = lines.find((l) => /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:/.test(l));
  const v2 = lines.find((l) => l.startsWith('0::'));
  const pick = mem ?? v2;
  return pick ? pick.slice(pick.indexOf(':', pick.indexOf(':') + 1) + 1) : undefined;
}

/**
 * Taint flags of /proc/sys/kernel/tainted, bit -> letter and meaning (admin-guide/tainted-kernels.rst).
 * A tainted kernel's bug reports are read differently; an out-of-tree or unsigned module is a
 * change of the kernel itself that no package log may show.
 */
export const TAINT_FLAGS: readonly (readonly [string, string])[] = [
  ['P', 'proprietary module'], ['F', 'module force-loaded'], ['S', 'kernel running on an out of specification system'], ['R', 'module force-unloaded'],
  ['M', 'machine check'], ['B', 'bad page'], ['U', 'taint requested by userspace'], ['D', 'kernel died recently (oops or BUG)'],
  ['A', 'ACPI table overridden'], ['W', 'kernel issued a warning'], ['C', 'staging driver loaded'], ['I', 'firmware bug workaround'],
  ['O', 'out-of-tree module loaded'], ['E', 'unsigned module loaded'], ['L', 'soft lockup occurred'], ['K', 'kernel live patched'],
  ['X', 'auxiliary taint'], ['T', 'built with struct randomization'], ['N', 'in-kernel test run'], ['J', 'userspace used a mutating debug operation in fwctl'],
];

/** /proc/sys/kernel/tainted -> the value and its flags ("O: out-of-tree module loaded"). */
export function parseTainted(text: string): ParseResult<{ value: number; flags: string[] }> {
  const v = uint(text.trim());
  if (v === undefined || v >= 2 ** 32) return parseFail(text, 'expected a taint bit mask');
  const flags: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (Math.floor(v / 2 ** bit) % 2 !== 1) continue;
    const f = TAINT_FLAGS[bit];
    flags.push(f ? `${f[0]}: ${f[1]}` : `bit ${bit}`);
  }
  return parsed({ value: v, flags });
}

/**
 * /proc/modules: modules loaded from outside the kernel tree or unsigned, by the flags the kernel
 * prints after each line ("(O)", "(OE)", "(P)": proprietary, out-of-tree, unsigned).
 */
export function parseModuleTaints(text: string): ParseResult<{ count: number; tainting: string[] }> {
  let count = 0;
  const tainting: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[A-Za-z0-9_-]{1,64}$/.test(f[0]!)) continue;
    count++;
    const flags = /\(([A-Z]{1,8})\)\s*$/.exec(line)?.[1];
    if (flags && /[POEFC]/.test(flags)) tainting.push(`${f[0]} (${flags})`);
  }
  if (count === 0 && text.trim().length > 0) return parseFail(text, 'expected "name size refcount deps state address" lines');
  return parsed({ count, tainting });
}
