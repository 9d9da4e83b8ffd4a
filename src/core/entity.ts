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
  // The same name in two network namespaces is two entities (eth0 here and eth0 in a container).
  if ((inner.within === undefined) !== (outer.within === undefined)) return false;
  if (inner.within && outer.within && scopeString(inner.within) !== scopeString(outer.within)) return false;
  if (inner.kind === 'cgroup') return outer.key === '/' || inner.key === outer.key || inner.key.startsWith(outer.key + '/');
  return inner.key === outer.key;
}

/**
 * Table scope of rows seen inside other network namespaces: `netns/<kind>` (e.g. "netns/qdisc"),
 * rows keyed `<netns inode>/<own key>`, each row's scope nested in its namespace
 * ("netns:4026532/qdisc:veth0 1: root"). The namespaces collector's per-namespace tables use it.
 */
export const IN_NETNS = 'netns/';

/** The table scope of `kind` rows seen inside network namespaces ("qdisc" -> "netns/qdisc"). */
export const inNetns = (kind: string): string => IN_NETNS + kind;

/** Rows of this table scope are one per network namespace or nested in one ("netns", "netns/qdisc"). */
export const perNetnsScope = (tableScope: string): boolean => tableScope === 'netns' || tableScope.startsWith(IN_NETNS);

/** The kind of entity a table's rows are: "qdisc" for both "qdisc" and "netns/qdisc". */
export function entityKind(tableScope: string): string {
  return tableScope.startsWith(IN_NETNS) ? tableScope.slice(IN_NETNS.length) : tableScope;
}

/** The scope string of a row of a table of this scope kind, without building an EntityRef (hot path). */
export function rowScope(kind: string, key: string): string {
  if (kind === 'host') return 'host';
  if (kind.startsWith(IN_NETNS)) {
    const i = key.indexOf('/');
    // A key without its namespace is a bug of the table; its scope stays readable (not nested).
    return i > 0 ? `netns:${key.slice(0, i)}/${kind.slice(IN_NETNS.length)}:${key.slice(i + 1)}` : `${kind.slice(IN_NETNS.length)}:${key}`;
  }
  return `${kind}:${key}`;
}
