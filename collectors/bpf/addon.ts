import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ok, unavailable, type Outcome } from '../../src/core/outcome.js';

/** One program of a BPF object, by its C function name and ELF section ("tp_btf/sched_switch"). */
export interface NativeProgram {
  readonly name: string;
  readonly section: string;
  readonly autoload: boolean;
}

export interface NativeMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

/** Every entry of a map: keys and values packed back to back; per-CPU values are
 * `valueStride` = round_up(valueSize, 8) x possible CPUs bytes per entry. */
export interface MapDump {
  readonly count: number;
  readonly keySize: number;
  readonly valueStride: number;
  readonly batched: boolean;
  readonly keys: Buffer;
  readonly values: Buffer;
}

export interface ProgStat {
  readonly name: string;
  readonly id: number;
  readonly runCount: number;
  readonly runTimeNs: number;
  readonly recursionMisses: number;
}

/** The native layer (native/src/addon.cc): a thin wrapper around one libbpf object. */
export interface NativeBpfObject {
  programs(): NativeProgram[];
  maps(): NativeMap[];
  setAutoload(program: string, on: boolean): void;
  setGlobal(name: string, value: Buffer): void;
  setMaxEntries(map: string, n: number): void;
  /** Create this map at load or not (a map only another variant's programs use). */
  setAutocreate(map: string, on: boolean): void;
  load(): void;
  attach(program: string): number;
  attachPerfEvent(program: string, hz: number): number;
  lookup(map: string, key: Buffer): Buffer | null;
  update(map: string, key: Buffer, value: Buffer): void;
  dump(map: string): MapDump;
  dumpAsync(map: string): Promise<MapDump>;
  openRing(map: string): number;
  consumeRing(ring: number): Buffer;
  pollRing(ring: number, timeoutMs: number): Promise<Buffer>;
  progStats(): ProgStat[];
  close(): void;
}

/** A struct's layout from BTF: offsets and sizes in bytes (`bits` for a bitfield member). */
export interface BtfStruct {
  readonly size: number;
  readonly members: ReadonlyArray<{ readonly name: string; readonly offset: number; readonly size: number; readonly bits?: number }>;
}

export interface NativeAddon {
  readonly BpfObject: new (bytes: Buffer, name: string) => NativeBpfObject;
  embeddedObjects(): Record<string, Buffer>;
  btfEnum(name: string): Array<{ name: string; value: number }> | null;
  /** A struct as compiled into an embedded object (its BTF), or null; absent in addons built
   * before it existed (rebuild: node scripts/build-native.mjs). */
  btfStruct?(object: string, name: string): BtfStruct | null;
  libbpfVersion(): string;
  possibleCpus(): number;
}

/** What the native layer throws: an Error with the errno name, the operation and libbpf's log. */
export interface NativeError {
  readonly message: string;
  readonly code: string;
  readonly errno: number;
  readonly op: string;
  readonly log: string;
}

// Checked by hand rather than with zod: `diag probe` imports this on its way to attaching, and
// zod's import alone costs more than loading and attaching a probe (measured: 150-300 ms vs
// 20-40 ms on the 2-CPU test machine).
export function asNativeError(err: unknown): NativeError | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & Record<string, unknown>;
  const { code, errno, op, log } = e;
  if (typeof code !== 'string' || typeof errno !== 'number' || typeof op !== 'string' || typeof log !== 'string') return undefined;
  return { message: e.message, code, errno, op, log };
}

/** libbpf's log without its misleading advice (e.g. raising RLIMIT_MEMLOCK, which is not the
 * cause on kernels >= 5.11), trimmed to its last lines. */
export function usefulLog(log: string, lines = 6): string {
  return log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/memlock|RLIMIT/i.test(l))
    .slice(-lines)
    .join('\n');
}

/** The folder holding native/ (the repository or the installed package), from this module. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Is this module diag's addon (every function of NativeAddon present)? */
function isAddon(mod: unknown): mod is NativeAddon {
  if (typeof mod !== 'object' || mod === null) return false;
  const m = mod as Record<string, unknown>;
  return ['BpfObject', 'embeddedObjects', 'btfEnum', 'libbpfVersion', 'possibleCpus'].every((k) => typeof m[k] === 'function');
}

let cached: Outcome<NativeAddon> | undefined;

/**
 * The BPF addon, or why it is not there ("BPF off: addon not built because clang is missing").
 * DIAG_BPF_ADDON=PATH loads another build (tests use a missing path to check the message).
 */
export function loadAddon(): Outcome<NativeAddon> {
  if (cached) return cached;
  cached = loadAddonUncached();
  return cached;
}

function loadAddonUncached(): Outcome<NativeAddon> {
  const root = packageRoot();
  const override = process.env.DIAG_BPF_ADDON;
  const path = override !== undefined && override !== '' ? override : root === undefined ? undefined : join(root, 'native', 'build', 'Release', 'diag_bpf.node');
  const hint = 'build it: npm start (or node scripts/build-native.mjs) after apt-get install clang llvm libbpf-dev';
  if (path === undefined || !existsSync(path)) {
    let why = `${path ?? 'native/build/Release/diag_bpf.node'} does not exist`;
    const unbuilt = root === undefined ? undefined : join(root, 'native', 'build', '.diag-unbuilt');
    if (override === undefined && unbuilt !== undefined && existsSync(unbuilt)) {
      why = readFileSync(unbuilt, 'utf8').trim().replace(/^addon not built because /, '');
    }
    return unavailable('tool-missing', `BPF off: addon not built because ${why}`, hint);
  }
  try {
    const mod: unknown = createRequire(import.meta.url)(path);
    if (!isAddon(mod)) return unavailable('tool-failed', `BPF off: ${path} is not diag's BPF addon`, hint);
    return ok(mod);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
    const lib = /lib(bpf|elf|z)\.so[.\d]*/.exec(msg)?.[0];
    return unavailable(
      lib ? 'tool-missing' : 'tool-failed',
      lib ? `BPF off: the addon cannot load because ${lib} is missing` : `BPF off: the addon does not load: ${msg}`,
      lib ? 'apt-get install libbpf1 libelf1 zlib1g' : hint,
    );
  }
}
