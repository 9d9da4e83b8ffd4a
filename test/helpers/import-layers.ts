import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * The layering of docs/architecture.md ("Layers") as data, and a checker over the import graph:
 * every static import/export, dynamic `import()` and `import('x').T` type of every .ts file, read
 * with the TypeScript parser (comments and strings are not imports).
 */

/** One import of one file. */
export interface ImportEdge {
  /** The importing file, relative to the repository root (posix separators). */
  readonly from: string;
  readonly line: number;
  readonly specifier: string;
  /** The imported file, relative to the root, `.js` read as `.ts`; undefined for a package (`zod`, `node:fs`). */
  readonly to: string | undefined;
  /** `import type`, `export type`, all-`type` named imports, or an `import('x').T` type: gone at run time. */
  readonly typeOnly: boolean;
  readonly dynamic: boolean;
}

/** What a layer may import: layers, or a layer reached only by types. */
export interface LayerRule {
  readonly may: readonly string[];
  /** Layers it may name in types only (erased at run time: no code of theirs runs on its behalf). */
  readonly typesFrom?: readonly string[];
}

/**
 * Who may import whom (imports point downward only: core < collectors < engine < report < tui <
 * cli; bundle beside the engine, on core alone). `src/cli` is the composition root: the one layer
 * that may import everything, and the only one that may import the collector registry
 * (`collectors/index.ts`); the engine is handed the collectors and the probe runner, and names
 * collectors' types only. The views (report, TUI) may use collectors' pure helpers (probe
 * histograms, their text).
 */
export const LAYERS: Readonly<Record<string, LayerRule>> = {
  'src/core': { may: ['src/core'] },
  collectors: { may: ['collectors', 'src/core'] },
  'src/engine': { may: ['src/engine', 'src/core'], typesFrom: ['collectors'] },
  'src/bundle': { may: ['src/bundle', 'src/core'] },
  'src/report': { may: ['src/report', 'src/engine', 'collectors', 'src/core'] },
  'src/export': { may: ['src/export', 'src/engine', 'src/core'] },
  'src/recording': { may: ['src/recording', 'src/bundle', 'src/core'] },
  'src/tui': { may: ['src/tui', 'src/report', 'src/engine', 'collectors', 'src/core'] },
  'src/cli': { may: ['src/cli', 'src/recording', 'src/export', 'src/tui', 'src/report', 'src/bundle', 'src/engine', 'src/core', 'collectors'] },
};

/** The registry of collectors: composed by the CLI alone. */
export const REGISTRY = 'collectors/index.ts';
export const COMPOSITION_ROOT = 'src/cli';

/** The layer a repository path belongs to: `src/<folder>`, or its first folder (`collectors`, `test`, ...). */
export function layerOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? `src/${parts[1]}` : parts[0]!;
}

/** The imports of one file's text (`file` relative to the root, posix). */
export function importsOf(file: string, text: string): ImportEdge[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: ImportEdge[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, typeOnly: boolean, dynamic: boolean) => {
    if (spec === undefined || !ts.isStringLiteralLike(spec)) return;
    const s = spec.text;
    const to = s.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), s)).replace(/\.js$/, '.ts') : undefined;
    out.push({ from: file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, specifier: s, to, typeOnly, dynamic });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const c = n.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const allTypes = c !== undefined && (c.isTypeOnly || (c.name === undefined && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(n, n.moduleSpecifier, allTypes, false);
    } else if (ts.isExportDeclaration(n)) {
      add(n, n.moduleSpecifier, n.isTypeOnly, false);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(n, n.arguments[0], false, true);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      add(n, n.argument.literal, true, true);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Why an import breaks the layering, or undefined when it is allowed. */
export function violation(e: ImportEdge, layers: Readonly<Record<string, LayerRule>> = LAYERS): string | undefined {
  if (e.to === undefined) return undefined;
  const from = layerOf(e.from);
  const to = layerOf(e.to);
  const rule = layers[from];
  if (rule === undefined) {
    // test/, bench/, scripts/ may use anything; a new folder under src/ must be placed first
    return from.startsWith('src/') ? `${from} is no layer of docs/architecture.md: add it to LAYERS (test/helpers/import-layers.ts) with what it may import` : undefined;
  }
  if (e.to === REGISTRY && from !== COMPOSITION_ROOT) return `${from} imports the collector registry: only ${COMPOSITION_ROOT} composes it (pass the collectors in)`;
  if (!(to in layers) && to !== from) return `${from} imports ${to}, which is no layer of docs/architecture.md`;
  if (rule.may.includes(to)) return undefined;
  if (e.typeOnly && rule.typesFrom?.includes(to)) return undefined;
  const how = e.dynamic ? 'dynamically imports' : e.typeOnly ? 'imports types from' : 'imports';
  return `${from} ${how} ${to}: it may import ${[...rule.may, ...(rule.typesFrom ?? []).map((t) => `${t} (types only)`)].join(', ')}`;
}

/** Every .ts file under `dirs` (relative to root), as root-relative posix paths. */
export function tsFilesUnder(root: string, dirs: readonly string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      const p = join(dir, d.name);
      if (d.isDirectory()) return walk(p);
      return d.isFile() && d.name.endsWith('.ts') ? [relative(root, p).split(sep).join('/')] : [];
    });
  return dirs.flatMap((d) => walk(join(root, d)));
}

/** The violations of a set of files given as path -> text (a tree in memory, or read from disk). */
export function checkLayers(files: ReadonlyMap<string, string>, layers: Readonly<Record<string, LayerRule>> = LAYERS): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    for (const e of importsOf(file, text)) {
      const why = violation(e, layers);
      if (why !== undefined) out.push(`${e.from}:${e.line}: ${e.specifier}: ${why}`);
    }
  }
  return out;
}

/** The repository's own sources, read from disk. */
export function repositorySources(root: string, dirs: readonly string[] = ['src', 'collectors']): Map<string, string> {
  return new Map(tsFilesUnder(root, dirs).map((f) => [f, readFileSync(join(root, f), 'utf8')]));
}
