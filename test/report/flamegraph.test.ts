import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePerfMap } from '../../collectors/bpf/profile.js';
import { escapeXml, flameGraphSvg } from '../../src/report/flamegraph.js';
import { framePointerStatus } from '../../src/report/probe-flamegraph.js';

/** Parses with Python's XML parser (a real one, not ours); returns its error or ''. */
function xmlError(svg: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'diagt-lat-svg-'));
  try {
    writeFileSync(join(dir, 'f.svg'), svg);
    const r = spawnSync('python3', ['-c', 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])', join(dir, 'f.svg')], { encoding: 'utf8' });
    return r.status === 0 ? '' : r.stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('flame graph SVG', () => {
  const svg = flameGraphSvg(
    [
      { frames: ['app', 'main', 'hot<int>&"x"'], count: 30 },
      { frames: ['app', 'main', 'cold'], count: 10 },
      { frames: ['app', 'main', 'hot<int>&"x"', 'memcpy_[k]'], count: 0 },
    ],
    { title: 'CPU <test>', unit: 'samples' },
  );

  it('is well-formed XML, host text escaped', () => {
    expect(xmlError(svg)).toBe('');
    expect(svg).toContain('CPU &lt;test&gt;');
    expect(svg).not.toContain('hot<int>');
    expect(escapeXml('a\u0001b&')).toBe('a?b&amp;');
  });

  it('one box per merged frame, widths by count, titles with counts and shares', () => {
    const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(titles).toEqual(['all (40 samples, 100.00%)', 'app (40 samples, 100.00%)', 'main (40 samples, 100.00%)', 'cold (10 samples, 25.00%)', 'hot&lt;int&gt;&amp;&quot;x&quot; (30 samples, 75.00%)']);
    const w = (name: string) => Number(new RegExp(`data-n="${name}"><title>[^<]*</title><rect x="[^"]*" y="[^"]*" width="([^"]*)"`).exec(svg)?.[1]);
    expect((w('cold') + 0.5) * 3).toBeCloseTo(w('hot&lt;int&gt;&amp;&quot;x&quot;') + 0.5, 5);
    // Interactive: zoom on click, search, reset.
    expect(svg).toMatch(/addEventListener\('click', zoomTo/);
    expect(svg).toContain('id="search"');
    expect(svg).toContain('id="reset"');
  });

  it('an empty run is still a valid SVG', () => {
    expect(xmlError(flameGraphSvg([], { title: 't', unit: 'samples' }))).toBe('');
  });
});

describe('user symbols and frame pointers', () => {
  it('reads /tmp/perf-PID.map lines, skipping bad ones', () => {
    expect(parsePerfMap('7f0000001000 40 LazyCompile:*hot app.js:3\nnot a line\n0x7f0000002000 0x10 stub\n')).toEqual([
      { start: 0x7f0000001000n, size: 0x40n, name: 'LazyCompile:*hot app.js:3' },
      { start: 0x7f0000002000n, size: 0x10n, name: 'stub' },
    ]);
  });

  it('says whether user stacks have callers', () => {
    expect(framePointerStatus([{ frames: ['main', 'hot', 'x_[k]'], weight: 9 }, { frames: ['leaf'], weight: 1 }])).toMatch(/^frame pointers: 90% of user stacks have callers/);
    expect(framePointerStatus([{ frames: ['leaf'], weight: 9 }, { frames: ['main', 'hot'], weight: 1 }])).toMatch(/only 10% .* -fno-omit-frame-pointer/);
    expect(framePointerStatus([{ frames: ['x_[k]'], weight: 3 }])).toMatch(/no user stacks/);
  });
});
