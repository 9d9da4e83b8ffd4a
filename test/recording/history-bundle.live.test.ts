import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/bundle/archive.js';
import { reportSchema } from '../../src/engine/report-schema.js';
import { bundleHistory } from '../../src/recording/bundle-history.js';
import { History } from '../../src/recording/history.js';
import { DirStore } from '../../src/recording/store.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';
import { builtCli, DIAG, until } from '../scenarios/helpers.js';

/**
 * `diag snapshot --recording DIR --since`: a bundle of a recording's history. A process of ours
 * carries a password in its argv while a recorder (1 s) runs: the raw recording holds it (the
 * recorder stores what it reads), the bundle holds it nowhere (no entry, no history sample), and
 * the bundle is judged by `run --from` (its last window, as report.json says) and by
 * `--recording BUNDLE --since` (every window of its history). Processes ours, killed by PID.
 */
const req = liveRequirement('root', 'cmd:sleep');
const SECRET = `diagtRecSecret${process.pid}x7Q`;
const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), `diagt-rec-${process.pid}-`));
const out = join(dir, 'history.tar.gz');
const rec = join(dir, 'rec');

/** SIGKILL to the process group of a child started with detached: true (its own session). */
function killSession(c: ChildProcess): void {
  if (c.pid === undefined) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (started[0]) killSession(started[0]);
  rmSync(dir, { recursive: true, force: true });
});

const history = () => {
  const store = new DirStore(rec);
  const meta = store.meta();
  return meta ? new History(store, meta) : undefined;
};
const holds = (h: History, needle: string) => h.samples().some((s) => [...(h.flat(s)?.values() ?? [])].some((v) => v.includes(needle)) || [...(h.flat(s)?.keys() ?? [])].some((k) => k.includes(needle)));

describe.skipIf(req.skip)('a bundle of a recorded history (live)', () => {
  it('is redacted in every sample, judged by --from and walked by --recording --since', async () => {
    builtCli();
    // its own session: the sh and its sleep are ended together, by session (killing the sh alone
    // left the sleep running, re-parented to init)
    const secretive = spawn('sh', ['-c', 'sleep 30; :', 'diagt-rec', `--password=${SECRET}`], { stdio: 'ignore', detached: true });
    started.push(secretive);
    const recorder = spawn(process.execPath, [DIAG, 'record', '--dir', rec, '--interval', '1s', '--quiet'], { stdio: 'ignore' });
    started.push(recorder);
    await until(() => (history()?.samples().length ?? 0) >= 3, 20_000, 'three recorded samples');
    recorder.kill('SIGTERM');
    await new Promise((r) => (recorder.exitCode !== null ? r(null) : recorder.once('exit', r)));
    killSession(secretive);
    // the raw recording holds the secret: the redaction below is tested on a real one
    expect(holds(history()!, SECRET)).toBe(true);

    const snap = await diag(['snapshot', '--recording', rec, '--since', '-10m', '-o', out]);
    expect(snap.exitCode, snap.stderr).toBe(0);
    const entries = await readArchive(out);
    expect([...entries.keys()].filter((k) => k.startsWith('history/seg-')).length).toBeGreaterThan(0);
    for (const [name, b] of entries) {
      expect(name.includes(SECRET), name).toBe(false);
      expect(b.toString('latin1').includes(SECRET), name).toBe(false);
    }
    const h = (await bundleHistory(out))!;
    expect(h.samples().length).toBeGreaterThanOrEqual(3);
    expect(holds(h, SECRET)).toBe(false);
    // the process is there, its password masked
    expect(holds(h, '--password=*****')).toBe(true);

    const from = await diag(['run', 'playbook', 'use', '--from', out, '--json', '--changes', 'off']);
    const report = reportSchema.parse(JSON.parse(from.stdout));
    const stored = reportSchema.parse(JSON.parse(entries.get('report.json')!.toString('utf8')));
    expect(report.findings.map((f) => f.id).sort()).toEqual(stored.findings.map((f) => f.id).sort());
    expect(from.exitCode).toBe({ ok: 0, warning: 1, critical: 2, unknown: 3 }[report.status]);

    const since = await diag(['run', 'playbook', 'use', '--recording', out, '--since', '-10m', '--json']);
    const walked = JSON.parse(since.stdout) as { schema: string; windows: number };
    expect(walked.schema).toBe('diag.history/v1');
    expect(walked.windows).toBe(h.samples().length - 1);
  });
});
