/**
 * What a long-running consumer (the TUI's live feed) lends its collectors to keep between
 * samples: each collector gets a store of its own, by its id, made on first use. Collectors keep
 * only pure memos in it (the same input text gives the same Row object back, so unchanged rows
 * cost neither parsing nor garbage). One-shot runs (playbooks, snapshots, `diag collect`) pass
 * none, and no collector may need one.
 */
export class CollectorMemo {
  private readonly stores = new Map<string, unknown>();

  /** The store of collector `id`; `make` builds it the first time. One type per id. */
  for<T>(id: string, make: () => T): T {
    let s = this.stores.get(id) as T | undefined;
    if (s === undefined) {
      s = make();
      this.stores.set(id, s);
    }
    return s;
  }
}
