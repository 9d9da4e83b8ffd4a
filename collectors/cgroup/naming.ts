/**
 * Name a cgroup the way people know it, from the path conventions of systemd, the container
 * runtimes and Kubernetes (pure; no host access):
 *
 *   /system.slice/nginx.service                          systemd service "nginx.service"
 *   /user.slice/user-1000.slice/session-3.scope          systemd scope
 *   /system.slice/docker-<64hex>.scope                   docker (systemd driver)
 *   /docker/<64hex>                                      docker (cgroupfs driver)
 *   /machine.slice/libpod-<64hex>.scope, libpod-conmon-  podman (container, its monitor)
 *   /libpod_parent/libpod-<64hex>                        podman (cgroupfs)
 *   /machine.slice/machine-libpod_pod_<64hex>.slice      podman pod (rootless: user-libpod_pod_<64hex>.slice)
 *   /system.slice/<unit>.service/libpod-payload-<64hex>  podman --cgroups=split (quadlet)
 *   crio-<64hex>.scope, crio-conmon-<64hex>.scope        CRI-O
 *   cri-containerd-<64hex>.scope                         containerd (CRI)
 *   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice
 *   /kubepods/burstable/pod<uid>/<64hex>                 Kubernetes pod / container (cgroupfs)
 *   /lxc/<name>, /lxc.payload.<name>                     LXC
 *
 * Also seen on real hosts (coroot-node-agent's test paths): a static pod's UID is the 32-hex hash
 * of its manifest, not a dashed UUID (kubepods-burstable-pod3e61c214....slice, /kubepods/burstable/
 * pod9729a196...); crun and podman put a container's processes one level down, in
 * `<runtime>-<id>.scope/container`; and a containerd told to use the systemd driver while runc
 * manages cgroupfs leaves the systemd triple as one directory name:
 * `/system.slice/containerd.service/kubepods-burstable-pod<uid>.slice:cri-containerd:<id>`.
 */
export type CgroupKind =
  | 'root'
  | 'slice'
  | 'service'
  | 'scope'
  | 'unit'
  | 'kubepods'
  | 'pod'
  | 'container'
  | 'container-monitor'
  | 'other';

export type Runtime = 'docker' | 'containerd' | 'cri-o' | 'podman' | 'lxc' | 'kubernetes';

export interface CgroupName {
  readonly kind: CgroupKind;
  /** What to show: a unit name, "docker:1a2b3c4d5e6f", "pod:<uid>"... */
  readonly name: string;
  /** Full container id (64 hex for the OCI runtimes, the container name for LXC). */
  readonly containerId?: string;
  /** Kubernetes pod UID with dashes (systemd slices spell it with underscores). */
  readonly podUid?: string;
  /** Podman pod id (64 hex) of `machine-libpod_pod_<id>.slice` (rootless: `user-libpod_pod_<id>.slice`). */
  readonly podmanPodId?: string;
  readonly runtime?: Runtime;
  /** Kubernetes QoS class of the pod: guaranteed, burstable or besteffort. */
  readonly qos?: 'guaranteed' | 'burstable' | 'besteffort';
}

const HEX64 = '[0-9a-f]{64}';
const RUNTIME_PREFIX: Array<[RegExp, Runtime, boolean]> = [
  [new RegExp(`^docker-(${HEX64})\\.scope$`), 'docker', false],
  [new RegExp(`^cri-containerd-(${HEX64})(?:\\.scope)?$`), 'containerd', false],
  [new RegExp(`^crio-conmon-(${HEX64})(?:\\.scope)?$`), 'cri-o', true],
  [new RegExp(`^crio-(${HEX64})(?:\\.scope)?$`), 'cri-o', false],
  [new RegExp(`^libpod-conmon-(${HEX64})(?:\\.scope)?$`), 'podman', true],
  [new RegExp(`^libpod-(${HEX64})(?:\\.scope)?$`), 'podman', false],
  // podman run --cgroups=split (quadlet units): the container under the unit, conmon in `runtime`
  [new RegExp(`^libpod-payload-(${HEX64})(?:\\.scope)?$`), 'podman', false],
];
const BARE_ID = new RegExp(`^${HEX64}$`);
/** A pod UID: a dashed UUID (underscores in systemd slice names), or a static pod's 32-hex manifest hash. */
const UID = '(?:[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})';
/** A podman pod's slice (`podman pod create`, systemd cgroup manager): root under machine.slice, rootless under user@UID.service. */
const PODMAN_POD_SLICE = new RegExp(`^(?:machine|user)-libpod_pod_(${HEX64})\\.slice$`);
const POD_SLICE = new RegExp(`^kubepods(?:-(burstable|besteffort))?-pod(${UID})\\.slice$`);
const POD_DIR = new RegExp(`^pod(${UID})$`);
/** `<pod slice>:<runtime prefix>:<id>`: the systemd driver's cgroupsPath used as a directory name. */
const SYSTEMD_TRIPLE = new RegExp(`^kubepods(?:-(burstable|besteffort))?-pod(${UID})\\.slice:(cri-containerd|crio|docker|libpod):(${HEX64})$`);
const TRIPLE_RUNTIME: Record<string, Runtime> = { 'cri-containerd': 'containerd', crio: 'cri-o', docker: 'docker', libpod: 'podman' };
const UNIT_SUFFIX = /\.(service|scope|slice|socket|mount|swap|target|device|path|timer|automount)$/;

