/**
 * Entities and their identities: the one place a scope string ("process:1234",
 * "netns:4026532/interface:veth0", "cgroup:/system.slice/x.service") is made and read.
 *
 * A finding's scope, a culprit and a row of a table all name an entity the same way, so that a
 * report, a bundle, a diff and the TUI can follow it across samples. The key is whatever the
 * table uses as its row key (a PID, a device name, a cgroup path, a netns inode); the kind is the
 * table's scope kind. An entity seen from inside another network namespace is nested in it.
 */
export interface EntityRef {
  /** Scope kind: host, cpu, process, thread, cgroup, device, mount, socket, interface, qdisc, rule, netns, event... */
  readonly kind: string;
  /** Identity within its kind (the table's row key); '' for the host. */
  readonly key: string;
  /** The network namespace (or other container) the entity was seen in, when not the host's. */
  readonly within?: EntityRef;
}

export const HOST: EntityRef = { kind: 'host', key: '' };

export function entity(kind: string, key: string, within?: EntityRef): EntityRef {
  if (kind === 'host') return within ?? HOST;
  return within === undefined ? { kind, key } : { kind, key, within };
}

/** The stable string of an entity, used as a finding's scope and a culprit's id. */
export function scopeString(ref: EntityRef): string {
  const own = ref.kind === 'host' ? 'host' : `${ref.kind}:${ref.key}`;
  if (!ref.within) return own;
  const outer = scopeString(ref.within);
  return ref.kind === 'host' ? outer : `${outer}/${own}`;
}

/**
 * Parse a scope string back into an entity. Keys may hold ':' and '/' (cgroup paths, mount
 * points): only a leading "netns:ID/" is read as nesting, which is the one nesting diag makes.
 */
export function parseScope(scope: string): EntityRef {
  if (scope === 'host' || scope === '') return HOST;
  const nested = /^netns:([^/]+)\/(.+)$/.exec(scope);
  if (nested) return { ...parseScope(nested[2]!), within: { kind: 'netns', key: nested[1]! } };
  const i = scope.indexOf(':');
  if (i <= 0) return { kind: scope, key: '' };
  return { kind: scope.slice(0, i), key: scope.slice(i + 1) };
}

/** Is `inner` the entity `outer` or nested in it (a cgroup below another, a row inside a netns)? */
export function isWithin(inner: EntityRef, outer: EntityRef): boolean {
  if (outer.kind === 'host' && outer.within === undefined) return true;
  if (inner.within && isWithin(inner.within, outer)) return true;
  if (inner.kind !== outer.kind) return false;
  if (inner.kind === 'cgroup') return outer.key === '/' || inner.key === outer.key || inner.key.startsWith(outer.key + '/');
  return inner.key === outer.key;
}

/** The scope string of a row of a table of this scope kind, without building an EntityRef (hot path). */
export function rowScope(kind: string, key: string): string {
  return kind === 'host' ? 'host' : `${kind}:${key}`;
}
