import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASK } from '../../src/bundle/redact.js';
import { cgroupDirs } from '../helpers/cgroup-fs.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';
import { bundleProcFile } from '../helpers/bundle-files.js';
import { CORPUS, type CorpusEntry } from '../helpers/secrets-corpus.js';

/**
 * Live: the secrets corpus (test/fixtures/secrets/) planted on this host, where a default
 * snapshot reads it: the argv of processes of ours, process names (comm), cgroup directory
 * names, a mount point and a mount source, network namespace names, interface names. The
 * bundle (every entry's bytes and path, gzip-decoded entries too) holds none of them; the
 * processes are still there with the secret masked; the bundle replays to the stored findings.
 */
const req = liveRequirement('root', 'cmd:ip', 'cmd:mount');
const PREFIX = 'diagt-rd';
const work = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
const bundle = join(work, 'b.tar.gz');
const children: Array<{ c: ChildProcess; entry: CorpusEntry }> = [];
const cgroups: string[] = [];
const mounts: string[] = [];
const netns: string[] = [];
const links: string[] = [];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** dash waiting on its stdin (no child, no exec): argv as given, argv[0] the client we pretend to be. */
function sleeper(argv0: string, script: string, args: readonly string[]): ChildProcess {
  return spawn('/bin/dash', ['-c', script, ...args], { argv0, stdio: ['pipe', 'ignore', 'ignore'] });
}

/** Resolves once the process's comm is `comm` (it sets it itself, from what it reads on stdin). */
async function commIs(pid: number, comm: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd() === comm) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`process ${pid} never took the name ${comm}`);
}

interface TarEntry {
  readonly path: string;
  readonly data: Buffer;
}

