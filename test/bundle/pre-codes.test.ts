import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle, type OpenBundle } from '../../src/bundle/reader.js';
import { reportSchema, type Report } from '../../src/engine/report-schema.js';
import { runPlaybook } from '../../src/engine/run.js';
import { cliSession } from '../../src/cli/session.js';

/**
 * A bundle written before outcomes had codes (test/fixtures/bundles/README.md) still replays to
 * the findings it was captured with, and its recorded failures get their codes back.
 */
const FILE = fileURLToPath(new URL('../fixtures/bundles/pre-codes-7704c47.tar.gz', import.meta.url));
let bundle: OpenBundle;
let stored: Report;
let replayed: Report;

beforeAll(async () => {
  bundle = await openBundle(FILE);
  stored = reportSchema.parse(bundle.report);
  const session = cliSession();
  const playbook = session.loaded.playbooks.get('use')!;
  replayed = await runPlaybook({
    playbook,
    catalogue: session.catalogue,
    collectors: session.collectors,
    sources: bundle.sources,
    windowMs: bundle.manifest.windowMs,
  });
});
afterAll(() => bundle?.close());

describe('a bundle written before outcome codes', () => {
  it('replays to the findings (as judged), coverage and status stored at capture', () => {
    expect(stored.findings.length).toBe(7);
    // The judgement: what was found, where, how bad, on which numbers. (What a finding suggests
    // next, its drill-downs and culprits follow the playbooks of the diag that replays it.)
    const judged = (r: Report) => r.findings.map((f) => ({ id: f.id, severity: f.severity, title: f.title, metric: f.evidence.metric, value: f.evidence.value, fields: f.evidence.fields, threshold: f.evidence.threshold }));
    expect(judged(replayed)).toEqual(judged(stored));
    // every cell as it was; every check judged then judged the same (checks added since come on top)
    expect(replayed.coverage.map(({ checks: _c, ...cell }) => cell)).toEqual(stored.coverage.map(({ checks: _c, ...cell }) => cell));
    replayed.coverage.forEach((cell, i) => {
      const now = new Map(cell.checks.map((c) => [c.id, c]));
      for (const c of stored.coverage[i]!.checks) expect(now.get(c.id)).toEqual(c);
    });
    expect(replayed.status).toBe(stored.status);
    expect(replayed.unavailable.map(({ code: _code, ...rest }) => rest)).toEqual(stored.unavailable);
  });
  it('gets the codes of its recorded failures back', async () => {
    const [, second] = bundle.sources;
    expect(second.readLink('/proc/1/ns/net')).toEqual({ status: 'unavailable', code: 'permission', reason: '/proc/1/ns/net: permission denied', hint: 'run diag as root' });
    expect(second.readLink('/proc/22324/ns/net')).toEqual({ status: 'unavailable', code: 'not-found', reason: '/proc/22324/ns/net does not exist' });
    expect(second.readFile('/sys/class/net/lo/speed')).toEqual({ status: 'unavailable', code: 'unsupported', reason: '/sys/class/net/lo/speed: not supported here (EINVAL)' });
    // and what it does not hold is not captured
    expect(second.readFile('/proc/pressure/dcodes')).toMatchObject({ status: 'unavailable', code: 'not-captured' });
    expect(await second.run({ cmd: 'nft', args: ['--dcodes'] })).toMatchObject({ status: 'unavailable', code: 'not-captured' });
  });
  it('reads its manifest, which has no codes', () => {
    expect(bundle.manifest.collectors.map((c) => c.id)).toContain('cpu');
    expect(bundle.manifest.collectors.every((c) => c.code === undefined)).toBe(true);
  });
});
