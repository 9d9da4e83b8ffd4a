import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureSource } from '../../src/core/fixture-source.js';
import { EXIT_CODES } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { cliSession } from '../../src/cli/session.js';
import { diag } from '../helpers/diag-cli.js';

/**
 * Bundles read back through the built CLI: `diag diff` of two real snapshots with a fault
 * planted between them, every other playbook replayed from a bundle against the same inputs
 * judged from the unpacked tree, `diag open` without a terminal, and a truncated bundle.
 */
const work = mkdtempSync(join(tmpdir(), 'diag-replay-test-'));
const children: ChildProcess[] = [];
let before = '';
let after = '';
let hog: ChildProcess | undefined;

/**
 * A process at 39 of its 40 allowed file descriptors (97 %: the use playbook's critical level).
 * Our own child, so its /proc/PID/fd is readable without root.
 */
function startFdHog(): ChildProcess {
  const script = 'ulimit -n 40; for i in $(seq 3 38); do eval "exec $i</dev/null"; done; exec sleep 30';
  const c = spawn('bash', ['-c', script], { stdio: 'ignore' });
  children.push(c);
  return c;
}

function untar(file: string): string {
  const dir = mkdtempSync(join(work, 'unpacked-'));
  const r = spawnSync('tar', ['-xzf', file, '-C', dir]);
  expect(r.status).toBe(0);
  return dir;
}

beforeAll(async () => {
  before = join(work, 'before.tar.gz');
  const a = await diag(['snapshot', '-o', before, '--window', '300ms']);
  expect(a.exitCode, a.stderr).toBe(0);
  hog = startFdHog();
  // bash has opened its descriptors and exec'd sleep (not a fixed wait)
  const ready = () => {
    try {
      return readFileSync(`/proc/${hog!.pid}/comm`, 'utf8').trim() === 'sleep' && readdirSync(`/proc/${hog!.pid}/fd`).length >= 39;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 200 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(ready(), 'the fd hog at 39 descriptors under sleep').toBe(true);
  after = join(work, 'after.tar.gz');
  const b = await diag(['snapshot', '-o', after, '--window', '300ms']);
  expect(b.exitCode, b.stderr).toBe(0);
}, 60_000);

afterAll(() => {
  for (const c of children) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('diag diff of two real bundles', () => {
  it('shows the planted fault as appeared (JSON), and exits 1', async () => {
    const r = await diag(['diff', before, after, '--json']);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(r.exitCode).toBe(1);
    const d = JSON.parse(r.stdout) as { schema: string; findings: Array<{ change: string; after?: { check?: string; scope: string; severity: string } }> };
    expect(d.schema).toBe('diag.diff/v1');
    const planted = d.findings.filter((f) => f.after?.check === 'process-fd-limit' && f.after.scope === `process:${hog!.pid}`);
    expect(planted).toHaveLength(1);
    expect(planted[0]!.change).toBe('appeared');
    expect(planted[0]!.after!.severity).toBe('critical');
  });

  it('shows it as appeared in text too', async () => {
    const r = await diag(['diff', before, after]);
    expect(r.exitCode).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.includes(`process:${hog!.pid}`) && l.includes('fds'));
    expect(line, r.stdout).toBeDefined();
    expect(line).toMatch(/^\s+appeared\s+critical\s+fds\//);
  });

  it('finds nothing new between a bundle and itself (exit 0)', async () => {
    // the bundle with the fault: its findings (the planted one among them) are all unchanged
    const r = await diag(['diff', after, after, '--json']);
    expect(r.exitCode).toBe(0);
    const d = JSON.parse(r.stdout) as { findings: Array<{ change: string; after?: { check?: string; scope: string } }>; metrics: unknown[] };
    expect(d.findings.filter((f) => f.after?.check === 'process-fd-limit' && f.after.scope === `process:${hog!.pid}`).map((f) => f.change)).toEqual(['unchanged']);
    expect(d.findings.map((f) => f.change).filter((c) => c !== 'unchanged')).toEqual([]);
    expect(d.metrics).toEqual([]);
  });
});

describe('other playbooks replayed from a bundle', () => {
  let tree = '';
  beforeAll(() => {
    // the bundle with the fault, so the comparison is of findings, not of two empty lists
    tree = untar(after);
  });

  for (const name of ['use', 'cpu', 'memory', 'network', '60s']) {
    it(`${name}: --from gives what the same recorded inputs give, unpacked`, async () => {
      const r = await diag(['run', 'playbook', name, '--from', after, '--json']);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
      const replayed = JSON.parse(r.stdout) as { playbook: string; status: keyof typeof EXIT_CODES; findings: unknown; coverage: unknown; unavailable: unknown };
      expect(replayed.playbook).toBe(name);
      expect(r.exitCode).toBe(EXIT_CODES[replayed.status]);

      const manifest = JSON.parse(readFileSync(join(tree, 'manifest.json'), 'utf8')) as { windowMs: number };
      const session = cliSession(undefined, name);
      const playbook = session.loaded.playbooks.get(name);
      expect(playbook, `playbook ${name} loads`).toBeDefined();
      const direct = await runPlaybook({
        playbook: playbook!,
        catalogue: session.catalogue,
        collectors: session.collectors,
        sources: [new FixtureSource(join(tree, 'samples/0'), 'bundle'), new FixtureSource(join(tree, 'samples/1'), 'bundle')],
        windowMs: manifest.windowMs,
      });
      expect(replayed.status).toBe(direct.status);
      // something to compare: use holds the planted finding; every playbook judged rows
      if (name === 'use') expect(direct.findings.map((f) => `${f.check}@${f.scope}`)).toContain(`process-fd-limit@process:${hog!.pid}`);
      expect(direct.coverage.flatMap((c) => c.checks).filter((c) => c.scopes > 0).length).toBeGreaterThan(0);
      expect(replayed.findings).toEqual(JSON.parse(JSON.stringify(direct.findings)));
      expect(replayed.coverage).toEqual(JSON.parse(JSON.stringify(direct.coverage)));
      expect(replayed.unavailable).toEqual(JSON.parse(JSON.stringify(direct.unavailable)));
    }, 60_000);
  }
});

describe('bad ways to read a bundle', () => {
  it('diag open without a terminal is a usage error with the offline alternative', async () => {
    const r = await diag(['open', before]);
    expect(r.exitCode).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^diag: open: needs a terminal\n/);
    expect(r.stderr).toContain(`diag run playbook use --from ${before}`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('a truncated bundle is one clear error line (and a hint), exit != 0, no stack trace', async () => {
    const bytes = readFileSync(before);
    const cut = join(work, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    for (const args of [
      ['run', 'playbook', 'use', '--from', cut, '--json'],
      ['diff', before, cut],
    ]) {
      const r = await diag(args);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^diag: .*cut\.tar\.gz is not a readable diag bundle: .*\(corrupt or truncated\?\)$/);
      expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    }
  });
});
