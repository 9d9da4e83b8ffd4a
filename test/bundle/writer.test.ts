import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBES } from '../../collectors/bpf/probes.js';
import { COLLECTORS } from '../../collectors/index.js';
import { readArchive } from '../../src/bundle/archive.js';
import { manifestSchema, type Manifest } from '../../src/bundle/manifest.js';
import { openBundle } from '../../src/bundle/reader.js';
import { writeSnapshot } from '../../src/bundle/writer.js';
import { takeSnapshot } from '../../src/cli/commands/snapshot.js';
import { kernelLogCollector } from '../../collectors/commands/kernel-log/collector.js';
import { cpuCollector } from '../../collectors/procfs/cpu/collector.js';
import type { CommandResult, CommandSpec, Source } from '../../src/core/source.js';
import { FixtureSource } from '../../src/core/fixture-source.js';
import type { Outcome } from '../../src/core/outcome.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/**
 * The snapshot writer in process, on a fixture host: a secret in a file a collector reads (the
 * mount options of a CIFS mount in /proc/self/mountinfo) is masked while the mount stays listed;
 * the manifest lists the probes and each collector's limits; a bundle read into memory answers
 * exactly as the same bundle unpacked to disk.
 */
const SECRET = 'MountSecret-5eed1e55';
const mountinfo =
  readFileSync(new URL('../fixtures/procfs/mountinfo-6.18.txt', import.meta.url), 'utf8') +
  `98 27 0:60 / /mnt/share rw,relatime - cifs //fileserver/share rw,vers=3.1.1,cache=strict,username=svc,password=${SECRET},uid=0,noforceuid\n`;

const work = mkdtempSync(join(tmpdir(), 'diag-writer-test-'));
const host = fixtureTree({
  'proc/self/mountinfo': mountinfo,
  'proc/sys/kernel/hostname': 'fixturehost\n',
  'proc/sys/kernel/osrelease': '6.18.0-test\n',
  'proc/loadavg': '0.50 0.40 0.30 1/100 4242\n',
});
const bundle = join(work, 'fixture.tar.gz');
let manifest: Manifest;
let entries: Map<string, Buffer>;

beforeAll(async () => {
  await takeSnapshot({ live: host.source, windowMs: 50, output: bundle, force: false, redact: true, obfuscate: false, snapshotTimeoutMs: 30_000 });
  entries = await readArchive(bundle);
  manifest = manifestSchema.parse(JSON.parse(entries.get('manifest.json')!.toString('utf8')));
}, 60_000);

