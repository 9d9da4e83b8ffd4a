import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';
import type { Source } from '../../src/core/source.js';

export const CAP_DAC_READ_SEARCH = 2;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYSLOG = 34;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;

/** Effective capabilities from the CapEff line of /proc/self/status (hex bitmask). */
export function parseCapEff(status: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]{1,16})\s*$/m.exec(status);
  return m?.[1] === undefined ? undefined : BigInt(`0x${m[1]}`);
}

export const hasCap = (caps: bigint, cap: number): boolean => ((caps >> BigInt(cap)) & 1n) === 1n;

export interface BpfPrivileges {
  readonly caps: bigint;
  /** Classic tracepoints need tracefs, which is root-only (0700). */
  readonly tracefs: boolean;
  /** Kernel addresses in /proc/kallsyms are visible (needed to name kernel locations). */
  readonly kallsyms: boolean;
}

/**
 * Can diag load and attach tracing programs? Needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN).
 * Unprivileged map creation fails with EPERM and libbpf then blames the memlock limit, which is
 * wrong on kernels >= 5.11: this check gives the real reason first.
 */
export function bpfPrivileges(src: Source): Outcome<BpfPrivileges> {
  const status = src.readFile('/proc/self/status');
  const caps = status.status === 'ok' ? parseCapEff(status.value) : undefined;
  if (caps === undefined) return unavailable(status.status === 'ok' ? 'parse' : status.code, 'cannot read diag\'s capabilities (/proc/self/status CapEff)', 'run diag as root');
  const admin = hasCap(caps, CAP_SYS_ADMIN);
  const bpf = admin || hasCap(caps, CAP_BPF);
  const perfmon = admin || hasCap(caps, CAP_PERFMON);
  if (!bpf || !perfmon) {
    const missing = [bpf ? undefined : 'CAP_BPF', perfmon ? undefined : 'CAP_PERFMON'].filter((c) => c !== undefined).join('+');
    const who = process.getuid?.() === 0 ? 'root without the capabilities' : 'not root';
    return unavailable('permission', `${who}: BPF probes need CAP_BPF+CAP_PERFMON (missing ${missing})`, 'run diag as root (sudo), or grant CAP_BPF,CAP_PERFMON');
  }
  return ok({ caps, tracefs: admin || hasCap(caps, CAP_DAC_READ_SEARCH), kallsyms: admin || hasCap(caps, CAP_SYSLOG) });
}

/** Kernel BTF is what CO-RE relocates against; without it no probe can load. */
export function kernelBtf(src: Source): Outcome<true> {
  const d = src.readDir('/sys/kernel/btf');
  if (d.status === 'ok' && d.value.includes('vmlinux')) return ok(true);
  return unavailable('unsupported', 'no BTF: /sys/kernel/btf/vmlinux does not exist (kernel built without CONFIG_DEBUG_INFO_BTF)', 'use a kernel with BTF (all major distributions since 2020 ship it)');
}
