import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS, readArchive } from '../../src/bundle/archive.js';
import { openBundle } from '../../src/bundle/reader.js';
import { MemoryTreeSource } from '../../src/bundle/tree.js';
import { takeSnapshot } from '../../src/cli/commands/snapshot.js';
import { PROCS_PER_CHUNK } from '../../src/core/proc-records.js';
import { bundleProcFile } from '../helpers/bundle-files.js';

/**
 * A snapshot of a host with 20,000 processes (a synthetic host held in memory, standing in for the
 * live source: the same collectors, recording and writer) completes within the default time
 * limit, stores them as one record per process (a few dozen archive entries, not ~240,000),
 * and the bundle replays every process.
 */
const N = 20_000;
const FIRST_PID = 100_000;
const work = mkdtempSync(join(tmpdir(), 'diagt-bs-scale-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function syntheticHost(): MemoryTreeSource {
  const self = (f: string) => readFileSync(`/proc/self/${f}`, 'utf8');
  const stat = self('stat');
  const tail = stat.slice(stat.lastIndexOf(')') + 2);
  const files = new Map<string, string>([
    ['/proc/stat', readFileSync('/proc/stat', 'utf8')],
    ['/proc/loadavg', `0.10 0.20 0.30 1/${N} ${FIRST_PID + N}\n`],
    ['/proc/sys/kernel/hostname', 'scalehost\n'],
    ['/proc/sys/kernel/osrelease', '6.18.0-test\n'],
    ['/proc/sys/kernel/pid_max', '4194304\n'],
    ['/proc/sys/kernel/threads-max', '200000\n'],
  ]);
  const pids: string[] = [];
  const [status, limits, cgroup, io] = [self('status'), self('limits'), self('cgroup'), 'rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n'];
  const dirs: Record<string, string[]> = {};
  for (let i = 0; i < N; i++) {
    const pid = String(FIRST_PID + i);
    pids.push(pid);
    files.set(`/proc/${pid}/stat`, `${pid} (sleeper-${i}) ${tail}`);
    files.set(`/proc/${pid}/status`, status.replace(/^Name:.*$/m, `Name:\tsleeper-${i}`).replace(/^Pid:.*$/m, `Pid:\t${pid}`));
    files.set(`/proc/${pid}/limits`, limits);
    files.set(`/proc/${pid}/cgroup`, cgroup);
    files.set(`/proc/${pid}/cmdline`, `sleep\u0000${i}\u0000`);
    files.set(`/proc/${pid}/io`, io);
    dirs[`/proc/${pid}/fd`] = ['0', '1', '2'];
  }
  dirs['/proc'] = pids;
  files.set('/.diag/dirs.json', JSON.stringify(dirs));
  return new MemoryTreeSource({ files, dropped: 0 }, 'synthetic host');
}

describe(`a snapshot of ${N} processes`, () => {
  it('completes within the default limit, as a few dozen entries, and replays every process', async () => {
    const output = join(work, 'scale.tar.gz');
    // the CLI's defaults: 30 s for the recording and 30 s for writing the archive
    const result = await takeSnapshot({ live: syntheticHost(), windowMs: 50, output, force: false, redact: true, obfuscate: false, snapshotTimeoutMs: 30_000 });
    expect(result.manifest.schema).toBe('diag.bundle/v2');
    expect(result.manifest.collectors.find((c) => c.id === 'processes')).toMatchObject({ status: 'ok', tables: { processes: { status: 'ok', rows: N } } });

    const entries = await readArchive(output);
    const chunks = [...entries.keys()].filter((p) => p.includes('/.diag/procs/'));
    // N processes (and process 1, whose namespace links the namespaces collector reads) per sample
    expect(chunks).toHaveLength(2 * Math.ceil((N + 1) / PROCS_PER_CHUNK));
    expect([...entries.keys()].filter((p) => /\/proc\/\d+\//.test(p))).toEqual([]);
    expect(entries.size).toBeLessThan(LIMITS.maxEntries / 1000);
    expect(bundleProcFile(entries, 'samples/1', FIRST_PID + 12_345, 'cmdline')).toBe('sleep\u000012345\u0000');

    const b = await openBundle(output);
    try {
      const listed = b.sources[1].readDir('/proc');
      expect(listed.status === 'ok' && listed.value.length).toBe(N);
      expect(b.sources[0].readFile(`/proc/${FIRST_PID + N - 1}/stat`)).toMatchObject({ status: 'ok', value: expect.stringMatching(new RegExp(`^${FIRST_PID + N - 1} \\(sleeper-${N - 1}\\) `)) as unknown });
      expect(b.sources[1].readDir(`/proc/${FIRST_PID}/fd`)).toEqual({ status: 'ok', value: ['0', '1', '2'] });
    } finally {
      b.close();
    }
  }, 300_000);
});
