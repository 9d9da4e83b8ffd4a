import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Where this host mounts each cgroup controller, read from /proc/self/mountinfo (independently of
 * diag's parser): live tests plant their cgroups there instead of hard-coding the v1 layout, so
 * they run on hybrid hosts (v1 controllers, like our machines) and on v2-only hosts (Debian 12,
 * most production hosts), and fail with the missing hierarchy named when neither has it.
 */
export interface CgroupMount {
  readonly version: 1 | 2;
  /** Mount point of the hierarchy that holds the controller. */
  readonly root: string;
}

export type Controller = 'cpu' | 'cpuacct' | 'memory' | 'pids' | 'blkio' | 'io';

/** v1 name of a controller <-> its v2 name (cpuacct's accounting is part of v2's cpu; blkio is v2's io). */
const V2_NAME: Record<Controller, string> = { cpu: 'cpu', cpuacct: 'cpu', memory: 'memory', pids: 'pids', blkio: 'io', io: 'io' };

interface Mount {
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly superOptions: readonly string[];
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ root: unescape(f[3]!), mountPoint: unescape(f[4]!), fsType: f[sep + 1]!, superOptions: (f[sep + 3] ?? '').split(',') });
  }
  return out;
}

/** The hierarchy holding `controller`: a v1 mount that names it, else the v2 mount whose root cgroup offers it. */
export function cgroupMount(controller: Controller): CgroupMount | undefined {
  const all = mounts().filter((m) => m.root === '/');
  const v1 = all.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
  if (v1) return { version: 1, root: v1.mountPoint };
  for (const m of all.filter((x) => x.fsType === 'cgroup2')) {
    const file = `${m.mountPoint}/cgroup.controllers`;
    if (existsSync(file) && readFileSync(file, 'utf8').trim().split(/\s+/).includes(V2_NAME[controller])) return { version: 2, root: m.mountPoint };
  }
  return undefined;
}

/** Why a live test cannot plant in `controller`'s hierarchy, or undefined when it can. */
export function missingController(controller: Controller): string | undefined {
  return cgroupMount(controller) ? undefined : `no cgroup hierarchy with the ${controller} controller in /proc/self/mountinfo (neither a v1 mount naming it nor a v2 mount offering it)`;
}

/** Directory of cgroup `name` (a path relative to the hierarchy's root) in `controller`'s hierarchy; throws naming the missing hierarchy. */
export function cgroupDir(controller: Controller, name: string): string {
  const m = cgroupMount(controller);
  if (!m) throw new Error(missingController(controller));
  return `${m.root}/${name.replace(/^\/+/, '')}`;
}

/** The distinct directories of cgroup `name` across `controllers` (on v2 one directory serves them all). */
export function cgroupDirs(controllers: readonly Controller[], name: string): string[] {
  return [...new Set(controllers.map((c) => cgroupDir(c, name)))];
}

/** Version of the hierarchy that holds `controller` (throws naming it when there is none). */
export function cgroupVersion(controller: Controller): 1 | 2 {
  const m = cgroupMount(controller);
  if (!m) throw new Error(missingController(controller));
  return m.version;
}

/** Limit files: the v1 names or their v2 equivalents, for the hierarchy this host uses. */
export function cpuQuotaFiles(controller: 'cpu', quotaUs: number, periodUs: number): Array<[string, string]> {
  return cgroupVersion(controller) === 1
    ? [
        ['cpu.cfs_period_us', String(periodUs)],
        ['cpu.cfs_quota_us', String(quotaUs)],
      ]
    : [['cpu.max', `${quotaUs} ${periodUs}`]];
}

export function memoryLimitFile(bytes: number): [string, string] {
  return cgroupVersion('memory') === 1 ? ['memory.limit_in_bytes', String(bytes)] : ['memory.max', String(bytes)];
}

/**
 * On v2 a controller's files exist in a child only when the parent's cgroup.subtree_control
 * enables it (systemd hosts enable cpu, memory, pids and io at the root): enable them, so a
 * child made by a test gets cpu.max, memory.max and pids.max.
 */
export function enableV2Controllers(controllers: readonly Controller[]): void {
  const m = cgroupMount(controllers[0]!);
  if (!m || m.version !== 2) return;
  const want = [...new Set(controllers.map((c) => V2_NAME[c]))].map((c) => `+${c}`).join(' ');
  writeFileSync(`${m.root}/cgroup.subtree_control`, want);
}
