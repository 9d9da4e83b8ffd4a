import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Classic tracepoints (and bpftrace, our reference) need tracefs. Mounts it when it is not
 * mounted and returns the cleanup that unmounts what this call mounted (nothing otherwise).
 */
export function ensureTracefs(): () => void {
  if (existsSync('/sys/kernel/tracing/events')) return () => {};
  const r = spawnSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('could not mount tracefs on /sys/kernel/tracing');
  return () => {
    spawnSync('umount', ['/sys/kernel/tracing'], { stdio: 'ignore' });
  };
}

const histShape = z.object({
  type: z.literal('hist'),
  data: z.record(z.string(), z.array(z.object({ min: z.number().optional(), max: z.number().optional(), count: z.number() }))),
});

const mapShape = z.object({ type: z.literal('map'), data: z.record(z.string(), z.unknown()) });

/** A bpftrace script running in the background, reporting with -f json. */
export class Bpftrace {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  readonly attached: Promise<void>;
  private readonly exited: Promise<number | null>;

  constructor(script: string) {
    this.child = spawn('bpftrace', ['-f', 'json', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.attached = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bpftrace did not attach in 10 s: ${this.err}`)), 10_000);
      this.child.stdout?.on('data', (d: Buffer) => {
        this.out += d.toString();
        if (this.out.includes('"attached_probes"')) {
          clearTimeout(t);
          resolve();
        }
      });
      this.child.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
      void this.exited.then(() => {
        clearTimeout(t);
        reject(new Error(`bpftrace exited early: ${this.err}`));
      });
    });
  }

  /** The log2 histograms of `map` printed so far, in order, as slots like diag's (slot k =
   * [2^k, 2^(k+1)), with bpftrace's [0] and [1] both in slot 0). */
  histograms(map: string): number[][] {
    const all: number[][] = [];
    for (const line of this.out.split('\n')) {
      if (!line.startsWith('{"type": "hist"')) continue;
      const h = histShape.parse(JSON.parse(line));
      const counts: number[] = [];
      for (const b of h.data[map] ?? []) {
        const low = b.min ?? 0;
        const slot = low <= 1 ? 0 : Math.floor(Math.log2(low));
        counts[slot] = (counts[slot] ?? 0) + b.count;
      }
      all.push(Array.from(counts, (c) => c ?? 0));
    }
    return all;
  }

  /** The values of a scalar map (`@n = count()`) printed so far, in order (-f json "map" lines). */
  scalars(map: string): number[] {
    const all: number[] = [];
    for (const line of this.out.split('\n')) {
      if (!line.startsWith('{"type": "map"')) continue;
      const v = mapShape.parse(JSON.parse(line)).data[map];
      if (typeof v === 'number') all.push(v);
    }
    return all;
  }

  /** SIGINT, wait for the exit, and return the last value of a scalar map (0 when never set). */
  async stopScalar(map: string): Promise<number> {
    await this.interrupt();
    return this.scalars(map).pop() ?? 0;
  }

  /**
   * SIGINT (bpftrace prints its maps and exits), repeated every 5 s for a signal that arrived
   * while it could not act on it (seen once in a full suite run: no exit within 60 s of one
   * SIGINT); after 30 s it is killed and the test fails saying so.
   */
  private async interrupt(): Promise<void> {
    for (let i = 0; i < 6; i++) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      this.child.kill('SIGINT');
      const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
      if (done) return;
    }
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      throw new Error(`bpftrace did not exit within 30 s of SIGINT: ${this.err}`);
    }
    await this.exited;
  }

  /** Wait (up to 5 s) until at least n histograms of `map` were printed; return them. */
  async waitHistograms(map: string, n: number): Promise<number[][]> {
    for (let i = 0; i < 500; i++) {
      const h = this.histograms(map);
      if (h.length >= n) return h;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`bpftrace printed fewer than ${n} histograms: ${this.err}`);
  }

  /** SIGINT, wait for the exit, and return the last histogram of `map`. */
  async stopHistogram(map: string): Promise<number[]> {
    await this.interrupt();
    return this.histograms(map).pop() ?? [];
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Total variation distance between two histograms' shapes (0 = same, 1 = disjoint). */
export function shapeDistance(a: readonly number[], b: readonly number[]): number {
  const ta = a.reduce((x, y) => x + y, 0);
  const tb = b.reduce((x, y) => x + y, 0);
  let d = 0;
  for (let k = 0; k < Math.max(a.length, b.length); k++) d += Math.abs((a[k] ?? 0) / ta - (b[k] ?? 0) / tb);
  return d / 2;
}

/** A background process bounded in time, in a process group of its own; end() kills that group
 * (stress-ng's workers outlive a killed parent otherwise). Idempotent. */
export function background(cmd: string, args: readonly string[]): { child: ChildProcess; end: () => void } {
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  return {
    child,
    end: () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    },
  };
}

/**
 * Compile a C program for a test (cc, argument array) into a fresh temporary directory; the
 * binary's name is `name` (tests give their prefix, so its comm says whose it is). Returns the
 * path and the cleanup that removes the directory.
 */
export function compileC(name: string, source: string, flags: readonly string[] = ['-O2']): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    writeFileSync(join(dir, `${name}.c`), source);
    run('cc', [...flags, '-o', join(dir, name), join(dir, `${name}.c`)]);
    return { path: join(dir, name), remove };
  } catch (err) {
    remove();
    throw err;
  }
}

/** Run a command synchronously (argument array, no shell); throw with its stderr on failure. */
export function run(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000, ...(input === undefined ? {} : { input }) });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** A network namespace of our own with loopback up; remove() deletes it (idempotent). */
export function makeNetns(name: string): { name: string; inode: number; remove: () => void } {
  run('ip', ['netns', 'add', name]);
  const remove = () => {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  };
  try {
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const link = run('ip', ['netns', 'exec', name, 'readlink', '/proc/self/ns/net']).trim();
    const inode = Number(/net:\[(\d+)\]/.exec(link)?.[1]);
    return { name, inode, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

/** One counter of /proc/net/snmp ("Tcp" "RetransSegs") inside a network namespace. */
export function snmpCounter(netns: string, group: string, field: string): number {
  const text = run('ip', ['netns', 'exec', netns, 'cat', '/proc/net/snmp']);
  const lines = text.split('\n').filter((l) => l.startsWith(`${group}:`));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const i = names.indexOf(field);
  const v = Number(values[i]);
  if (i < 0 || !Number.isFinite(v)) throw new Error(`no ${group} ${field} in /proc/net/snmp of ${netns}`);
  return v;
}

/** Run a node script as a child (optionally in a netns) and wait for it, bounded in time. */
export function nodeScript(script: string, opts: { netns?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = opts.netns === undefined ? [process.execPath, '-e', script] : ['ip', 'netns', 'exec', opts.netns, process.execPath, '-e', script];
  return new Promise((resolve) => {
    const child = spawn(argv[0] ?? 'node', argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run a command (argument array, no shell) without blocking the event loop, bounded in time. */
export function command(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
