import type { Source } from '../../src/core/source.js';

/** Default number of diagnostic commands diag runs at once (the machines have few cores). */
export const DEFAULT_COMMAND_CONCURRENCY = 6;

/** A counting semaphore: at most `max` holders at once, FIFO. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`Semaphore needs a positive integer, got ${max}`);
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Map with at most `limit` calls of `fn` in flight; results keep the input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/**
 * The same source with at most `max` commands running at once, whoever starts them: with a
 * hundred network namespaces, each running a handful of commands, the host sees `max`.
 * File reads are synchronous and pass straight through.
 */
export function withCommandLimit(src: Source, max: number = DEFAULT_COMMAND_CONCURRENCY): Source {
  const sem = new Semaphore(max);
  return {
    kind: src.kind,
    replay: src.replay,
    description: src.description,
    readFile: (p) => src.readFile(p),
    readDir: (p) => src.readDir(p),
    readLink: (p) => src.readLink(p),
    statfs: (p, o) => src.statfs(p, o),
    now: (label) => src.now(label),
    run: (spec) => sem.use(() => src.run(spec)),
  };
}
