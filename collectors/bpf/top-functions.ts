/**
 * The functions a CPU profile spends its samples in: self (the function is the leaf: running its
 * own code) and total (it is anywhere on the stack: its own code and what it calls), each as a
 * share of all samples. A function recursing is counted once per stack in its total.
 */
export interface FunctionShare {
  readonly name: string;
  readonly self: number;
  readonly total: number;
  readonly selfPct: number;
  readonly totalPct: number;
}

/** Stacks root first (as ProfileStack.frames); an empty stack counts as "[unknown]". */
export function topFunctions(stacks: ReadonlyArray<{ readonly frames: readonly string[]; readonly count: number }>, top = 10): FunctionShare[] {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (const s of stacks) {
    if (!(s.count > 0)) continue;
    all += s.count;
    const frames = s.frames.length > 0 ? s.frames : ['[unknown]'];
    const leaf = frames[frames.length - 1]!;
    self.set(leaf, (self.get(leaf) ?? 0) + s.count);
    for (const f of new Set(frames)) total.set(f, (total.get(f) ?? 0) + s.count);
  }
  if (all === 0) return [];
  return [...total.entries()]
    .map(([name, t]) => ({ name, self: self.get(name) ?? 0, total: t, selfPct: (100 * (self.get(name) ?? 0)) / all, totalPct: (100 * t) / all }))
    .sort((a, b) => b.self - a.self || b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, Math.max(0, top));
}

/** The table a person reads: self %, total %, function (kernel frames keep their "_[k]" suffix). */
export function topFunctionsText(rows: readonly FunctionShare[], samples: number): string[] {
  if (rows.length === 0) return ['no samples'];
  return [
    `top functions by self time (${samples} samples; total: with what they call)`,
    '  self %  total %  function',
    ...rows.map((r) => `${r.selfPct.toFixed(1).padStart(8)} ${r.totalPct.toFixed(1).padStart(8)}  ${r.name}`),
  ];
}
