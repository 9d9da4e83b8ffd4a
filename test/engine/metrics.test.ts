import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTORS, PROBE_COLLECTORS } from '../../collectors/index.js';
import { buildCatalogue, suggestMetrics } from '../../src/engine/metrics.js';

describe('metric catalogue', () => {
  const all = [...COLLECTORS, ...PROBE_COLLECTORS];
  const cat = buildCatalogue(all);

  it('table ids are unique across the collectors and the BPF probes (a metric is table.field)', () => {
    const ids = all.flatMap((c) => Object.keys(c.tables));
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(cat.metrics.get('runqlat_summary.p99_us')).toMatchObject({ collector: 'runqlat', kind: 'gauge', unit: 'us', scope: 'host' });
  });

  it('lists every declared field and derived value of every registered collector and probe, counters as rates', () => {
    for (const c of all) {
      for (const [tid, spec] of Object.entries(c.tables)) {
        for (const [f, fs] of Object.entries(spec.fields)) {
          const m = cat.metrics.get(`${tid}.${f}`);
          expect(m, `${tid}.${f}`).toBeDefined();
          expect(m!.unit).toBe(fs.kind === 'counter' ? `${fs.unit}/s` : fs.unit);
          expect(m!).toMatchObject({ collector: c.id, scope: spec.scope, kind: fs.kind });
        }
        for (const f of Object.keys(spec.derived ?? {})) expect(cat.metrics.get(`${tid}.${f}`)?.kind).toBe('derived');
      }
    }
  });

  it('suggests close names for a typo', () => {
    expect(suggestMetrics(cat, 'cpu.busy_pc')).toContain('cpu.busy_pct');
    expect(suggestMetrics(cat, 'tcp.RetransSeg')).toContain('tcp.RetransSegs');
  });

  it('is what `diag metrics --json` prints (built CLI)', () => {
    const cli = new URL('../../bin/diag.js', import.meta.url);
    expect(existsSync(new URL('../../dist/src/cli/main.js', import.meta.url)), 'run npm run build first').toBe(true);
    const r = spawnSync(process.execPath, [cli.pathname, 'metrics', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { schema: string; metrics: Array<{ name: string }> };
    expect(doc.schema).toBe('diag.metrics/v1');
    expect(doc.metrics.map((m) => m.name).sort()).toEqual([...cat.metrics.keys()].sort());
  });
});