afterAll(() => {
  host.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('snapshot of a fixture host', () => {
  it('masks a password in mount options and keeps the mount', () => {
    const leaked = [...entries].filter(([, b]) => b.includes(SECRET)).map(([p]) => p);
    expect(leaked).toEqual([]);
    const stored = entries.get('samples/1/proc/self/mountinfo')?.toString('utf8');
    expect(stored).toBeDefined();
    const line = stored!.split('\n').find((l) => l.includes('//fileserver/share'));
    expect(line).toMatch(/ - cifs \/\/fileserver\/share rw,vers=3\.1\.1,cache=strict,username=svc,password=\*+,uid=0,noforceuid$/);
    // counted under the rule that masked it (name=value where the name says password)
    const hits = manifest.redaction.rules.filter((r) => r.rule === 'secret-assignment' || r.rule === 'secret-option').reduce((a, r) => a + r.hits, 0);
    expect(hits).toBeGreaterThanOrEqual(1);
  });

  it('lists every BPF probe with its availability, without running any', () => {
    expect(manifest.probes.map((p) => p.name)).toEqual(PROBES.map((make) => make({}).id));
    for (const p of manifest.probes) {
      expect(['available', 'unavailable']).toContain(p.status);
      if (p.status === 'unavailable') expect(p.reason).toBeTruthy();
      expect(p.hooks!.length).toBeGreaterThan(0);
    }
  });

  it("records each collector's origin, time limit and status", () => {
    expect(manifest.collectors.map((c) => c.id)).toEqual(COLLECTORS.map((c) => c.id));
    for (const c of manifest.collectors) {
      expect(c.timeoutMs).toBe(manifest.limits.collectorTimeoutMs);
      expect(c.origin).toBe(COLLECTORS.find((x) => x.id === c.id)!.origin);
    }
    // the fixture host has no ss: the sockets collector is unavailable, with its reason
    const sockets = manifest.collectors.find((c) => c.id === 'sockets')!;
    expect(sockets.status).not.toBe('ok');
    // a fixture tree holds no `ss` output: not captured (its code survives into the manifest)
    expect(Object.values(sockets.tables ?? {}).map((t) => t.code)).toContain('not-captured');
    expect(Object.keys(manifest.phasesMs ?? {})).toEqual(['sample0', 'wait', 'sample1', 'redact', 'report', 'probes']);
  });
});

describe('a command that hangs', () => {
  it('is cut at the collector time limit, named in the manifest, and the snapshot is still written', async () => {
    // The fixture host answers files; its commands never answer (a hung dmesg).
    const hanging: Source = Object.assign(Object.create(host.source) as Source, {
      run: (_spec: CommandSpec) => new Promise<Outcome<CommandResult>>(() => {}),
    });
    const out = join(work, 'hung.tar.gz');
    const r = await writeSnapshot({
      live: hanging,
      collectors: [cpuCollector, kernelLogCollector],
      windowMs: 20,
      output: out,
      force: false,
      redact: true,
      obfuscate: false,
      diagVersion: 'test',
      collectorTimeoutMs: 200,
      snapshotTimeoutMs: 10_000,
      makeReport: () => Promise.resolve({ report: {}, markdown: '', model: {} }),
    });
    const c = r.manifest.collectors.find((x) => x.id === 'kernel_log')!;
    expect(c.status).toBe('timeout');
    expect(c.code).toBe('timeout');
    expect(c.reason).toMatch(/timed out after 200 ms/);
    expect(c.timeoutMs).toBe(200);
    expect(r.manifest.collectors.find((x) => x.id === 'cpu')!.status).not.toBe('timeout');
    const stored = manifestSchema.parse(JSON.parse((await readArchive(out)).get('manifest.json')!.toString('utf8')));
    expect(stored.collectors.find((x) => x.id === 'kernel_log')).toMatchObject({ status: 'timeout', code: 'timeout' });
  });
});

describe('a bundle read into memory', () => {
  let tree = '';
  beforeAll(() => {
    tree = mkdtempSync(join(work, 'unpacked-'));
    expect(spawnSync('tar', ['-xzf', bundle, '-C', tree]).status).toBe(0);
  });

  it('answers every kind of question exactly as the unpacked tree does', async () => {
    const b = await openBundle(bundle);
    try {
      const disk = new FixtureSource(join(tree, 'samples/1'), 'bundle');
      const mem = b.sources[1];
      const same = (x: Outcome<unknown>, y: Outcome<unknown>) => {
        expect({ status: x.status, ...(x.status === 'ok' ? { value: x.value } : { reason: x.reason }) }).toEqual({
          status: y.status,
          ...(y.status === 'ok' ? { value: y.value } : { reason: y.reason }),
        });
      };
      for (const p of ['/proc/self/mountinfo', '/proc/loadavg', '/proc/nonexistent', '/proc', '/proc/self', '/../etc/passwd', '/.diag/dirs.json', '/proc/pressure/cpu']) {
        same(mem.readFile(p), disk.readFile(p));
      }
      for (const p of ['/proc/self', '/proc/sys/kernel', '/nonexistent', '/proc/self/mountinfo']) {
        const x = mem.readDir(p);
        const y = disk.readDir(p);
        if (x.status === 'ok' && y.status === 'ok') expect([...x.value].sort()).toEqual([...y.value].sort());
        else same(x, y);
      }
      same(mem.readLink('/proc/self/ns/net'), disk.readLink('/proc/self/ns/net'));
      same(mem.statfs('/'), disk.statfs('/'));
      expect(mem.now('sample')).toEqual(disk.now('sample'));
      expect(mem.now('collector:cpu')).toEqual(disk.now('collector:cpu'));
      for (const spec of [{ cmd: 'ss', args: ['-s'] }, { cmd: 'nope', args: [] }]) same(await mem.run(spec), await disk.run(spec));
    } finally {
      b.close();
    }
  });
});
