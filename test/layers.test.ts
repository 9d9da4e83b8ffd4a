import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLayers, importsOf, repositorySources } from './helpers/import-layers.js';

/**
 * Imports point downward only (docs/architecture.md, "Layers"): core imports nothing above it,
 * collectors only core, the engine core (and collectors' types), bundle core, report the engine
 * and below, the TUI report and below, and the CLI composes everything: it alone imports the
 * collector registry and loads BPF probes, handing both to the engine.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the import graph', () => {
  it('reads static, dynamic and type-only imports with the TypeScript parser', () => {
    const text = [
      "import type { A } from './a.js';",
      "import { b, type B } from '../b.js';",
      "import { type C } from './c.js';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      'const f = await import(\'../../collectors/bpf/probe.js\');',
      "type G = import('./g.js').G;",
      "import { z } from 'zod';",
      "// import { nope } from '../tui/app.js';",
      "const s = '../cli/main.js';",
    ].join('\n');
    expect(importsOf('src/engine/x.ts', text).map((e) => [e.line, e.to ?? e.specifier, e.typeOnly, e.dynamic])).toEqual([
      [1, 'src/engine/a.ts', true, false],
      [2, 'src/b.ts', false, false],
      [3, 'src/engine/c.ts', true, false],
      [4, 'src/engine/d.ts', false, false],
      [5, 'src/engine/e.ts', true, false],
      [6, 'collectors/bpf/probe.ts', false, true],
      [7, 'src/engine/g.ts', true, true],
      [8, 'zod', false, false],
    ]);
  });

  it('reports every upward import planted in a tree (so it can fail)', () => {
    const planted = new Map<string, string>([
      ['src/core/sample.ts', "import { runPlaybook } from '../engine/run.js';\nimport { COLLECTORS } from '../../collectors/index.js';\nimport type { Finding } from '../engine/report-schema.js';"],
      ['collectors/procfs/cpu/collector.ts', "import { buildCatalogue } from '../../../src/engine/metrics.js';\nconst t = await import('../../../src/tui/app.js');\nimport { render } from '../../../src/report/text.js';\nimport { x } from '../../../src/bundle/writer.js';\nimport { y } from '../../../src/cli/main.js';"],
      ['src/engine/session.ts', "import { COLLECTORS } from '../../collectors/index.js';\nconst p = await import('../../collectors/bpf/probe.js');\nimport { a } from '../tui/app.js';\nimport { b } from '../cli/main.js';\nimport { c } from '../bundle/writer.js';"],
      ['src/bundle/writer.ts', "import { runPlaybook } from '../engine/run.js';\nimport { t } from '../tui/app.js';\nimport { m } from '../cli/main.js';"],
      ['src/report/text.ts', "import { a } from '../tui/app.js';\nimport { b } from '../cli/main.js';"],
      ['src/recorder/store.ts', "import { ok } from '../core/outcome.js';"],
    ]);
    expect(checkLayers(planted)).toEqual([
      'src/core/sample.ts:1: ../engine/run.js: src/core imports src/engine: it may import src/core',
      'src/core/sample.ts:2: ../../collectors/index.js: src/core imports the collector registry: only src/cli composes it (pass the collectors in)',
      'src/core/sample.ts:3: ../engine/report-schema.js: src/core imports types from src/engine: it may import src/core',
      'collectors/procfs/cpu/collector.ts:1: ../../../src/engine/metrics.js: collectors imports src/engine: it may import collectors, src/core',
      'collectors/procfs/cpu/collector.ts:2: ../../../src/tui/app.js: collectors dynamically imports src/tui: it may import collectors, src/core',
      'collectors/procfs/cpu/collector.ts:3: ../../../src/report/text.js: collectors imports src/report: it may import collectors, src/core',
      'collectors/procfs/cpu/collector.ts:4: ../../../src/bundle/writer.js: collectors imports src/bundle: it may import collectors, src/core',
      'collectors/procfs/cpu/collector.ts:5: ../../../src/cli/main.js: collectors imports src/cli: it may import collectors, src/core',
      'src/engine/session.ts:1: ../../collectors/index.js: src/engine imports the collector registry: only src/cli composes it (pass the collectors in)',
      'src/engine/session.ts:2: ../../collectors/bpf/probe.js: src/engine dynamically imports collectors: it may import src/engine, src/core, collectors (types only)',
      'src/engine/session.ts:3: ../tui/app.js: src/engine imports src/tui: it may import src/engine, src/core, collectors (types only)',
      'src/engine/session.ts:4: ../cli/main.js: src/engine imports src/cli: it may import src/engine, src/core, collectors (types only)',
      'src/engine/session.ts:5: ../bundle/writer.js: src/engine imports src/bundle: it may import src/engine, src/core, collectors (types only)',
      'src/bundle/writer.ts:1: ../engine/run.js: src/bundle imports src/engine: it may import src/bundle, src/core',
      'src/bundle/writer.ts:2: ../tui/app.js: src/bundle imports src/tui: it may import src/bundle, src/core',
      'src/bundle/writer.ts:3: ../cli/main.js: src/bundle imports src/cli: it may import src/bundle, src/core',
      'src/report/text.ts:1: ../tui/app.js: src/report imports src/tui: it may import src/report, src/engine, collectors, src/core',
      'src/report/text.ts:2: ../cli/main.js: src/report imports src/cli: it may import src/report, src/engine, collectors, src/core',
      'src/recorder/store.ts:1: ../core/outcome.js: src/recorder is no layer of docs/architecture.md: add it to LAYERS (test/helpers/import-layers.ts) with what it may import',
    ]);
  });

  it('allows what points downward', () => {
    const fine = new Map<string, string>([
      ['src/cli/session.ts', "import { COLLECTORS } from '../../collectors/index.js';\nimport { openSession } from '../engine/session.js';\nconst p = await import('../../collectors/bpf/probe.js');"],
      ['src/tui/app.ts', "import { runPlaybook } from '../engine/run.js';\nimport { renderText } from '../report/text.js';\nimport { ok } from '../core/outcome.js';"],
      ['src/engine/evaluate.ts', "import type { Row } from '../../collectors/procfs/cpu/collector.js';\nimport { deriveModel } from '../core/derive.js';"],
      ['collectors/commands/nic/collector.ts', "import { runTool } from '../command.js';\nimport { ok } from '../../../src/core/outcome.js';"],
      ['test/engine/x.test.ts', "import { COLLECTORS } from '../../collectors/index.js';\nimport { runTui } from '../../src/tui/app.js';"],
    ]);
    expect(checkLayers(fine)).toEqual([]);
  });

  it('holds for every file under src/ and collectors/', () => {
    const files = repositorySources(ROOT);
    for (const f of ['src/cli/session.ts', 'src/engine/session.ts', 'collectors/index.ts', 'src/core/outcome.ts']) expect(files.has(f)).toBe(true);
    expect(checkLayers(files)).toEqual([]);
  });
});
