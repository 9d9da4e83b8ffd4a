import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupCollector } from '../../collectors/cgroup/collector.js';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import type { Finding, Report } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/**
 * cgroup v2 from real v2-only hosts (test/fixtures/cgroup/v2-hosts/*, PROVENANCE.md beside each):
 * our machines are hybrid, so these captured trees are how v2 runs through the same playbooks
 * and the same assertions as the live v1 tests: the finding under the exact cgroup scope, the
 * cgroup named first among the culprits, and nothing for a quiet cgroup (with a positive
 * control on the same tree). A capture is one moment: sample 1 is the captured files verbatim,
 * sample 0 the same files with the named counters rewound by the stated amounts (the fault
 * "during the window"); every edit is listed in the test and in PROVENANCE.md.
 */
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

const BASE = new URL('../fixtures/cgroup/v2-hosts/', import.meta.url).pathname;

/** Every file of a captured tree, by host path. */
function captured(name: string): Record<string, string> {
  const root = join(BASE, name, 'tree');
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[`/${relative(root, p)}`] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** `key N` -> `key N-by` in a flat-keyed or PSI file (`total=` for PSI lines). */
function rewind(text: string, key: string, by: number): string {
  const re = new RegExp(`(^|\\s)(${key}[ =])(\\d+)`, 'm');
  const m = re.exec(text);
  if (!m) throw new Error(`no ${key} in ${JSON.stringify(text.slice(0, 80))}`);
  return text.replace(re, (_, pre: string, k: string, v: string) => `${pre}${k}${Number(v) - by}`);
}

type Edits = Record<string, Array<[key: string, by: number]>>;

async function judge(name: string, edits: Edits, playbook: string, target?: { cgroup: string }): Promise<Report> {
  const now = captured(name);
  const before = { ...now };
  for (const [path, list] of Object.entries(edits)) for (const [key, by] of list) before[path] = rewind(before[path]!, key, by);
  const clock = (ms: number) => ({ 'clock.json': { monoMs: ms, wall: new Date(1_700_000_000_000 + ms).toISOString() } });
  const a = fixtureTree(before, clock(0));
  const b = fixtureTree(now, clock(1000));
  cleanups.push(a.cleanup, b.cleanup);
  const pb = loaded.playbooks.get(playbook)!;
  return runPlaybook({ playbook: pb, catalogue: cat, collectors: [cgroupCollector], sources: [a.source, b.source], windowMs: 1000, ...(target ? { target } : {}) });
}

const cgroupFindings = (r: Report) => r.findings.filter((f) => f.scope.startsWith('cgroup:'));
const summary = (fs: Finding[]) => fs.map((f) => `${f.check}@${f.scope} ${f.severity}`).sort();

const SESSION = '/user.slice/user-1000.slice/session-520.scope';
const S = `/sys/fs/cgroup${SESSION}`;

describe('a v2-only Fedora host (systemd session scope, cpu memory pids controllers)', () => {
  it('quiet: the session scope is walked and judged, and raises nothing', async () => {
    // a second of ordinary work: 10 ms of CPU, 1 ms of memory stall
    const r = await judge('fedora-session', { [`${S}/cpu.stat`]: [['usage_usec', 10_000]], [`${S}/memory.pressure`]: [['total', 1000]] }, 'use');
    expect(summary(cgroupFindings(r))).toEqual([]);
    // judged, not skipped: the cgroup checks ran over rows of this tree
    const cells = r.coverage.flatMap((c) => c.checks).filter((c) => c.id.startsWith('cgroup-'));
    expect(cells.filter((c) => c.status !== 'unknown' && c.scopes > 0).length, JSON.stringify(cells)).toBeGreaterThan(0);
  });

  it('positive control on the same tree: 600 ms of 1 s stalled on memory is the session scope\'s memory pressure (container --cgroup)', async () => {
    // (the use sweep judges memory pressure only for cgroups with a limit; this one has none)
    const r = await judge('fedora-session', { [`${S}/memory.pressure`]: [['total', 600_000]] }, 'container', { cgroup: SESSION });
    const psi = cgroupFindings(r).filter((f) => f.check === 'cg-memory-psi');
    expect(summary(psi)).toEqual([`cg-memory-psi@cgroup:${SESSION} critical`]);
    expect(psi[0]!.culprits?.[0]?.entity.id).toBe(`cgroup:${SESSION}`);
  });
});

const DOCKER_ID = '1c8fa019edd4b9d4b2856f4932c55929c5c118c808ed5faee9a135ca6e84b039';
const DOCKER = `/system.slice/docker-${DOCKER_ID}.scope`;
const DS = `/sys/fs/cgroup${DOCKER}`;

describe('a docker container on a v2 host (system.slice/docker-ID.scope)', () => {
  it('the OOM kill and the limit hits its memory.events counted are found under its scope, the container named', async () => {
    // memory.events as captured: max 2, oom 1, oom_kill 1; rewound to 0 before the window
    const r = await judge('docker-scope', { [`${DS}/memory.events`]: [['max', 2], ['oom', 1], ['oom_kill', 1]] }, 'container', { cgroup: DOCKER });
    const oom = cgroupFindings(r).filter((f) => f.check === 'cg-oom-kills');
    expect(summary(oom)).toEqual([`cg-oom-kills@cgroup:${DOCKER} critical`]);
    expect(oom[0]!.evidence.value).toBe(1);
    expect(oom[0]!.culprits?.[0]?.entity).toMatchObject({ kind: 'cgroup', id: `cgroup:${DOCKER}` });
    expect(oom[0]!.culprits?.[0]?.entity.name).toContain(DOCKER_ID.slice(0, 12));
  });

  it('without the rewind (nothing moved in the window) the same tree raises no OOM finding', async () => {
    const r = await judge('docker-scope', {}, 'container', { cgroup: DOCKER });
    expect(summary(cgroupFindings(r).filter((f) => f.check === 'cg-oom-kills'))).toEqual([]);
    expect(r.coverage.flatMap((c) => c.checks).find((c) => c.id === 'cg-oom-kills')).toMatchObject({ status: 'ok' });
  });
});
