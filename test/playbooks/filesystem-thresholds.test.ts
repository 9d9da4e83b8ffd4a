import { afterAll, describe, expect, it } from 'vitest';
import { filesystemCollector } from '../../collectors/procfs/filesystems/collector.js';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import { runPlaybook } from '../../src/engine/run.js';
import { fixtureTree } from '../helpers/fixture-host.js';

/**
 * The disk playbook's filesystem-capacity thresholds at their edges (warning 90 %, critical
 * 95 %, df's rounded-up Use%): three ext4 mounts at 89, 94 and 96 %. The live scenario fills a
 * filesystem to 100 %, which any critical threshold up to 100 would pass; the mutation check
 * (scripts/mutate.mjs) showed that, so the edges are pinned here.
 */
const cat = buildCatalogue(COLLECTORS);
const loaded = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }]);
const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '30 22 8:17 / /srv/a rw,relatime shared:2 - ext4 /dev/sdb1 rw',
  '31 22 8:33 / /srv/b rw,relatime shared:3 - ext4 /dev/sdc1 rw',
  '',
].join('\n');
/** blocks of 4 KiB, `free` of them free and available: Use% = 100 - free/10 for 1000 blocks. */
const fs = (free: number) => ({ type: 0xef53, bsize: 4096, blocks: 1000, bfree: free, bavail: free, files: 1000, ffree: 900 });

describe('filesystem-capacity at its thresholds', () => {
  it('89 % is nothing, 94 % a warning, 96 % critical, each under its mount', async () => {
    const tree = () => {
      const t = fixtureTree({ '/proc/self/mountinfo': MOUNTINFO, '/proc/filesystems': 'nodev\tproc\n\text4\n' }, { 'statfs.json': { '/': fs(110), '/srv/a': fs(60), '/srv/b': fs(40) } });
      cleanups.push(t.cleanup);
      return t.source;
    };
    const r = await runPlaybook({ playbook: loaded.playbooks.get('disk')!, catalogue: cat, collectors: [filesystemCollector], sources: [tree(), tree()], windowMs: 1000 });
    const cap = r.findings.filter((f) => f.check === 'filesystem-capacity').map((f) => `${f.scope} ${f.severity} ${f.evidence.value}`).sort();
    expect(cap).toEqual(['mount:/srv/a warning 94', 'mount:/srv/b critical 96']);
    expect(r.coverage.flatMap((c) => c.checks).find((c) => c.id === 'filesystem-capacity')).toMatchObject({ status: 'finding', scopes: 3 });
  });
});
