import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * A cache of parsed playbook YAML (the plain data, keyed by the SHA-1 of the file's text), so a
 * run does not pay the YAML parser on every start. Only data is stored; everything read back is
 * validated by the playbook schema again, and a file whose text changed is parsed afresh.
 * Location: $XDG_CACHE_HOME/diag (or ~/.cache/diag); DIAG_NO_CACHE=1 turns it off; a cache
 * that cannot be read or written is simply not used.
 */
const cacheFile = z.object({ schema: z.literal('diag.playbook-cache/v1'), entries: z.record(z.string(), z.unknown()) });
const MAX_ENTRIES = 256;

function readCache(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    const parsed = cacheFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return parsed.data.entries;
  } catch {
    /* no cache yet, or unreadable: start empty */
  }
  return {};
}

export class PlaybookCache {
  private entries: Record<string, unknown>;
  /** Entries built with diag (dist/playbooks-cache.json): read, never written. */
  private readonly shipped: Record<string, unknown>;
  private dirty = false;
  private readonly used = new Set<string>();

  constructor(
    private readonly path: string | undefined,
    shipped: string | null = process.env.DIAG_NO_CACHE === '1' ? null : shippedCachePath(),
  ) {
    this.entries = readCache(path);
    this.shipped = shipped === null ? {} : readCache(shipped);
  }

  static key(text: string): string {
    return createHash('sha1').update(text).digest('hex');
  }

  get(text: string): unknown {
    const k = PlaybookCache.key(text);
    if (k in this.shipped) return this.shipped[k];
    if (!(k in this.entries)) return undefined;
    this.used.add(k);
    return this.entries[k];
  }

  put(text: string, value: unknown): void {
    const k = PlaybookCache.key(text);
    if (k in this.shipped) return;
    this.used.add(k);
    if (k in this.entries) return;
    this.entries[k] = value;
    this.dirty = true;
  }

  /** Write back (under a temporary name, then renamed), dropping entries beyond the bound. */
  save(): void {
    if (!this.path || !this.dirty) return;
    try {
      const keys = Object.keys(this.entries);
      if (keys.length > MAX_ENTRIES) for (const k of keys.filter((x) => !this.used.has(x)).slice(0, keys.length - MAX_ENTRIES)) delete this.entries[k];
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ schema: 'diag.playbook-cache/v1', entries: this.entries }), { mode: 0o600 });
      renameSync(tmp, this.path);
      this.dirty = false;
    } catch {
      /* read-only home, full disk: run without a cache */
    }
  }
}

/**
 * The cache `npm run build` writes of the built-in playbooks (scripts/bundle.mjs): dist/ holds it,
 * two folders above this module (dist/src/engine, or the bundle in dist/src/cli). From src/
 * (tests), the path names nothing and nothing is shipped.
 */
export function shippedCachePath(): string {
  return fileURLToPath(new URL('../../playbooks-cache.json', import.meta.url));
}

export function defaultCachePath(): string | undefined {
  if (process.env.DIAG_NO_CACHE === '1') return undefined;
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME.startsWith('/') ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'diag', 'playbooks-v1.json');
}
