import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../../helpers/capabilities.js';
import { command, compileC } from '../../helpers/bpf.js';
import { BUSY_C, BUSY_C_FLAGS } from '../../helpers/busy-c.js';

const req = liveRequirement('root', 'cmd:cc', 'cmd:python3');
const DIAG = join(import.meta.dirname, '../../../bin/diag.js');

describe.skipIf(req.skip)('diag probe profile --flamegraph (live)', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('a busy function compiled with frame pointers is in the SVG, which parses as XML', async () => {
    const bin = compileC('diagt-lat-busy', BUSY_C, BUSY_C_FLAGS);
    cleanups.push(bin.remove);
    const child = spawn(bin.path, [], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    const svgPath = join(bin.path, '..', 'cpu.svg');
    const r = await command(process.execPath, [DIAG, 'probe', 'profile', '--duration', '2s', '--hz', '99', '--pid', String(child.pid), '--flamegraph', svgPath], 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`flame graph: ${svgPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(\\d+ stacks\\)`));
    expect(r.stderr).toMatch(/frame pointers: \d+% of user stacks have callers \(walked through frame pointers\)/);
    const svg = readFileSync(svgPath, 'utf8');
    const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1] ?? '');
    const hot = titles.find((t) => t.startsWith('diagt_lat_hot_function ('));
    expect(hot, titles.slice(0, 20).join('\n')).toBeDefined();
    // The process's name is the root's child.
    expect(titles.some((t) => t.startsWith('diagt-lat-busy (')), titles.join('\n')).toBe(true);
    const parsed = await command('python3', ['-c', 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1]); print("ok")', svgPath]);
    expect(parsed.stdout.trim(), parsed.stderr).toBe('ok');
  });
});
