import type { Collector, Row, Sample } from '../../src/core/collector.js';
import { deriveModel, type Model } from '../../src/core/derive.js';
import { counter, derived, gauge } from '../../src/core/fields.js';
import { ok, unavailable, type Outcome, type OutcomeCode } from '../../src/core/outcome.js';
import { loadPlaybooks, type LoadedPlaybook } from '../../src/engine/loader.js';
import { buildCatalogue, type MetricCatalogue } from '../../src/engine/metrics.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A synthetic collector with one host table, one per-device table and one per-cgroup table. */
export const testCollector: Collector = {
  id: 'synthetic',
  title: 'synthetic tables for engine tests',
  origin: 'procfs',
  resources: ['cpu', 'disk'],
  inputs: ['/proc/synthetic', '/proc/PID/synthetic'],
  tables: {
    syn_host: {
      title: 'host',
      scope: 'host',
      fields: { running: gauge('runnable'), ncpu: gauge('cpus'), oom: counter('oom kills'), sent: counter('segments sent'), retrans: counter('retransmits') },
    },
    syn_dev: {
      title: 'devices',
      scope: 'device',
      fields: { busy_ms: counter('busy time', 'ms'), rotational: gauge('rotational', 'boolean') },
      derived: { util_pct: derived('%util', 'percent') },
      derive: (w) => {
        const r = w.rate('busy_ms');
        return { util_pct: r === undefined ? undefined : r / 10 };
      },
    },
    syn_cg: { title: 'cgroups', scope: 'cgroup', fields: { used_pct: gauge('used', 'percent') } },
    syn_proc: { title: 'processes', scope: 'process', fields: { fds: gauge('fds'), fd_limit: gauge('limit') } },
  },
  collect: () => ({}),
};

export const catalogue: MetricCatalogue = buildCatalogue([testCollector]);

type Tables = Record<string, Outcome<Row[]>>;

function sample(monoMs: number, tables: Tables): Sample {
  const clock = { monoMs, wall: new Date(Date.UTC(2026, 0, 1) + monoMs).toISOString() };
  return { clock, collectors: { synthetic: ok({ clock, durationMs: 1, tables }) } };
}

/** A model from two samples `seconds` apart (tables missing from `first` have no rates). */
export function model(first: Tables, second: Tables, seconds = 1): Model {
  return deriveModel([testCollector], { first: sample(0, first), second: sample(seconds * 1000, second) });
}

export const host = (values: Row['values']): Outcome<Row[]> => ok([{ key: 'host', values }]);
export const rows = (...r: Row[]): Outcome<Row[]> => ok(r);
export const missing = (reason: string, hint?: string, code: OutcomeCode = 'not-found'): Outcome<Row[]> => unavailable(code, reason, hint);

/** Write playbook files into a temporary directory and load them against the synthetic catalogue. */
export function loadFrom(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'diagt-engine-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    return { dir, ...loadPlaybooks(catalogue, [{ dir, origin: 'dir' }]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function onePlaybook(text: string): LoadedPlaybook {
  const r = loadFrom({ 'p.yaml': text });
  if (r.errors.length > 0) throw new Error(r.errors.map((e) => e.toString()).join('\n'));
  const p = [...r.playbooks.values()][0];
  if (!p) throw new Error('no playbook loaded');
  return p;
}

export const HEADER = `schema: diag.playbook/v1
name: t
title: test playbook
description: a playbook for tests
resources: [cpu, disk]
sources:
  src: { title: "a source" }
`;
