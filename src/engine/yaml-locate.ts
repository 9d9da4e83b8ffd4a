import { createRequire } from 'node:module';
import type { Document, Node } from 'yaml';

// The YAML parser is loaded on first use: a run whose playbooks come from the parse cache never
// pays for loading it.
type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
const yaml = (): YamlModule => (yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule);

/**
 * YAML parsing that keeps positions, so an error in a playbook names the line and column of the
 * field that is wrong (or of its parent when the field is missing).
 */
export interface LocatedDocument {
  readonly doc: Document;
  readonly lines: InstanceType<YamlModule['LineCounter']>;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

export type YamlParse =
  | { ok: true; value: unknown; located: LocatedDocument }
  | { ok: false; message: string; position?: Position };

export function parseYaml(text: string): YamlParse {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  // Core schema (no custom tags, nothing executable), unique keys, bounded aliases.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, schema: 'core', strict: true });
  const err = doc.errors[0];
  if (err) {
    const p = lines.linePos(err.pos[0]);
    return { ok: false, message: firstLine(err.message), position: { line: p.line, column: p.col } };
  }
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 50 });
    return { ok: true, value, located: { doc, lines } };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? firstLine(e.message) : String(e) };
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Position of the node at `path` (keys and indices); when `key` is given, the position of that
 * key inside the map at `path` (for unknown fields). Falls back to the deepest existing parent.
 */
export function locate(ld: LocatedDocument, path: readonly (string | number)[], key?: string): Position | undefined {
  const { isMap, isSeq } = yaml();
  let node: unknown = ld.doc.contents;
  let best: Node | undefined = isNode(node) ? node : undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => scalarValue(it.key) === String(seg));
      if (!pair) break;
      node = pair.value;
      const k = pair.key;
      best = isNode(node) && node.range ? node : isNode(k) ? k : best;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (!isNode(node)) break;
      best = node;
    } else break;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((it) => scalarValue(it.key) === key);
    if (pair && isNode(pair.key)) best = pair.key;
  }
  const off = best?.range?.[0];
  if (off === undefined) return undefined;
  const p = ld.lines.linePos(off);
  return { line: p.line, column: p.col };
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'range' in x;
}

function scalarValue(k: unknown): string | undefined {
  if (typeof k === 'object' && k !== null && 'value' in k) return String((k as { value: unknown }).value);
  return typeof k === 'string' ? k : undefined;
}
