import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixtureSource } from '../core/fixture-source.js';
import { BundleError, unpack } from './archive.js';
import { BUNDLE_SCHEMA, manifestSchema, type Manifest } from './manifest.js';

export interface OpenBundle {
  readonly file: string;
  readonly manifest: Manifest;
  /** The two samples of the window, as sources that replay exactly what was recorded. */
  readonly sources: readonly [FixtureSource, FixtureSource];
  /** report.json as stored at capture (not validated here: the engine's schema does that). */
  readonly report: unknown;
  readonly dir: string;
  close(): void;
}

function readJson(dir: string, name: string, file: string): unknown {
  const p = join(dir, name);
  if (!existsSync(p)) throw new BundleError(`${file} has no ${name}: not a diag bundle`, { hint: 'bundles are written by `diag snapshot`' });
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    throw new BundleError(`${file}: ${name} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Unpack and check a bundle. The caller must call close() to remove the private folder. */
export async function openBundle(file: string): Promise<OpenBundle> {
  const { dir, cleanup } = await unpack(file);
  try {
    const raw = readJson(dir, 'manifest.json', file);
    const schema = (raw as { schema?: unknown } | null)?.schema;
    if (typeof schema !== 'string' || !schema.startsWith('diag.bundle/')) throw new BundleError(`${file}: manifest.json is not a diag bundle manifest`);
    if (schema !== BUNDLE_SCHEMA) {
      const version = (raw as { diagVersion?: unknown }).diagVersion;
      throw new BundleError(`${file} is a ${schema} bundle (written by diag ${String(version)}); this diag reads ${BUNDLE_SCHEMA}`, { hint: 'open it with the diag version that wrote it, or take a new snapshot' });
    }
    const m = manifestSchema.safeParse(raw);
    if (!m.success) throw new BundleError(`${file}: manifest.json is malformed: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const manifest = m.data;
    const sources = manifest.samples.map((s) => {
      if (!/^samples\/[0-9]$/.test(s.dir) || !existsSync(join(dir, s.dir))) throw new BundleError(`${file}: sample folder ${JSON.stringify(s.dir)} is missing`);
      try {
        return new FixtureSource(join(dir, s.dir), 'bundle');
      } catch (err) {
        throw new BundleError(`${file}: sample ${s.dir} is malformed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }) as unknown as [FixtureSource, FixtureSource];
    const report = readJson(dir, 'report.json', file);
    return { file, manifest, sources, report, dir, close: cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
