import { BPF_DIR } from '../core/bpf-tree.js';
import { parseJsonBounded } from '../core/bounded-json.js';
import { BundleError, readArchive } from './archive.js';
import { manifestSchema, READABLE_BUNDLE_SCHEMAS, type Manifest } from './manifest.js';
import { MemoryTreeSource, type MemoryTree } from './tree.js';

export interface OpenBundle {
  readonly file: string;
  readonly manifest: Manifest;
  /** The two samples of the window, as sources that replay exactly what was recorded. */
  readonly sources: readonly [MemoryTreeSource, MemoryTreeSource];
  /**
   * report.json as stored at capture, parsed (within bounds) when first asked for; not validated
   * here (the engine's schema does that). Nothing that judges a bundle reads it: `run --from`
   * and `diff` recompute the report from the raw inputs, so a forged report.json changes nothing.
   */
  readonly report: unknown;
  /** A JSON document at the bundle's root or below (records/model.json), undefined when absent. */
  json(name: string): unknown;
  close(): void;
}

/**
 * Read and check a bundle. It is read into memory, never extracted: nothing is written to disk,
 * and a bundle of thousands of small files opens in a fraction of the time extraction takes.
 */
export async function openBundle(file: string): Promise<OpenBundle> {
  const entries = await readArchive(file);
  const json = (name: string, required: boolean): unknown => {
    const b = entries.get(name);
    if (b === undefined) {
      if (required) throw new BundleError(`${file} has no ${name}: not a diag bundle`, { hint: 'bundles are written by `diag snapshot`' });
      return undefined;
    }
    const r = parseJsonBounded(b.toString('utf8'));
    if (!r.ok) throw new BundleError(`${file}: ${name} ${r.reason}`, { hint: 'the bundle is damaged or was not written by `diag snapshot`; take a new snapshot' });
    return r.value;
  };
  const raw = json('manifest.json', true);
  const schema = (raw as { schema?: unknown } | null)?.schema;
  if (typeof schema !== 'string' || !schema.startsWith('diag.bundle/')) throw new BundleError(`${file}: manifest.json is not a diag bundle manifest`);
  if (!READABLE_BUNDLE_SCHEMAS.includes(schema)) {
    const version = (raw as { diagVersion?: unknown }).diagVersion;
    throw new BundleError(`${file} is a ${schema} bundle (written by diag ${String(version)}); this diag reads ${READABLE_BUNDLE_SCHEMAS.join(' and ')}`, { hint: 'open it with the diag version that wrote it, or take a new snapshot' });
  }
  const m = manifestSchema.safeParse(raw);
  if (!m.success) throw new BundleError(`${file}: manifest.json is malformed: ${m.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const manifest = m.data;
  const sources = manifest.samples.map((s) => {
    if (!/^samples\/[0-9]$/.test(s.dir)) throw new BundleError(`${file}: sample folder ${JSON.stringify(s.dir)} is not a sample folder`);
    const prefix = `${s.dir}/`;
    const files = new Map<string, string>();
    // BPF map dumps are bytes; everything else in a sample is text.
    const blobs = new Map<string, Buffer>();
    const binary = `/${BPF_DIR}/`;
    for (const [p, b] of entries) {
      if (!p.startsWith(prefix)) continue;
      const path = p.slice(prefix.length - 1);
      if (path.startsWith(binary) && path.endsWith('.bin')) blobs.set(path, b);
      else files.set(path, b.toString('utf8'));
    }
    if (files.size === 0) throw new BundleError(`${file}: sample folder ${JSON.stringify(s.dir)} is missing`);
    const tree: MemoryTree = { files, blobs, dropped: 0 };
    try {
      return new MemoryTreeSource(tree, `${file}:${s.dir}`);
    } catch (err) {
      throw new BundleError(`${file}: sample ${s.dir} is malformed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }) as unknown as [MemoryTreeSource, MemoryTreeSource];
  if (!entries.has('report.json')) throw new BundleError(`${file} has no report.json: not a diag bundle`, { hint: 'bundles are written by `diag snapshot`' });
  return {
    file,
    manifest,
    sources,
    get report() {
      return json('report.json', true);
    },
    json: (name) => json(name, false),
    close: () => entries.clear(),
  };
}
