import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleProcFile } from '../helpers/bundle-files.js';
import { diag } from '../helpers/diag-cli.js';

/**
 * Snapshot bundles end to end with the built CLI: replay equivalence, redaction of planted
 * secrets (while the processes stay listed), no overwrite without --force, and kill -9.
 */
const work = mkdtempSync(join(tmpdir(), 'diag-snap-test-'));
const children: ChildProcess[] = [];

/**
 * Secrets where a snapshot reads them (argv) are masked by a rule whose hits are counted below;
 * the env and config-file ones are guards of another kind: diag never stores environ, nor reads
 * a file because a command line names it. Secrets in names (comm, cgroups, mounts, netns,
 * interfaces) are planted by redact.live.test.ts from the 126-secret corpus.
 */
const SECRETS = {
  optionSpace: 'SpaceSecret-7f3a91c2',
  optionEquals: 'EqualsSecret-0b8e22d4',
  mysql: 'MysqlSecret-55aa10ee',
  url: 'UrlSecret-9c0ffee1',
  header: 'HeaderSecret-b16b00b5',
  envDb: 'EnvSecret-d00dfeed',
  envAws: 'AwsEnvSecret-c0ffee42',
  configIni: 'IniSecret-facefeed',
  configYaml: 'YamlSecret-deadbea7',
  configJson: 'JsonSecret-abad1dea',
};

function plant(argv0: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  // bash keeps its arguments in its argv (/proc/PID/cmdline) while it sleeps ("; :" stops it
  // from exec'ing sleep); exec -a sets argv[0] to the program name we pretend to be.
  // detached: a session of its own, so the clean-up ends the sleep with the bash that waits on it
  const c = spawn('bash', ['-c', 'exec -a "$0" /bin/bash -c "sleep 60; :" "$@"', argv0, ...args], {
    stdio: 'ignore',
    detached: true,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  children.push(c);
  return c;
}

function grepTree(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else if (readFileSync(p).includes(needle)) hits.push(p);
  };
  walk(dir);
  return hits;
}

/**
 * The text of a bundle file that came from the host. In records/model.json that is the rows and
 * statuses: the field titles are diag's own words ("vm.overcommit_memory"), which a short host
 * name such as "vm" would otherwise match.
 */
function hostText(p: string): string {
  const text = readFileSync(p, 'utf8');
  if (!p.endsWith('records/model.json')) return text;
  const m = JSON.parse(text) as { tables: Record<string, { rows?: unknown; status?: unknown; reason?: unknown }> };
  return JSON.stringify(Object.values(m.tables).map((t) => [t.rows, t.status, t.reason]));
}

function untar(file: string): string {
  const dir = mkdtempSync(join(work, 'unpacked-'));
  const r = spawnSync('tar', ['-xzf', file, '-C', dir]);
  expect(r.status).toBe(0);
  return dir;
}

let planted: ChildProcess[] = [];

beforeAll(async () => {
  const configDir = join(work, 'etc');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'app.ini'), `[db]\npassword=${SECRETS.configIni}\n`);
  writeFileSync(join(configDir, 'app.yaml'), `db:\n  password: "${SECRETS.configYaml}"\n`);
  writeFileSync(join(configDir, 'app.json'), JSON.stringify({ api_token: SECRETS.configJson }));
  planted = [
    plant('secretapp', ['--password', SECRETS.optionSpace, '--config', join(configDir, 'app.ini')], { DB_PASSWORD: SECRETS.envDb, AWS_SECRET_ACCESS_KEY: SECRETS.envAws }),
    plant('tokenapp', [`--api-key=${SECRETS.optionEquals}`, `--config=${join(configDir, 'app.yaml')}`]),
    plant('mysql', ['-uroot', `-p${SECRETS.mysql}`, 'shop']),
    plant('migrator', [`postgres://admin:${SECRETS.url}@127.0.0.1:5432/app`, '-H', `Authorization: Bearer ${SECRETS.header}`, join(configDir, 'app.json')]),
  ];
  // let them exec
  await new Promise((r) => setTimeout(r, 300));
}, 30_000);