/** The entries of a tar (ustar with pax headers for long names), and the raw bytes. */
function untar(tar: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let paxPath: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, b: number) => h.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const data = tar.subarray(off + 512, off + 512 + size);
    const name = (str(345, 500) ? `${str(345, 500)}/` : '') + str(0, 100);
    if (type === 'x') paxPath = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
    else if (type === '0' || type === '\0') {
      out.push({ path: paxPath ?? name, data });
      paxPath = undefined;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe.skipIf(req.skip)('a default snapshot of a host carrying the secrets corpus', () => {
  let entries: TarEntry[] = [];
  let raw = Buffer.alloc(0);
  const byPlace = (p: string) => CORPUS.filter((e) => e.place === p);

  beforeAll(async () => {
    for (const e of byPlace('argv')) children.push({ c: sleeper(e.argv![0]!, 'read x', e.argv!.slice(1)), entry: e });
    for (const e of byPlace('comm')) {
      const c = sleeper(`${PREFIX}-comm`, 'read n; printf %s "$n" > /proc/self/comm; read x', []);
      children.push({ c, entry: e });
      c.stdin!.write(`${e.name}\n`);
      await commIs(c.pid!, e.name!);
    }
    // cgroups (v1 memory and cpu here, v2 where unified), each with a process of ours in it
    for (const e of byPlace('cgroup')) {
      const c = sleeper(`${PREFIX}-cg`, 'read x', []);
      children.push({ c, entry: e });
      // the hierarchies as /proc/self/mountinfo has them (v1 controllers or v2), not a fixed layout
      for (const dir of cgroupDirs(['memory', 'cpu'], e.name!)) {
        try {
          mkdirSync(dir);
        } catch {
          continue;
        }
        cgroups.push(dir);
        writeFileSync(`${dir}/cgroup.procs`, String(c.pid));
      }
    }
    const source = byPlace('mount-source')[0]!.name!;
    for (const e of byPlace('mount')) {
      const dir = join(work, e.name!);
      mkdirSync(dir);
      run('mount', ['-t', 'tmpfs', '-o', 'size=1m', source, dir]);
      mounts.push(dir);
    }
    for (const e of byPlace('netns')) {
      run('ip', ['netns', 'add', e.name!]);
      netns.push(e.name!);
    }
    // the two interface names as the ends of one veth pair (no dummy module here)
    const [a, b] = byPlace('iface').map((e) => e.name!);
    run('ip', ['link', 'add', a!, 'type', 'veth', 'peer', 'name', b!]);
    links.push(a!, b!);
    for (const l of links) run('ip', ['link', 'set', l, 'up']);
    const r = await diag(['snapshot', '-o', bundle, '--window', '1s'], { timeoutMs: 120_000 });
    expect(r.stderr).toContain('secrets masked');
    expect(r.exitCode).toBe(0);
    raw = gunzipSync(readFileSync(bundle));
    entries = untar(raw);
  }, 180_000);

  afterAll(() => {
    for (const { c } of children) {
      c.stdin?.destroy();
      if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    }
    if (links[0]) spawnSync('ip', ['link', 'del', links[0]], { timeout: 10_000 }); // deletes its peer too
    for (const n of netns) spawnSync('ip', ['netns', 'del', n], { timeout: 10_000 });
    for (const m of mounts) spawnSync('umount', [m], { timeout: 10_000 });
    for (const d of cgroups.reverse()) {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(d); // empty once our process is gone
          break;
        } catch {
          spawnSync('sleep', ['0.1']);
        }
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('holds none of the planted secrets, in any entry or entry path (gzip-decoded too)', () => {
    expect(entries.length).toBeGreaterThan(100);
    const texts = [raw, ...entries.filter((x) => x.data[0] === 0x1f && x.data[1] === 0x8b).map((x) => gunzipSync(x.data))];
    const paths = entries.map((x) => x.path).join('\n');
    const leaks = CORPUS.filter((e) => paths.includes(e.secret) || texts.some((t) => t.includes(e.secret))).map((e) => `${e.id}: ${e.secret}`);
    expect(leaks).toEqual([]);
  });

  it('lists every planted process, with the secret masked', () => {
    const pairs = entries.map((x) => [x.path, x.data] as const);
    const at = (pid: number | undefined, rel: string) => bundleProcFile(pairs, 'samples/1', pid!, rel);
    for (const { c, entry } of children.filter((x) => x.entry.place === 'argv')) {
      const cmdline = at(c.pid, 'cmdline');
      expect(cmdline, `${entry.id}`).toBeDefined();
      expect(cmdline!.split('\u0000')[0]).toBe(entry.argv![0]);
      expect(cmdline).toContain(MASK);
    }
    for (const { c, entry } of children.filter((x) => x.entry.place === 'comm')) {
      const stat = at(c.pid, 'stat');
      expect(stat, entry.id).toMatch(new RegExp(`^${c.pid} \\([^)]*\\*{5}[^)]*\\) S `));
      expect(at(c.pid, 'status')).toMatch(/^Name:\t[^\n]*\*{5}/);
    }
  });

  it('masks a name the same way in paths and contents (cgroups, interfaces)', () => {
    const paths = entries.map((x) => x.path);
    for (const { c } of children.filter((x) => x.entry.place === 'cgroup')) {
      const cg = bundleProcFile(
        entries.map((x) => [x.path, x.data] as const),
        'samples/1',
        c.pid!,
        'cgroup',
      )!;
      const memory = /^\d+:memory:(\/[^\n]*)$/m.exec(cg)?.[1];
      expect(memory).toMatch(/^\/diagt-rd-[^/]*\*{5}/);
      // the cgroup's own files are stored under the same masked name
      expect(paths.some((p) => p.startsWith(`samples/1/sys/fs/cgroup/memory${memory}/`))).toBe(true);
    }
    const netdev = entries.find((x) => x.path === 'samples/1/proc/net/dev')!.data.toString('utf8');
    for (const l of links) {
      expect(netdev).not.toContain(l);
    }
    const masked = [...netdev.matchAll(/^\s*([^\s:]*\*{5}[^\s:]*):/gm)].map((m) => m[1]!);
    expect(masked).toHaveLength(links.length);
    for (const m of masked) expect(paths).toContain(`samples/1/sys/class/net/${m}/mtu`);
  });

  it('still shows the namespaces and mounts it read, under their masked names', () => {
    const text = (p: string) => entries.find((x) => x.path === p)!.data.toString('utf8');
    const listed = (JSON.parse(text('samples/1/.diag/dirs.json')) as Record<string, string[]>)['/run/netns'] ?? [];
    expect(listed.filter((x) => x.startsWith(`${PREFIX}-`) && x.includes(MASK))).toHaveLength(netns.length);
    const mountinfo = text('samples/1/proc/self/mountinfo');
    // our mount points (under our work directory, whose own name has no secret), each listed
    // once or more (propagation), masked
    const points = new Set(mountinfo.split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(`${work}/`)));
    expect([...points].every((p) => p.includes(MASK)), [...points].join(' ')).toBe(true);
    expect(points.size, [...points].join(' ')).toBe(mounts.length);
  });

  it('replays to the findings stored at capture', async () => {
    const stored = JSON.parse(entries.find((x) => x.path === 'report.json')!.data.toString('utf8')) as { findings: unknown[] };
    const r = await diag(['run', 'playbook', 'use', '--from', bundle, '--json'], { timeoutMs: 120_000 });
    const replayed = JSON.parse(r.stdout) as { findings: unknown[] };
    expect(replayed.findings).toEqual(stored.findings);
  }, 130_000);
});