interface ContainerMatch {
  readonly runtime: Runtime;
  readonly id: string;
  readonly monitor: boolean;
}

function containerOf(comp: string, parent: string | undefined, inPod: boolean): ContainerMatch | undefined {
  for (const [re, runtime, monitor] of RUNTIME_PREFIX) {
    const m = re.exec(comp);
    if (m) return { runtime, id: m[1]!, monitor };
  }
  if (BARE_ID.test(comp)) {
    if (parent === 'docker') return { runtime: 'docker', id: comp, monitor: false };
    if (inPod) return { runtime: 'kubernetes', id: comp, monitor: false };
  }
  if (parent === 'lxc' && comp.length > 0) return { runtime: 'lxc', id: comp, monitor: false };
  if (comp.startsWith('lxc.payload.') && comp.length > 12) return { runtime: 'lxc', id: comp.slice(12), monitor: false };
  return undefined;
}

function qosOf(comp: string): CgroupName['qos'] | undefined {
  if (comp === 'kubepods-burstable.slice' || comp === 'burstable') return 'burstable';
  if (comp === 'kubepods-besteffort.slice' || comp === 'besteffort') return 'besteffort';
  return undefined;
}

export function nameCgroup(path: string): CgroupName {
  const comps = path.split('/').filter((c) => c.length > 0);
  if (comps.length === 0) return { kind: 'root', name: '/' };
  let podUid: string | undefined;
  let podmanPodId: string | undefined;
  let qos: CgroupName['qos'];
  let inKubepods = false;
  let container: ContainerMatch | undefined;
  /** Index of the component that named the container (its `container` child is the same container). */
  let containerAt = -1;
  let lastKind: CgroupKind = 'other';
  for (let i = 0; i < comps.length; i++) {
    const c = comps[i]!;
    const parent = i > 0 ? comps[i - 1] : undefined;
    const isLast = i === comps.length - 1;
    let kind: CgroupKind | undefined;
    const triple = SYSTEMD_TRIPLE.exec(c);
    if (triple) {
      qos = (triple[1] as 'burstable' | 'besteffort' | undefined) ?? 'guaranteed';
      podUid = triple[2]!.replace(/_/g, '-');
      inKubepods = true;
      container = { runtime: TRIPLE_RUNTIME[triple[3]!]!, id: triple[4]!, monitor: false };
      containerAt = i;
      kind = 'container';
    } else if (c === 'container' && container && !container.monitor && containerAt === i - 1) {
      kind = 'container';
    } else if (PODMAN_POD_SLICE.test(c)) {
      podmanPodId = PODMAN_POD_SLICE.exec(c)![1]!;
      kind = 'pod';
    } else if (c === 'kubepods' || c === 'kubepods.slice') {
      inKubepods = true;
      kind = 'kubepods';
    } else if (inKubepods && podUid === undefined && qosOf(c)) {
      qos = qosOf(c);
      kind = 'kubepods';
    } else {
      const ps = POD_SLICE.exec(c) ?? (inKubepods ? POD_DIR.exec(c) : null);
      if (ps) {
        const uid = (ps.length === 3 ? ps[2] : ps[1])!;
        if (ps.length === 3) qos = (ps[1] as 'burstable' | 'besteffort' | undefined) ?? qos;
        podUid = uid.replace(/_/g, '-');
        qos ??= 'guaranteed';
        inKubepods = true;
        kind = 'pod';
      } else {
        const ct = containerOf(c, parent, podUid !== undefined);
        if (ct) {
          container = ct;
          containerAt = i;
          kind = ct.monitor ? 'container-monitor' : 'container';
        }
      }
    }
    if (isLast) {
      if (kind === undefined) {
        const u = UNIT_SUFFIX.exec(c);
        kind = u ? (u[1] === 'service' || u[1] === 'scope' || u[1] === 'slice' ? u[1] : 'unit') : 'other';
      }
      lastKind = kind;
    }
  }
  const last = comps[comps.length - 1]!;
  const runtime: Runtime | undefined = container?.runtime ?? (podUid !== undefined ? 'kubernetes' : podmanPodId !== undefined ? 'podman' : undefined);
  let name: string;
  if ((lastKind === 'container' || lastKind === 'container-monitor') && container) {
    const short = container.runtime === 'lxc' ? container.id : container.id.slice(0, 12);
    name = `${container.runtime}:${short}${lastKind === 'container-monitor' ? ' (conmon)' : ''}`;
  } else if (lastKind === 'pod' && podUid !== undefined) name = `pod:${podUid}`;
  else if (lastKind === 'pod' && podmanPodId !== undefined) name = `podman-pod:${podmanPodId.slice(0, 12)}`;
  else name = last;
  return {
    kind: lastKind,
    name,
    ...(container ? { containerId: container.id } : {}),
    ...(podUid !== undefined ? { podUid } : {}),
    ...(podmanPodId !== undefined ? { podmanPodId } : {}),
    ...(runtime ? { runtime } : {}),
    ...(qos && (podUid !== undefined || inKubepods) ? { qos } : {}),
  };
}