afterAll(() => {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // the session is gone already
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe('diag snapshot', () => {
  let bundle = '';
  let unpacked = '';

  it('writes a bundle with manifest, report and raw inputs of both samples', async () => {
    bundle = join(work, 'a.tar.gz');
    const r = await diag(['snapshot', '-o', bundle, '--window', '1s']);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(bundle);
    unpacked = untar(bundle);
    for (const f of ['manifest.json', 'report.json', 'report.md', 'records/model.json', 'samples/0/proc/stat', 'samples/1/proc/stat', 'samples/1/.diag/clock.json']) {
      expect(existsSync(join(unpacked, f)), f).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
    expect(manifest.schema).toBe('diag.bundle/v2');
    expect(manifest.windowMs).toBe(1000);
    expect(manifest.redaction.enabled).toBe(true);
    expect(manifest.collectors.map((c: { id: string }) => c.id)).toContain('cpu');
    const report = JSON.parse(readFileSync(join(unpacked, 'report.json'), 'utf8'));
    expect(report.schema).toBe('diag.report/v1');
    expect(report.playbook).toBe('use');
  }, 60_000);

  it('replays to the same findings offline (replay equivalence)', async () => {
    const stored = JSON.parse(readFileSync(join(unpacked, 'report.json'), 'utf8'));
    const r = await diag(['run', 'playbook', 'use', '--from', bundle, '--json']);
    expect([0, 1, 2, 3]).toContain(r.exitCode);
    const replayed = JSON.parse(r.stdout);
    expect(replayed.status).toBe(stored.status);
    expect(replayed.findings).toEqual(stored.findings);
    expect(replayed.coverage).toEqual(stored.coverage);
  }, 60_000);

  it('masks every planted secret and still lists the processes', () => {
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(grepTree(unpacked, secret), `${name} leaked`).toEqual([]);
    }
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
    const hits = Object.fromEntries(manifest.redaction.rules.map((x: { rule: string; hits: number }) => [x.rule, x.hits]));
    expect(hits['secret-option']).toBeGreaterThanOrEqual(2);
    expect(hits['db-client-password']).toBeGreaterThanOrEqual(1);
    expect(hits['url-credentials']).toBeGreaterThanOrEqual(1);
    expect(hits['authorization-header']).toBeGreaterThanOrEqual(1);
    // redaction, not omission: each planted process is in the bundle with its masked command line
    const procs = join(unpacked, 'samples/1/.diag/procs');
    const chunks = readdirSync(procs).map((n) => [`samples/1/.diag/procs/${n}`, readFileSync(join(procs, n))] as const);
    for (const c of planted) {
      const cmdline = bundleProcFile(chunks, 'samples/1', c.pid!, 'cmdline');
      expect(cmdline, `cmdline of ${c.pid}`).toBeDefined();
      expect(cmdline).toContain('*****');
    }
    // environment files are never stored
    expect(grepTree(unpacked, 'environ').filter((p) => p.endsWith('/environ'))).toEqual([]);
  });

  it('obfuscates host names and addresses consistently with --obfuscate', async () => {
    const file = join(work, 'obf.tar.gz');
    const r = await diag(['snapshot', '-o', file, '--window', '200ms', '--obfuscate']);
    expect(r.exitCode, r.stderr).toBe(0);
    const dir = untar(file);
    const hostname = readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
    const whole = new RegExp(`(?<![A-Za-z0-9_.-])${hostname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9_-])`);
    const leaks: string[] = [];
    const walk = (p: string) => {
      if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
      else if (whole.test(hostText(p))) leaks.push(p);
    };
    walk(dir);
    expect(leaks).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.redaction.obfuscated).toBe(true);
    expect(manifest.host.hostname.length).toBe(hostname.length);
  }, 60_000);

  it('does not overwrite an existing file without --force', async () => {
    const file = join(work, 'exists.tar.gz');
    writeFileSync(file, 'precious');
    const r = await diag(['snapshot', '-o', file, '--window', '100ms']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/already exists/);
    expect(r.stderr).toMatch(/--force/);
    expect(readFileSync(file, 'utf8')).toBe('precious');
    const forced = await diag(['snapshot', '-o', file, '--window', '100ms', '--force']);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  }, 60_000);

  it('leaves nothing under the final name when killed with -9', async () => {
    const dir = mkdtempSync(join(work, 'kill-'));
    const file = join(dir, 'killed.tar.gz');
    const child = spawn(process.execPath, ['bin/diag.js', 'snapshot', '-o', file, '--window', '3s'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    // Kill it inside the window, once it is recording and its partial archive is being written
    // (however long a loaded host takes to start it), not before it began.
    let stderr = '';
    await new Promise<void>((resolve) => {
      const give = setTimeout(resolve, 20_000);
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (/recording/.test(stderr)) {
          clearTimeout(give);
          resolve();
        }
      });
    });
    expect(stderr).toMatch(/recording/);
    // The partial archive is opened once the first sample's synchronous reads let the event loop
    // run (seconds on a loaded host): wait until it exists (bounded) rather than a fixed time.
    const partialThere = () => readdirSync(dir).some((n) => n.startsWith('.killed.tar.gz.partial-'));
    for (let i = 0; i < 400 && !partialThere() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(partialThere()).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((n) => !n.startsWith('.'))).toEqual([]);
    // the next snapshot in that folder, to any name, removes the dead writer's partial archive,
    // never one a live process may still be writing
    const live = spawn('sleep', ['60'], { argv0: 'diagt-bs-live-writer', stdio: 'ignore' });
    children.push(live);
    const livePartial = `.busy.tar.gz.partial-${live.pid}`;
    writeFileSync(join(dir, livePartial), 'being written');
    const again = await diag(['snapshot', '-o', join(dir, 'other.tar.gz'), '--window', '100ms']);
    expect(again.exitCode).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([livePartial, 'other.tar.gz']);
    live.kill('SIGKILL');
  }, 60_000);

  it('refuses bad options with exit 64', async () => {
    const r = await diag(['snapshot', '--window', 'soon']);
    expect(r.exitCode).toBe(64);
    const r2 = await diag(['snapshot', '-o', join(work, 'x.zip')]);
    expect(r2.exitCode).toBe(64);
  });
});
