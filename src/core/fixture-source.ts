import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, outcomeFromErrno, unavailable, type Outcome } from './outcome.js';
import { BPF_DIR, TreeBpf } from './bpf-tree.js';
import { commandKey, META_DIR, type Clock, type CommandResult, type CommandSpec, type Source, type StatFs } from './source.js';
import { PROCS_DIR } from './proc-records.js';
import { TreeMeta, treePath } from './tree-meta.js';

/**
 * A directory tree standing in for a host: `<tree>/proc/stat` answers readFile('/proc/stat').
 * Answers that are not plain files live in `<tree>/.diag/` (layout: tree-meta.ts). Tests point
 * collectors at such trees; RecordingSource.writeTree makes them from a real host.
 */
export class FixtureSource implements Source {
  readonly kind: 'fixture' | 'bundle';
  readonly replay = true;
  readonly description: string;
  private readonly tree: string;
  private readonly meta: TreeMeta;
  /** Replays the BPF captures under .diag/bpf/. */
  readonly bpf: TreeBpf;

  constructor(tree: string, kind: 'fixture' | 'bundle' = 'fixture') {
    this.tree = tree;
    this.kind = kind;
    this.description = `${kind} ${tree}`;
    const procsDir = join(tree, META_DIR, PROCS_DIR);
    const chunks = function* () {
      if (!existsSync(procsDir)) return;
      for (const name of readdirSync(procsDir).sort()) if (name.endsWith('.jsonl')) yield [`${PROCS_DIR}/${name}`, readFileSync(join(procsDir, name), 'utf8')] as const;
    };
    this.meta = TreeMeta.read(
      (name) => {
        const p = join(tree, META_DIR, name);
        return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
      },
      tree,
      kind,
      chunks,
    );
    // Names come from bpfCaptureKey and validated map names: nothing leaves .diag/bpf/.
    const file = (name: string) => {
      const p = join(tree, BPF_DIR, name);
      return existsSync(p) ? readFileSync(p) : undefined;
    };
    this.bpf = new TreeBpf({ text: (n) => file(n)?.toString('utf8'), bytes: file }, this.description);
  }

  /** Map a host path into the tree; refuses anything that would leave it. */
  private at(path: string): string | undefined {
    const n = treePath(path);
    return n === undefined ? undefined : join(this.tree, n);
  }

  readFile(path: string): Outcome<string> {
    const r = this.meta.recorded(path);
    if (r) return r;
    const p = this.at(path);
    if (p === undefined) return unavailable('bad-option', `${path} is outside the ${this.kind}`);
    const proc = this.meta.procFile(treePath(path)!);
    if (proc) return proc;
    try {
      return ok(readFileSync(p, 'utf8'));
    } catch (err) {
      return outcomeFromErrno(path, err, this.kind);
    }
  }

  readDir(path: string): Outcome<string[]> {
    const listed = this.meta.listing(path);
    if (listed) return ok(listed);
    const r = this.meta.recorded(path);
    if (r) return r;
    const p = this.at(path);
    if (p === undefined) return unavailable('bad-option', `${path} is outside the ${this.kind}`);
    const n = treePath(path)!;
    const proc = this.meta.procDir(n);
    if (proc) return proc;
    const procs = this.meta.procs;
    // Processes held as records are folders of /proc, as their files would be.
    if (procs && n === '/proc') return ok([...new Set([...(existsSync(p) ? readdirSync(p) : []), ...procs.pids()])]);
    try {
      const names = readdirSync(p);
      return ok(path === '/' || path === '' ? names.filter((n) => n !== META_DIR) : names);
    } catch (err) {
      return outcomeFromErrno(path, err, this.kind);
    }
  }

  readLink(path: string): Outcome<string> {
    return this.meta.readLink(path);
  }

  statfs(path: string): Outcome<StatFs> {
    return this.meta.statfs(path);
  }

  now(label = 'sample'): Clock {
    return this.meta.now(label);
  }

  run(spec: CommandSpec): Promise<Outcome<CommandResult>> {
    const file = join(this.tree, META_DIR, 'commands', `${commandKey(spec)}.json`);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    return Promise.resolve(TreeMeta.command(text, [spec.cmd, ...spec.args].join(' '), this.kind));
  }
}
