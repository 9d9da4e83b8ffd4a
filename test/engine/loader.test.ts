import { describe, expect, it } from 'vitest';
import { COLLECTORS } from '../../collectors/index.js';
import { builtinPlaybookDir, loadPlaybooks, parsePlaybookFile } from '../../src/engine/loader.js';
import { buildCatalogue } from '../../src/engine/metrics.js';
import { PlaybookCache } from '../../src/engine/playbook-cache.js';
import { catalogue, HEADER, loadFrom } from './helpers.js';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHECK = `checks:
  - id: runq
    resource: cpu
    kind: saturation
    metric: syn_host.running
    divide_by: syn_host.ncpu
    warning: { value: 1.5, source: src }
    critical: { value: 3, source: src }
    title: "run queue {value}"
    explain: "tasks wait"
`;

const errorsOf = (text: string) => parsePlaybookFile('/pb/x.yaml', text, 'dir', catalogue).errors;

describe('playbook loader', () => {
  it('loads a valid playbook and resolves threshold sources', () => {
    const r = loadFrom({ 'ok.yaml': HEADER + CHECK });
    expect(r.errors).toEqual([]);
    const p = r.playbooks.get('t')!;
    expect(p.checks[0]).toMatchObject({ id: 'runq', when: 'above', playbook: 't', sourceRefs: { src: { title: 'a source' } } });
    expect(p.target).toBe('none');
  });

  it('names file, line and reason for invalid YAML', () => {
    const e = errorsOf(HEADER + 'checks:\n  - id: [unclosed\n');
    expect(e).toHaveLength(1);
    expect(e[0]!.file).toBe('/pb/x.yaml');
    expect(e[0]!.position?.line).toBeGreaterThanOrEqual(8);
    expect(e[0]!.message).toMatch(/invalid YAML/);
  });

  it('names the line and field of an unknown field', () => {
    const e = errorsOf(HEADER + CHECK.replace('    kind: saturation\n', '    kind: saturation\n    severity: high\n'));
    expect(e).toHaveLength(1);
    expect(e[0]!.field).toBe('checks[0].severity');
    expect(e[0]!.position?.line).toBe(HEADER.split('\n').length + 4);
    expect(e[0]!.message).toMatch(/unknown field/);
    expect(e[0]!.toString()).toMatch(/^\/pb\/x\.yaml:\d+:\d+: checks\[0\]\.severity: unknown field/);
  });

  it('rejects an unknown metric with a suggestion, naming its line', () => {
    const e = errorsOf(HEADER + CHECK.replace('metric: syn_host.running', 'metric: syn_host.runing'));
    expect(e).toHaveLength(1);
    expect(e[0]!.field).toBe('checks[0].metric');
    expect(e[0]!.position?.line).toBe(HEADER.split('\n').length + 4);
    expect(e[0]!.message).toMatch(/unknown metric "syn_host.runing"; did you mean syn_host.running/);
  });

  it('rejects a threshold of the wrong type', () => {
    const e = errorsOf(HEADER + CHECK.replace('value: 1.5', 'value: "lots"'));
    expect(e).toHaveLength(1);
    expect(e[0]!.field).toBe('checks[0].warning.value');
    expect(e[0]!.message).toMatch(/expected number/);
    expect(e[0]!.position?.line).toBe(HEADER.split('\n').length + 6);
  });

  it('rejects an undefined threshold source, inverted thresholds and checks without thresholds', () => {
    expect(errorsOf(HEADER + CHECK.replace('source: src }\n    critical', 'source: nope }\n    critical'))[0]!.message).toMatch(/unknown source "nope"/);
    expect(errorsOf(HEADER + CHECK.replace('value: 3', 'value: 1'))[0]!.field).toBe('checks[0].critical.value');
    const none = errorsOf(HEADER + CHECK.replace(/ {4}warning:.*\n {4}critical:.*\n/, ''));
    expect(none[0]!.message).toMatch(/warning or a critical threshold/);
  });

  it('rejects filters that compare text with numbers, unknown fields and unknown variables', () => {
    const where = (w: string) => errorsOf(HEADER + CHECK.replace('    divide_by: syn_host.ncpu\n', `    where:\n      - ${w}\n`));
    expect(where('{ on: key, op: gt, value: 3 }')[0]!.message).toMatch(/gt compares numbers/);
    expect(where('{ on: field.nope, op: gt, value: 3 }')[0]!.message).toMatch(/has no field "nope"/);
    expect(where('{ on: label.netns, op: ne, value: "$nope" }')[0]!.message).toMatch(/unknown variable/);
    expect(where('{ on: key, op: in, value: a }')[0]!.message).toMatch(/needs a list/);
    expect(where('{ on: label.x, op: eq, value: "$host_netns" }')).toEqual([]);
  });

  it('rejects measure rate on a gauge and a divisor from another per-row table', () => {
    expect(errorsOf(HEADER + CHECK.replace('    divide_by: syn_host.ncpu\n', '    measure: delta\n'))[0]!.message).toMatch(/gauge, not a counter/);
    expect(errorsOf(HEADER + CHECK.replace('divide_by: syn_host.ncpu', 'divide_by: syn_dev.rotational'))[0]!.message).toMatch(/divide by a field of syn_host or of a host-wide table/);
  });

  it('never lets a bad file stop the others; reports each with its file', () => {
    const r = loadFrom({ 'a-good.yaml': HEADER + CHECK, 'b-bad.yaml': HEADER.replace('name: t', 'name: bad') + 'checks: 7\n', 'c-notamap.yaml': '- just\n- a list\n' });
    expect([...r.playbooks.keys()]).toEqual(['t']);
    expect(r.errors.map((e) => e.file.split('/').pop())).toEqual(['b-bad.yaml', 'c-notamap.yaml']);
  });

  it('resolves includes, detects cycles and duplicate check ids, and fails an includer of a broken playbook', () => {
    const base = HEADER.replace('name: t', 'name: base') + CHECK;
    const top = HEADER.replace('name: t', 'name: top') + 'include: [base]\nchecks: []\n';
    const r = loadFrom({ 'base.yaml': base, 'top.yaml': top });
    expect(r.errors).toEqual([]);
    expect(r.playbooks.get('top')!.checks.map((c) => c.id)).toEqual(['runq']);
    const cyc = loadFrom({ 'a.yaml': HEADER.replace('name: t', 'name: a') + 'include: [b]\n', 'b.yaml': HEADER.replace('name: t', 'name: b') + 'include: [a]\n' });
    expect(cyc.errors.some((e) => /include cycle/.test(e.message))).toBe(true);
    expect(cyc.playbooks.size).toBe(0);
    const dup = loadFrom({ 'base.yaml': base, 'top.yaml': HEADER.replace('name: t', 'name: top') + 'include: [base]\n' + CHECK });
    expect(dup.errors[0]!.message).toMatch(/also in included playbook base/);
    const unknown = loadFrom({ 'top.yaml': top });
    expect(unknown.errors[0]!.message).toMatch(/unknown playbook "base"/);
  });

  it('lets a later directory override a playbook by name and reports a missing --playbook-dir', () => {
    const r = loadPlaybooks(catalogue, [{ dir: '/nonexistent-diagt', origin: 'system' }, { dir: '/nonexistent-diagt-2', origin: 'dir', required: true }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toMatch(/does not exist/);
  });

  it('loads every built-in playbook without errors against the registered collectors', () => {
    const r = loadPlaybooks(buildCatalogue(COLLECTORS), [{ dir: builtinPlaybookDir(), origin: 'builtin' }], { cache: null });
    expect(r.errors.map((e) => e.toString())).toEqual([]);
    for (const name of ['use', 'cpu', 'memory', 'disk', 'network']) expect(r.playbooks.has(name)).toBe(true);
    // Every threshold of every built-in playbook names a source that resolves.
    let thresholds = 0;
    for (const [name, pb] of r.playbooks) {
      for (const c of pb.checks) {
        for (const t of [c.warning, c.critical]) {
          if (!t) continue;
          thresholds++;
          expect(c.sourceRefs[t.source]?.title, `${name}/${c.id}: source ${t.source}`).toBeTruthy();
        }
      }
    }
    expect(thresholds).toBeGreaterThan(100);
  });

  it('loads only the requested playbook and its includes by file name, or everything when names do not match files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagt-engine-only-'));
    try {
      writeFileSync(join(dir, 'base.yaml'), HEADER.replace('name: t', 'name: base') + CHECK);
      writeFileSync(join(dir, 'top.yaml'), HEADER.replace('name: t', 'name: top') + 'include: [base]\nchecks: []\n');
      writeFileSync(join(dir, 'other.yaml'), 'not: [valid\n');
      const only = loadPlaybooks(catalogue, [{ dir, origin: 'dir' }], { only: 'top', cache: null });
      expect([...only.playbooks.keys()].sort()).toEqual(['base', 'top']);
      expect(only.errors).toEqual([]); // other.yaml was not even parsed
      writeFileSync(join(dir, 'misnamed.yaml'), HEADER.replace('name: t', 'name: hidden') + CHECK);
      const all = loadPlaybooks(catalogue, [{ dir, origin: 'dir' }], { only: 'hidden', cache: null });
      expect(all.playbooks.has('hidden')).toBe(true);
      expect(all.errors.map((e) => e.file.split('/').pop())).toEqual(['other.yaml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('caches parsed built-in YAML by content, validates cached data again, and still locates errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagt-engine-cache-'));
    try {
      const cachePath = join(dir, 'cache', 'playbooks.json');
      writeFileSync(join(dir, 'ok.yaml'), HEADER + CHECK);
      const first = loadPlaybooks(catalogue, [{ dir, origin: 'builtin' }], { cache: new PlaybookCache(cachePath) });
      expect(first.errors).toEqual([]);
      const cache = new PlaybookCache(cachePath);
      expect(cache.get(HEADER + CHECK)).toMatchObject({ name: 't' });
      const second = loadPlaybooks(catalogue, [{ dir, origin: 'builtin' }], { cache });
      expect(second.playbooks.get('t')?.checks[0]?.id).toBe('runq');
      // A cached entry that no longer validates (e.g. a metric that went away) is re-parsed with positions.
      const poisoned = new PlaybookCache(cachePath);
      poisoned.put(HEADER + CHECK.replace('syn_host.running', 'syn_host.gone'), { name: 'x' });
      writeFileSync(join(dir, 'ok.yaml'), HEADER + CHECK.replace('syn_host.running', 'syn_host.gone'));
      const third = loadPlaybooks(catalogue, [{ dir, origin: 'builtin' }], { cache: poisoned });
      expect(third.errors[0]?.field).toBe('checks[0].metric');
      expect(third.errors[0]?.position?.line).toBe(HEADER.split('\n').length + 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cache shipped with the build answers for the built-in playbooks and is never written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagt-shipped-'));
    try {
      const shipped = join(dir, 'playbooks-cache.json');
      writeFileSync(join(dir, 'ok.yaml'), HEADER + CHECK);
      // as scripts/bundle.mjs makes it: the loader itself fills it
      loadPlaybooks(catalogue, [{ dir, origin: 'builtin' }], { cache: new PlaybookCache(shipped, null) });
      const user = join(dir, 'user', 'playbooks.json');
      const cache = new PlaybookCache(user, shipped);
      expect(cache.get(HEADER + CHECK)).toMatchObject({ name: 't' });
      const r = loadPlaybooks(catalogue, [{ dir, origin: 'builtin' }], { cache });
      expect(r.playbooks.get('t')?.checks[0]?.id).toBe('runq');
      // everything came from the shipped cache: the user's cache had nothing to add
      expect(existsSync(user)).toBe(false);
      // a shipped entry is only data: it is validated like any other, and a garbled file is ignored
      writeFileSync(shipped, '{"schema":"diag.playbook-cache/v1","entries":[1,2]}');
      expect(new PlaybookCache(undefined, shipped).get(HEADER + CHECK)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
