import { describe, expect, it } from 'vitest';
import { profileProbe, type ProfileResult } from '../../collectors/bpf/profile.js';
import { runqlatCapture } from '../helpers/bpf-capture.js';
import { topFunctions, topFunctionsText } from '../../collectors/bpf/top-functions.js';

// Stacks root first, as the profile decodes them: main calls hot (which calls a kernel path) and cold.
const STACKS = [
  { frames: ['main', 'hot'], count: 60 },
  { frames: ['main', 'hot', 'entry_SYSCALL_64_[k]', 'do_syscall_64_[k]'], count: 20 },
  { frames: ['main', 'cold'], count: 15 },
  { frames: ['main'], count: 5 },
  // recursion: counted once in its total
  { frames: ['main', 'walk', 'walk', 'walk'], count: 0 },
];

describe('top functions of a profile', () => {
  it('self is the leaf, total anywhere on the stack, both as shares of all samples', () => {
    const top = topFunctions(STACKS, 10);
    expect(top.map((f) => [f.name, f.self, f.total])).toEqual([
      ['hot', 60, 80],
      ['do_syscall_64_[k]', 20, 20],
      ['cold', 15, 15],
      ['main', 5, 100],
      ['entry_SYSCALL_64_[k]', 0, 20],
    ]);
    expect(top[0]).toMatchObject({ selfPct: 60, totalPct: 80 });
    expect(top[3]).toMatchObject({ selfPct: 5, totalPct: 100 });
    expect(topFunctions(STACKS, 2).map((f) => f.name)).toEqual(['hot', 'do_syscall_64_[k]']);
  });

  it('a recursive function counts once per stack in its total; an empty stack is [unknown]; no samples, no rows', () => {
    const top = topFunctions([{ frames: ['a', 'r', 'r', 'r'], count: 4 }, { frames: [], count: 1 }]);
    expect(top.find((f) => f.name === 'r')).toMatchObject({ self: 4, total: 4, totalPct: 80 });
    expect(top.find((f) => f.name === '[unknown]')).toMatchObject({ self: 1, selfPct: 20 });
    expect(topFunctions([])).toEqual([]);
    expect(topFunctionsText([], 0)).toEqual(['no samples']);
    expect(topFunctionsText(topFunctions(STACKS, 1), 100)).toEqual(['top functions by self time (100 samples; total: with what they call)', '  self %  total %  function', '    60.0     80.0  hot']);
  });

  it('the profile probe\'s tables: one row per function with its shares, and a summary', () => {
    const def = profileProbe({ hz: 49 });
    const result: ProfileResult = { hz: 49, samples: 100, stacks: STACKS.map((s) => ({ tgid: 7, pid: 7, comm: 'app', ...s })), folded: '', speedscope: { $schema: '', exporter: '', name: '', shared: { frames: [] }, profiles: [] } };
    const rows = def.collector!.rows(result, runqlatCapture(2000));
    expect(rows.profile_functions?.[0]).toEqual({ key: 'hot', labels: { function: 'hot' }, values: { self_pct: 60, total_pct: 80, self_samples: 60, total_samples: 80 } });
    expect(rows.profile_summary).toEqual([{ key: 'host', values: { samples: 100, hz: 49, seconds: 2, lost_ring: 0, lost_map: 0 } }]);
  });
});
